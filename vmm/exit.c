/* The exit table: one handler per neutral exit reason, looked up with bounds and NULL checks. */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"

static const exit_handler_t exit_handlers[EXIT_NR] = {
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_MSR_READ] = handle_msr_read,
	[EXIT_MSR_WRITE] = handle_msr_write,
	[EXIT_NPF] = handle_npf,
	[EXIT_NMI] = handle_nmi,
	[EXIT_XSETBV] = handle_xsetbv,
	[EXIT_IO] = handle_io,
	[EXIT_INIT] = handle_init,
	[EXIT_SIPI] = handle_sipi,
	[EXIT_SHUTDOWN] = handle_shutdown,
	[EXIT_HYPERCALL] = handle_hypercall,
	[EXIT_EXCEPTION] = handle_exception,
	[EXIT_VIRT_INSN] = handle_virt_insn,
	[EXIT_FAILED_ENTRY] = handle_failed_entry,
	[EXIT_EXTINT] = handle_extint,
	[EXIT_IRQ_WINDOW] = handle_event_window,
	[EXIT_NMI_WINDOW] = handle_event_window,
	[EXIT_INVD] = handle_invd,
	[EXIT_SMI] = handle_smi,
	[EXIT_TIMER] = handle_timer,
	[EXIT_TASK_SWITCH] = handle_task_switch,
	/* EXIT_UNKNOWN has no handler: it stops the partition with a dump. */
};

static const char *const reason_names[EXIT_NR] = {
	[EXIT_UNKNOWN] = "unknown",	      [EXIT_CPUID] = "cpuid",
	[EXIT_MSR_READ] = "msr-read",	      [EXIT_MSR_WRITE] = "msr-write",
	[EXIT_NPF] = "npf",		      [EXIT_NMI] = "nmi",
	[EXIT_EXTINT] = "extint",	      [EXIT_XSETBV] = "xsetbv",
	[EXIT_IO] = "io",		      [EXIT_INIT] = "init",
	[EXIT_SIPI] = "sipi",		      [EXIT_SHUTDOWN] = "shutdown",
	[EXIT_HYPERCALL] = "hypercall",	      [EXIT_EXCEPTION] = "exception",
	[EXIT_VIRT_INSN] = "virt-insn",	      [EXIT_FAILED_ENTRY] = "failed-entry",
	[EXIT_IRQ_WINDOW] = "irq-window",     [EXIT_NMI_WINDOW] = "nmi-window",
	[EXIT_INVD] = "invd",
	[EXIT_SMI] = "smi",
	[EXIT_TIMER] = "timer",
	[EXIT_TASK_SWITCH] = "task-switch",
};

const char *exit_reason_name(enum exit_reason reason)
{
	if ((unsigned int)reason < EXIT_NR && reason_names[reason])
		return reason_names[reason];
	return "out-of-range";
}

static __attribute__((noinline, cold)) enum exit_verdict unhandled_exit(struct vcpu *v, unsigned int reason)
{
	exit_account(v, EXIT_UNKNOWN, v->exit.raw_reason, v->rip, v->exit.gpa);
	pr_err("vcpu%u: unhandled exit: %s (%u), hardware code %#llx", v->id, exit_reason_name(reason), reason,
	       (unsigned long long)v->exit.raw_reason);
	vcpu_dump(v);
	return EXIT_STOP;
}

/* Counts the exit and calls its handler, a tail call: this runs on every exit the backend does not complete. */
enum exit_verdict exit_dispatch(struct vcpu *v)
{
	unsigned int reason = v->exit.reason;

	if (reason >= EXIT_NR || !exit_handlers[reason])
		return unhandled_exit(v, reason);
	exit_account(v, reason, v->exit.raw_reason, v->rip, v->exit.gpa);
	return exit_handlers[reason](v);
}
