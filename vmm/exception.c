/*
 * Guest exceptions the hypervisor was asked to see (force_intercept_exceptions), guest triple
 * faults, guest use of virtualization instructions, and entries the hardware refused.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/cpu.h"
#include "x86/traps.h"

#define EXCEPTION_LOG_LIMIT 64

/* INT3 and INTO trap after the instruction: the guest must see the RIP that follows it. */
static void step_over_trap_instruction(struct vcpu *v)
{
	uint64_t rip = vcpu_ops->read_reg(v, VCPU_RIP);
	const uint8_t *insn;

	if (v->exit.insn_len) {
		vcpu_skip_instruction(v);
		return;
	}
	/* No length from the hardware (no NRIPS): read it where the guest runs without paging. */
	insn = (vcpu_ops->read_reg(v, VCPU_CR0) & CR0_PG) ? NULL : partition_gpa_to_hva(v->part, rip, 2);
	vcpu_advance_rip(v, insn && insn[0] == 0xCD ? 2 : 1); /* int imm8, or int3 / into */
}

enum exit_verdict handle_exception(struct vcpu *v)
{
	static unsigned int logged;
	uint8_t vector = v->exit.vector;

	if (logged++ < EXCEPTION_LOG_LIMIT)
		pr_info("vcpu%u: exception: vector %u (%s) at RIP %#llx, error code %#x%s: reflected", v->id, vector,
			exception_name(vector), (unsigned long long)vcpu_ops->read_reg(v, VCPU_RIP), v->exit.error_code,
			v->exit.has_error_code ? "" : " (none)");
	if (vector == EXC_PF)
		vcpu_ops->write_reg(v, VCPU_CR2, v->exit.cr2);
	if (vector == EXC_BP || vector == EXC_OF)
		step_over_trap_instruction(v);
	vcpu_inject_exception(v, vector, v->exit.has_error_code, v->exit.error_code);
	return EXIT_RESUME;
}

/* A triple fault resets a real machine: the guest gets the same, through the reboot path. */
enum exit_verdict handle_shutdown(struct vcpu *v)
{
	pr_err("vcpu%u: the guest triple-faulted (shutdown)", v->id);
	vcpu_dump(v);
	return exit_reset(v, "guest reset request: triple fault");
}

enum exit_verdict handle_virt_insn(struct vcpu *v)
{
	/* Virtualization is not offered to the guest: these instructions do not exist for it. */
	vcpu_inject_exception(v, EXC_UD, false, 0);
	return EXIT_RESUME;
}

enum exit_verdict handle_failed_entry(struct vcpu *v)
{
	pr_err("vcpu%u: the hardware refused to enter the guest: %s", v->id, v->exit.failure ? v->exit.failure : "?");
	vcpu_dump(v);
	return EXIT_STOP;
}
