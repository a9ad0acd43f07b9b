/*
 * XSETBV exits: the requested XCR0 is checked against the architectural rules and what the
 * partition offers, then executed for the guest. The hypervisor never uses extended state, so
 * the guest's XCR0 stays loaded across exits.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "vmm/xcr0.h"
#include "x86/cpu.h"
#include "x86/traps.h"
#include "x86/safe_insn.h"

enum exit_verdict handle_xsetbv(struct vcpu *v)
{
	uint32_t index = (uint32_t)v->regs.rcx;
	uint64_t value = ((v->regs.rdx & 0xFFFFFFFF) << 32) | (v->regs.rax & 0xFFFFFFFF);

	if (!(vcpu_ops->read_reg(v, VCPU_CR4) & CR4_OSXSAVE)) {
		vcpu_inject_exception(v, EXC_UD, false, 0);
		return EXIT_RESUME;
	}
	/* XSETBV is privileged: #GP(0) outside ring 0 (SDM vol. 2, XSETBV), after the #UD check. */
	if (vcpu_ops->read_reg(v, VCPU_CPL) != 0) {
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (index != 0 || xcr0_check(value, v->part->xcr0_allowed) || xsetbv_safe(0, value)) {
		pr_debug("vcpu%u: XSETBV(%u, %#llx) refused: #GP", v->id, index, (unsigned long long)value);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
