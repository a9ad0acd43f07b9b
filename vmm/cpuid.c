/* CPUID exits: answered from the partition's cached policy, never by executing CPUID. */
#include "vmm/exit.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "x86/cpufeature.h"
#include "x86/safe_insn.h"

/*
 * The live XCR0 is the guest's: the hypervisor never changes it except on the guest's behalf.
 * Reading it also covers an XSETBV that never exited (QEMU TCG does not deliver that intercept).
 */
static uint64_t guest_xcr0(void)
{
	return boot_cpu.xsave ? xgetbv(0) : 1;
}

static void set_result(struct vcpu *v, const uint32_t r[4])
{
	v->regs.rax = r[0];
	v->regs.rbx = r[1];
	v->regs.rcx = r[2];
	v->regs.rdx = r[3];
}

/* A leaf whose answer depends on the subleaf or on the vCPU's state (CR4, XCR0, APIC). */
static __attribute__((noinline)) enum exit_verdict cpuid_with_state(struct vcpu *v)
{
	struct cpuid_guest_state g = {
		.cr4 = vcpu_ops->read_reg(v, VCPU_CR4),
		.xcr0 = guest_xcr0(),
		.apic_id = v->cpu->apic_id,
		.apic_disabled = !lapic_guest_enabled(v),
	};
	uint32_t out[4];

	cpuid_policy_lookup(&v->part->cpuid, (uint32_t)v->regs.rax, (uint32_t)v->regs.rcx, &g, out);
	set_result(v, out);
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_verdict handle_cpuid(struct vcpu *v)
{
	const uint32_t *fixed = cpuid_policy_fixed(&v->part->cpuid, (uint32_t)v->regs.rax);

	/* Most leaves the guest asks for are fixed: no vCPU state is read for them. */
	if (!fixed)
		return cpuid_with_state(v);
	set_result(v, fixed);
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
