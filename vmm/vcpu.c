/* The vCPU run loop and the helpers handlers share. */
#include "console.h"
#include "lib/string.h"
#include "vmm/debugkeys.h"
#include "vmm/exit.h"
#include "vmm/initsipi.h"
#include "vmm/partition.h"
#include "x86/cpu.h"
#include "x86/percpu.h"
#include "x86/reboot.h"

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error_code, uint32_t error_code)
{
	struct vcpu_event e = {
		.type = EVENT_EXCEPTION,
		.vector = vector,
		.has_error_code = has_error_code,
		.error_code = error_code,
	};
	struct vcpu_event old;

	/*
	 * An event still to be delivered: an exit during its delivery queued it again. A fault or
	 * software interrupt that is dropped happens again when its instruction runs again.
	 */
	if (vcpu_ops->pending_event(v, &old)) {
		if (vcpu_events_double_fault(&old, &e))
			e = (struct vcpu_event){ .type = EVENT_EXCEPTION, .vector = EXC_DF, .has_error_code = true };
		else
			vcpu_event_displaced(v, &old);
	}
	vcpu_ops->inject_event(v, &e);
}

unsigned int vcpu_pending_exception(struct vcpu *v)
{
	struct vcpu_event e;

	return vcpu_ops->pending_event(v, &e) && e.type == EVENT_EXCEPTION ? e.vector : VCPU_NO_EXCEPTION;
}

/*
 * The slow part of an entry, when vcpu.attention says work waits. INIT and SIPI first: they
 * replace the state events would be delivered into. Senders post them and kick with an NMI, so
 * a request seen late still gets an exit.
 */
static void vcpu_attend(struct vcpu *v)
{
	vcpu_take_attention(v);
	if (__atomic_load_n(&v->startup, __ATOMIC_ACQUIRE) & (VCPU_INIT_PENDING | VCPU_SIPI_PENDING))
		initsipi_process(v);
	if (vcpu_deliver_events(v))
		vcpu_request_attention(v, VCPU_ATTN_EVENT); /* it waits for a window: look again next time */
}

void vcpu_run_loop(struct vcpu *v)
{
	const struct vcpu_ops *ops = vcpu_ops;
	const struct partition *p = v->part;
	enum exit_verdict verdict;

	/*
	 * Before the first exit there is nothing to account: the time to the first entry goes to
	 * last_reason's slot (EXIT_UNKNOWN, or the exit before an S3 resume), whose count does not
	 * move. Set here too because the TSC may have restarted in S3; so is the housekeeping poll.
	 */
	v->exit_tsc = rdtsc();
	housekeeping_rearm();
	debugkeys_rearm();
	vcpu_request_attention(v, VCPU_ATTN_ALL); /* the first entry looks at everything */
	for (;;) {
		/* A stop sets every vCPU's attention: the flag is read only then. */
		if (vcpu_needs_attention(v)) {
			if (p->stopped)
				break;
			vcpu_attend(v);
		}
		/*
		 * No handler can act on a stale reason: every entry starts from EXIT_UNKNOWN, the
		 * backend's decoder writes the whole record after the exit, and the exits the backend
		 * completes itself never write it (so the entries after them start from it too).
		 */
		v->exit.reason = EXIT_UNKNOWN;
		if (!ops->run(v))
			continue;
		verdict = exit_dispatch(v);
		if (__builtin_expect(verdict == EXIT_RESUME, 1))
			continue;
		if (verdict == EXIT_RESET)
			reboot_machine(v->reset_request, true); /* every CPU leaves SVM/VMX first */
		partition_stop(v->part, "a vCPU could not go on (see above)");
		break;
	}
	pr_info("vcpu%u: left its run loop after %llu exits", v->id, (unsigned long long)v->total_exits);
}

void vcpu_print_gprs(const struct vcpu *v, int level)
{
	const struct guest_regs *r = &v->regs;

	printk(level, "vcpu%u: RIP %016llx RSP %016llx RFLAGS %016llx", v->id, (unsigned long long)v->rip,
	       (unsigned long long)r->rsp, (unsigned long long)v->rflags);
	printk(level, "vcpu%u: RAX %016llx RBX %016llx RCX %016llx RDX %016llx", v->id, (unsigned long long)r->rax,
	       (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	printk(level, "vcpu%u: RSI %016llx RDI %016llx RBP %016llx", v->id, (unsigned long long)r->rsi,
	       (unsigned long long)r->rdi, (unsigned long long)r->rbp);
	printk(level, "vcpu%u: R8  %016llx R9  %016llx R10 %016llx R11 %016llx", v->id, (unsigned long long)r->r8,
	       (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11);
	printk(level, "vcpu%u: R12 %016llx R13 %016llx R14 %016llx R15 %016llx", v->id, (unsigned long long)r->r12,
	       (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
}

void vcpu_dump(struct vcpu *v)
{
	vcpu_print_gprs(v, LOG_ERR);
	pr_err("vcpu%u: CR0 %016llx CR3 %016llx CR4 %016llx EFER %016llx", v->id,
	       (unsigned long long)vcpu_ops->read_reg(v, VCPU_CR0), (unsigned long long)vcpu_ops->read_reg(v, VCPU_CR3),
	       (unsigned long long)vcpu_ops->read_reg(v, VCPU_CR4), (unsigned long long)vcpu_ops->read_reg(v, VCPU_EFER));
	for (unsigned int i = 0; i < EXIT_NR; i++)
		if (v->exits[i])
			pr_err("vcpu%u: %llu %s exits", v->id, (unsigned long long)v->exits[i], exit_reason_name(i));
	vcpu_dump_history(v);
	vcpu_ops->dump(v);
}

void vcpu_panic_dump(void)
{
	const struct vcpu *v = this_cpu()->vcpu;

	if (v)
		vcpu_dump_history(v);
}

/* Oldest first, so the last line is the exit the vCPU took last (the one that failed, on a stop). */
void vcpu_dump_history(const struct vcpu *v)
{
	uint64_t total = v->total_exits;

	for (uint64_t n = total > EXIT_HISTORY ? total - EXIT_HISTORY : 0; n < total; n++) {
		const struct exit_trace *t = &v->history[n % EXIT_HISTORY];

		pr_err("vcpu%u: recent exit #%llu: code %#llx at RIP %#llx qual 0x%llx tsc %llu%s", v->id,
		       (unsigned long long)n, (unsigned long long)t->raw_reason, (unsigned long long)t->rip,
		       (unsigned long long)t->qualification, (unsigned long long)t->tsc, n + 1 == total ? " (last)" : "");
	}
}
