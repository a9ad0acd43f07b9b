/*
 * The hottest exits, completed inside the backend's run function without the general loop
 * (KVM's fastpath exits are the model): CPUID of a leaf the policy answers whole, RDMSR of EFER,
 * a WRMSR that leaves EFER as it is, and the HC_VERSION hypercall.
 *
 * A backend tries them only for an exit it has identified from the hardware's exit code (never
 * from an older record), with the register cache read and the exit's instruction length. Each
 * vcpu_fast_*() either completes the exit whole, as the general path would (the per-reason
 * counter and the history ring, the answer, RIP past the instruction with the interrupt shadow
 * ended and a single-step #DB raised when RFLAGS.TF is set), and returns true; or it changes
 * nothing and returns false, and the backend decodes the exit in full for the general path.
 * These exits write no exit record: the one the run loop reset to EXIT_UNKNOWN before the first
 * entry still holds it at every entry after them. The backend enters the guest again only while
 * vcpu.attention is clear, so nothing the general loop would do before an entry is skipped.
 */
#ifndef HV_VMM_FASTPATH_H
#define HV_VMM_FASTPATH_H

#include "vmm/cpuid_policy.h"
#include "vmm/exit.h"
#include "vmm/hypercall.h"
#include "vmm/msr.h"
#include "vmm/partition.h"
#include "x86/msr.h"

static inline bool vcpu_fast_cpuid(struct vcpu *v, uint32_t len, uint64_t raw_reason)
{
	const uint32_t *r = cpuid_policy_fixed(&v->part->cpuid, (uint32_t)v->regs.rax);

	if (!r)
		return false; /* it depends on the subleaf or on the vCPU: handle_cpuid() */
	exit_account(v, EXIT_CPUID, raw_reason);
	v->regs.rax = r[0];
	v->regs.rbx = r[1];
	v->regs.rcx = r[2];
	v->regs.rdx = r[3];
	vcpu_advance_rip(v, len);
	return true;
}

static inline bool vcpu_fast_msr_read(struct vcpu *v, uint32_t len, uint64_t raw_reason)
{
	uint64_t value;

	if ((uint32_t)v->regs.rcx != MSR_EFER)
		return false;
	exit_account(v, EXIT_MSR_READ, raw_reason);
	value = msr_efer_guest_view(vcpu_ops->read_reg(v, VCPU_EFER));
	v->regs.rax = (uint32_t)value;
	v->regs.rdx = value >> 32;
	vcpu_advance_rip(v, len);
	return true;
}

/* A write of the value EFER already has passes every check handle_msr_write() makes, and changes nothing. */
static inline bool vcpu_fast_msr_write(struct vcpu *v, uint32_t len, uint64_t raw_reason)
{
	uint64_t value = ((v->regs.rdx & 0xFFFFFFFF) << 32) | (v->regs.rax & 0xFFFFFFFF);

	if ((uint32_t)v->regs.rcx != MSR_EFER || value != msr_efer_guest_view(vcpu_ops->read_reg(v, VCPU_EFER)))
		return false;
	exit_account(v, EXIT_MSR_WRITE, raw_reason);
	vcpu_advance_rip(v, len);
	return true;
}

/* Outside ring 0 the hypercall is #UD: handle_hypercall() raises it. */
static inline bool vcpu_fast_hypercall(struct vcpu *v, uint32_t len, uint64_t raw_reason)
{
	if ((uint32_t)v->regs.rax != HC_VERSION || vcpu_ops->read_reg(v, VCPU_CPL) != 0)
		return false;
	exit_account(v, EXIT_HYPERCALL, raw_reason);
	v->regs.rax = HV_API_VERSION;
	v->regs.rbx = HV_HYPERCALL_MAGIC;
	vcpu_advance_rip(v, len);
	return true;
}

#endif
