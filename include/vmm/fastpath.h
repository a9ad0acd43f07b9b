/*
 * The hottest exits, completed inside the backend's run function without the general loop
 * (KVM's fastpath exits are the model): CPUID of a leaf the policy answers whole, RDMSR of EFER,
 * a WRMSR that leaves EFER as it is, and the HC_VERSION hypercall.
 *
 * The backend identifies the exit from the hardware's exit code of this exit (never from an
 * older record) and tries it only when
 *   - vcpu.attention was clear at the entry and is checked again before the next one, so nothing
 *     the general loop does before an entry is skipped;
 *   - RFLAGS.TF is clear: with it, the general path completes the instruction with the
 *     single-step #DB (vcpu_advance_rip());
 *   - the exit interrupted no event delivery (instruction exits never do).
 * vcpu_fast_*() answer for the policy: they write the result into the guest's registers (RAX
 * where the backend keeps it, the rest in vcpu.regs) and return true, or change nothing and
 * return false. On true the backend counts the exit (exit_account()), moves RIP past the
 * instruction and ends an STI/MOV SS shadow, as vcpu_advance_rip() does; on false it decodes the
 * exit in full for the general path, which handles it unchanged. These exits write no exit
 * record: the one the run loop reset to EXIT_UNKNOWN before the first entry still holds it at
 * every entry after them.
 */
#ifndef HV_VMM_FASTPATH_H
#define HV_VMM_FASTPATH_H

#include "vmm/cpuid_policy.h"
#include "vmm/exit.h"
#include "vmm/hypercall.h"
#include "vmm/msr.h"
#include "vmm/partition.h"

/* CPUID(EAX) when the policy's answer depends on neither the subleaf nor the vCPU (handle_cpuid()). */
static inline bool vcpu_fast_cpuid(struct vcpu *v, uint64_t *rax)
{
	const uint32_t *r = cpuid_policy_fixed(&v->part->cpuid, (uint32_t)*rax);

	if (!r)
		return false;
	*rax = r[0];
	v->regs.rbx = r[1];
	v->regs.rcx = r[2];
	v->regs.rdx = r[3];
	return true;
}

/* Whether the fast path serves RDMSR/WRMSR of the MSR in ECX (before the backend reads EFER for it). */
static inline bool vcpu_fast_msr(const struct vcpu *v)
{
	return (uint32_t)v->regs.rcx == MSR_EFER;
}

/* RDMSR EFER, `efer` the backend's value (handle_msr_read()). */
static inline bool vcpu_fast_msr_read(struct vcpu *v, uint64_t *rax, uint64_t efer)
{
	uint64_t value = msr_efer_guest_view(efer);

	*rax = (uint32_t)value;
	v->regs.rdx = value >> 32;
	return true;
}

/*
 * WRMSR EFER of the value it already has: it passes every check handle_msr_write() makes and
 * changes nothing. Any other value goes the general way.
 */
static inline bool vcpu_fast_msr_write(struct vcpu *v, const uint64_t *rax, uint64_t efer)
{
	return (((v->regs.rdx & 0xFFFFFFFF) << 32) | (*rax & 0xFFFFFFFF)) == msr_efer_guest_view(efer);
}

/* Whether the fast path serves the hypercall number in RAX (before the backend reads the CPL for it). */
static inline bool vcpu_fast_hypercall_nr(uint64_t rax)
{
	return (uint32_t)rax == HC_VERSION;
}

/* HC_VERSION from ring 0; elsewhere it is #UD, which handle_hypercall() raises. */
static inline bool vcpu_fast_hypercall(struct vcpu *v, uint64_t *rax, unsigned int cpl)
{
	if ((uint32_t)*rax != HC_VERSION || cpl != 0)
		return false;
	*rax = HV_API_VERSION;
	v->regs.rbx = HV_HYPERCALL_MAGIC;
	return true;
}

#endif
