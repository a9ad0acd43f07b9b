/*
 * The debug console: keys typed on the hypervisor's own UART (console= other than COM1) while the
 * guest runs. They are read on exits the hypervisor takes anyway (at most every HOUSEKEEPING_POLL_MS)
 * and, on VMX, on a VMX-preemption timer exit after DEBUGKEYS_TIMER_MS of guest time without one.
 */
#ifndef HV_VMM_DEBUGKEYS_H
#define HV_VMM_DEBUGKEYS_H

#include "types.h"

struct vcpu;
struct partition;

#define DEBUGKEYS_TIMER_MS 50

enum debug_key_action {
	DK_NONE,      /* not a debug key: ignored */
	DK_HELP,      /* h */
	DK_STATS,     /* e: exit statistics, CPU x reason */
	DK_VCPUS,     /* v: every vCPU's state and registers */
	DK_RINGS,     /* r: the rings of recent exits */
	DK_MEMORY,    /* m: memory layout and nested tables */
	DK_LOG_UP,    /* + */
	DK_LOG_DOWN,  /* - */
	DK_REBOOT,    /* R */
};

/* What a received byte asks for (pure: host-tested). */
enum debug_key_action debug_key_action(int c);
/* The help text, one line per key, NULL-terminated. */
extern const char *const debug_key_help[];

/*
 * One row of the exit statistics table: CPU, reason, count, average and maximum cycles (pure:
 * the one division of the statistics is here, off the exit path). Returns what snprintf returns.
 */
int exit_stats_row(char *buf, size_t size, unsigned int cpu, const char *reason, uint64_t count, uint64_t cycles,
		   uint64_t max);
/* The table's header line, matching exit_stats_row's columns. */
extern const char exit_stats_header[];

/* At boot, after the console is set up: keys on when the console has its own UART (not COM1). */
void debugkeys_init(uint16_t console_port);
/* Whether the keys are on: the hypervisor's UART is hidden from the guest and VMX arms its timer. */
bool debugkeys_enabled(void);
/* Whether a guest access to [port, port + size) touches the hypervisor's own UART. */
bool debugkeys_port_hidden(uint16_t port, uint8_t size);
/* Hides the hypervisor's UART ports from the guest (intercepted: reads all ones, writes dropped). */
void debugkeys_intercept_ports(struct partition *p);
/* The VMX-preemption timer's reload in TSC cycles (0: keys off, no timer). */
uint64_t debugkeys_timer_tsc(void);
/* From the housekeeping poll (vmm/housekeeping.c), on one CPU at a time: reads the UART, answers the keys. */
void debugkeys_poll(struct vcpu *v);
/* Prints the exit statistics table of every vCPU (the `e` key and the statistics hypercall). */
void debugkeys_print_stats(void);

#endif
