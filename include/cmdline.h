/*
 * The hypervisor command line: space-separated `key=value` words and bare `key` flags, parsed
 * once at boot into struct hv_options. Options are listed in one table in boot/cmdline.c;
 * cmdline_print_help() shows them.
 */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include "screen.h"
#include "types.h"

#define CMDLINE_MAX_UNKNOWN 8 /* unknown keys remembered for a warning */
#define CMDLINE_NAME_LEN 32   /* bytes per remembered key, NUL included */
#define CMDLINE_NO_GHOST_CPU 0xFFFFFFFFu

/* Faults the selftest= option can ask for; opts->selftest holds SELFTEST_BIT()s of these. */
enum selftest_fault {
	SELFTEST_UD,  /* #UD invalid opcode */
	SELFTEST_GP,  /* #GP general protection */
	SELFTEST_PF,  /* #PF page fault */
	SELFTEST_DE,  /* #DE divide error */
	SELFTEST_BP,  /* #BP breakpoint */
	SELFTEST_DF,  /* #DF double fault */
	SELFTEST_MSR, /* access to a non-existent MSR */
	SELFTEST_PANIC,      /* panic once virtualization is on on every CPU (the reboot path) */
	SELFTEST_LEAVEFAULT, /* leave virtualization twice on the reboot path: the second faults */
	SELFTEST_HCPANIC,    /* panic at the guest's first hypercall: the exit ring on a panic */
	SELFTEST_NR
};

#define SELFTEST_BIT(f) (1u << (f))

enum hv_panic_mode {
	HV_PANIC_REBOOT, /* reset the machine */
	HV_PANIC_HALT,   /* stop all CPUs and stay there, for debugging */
};

/* debugkeys=: whether the console takes debug keys. */
enum hv_debugkeys {
	HV_DEBUGKEYS_DEFAULT, /* on a UART of the hypervisor's own, not on COM1 shared with the guest */
	HV_DEBUGKEYS_ON,      /* on a shared COM1 too: the guest's UART is emulated, Ctrl-A x3 switches input */
	HV_DEBUGKEYS_OFF,     /* none */
};

struct hv_options {
	uint16_t console_port;  /* serial console I/O base, console=; 0: none */
	enum screen_choice console_screen; /* the log on the screen too, console= */
	uint32_t baud;          /* divides 115200, baud= */
	int loglevel;           /* 0 emerg .. 7 debug, loglevel= */
	uint32_t selftest;      /* SELFTEST_BIT() mask, selftest= */
	enum hv_panic_mode panic;
	uint32_t hvmem_mib;     /* hypervisor memory pool in MiB, hvmem= */
	bool help;              /* `help` flag: print the options */
	uint32_t force_intercept_exceptions; /* guest exception vectors to log and reflect */
	bool test_unhandled_exit;            /* testing only: an intercept with no handler */
	enum hv_debugkeys debugkeys; /* debugkeys= */
	uint32_t ghost_cpu;     /* testing only: an APIC ID to start that no CPU has; CMDLINE_NO_GHOST_CPU = off */

	/* Keys no option knows; not an error, the caller warns. Names cut to 31 chars. */
	unsigned int nr_unknown;
	unsigned int nr_unknown_dropped; /* more unknown keys than fit below */
	char unknown[CMDLINE_MAX_UNKNOWN][CMDLINE_NAME_LEN];
};

/* Fill opts with the defaults: com1 and the screen, 115200, loglevel 6, no selftest, reboot, 16 MiB. */
void cmdline_defaults(struct hv_options *opts);

/*
 * Parse cmdline (NULL or empty means defaults) into opts, after filling the defaults. A first
 * word starting with '/' is the image path and is skipped. Repeated keys: the last one wins.
 * Returns 0, or -E_INVAL for a known key with a missing, malformed or out-of-range value; then
 * err[errlen] holds a one-line message and opts holds the words before the bad one, parsing
 * having stopped there. err may be NULL when errlen is 0.
 */
int cmdline_parse(const char *cmdline, struct hv_options *opts, char *err, size_t errlen);

/* Call out() once per option with a line (no newline) showing its syntax and meaning. */
void cmdline_print_help(void (*out)(const char *line, void *ctx), void *ctx);

/* The selftest= name of fault `bit` (an enum selftest_fault), or NULL if out of range. */
const char *cmdline_selftest_name(unsigned int bit);

#endif
