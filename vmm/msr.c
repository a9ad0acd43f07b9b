/*
 * MSR exits. The bitmap (built from vmm/msr_policy.c) passes the safe MSRs straight through;
 * what exits here is emulated (EFER, the virtualization MSRs, APIC_BASE, the TSC), forwarded to
 * the hardware when the guest's CPUID promises it (msr_forward_access()), or refused with #GP, as
 * a CPU without the MSR would.
 */
#include "console.h"
#include "panic.h"
#include "vmm/cr.h"
#include "vmm/exit.h"
#include "vmm/lapic.h"
#include "vmm/msr.h"
#include "vmm/msr_policy.h"
#include "x86/apic.h"
#include "vmm/partition.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
#include "x86/cpu.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3B
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_IA32_MISC_ENABLE 0x1A0
#define MISC_ENABLE_XD_DISABLE (1ULL << 34)

#define FEATURE_CONTROL_LOCKED 0x1 /* locked, VMX off inside and outside SMX */
#define VM_CR_GUEST_VIEW 0x18      /* LOCK and SVMDIS: SVM is not offered */
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static bool is_vmx_capability(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_EXIT_CTLS2;
}

static enum exit_verdict refuse(struct vcpu *v, const char *op, uint32_t msr)
{
	pr_debug("vcpu%u: %s of MSR %#x refused: #GP", v->id, op, msr);
	vcpu_inject_gp(v);
	return EXIT_RESUME;
}

static enum exit_verdict done(struct vcpu *v)
{
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_verdict handle_msr_read(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t value;

	if (msr == MSR_EFER) {
		value = msr_efer_guest_view(vcpu_ops->read_reg(v, VCPU_EFER));
	} else if (msr == MSR_IA32_FEATURE_CONTROL) {
		value = FEATURE_CONTROL_LOCKED;
	} else if (msr == MSR_VM_CR) {
		value = VM_CR_GUEST_VIEW;
	} else if (msr == MSR_IA32_APIC_BASE) {
		value = v->apic_base;
	} else if (msr == MSR_IA32_TSC) {
		value = rdtsc() + v->tsc_offset;
	} else if (msr == MSR_IA32_TSC_ADJUST && v->part->msr_features.tsc_adjust) {
		value = v->host_tsc_adjust + v->tsc_offset;
	} else if (msr == MSR_IA32_TSC_DEADLINE && v->part->msr_features.tsc_deadline) {
		if (rdmsr_safe(msr, &value))
			return refuse(v, "read", msr);
		value = value ? value + v->tsc_offset : 0; /* 0: disarmed, in either time base */
	} else if (msr >= MSR_X2APIC_BASE && msr <= MSR_X2APIC_LAST) {
		/* Only in x2APIC mode, where the hardware is in x2APIC mode too. */
		if (!lapic_guest_x2apic(v) || rdmsr_safe(msr, &value))
			return refuse(v, "read", msr);
	} else if (msr_forward_access(msr, &v->part->msr_features) & MSR_R) {
		if (rdmsr_safe(msr, &value))
			return refuse(v, "read", msr);
	} else {
		/* VM_HSAVE_PA, the VMX capabilities and anything unknown. */
		return refuse(v, "read", msr);
	}
	v->regs.rax = (uint32_t)value;
	v->regs.rdx = value >> 32;
	return done(v);
}

/* XD Disable would take NX away from the hypervisor's own page tables: the guest may not flip it. */
static bool misc_enable_write_allowed(uint64_t value)
{
	uint64_t current;

	return !rdmsr_safe(MSR_IA32_MISC_ENABLE, &current) && !((value ^ current) & MISC_ENABLE_XD_DISABLE);
}

/* A guest deadline in host time; one already passed fires at once, as on hardware. */
static uint64_t tsc_deadline_to_host(uint64_t guest_deadline, uint64_t offset)
{
	uint64_t host_now = rdtsc();

	return guest_deadline <= host_now + offset ? 1 : guest_deadline - offset;
}

/*
 * The guest's TSC is the host's plus its offset: the hypervisor's own clock never jumps. A
 * deadline the guest armed stays where it was in guest time, as a TSC write leaves
 * IA32_TSC_DEADLINE alone (SDM vol. 3A, 11.5.4.1); while the offset is 0 the deadline is the
 * hardware's own and the guest reaches it without an exit.
 */
static void set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	bool deadline = v->part->msr_features.tsc_deadline;
	uint64_t armed = 0;

	if (deadline && !rdmsr_safe(MSR_IA32_TSC_DEADLINE, &armed) && armed)
		armed += v->tsc_offset;
	v->tsc_offset = offset;
	vcpu_ops->write_reg(v, VCPU_TSC_OFFSET, offset);
	if (!deadline)
		return;
	if (armed)
		(void)wrmsr_safe(MSR_IA32_TSC_DEADLINE, tsc_deadline_to_host(armed, offset));
	msr_set_intercept(v, MSR_IA32_TSC_DEADLINE, MSR_RW, offset != 0);
}

void msr_vcpu_init(struct vcpu *v)
{
	const struct msr_features *f = &v->part->msr_features;

	if (!f->tsc_adjust || rdmsr_safe(MSR_IA32_TSC_ADJUST, &v->host_tsc_adjust))
		v->host_tsc_adjust = 0;
	if (f->tsc_deadline)
		msr_set_intercept(v, MSR_IA32_TSC_DEADLINE, MSR_RW, false);
}

void msr_set_intercept(struct vcpu *v, uint32_t msr, unsigned int type, bool intercept)
{
	BUG_ON(msr_bitmap_set(vcpu_ops->msr_bitmap_layout, v->msr_bitmap, msr, type, intercept));
}

enum exit_verdict handle_msr_write(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t value = ((v->regs.rdx & 0xFFFFFFFF) << 32) | (v->regs.rax & 0xFFFFFFFF);
	const struct msr_features *f = &v->part->msr_features;

	switch (msr) {
	case MSR_EFER:
		/*
		 * The guest may never set SVME (not offered) nor clear it under us (the backend keeps it),
		 * nor change LME with paging on (the next entry would fail).
		 */
		{
			struct cr_state cs;

			vcpu_cr_state(v, &cs);
			if (efer_write_check(&cs, value, EFER_GUEST_WRITABLE))
				return refuse(v, "write", msr);
		}
		vcpu_ops->write_reg(v, VCPU_EFER, value);
		return done(v);
	case MSR_IA32_APIC_BASE:
		return lapic_base_write(v, value) ? refuse(v, "write", msr) : done(v);
	case MSR_IA32_TSC:
		/* The SDM's rule: a TSC write moves IA32_TSC_ADJUST by the same delta, as the offset does. */
		set_tsc_offset(v, value - rdtsc());
		return done(v);
	case MSR_IA32_TSC_ADJUST:
		if (!f->tsc_adjust)
			return refuse(v, "write", msr);
		set_tsc_offset(v, value - v->host_tsc_adjust);
		return done(v);
	case MSR_IA32_TSC_DEADLINE:
		if (!f->tsc_deadline || wrmsr_safe(msr, value ? tsc_deadline_to_host(value, v->tsc_offset) : 0))
			return refuse(v, "write", msr);
		return done(v);
	case MSR_IA32_MISC_ENABLE:
		if (!misc_enable_write_allowed(value))
			return refuse(v, "write", msr);
		break;
	default:
		break;
	}
	if (msr >= MSR_X2APIC_BASE && msr <= MSR_X2APIC_LAST) {
		if (!lapic_guest_x2apic(v))
			return refuse(v, "write", msr);
		if (msr == MSR_X2APIC_ICR && lapic_icr_filtered(v, (uint32_t)value, (uint32_t)(value >> 32)))
			return done(v);
		return wrmsr_safe(msr, value) ? refuse(v, "write", msr) : done(v);
	}
	if (is_vmx_capability(msr) || !(msr_forward_access(msr, f) & MSR_W) || wrmsr_safe(msr, value))
		return refuse(v, "write", msr);
	return done(v);
}
