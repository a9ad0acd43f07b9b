/*
 * MSR exits. The bitmap (built from vmm/msr_policy.c) passes the safe MSRs straight through;
 * what exits here is emulated (EFER, the virtualization MSRs), forwarded to the hardware when it
 * is harmless to do so, or refused with #GP.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/lapic.h"
#include "x86/apic.h"
#include "vmm/partition.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3B
#define MSR_PLATFORM_INFO 0xCE
#define MSR_PKG_CST_CONFIG_CONTROL 0xE2
#define MSR_TURBO_RATIO_LIMIT 0x1AD
#define MSR_IA32_POWER_CTL 0x1FC
#define MSR_IA32_MPERF 0xE7
#define MSR_IA32_APERF 0xE8
#define MSR_IA32_PERF_STATUS 0x198
#define MSR_IA32_THERM_STATUS 0x19C   /* PERF_CTL, CLOCK_MODULATION, THERM_INTERRUPT lie between */
#define MSR_IA32_TEMPERATURE_TARGET 0x1A2
#define MSR_IA32_PERF_CAPABILITIES 0x345
#define MISC_ENABLE_XD_DISABLE (1ULL << 34)
#define MSR_IA32_ENERGY_PERF_BIAS 0x1B0
#define MSR_IA32_PACKAGE_THERM_INTERRUPT 0x1B2
#define MSR_IA32_PLATFORM_ID 0x17
#define MSR_IA32_UCODE_REV 0x8B
#define MSR_MTRR_CAP 0xFE
#define MSR_IA32_MCG_CAP 0x179
#define MSR_IA32_MCG_STATUS 0x17A
#define MSR_IA32_MCG_CTL 0x17B
#define MSR_IA32_MC_CTL2_FIRST 0x280
#define MSR_IA32_MC_CTL2_LAST 0x29F
#define MSR_IA32_MC_BANKS_FIRST 0x400 /* MCi_CTL, _STATUS, _ADDR, _MISC for up to 32 banks */
#define MSR_IA32_MC_BANKS_LAST 0x47F
#define MSR_IA32_MISC_ENABLE 0x1A0
#define MSR_MTRR_PHYS_FIRST 0x200
#define MSR_MTRR_PHYS_LAST 0x21F
#define MSR_MTRR_FIX_64K 0x250
#define MSR_MTRR_FIX_16K_FIRST 0x258
#define MSR_MTRR_FIX_16K_LAST 0x259
#define MSR_MTRR_FIX_4K_FIRST 0x268
#define MSR_MTRR_FIX_4K_LAST 0x26F
#define MSR_MTRR_DEF_TYPE 0x2FF
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8FF
#define MSR_AMD_SYSCFG 0xC0010010
#define MSR_AMD_HWCR 0xC0010015
#define MSR_AMD_TOP_MEM 0xC001001A
#define MSR_AMD_TOP_MEM2 0xC001001D
#define MSR_AMD_INT_PENDING_MSG 0xC0010055

#define FEATURE_CONTROL_LOCKED 0x1 /* locked, VMX off inside and outside SMX */
#define VM_CR_GUEST_VIEW 0x18      /* LOCK and SVMDIS: SVM is not offered */
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* MSRs forwarded to the hardware on the guest's behalf (a fault becomes the guest's #GP). */
static const struct {
	uint32_t first, last;
	bool writable;
} forwarded[] = {
	{ MSR_IA32_TSC, MSR_IA32_TSC, false },
	{ MSR_IA32_PLATFORM_ID, MSR_IA32_PLATFORM_ID, false },
	/* Writing 0 and running CPUID is how the microcode revision is read (SDM vol. 3, 10.11.7). */
	{ MSR_IA32_UCODE_REV, MSR_IA32_UCODE_REV, true },
	{ MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, true }, /* the machine's time is the guest's */
	/* So are its power and thermal management (CPUID leaf 6 says what exists). */
	{ MSR_PLATFORM_INFO, MSR_PLATFORM_INFO, false },
	{ MSR_PKG_CST_CONFIG_CONTROL, MSR_PKG_CST_CONFIG_CONTROL, true },
	{ MSR_IA32_MPERF, MSR_IA32_APERF, false },
	{ MSR_TURBO_RATIO_LIMIT, MSR_TURBO_RATIO_LIMIT, false },
	{ MSR_IA32_POWER_CTL, MSR_IA32_POWER_CTL, true },
	{ MSR_IA32_PERF_STATUS, MSR_IA32_THERM_STATUS, true },
	{ MSR_IA32_TEMPERATURE_TARGET, MSR_IA32_TEMPERATURE_TARGET, false },
	{ MSR_IA32_PERF_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES, false },
	{ MSR_IA32_ENERGY_PERF_BIAS, MSR_IA32_PACKAGE_THERM_INTERRUPT, true },
	{ MSR_MTRR_CAP, MSR_MTRR_CAP, false },
	/* The machine belongs to the guest: so does machine-check reporting (MCG_CAP says how many banks). */
	{ MSR_IA32_MCG_CAP, MSR_IA32_MCG_CAP, false },
	{ MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL, true },
	{ MSR_IA32_MC_CTL2_FIRST, MSR_IA32_MC_CTL2_LAST, true },
	{ MSR_IA32_MC_BANKS_FIRST, MSR_IA32_MC_BANKS_LAST, true },
	{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE, true }, /* but see misc_enable_write_allowed() */
	{ MSR_MTRR_PHYS_FIRST, MSR_MTRR_PHYS_LAST, true },
	{ MSR_MTRR_FIX_64K, MSR_MTRR_FIX_64K, true },
	{ MSR_MTRR_FIX_16K_FIRST, MSR_MTRR_FIX_16K_LAST, true },
	{ MSR_MTRR_FIX_4K_FIRST, MSR_MTRR_FIX_4K_LAST, true },
	{ MSR_IA32_PAT, MSR_IA32_PAT, true },
	{ MSR_MTRR_DEF_TYPE, MSR_MTRR_DEF_TYPE, true },
	{ MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, false },
	{ MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, true },
	{ MSR_X2APIC_FIRST, MSR_X2APIC_LAST, true },
	{ MSR_AMD_SYSCFG, MSR_AMD_SYSCFG, false },
	{ MSR_AMD_HWCR, MSR_AMD_HWCR, false },
	{ MSR_AMD_TOP_MEM, MSR_AMD_TOP_MEM, false },
	{ MSR_AMD_TOP_MEM2, MSR_AMD_TOP_MEM2, false },
	{ MSR_AMD_INT_PENDING_MSG, MSR_AMD_INT_PENDING_MSG, false },
};

static int forward_index(uint32_t msr)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(forwarded); i++)
		if (msr >= forwarded[i].first && msr <= forwarded[i].last)
			return (int)i;
	return -1;
}

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
		value = vcpu_ops->read_reg(v, VCPU_EFER) & ~EFER_SVME; /* ours, never the guest's */
	} else if (msr == MSR_IA32_FEATURE_CONTROL) {
		value = FEATURE_CONTROL_LOCKED;
	} else if (msr == MSR_VM_CR) {
		value = VM_CR_GUEST_VIEW;
	} else if (forward_index(msr) >= 0) {
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

enum exit_verdict handle_msr_write(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t value = ((v->regs.rdx & 0xFFFFFFFF) << 32) | (v->regs.rax & 0xFFFFFFFF);
	int i;

	if (msr == MSR_EFER) {
		/* The guest may never set SVME (not offered) nor clear it under us (the backend keeps it). */
		if (value & ~EFER_GUEST_WRITABLE)
			return refuse(v, "write", msr);
		vcpu_ops->write_reg(v, VCPU_EFER, value);
		return done(v);
	}
	if (msr == MSR_X2APIC_ICR && lapic_icr_filtered(v, (uint32_t)value, (uint32_t)(value >> 32)))
		return done(v);
	if (msr == MSR_IA32_MISC_ENABLE && !misc_enable_write_allowed(value))
		return refuse(v, "write", msr);
	i = forward_index(msr); /* a scan of the table: not for EFER, the MSR written most */
	if (is_vmx_capability(msr) || i < 0 || !forwarded[i].writable || wrmsr_safe(msr, value))
		return refuse(v, "write", msr);
	return done(v);
}
