/* The exit dispatcher: one table of handlers indexed by enum exit_reason. */
#ifndef HV_VMM_EXIT_H
#define HV_VMM_EXIT_H

#include "vmm/housekeeping.h"
#include "vmm/vcpu.h"

/* What a handler says happens next. */
enum exit_verdict {
	EXIT_RESUME,  /* handled: enter the guest again */
	EXIT_STOP,    /* the partition must stop (reason already logged) */
	EXIT_RESET,   /* the guest reset the machine: the run loop takes the reboot path (v->reset_request) */
};

/* A handler's answer to a guest reset request: `why` is what the reboot path prints. */
static inline enum exit_verdict exit_reset(struct vcpu *v, const char *why)
{
	v->reset_request = why;
	return EXIT_RESET;
}

typedef enum exit_verdict (*exit_handler_t)(struct vcpu *v);

/*
 * Counts an exit at guest `rip`: per reason (its cycles are added at the next entry,
 * vcpu_account_entry()), and in the ring of recent exits with `qual` (the first word of the
 * decoded detail, 0 for the exits a backend completes itself). Then the housekeeping poll (debug
 * keys, IOMMU faults) when its time has come (one compare).
 */
static inline void exit_account(struct vcpu *v, enum exit_reason reason, uint64_t raw_reason, uint64_t rip,
				uint64_t qual)
{
	struct exit_trace *t = &v->history[v->total_exits++ & (EXIT_HISTORY - 1)];

	t->raw_reason = raw_reason;
	t->rip = rip;
	t->qualification = qual;
	t->tsc = v->exit_tsc;
	v->last_reason = reason;
	v->exits[reason]++;
	if (__builtin_expect(v->exit_tsc >= housekeeping_next_poll, 0))
		housekeeping_poll(v); /* debug keys, IOMMU faults (rate-limited) */
}

/* Looks the exit up (bounds and NULL checked); an unknown or unhandled one dumps and stops. */
enum exit_verdict exit_dispatch(struct vcpu *v);
const char *exit_reason_name(enum exit_reason reason);

enum exit_verdict handle_cpuid(struct vcpu *v);
enum exit_verdict handle_msr_read(struct vcpu *v);
enum exit_verdict handle_msr_write(struct vcpu *v);
enum exit_verdict handle_npf(struct vcpu *v);
enum exit_verdict handle_nmi(struct vcpu *v);
enum exit_verdict handle_xsetbv(struct vcpu *v);
enum exit_verdict handle_io(struct vcpu *v);
enum exit_verdict handle_init(struct vcpu *v);
enum exit_verdict handle_sipi(struct vcpu *v);
enum exit_verdict handle_shutdown(struct vcpu *v);
enum exit_verdict handle_hypercall(struct vcpu *v);
enum exit_verdict handle_exception(struct vcpu *v);
enum exit_verdict handle_virt_insn(struct vcpu *v);
enum exit_verdict handle_failed_entry(struct vcpu *v);
enum exit_verdict handle_extint(struct vcpu *v);
enum exit_verdict handle_event_window(struct vcpu *v);
enum exit_verdict handle_invd(struct vcpu *v);
enum exit_verdict handle_smi(struct vcpu *v);
enum exit_verdict handle_timer(struct vcpu *v);
enum exit_verdict handle_task_switch(struct vcpu *v); /* vmm/task_switch.c */

#endif
