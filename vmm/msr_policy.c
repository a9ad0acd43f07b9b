/* The MSR pass-through policy and the bitmaps derived from it: see include/vmm/msr_policy.h. */
#include "lib/string.h"
#include "vmm/cpuid_policy.h"
#include "vmm/msr_policy.h"
#include "x86/cpufeature.h"
#include "x86/msr.h"

#define PASS(m, a, c) { .msr = (m), .access = (a), .cond = (c), .name = #m }

/*
 * The only list of MSRs the guest reaches without an exit. Each lies in the ranges of both
 * layouts (the unit test checks it), so building never hits -E_RANGE.
 */
static const struct msr_policy_entry msr_policy[] = {
	/* Segment bases and SYSCALL state: per-thread and hot in every guest kernel. */
	PASS(MSR_FS_BASE, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_GS_BASE, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_KERNEL_GS_BASE, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_STAR, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_LSTAR, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_CSTAR, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_SFMASK, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_IA32_SYSENTER_CS, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_IA32_SYSENTER_ESP, MSR_RW, MSR_COND_ALWAYS),
	PASS(MSR_IA32_SYSENTER_EIP, MSR_RW, MSR_COND_ALWAYS),
	/* Without RDTSCP/RDPID the MSR does not exist: intercept, so the guest gets our #GP. */
	PASS(MSR_TSC_AUX, MSR_RW, MSR_COND_TSC_AUX),
	/* Only when the hardware switches PAT, or the guest's value would leak into host mappings. */
	PASS(MSR_IA32_PAT, MSR_RW, MSR_COND_PAT_VIRTUALIZED),
	PASS(MSR_IA32_SPEC_CTRL, MSR_RW, MSR_COND_SPEC_CTRL),
	/* Write-only command register; reads #GP on hardware and are left to the handler. */
	PASS(MSR_IA32_PRED_CMD, MSR_W, MSR_COND_PRED_CMD),
};

static const char *const msr_cond_names[MSR_COND_NR] = {
	[MSR_COND_ALWAYS] = "always",
	[MSR_COND_SPEC_CTRL] = "spec_ctrl",
	[MSR_COND_PRED_CMD] = "pred_cmd",
	[MSR_COND_TSC_AUX] = "tsc_aux",
	[MSR_COND_PAT_VIRTUALIZED] = "pat_virtualized",
	[MSR_COND_INTEL] = "intel",
	[MSR_COND_AMD] = "amd",
	[MSR_COND_MTRR] = "mtrr",
	[MSR_COND_MCE] = "mce",
	[MSR_COND_MCA] = "mca",
	[MSR_COND_X2APIC] = "x2apic",
	[MSR_COND_TSC_DEADLINE] = "tsc_deadline",
	[MSR_COND_PDCM] = "pdcm",
	[MSR_COND_TSC_ADJUST] = "tsc_adjust",
	[MSR_COND_APERFMPERF] = "aperfmperf",
	[MSR_COND_EPB] = "epb",
	[MSR_COND_PKG_THERM] = "pkg_therm",
	[MSR_COND_PMU_GP] = "pmu_gp",
	[MSR_COND_PMU_FIXED] = "pmu_fixed",
	[MSR_COND_PMU_GLOBAL] = "pmu_global",
	[MSR_COND_AMD_PERFCTR] = "amd_perfctr",
	[MSR_COND_AMD_PERFCTR_CORE] = "amd_perfctr_core",
	[MSR_COND_AMD_PERFCTR_NB] = "amd_perfctr_nb",
	[MSR_COND_AMD_PERFCTR_LLC] = "amd_perfctr_llc",
	[MSR_COND_OSVW] = "osvw",
};

static bool msr_cond_holds(enum msr_cond cond, const struct msr_features *f)
{
	if (cond == MSR_COND_ALWAYS)
		return true;
	if (!f)
		return false;
	switch (cond) {
	case MSR_COND_SPEC_CTRL:
		return f->spec_ctrl;
	case MSR_COND_PRED_CMD:
		return f->pred_cmd;
	case MSR_COND_TSC_AUX:
		return f->tsc_aux;
	case MSR_COND_PAT_VIRTUALIZED:
		return f->pat_virtualized;
	case MSR_COND_INTEL:
		return f->intel;
	case MSR_COND_AMD:
		return f->amd;
	case MSR_COND_MTRR:
		return f->mtrr;
	case MSR_COND_MCE:
		return f->mce;
	case MSR_COND_MCA:
		return f->mca;
	case MSR_COND_X2APIC:
		return f->x2apic;
	case MSR_COND_TSC_DEADLINE:
		return f->tsc_deadline;
	case MSR_COND_PDCM:
		return f->pdcm;
	case MSR_COND_TSC_ADJUST:
		return f->tsc_adjust;
	case MSR_COND_APERFMPERF:
		return f->aperfmperf;
	case MSR_COND_EPB:
		return f->epb;
	case MSR_COND_PKG_THERM:
		return f->pkg_therm;
	case MSR_COND_PMU_GP:
		return f->pmu_version >= 1 && f->pmu_gp;
	case MSR_COND_PMU_FIXED:
		return f->pmu_version >= 2 && f->pmu_fixed;
	case MSR_COND_PMU_GLOBAL:
		return f->pmu_version >= 2;
	case MSR_COND_AMD_PERFCTR:
		return f->amd;
	case MSR_COND_AMD_PERFCTR_CORE:
		return f->amd_perfctr_core;
	case MSR_COND_AMD_PERFCTR_NB:
		return f->amd_perfctr_nb;
	case MSR_COND_AMD_PERFCTR_LLC:
		return f->amd_perfctr_llc;
	case MSR_COND_OSVW:
		return f->osvw;
	default:
		return false;
	}
}

unsigned int msr_policy_access(const struct msr_policy_entry *e, const struct msr_features *f)
{
	return msr_cond_holds(e->cond, f) ? e->access : 0;
}

const struct msr_policy_entry *msr_policy_entries(size_t *nr)
{
	*nr = ARRAY_SIZE(msr_policy);
	return msr_policy;
}

const char *msr_cond_name(enum msr_cond cond)
{
	if ((unsigned int)cond >= MSR_COND_NR || !msr_cond_names[cond])
		return "?";
	return msr_cond_names[cond];
}

void msr_policy_build(enum msr_bitmap_layout layout, void *bitmap, const struct msr_features *f)
{
	msr_bitmap_init(layout, bitmap);
	for (size_t i = 0; i < ARRAY_SIZE(msr_policy); i++) {
		unsigned int access = msr_policy_access(&msr_policy[i], f);

		if (access)
			msr_bitmap_set(layout, bitmap, msr_policy[i].msr, access, false);
	}
}

bool msr_policy_is_passthrough(uint32_t msr, unsigned type, const struct msr_features *f)
{
	if (!type || (type & ~MSR_RW))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(msr_policy); i++) {
		if (msr_policy[i].msr == msr)
			return (type & ~msr_policy_access(&msr_policy[i], f)) == 0;
	}
	return false;
}

/*
 * The MSRs the exit handler forwards to the hardware, each under the CPUID feature that promises
 * it (Intel SDM vol. 4, AMD APM vol. 2 appendix A and the family BKDGs/PPRs). The guest owns the
 * machine, so its power, thermal, machine-check and performance-monitoring MSRs are its own; what
 * the hypervisor must own (EFER, APIC_BASE, TSC, TSC_ADJUST, the virtualization MSRs) is emulated
 * in vmm/msr.c and is not listed here.
 */
#define FWD(f, l, a, c) { .first = (f), .last = (l), .access = (a), .cond = (c), .stride = 1 }
#define FWD_EACH(f, n, s, a, c) { .first = (f), .last = (f) + ((n) - 1) * (s), .access = (a), .cond = (c), .stride = (s) }

struct msr_forward_range {
	uint32_t first, last;
	unsigned int access;
	enum msr_cond cond;
	uint32_t stride; /* counter ranges: one counter every `stride` MSRs */
};

#define PMU_MAX_GP 8    /* IA32_PMC0-7 lie below IA32_PERFEVTSEL0's neighbours */
#define PMU_MAX_FIXED 4

static const struct msr_forward_range msr_forwarded[] = {
	FWD(0x17, 0x17, MSR_R, MSR_COND_INTEL),                 /* IA32_PLATFORM_ID */
	/* Writing 0 and running CPUID is how the microcode revision is read (SDM vol. 3, 10.11.7). */
	FWD(0x8B, 0x8B, MSR_RW, MSR_COND_ALWAYS),               /* IA32_BIOS_SIGN_ID / AMD PATCH_LEVEL */
	FWD(0xCE, 0xCE, MSR_R, MSR_COND_INTEL),                 /* MSR_PLATFORM_INFO */
	FWD(0xE2, 0xE2, MSR_RW, MSR_COND_INTEL),                /* MSR_PKG_CST_CONFIG_CONTROL */
	FWD(0xE7, 0xE8, MSR_R, MSR_COND_APERFMPERF),            /* IA32_MPERF, IA32_APERF */
	FWD(0xFE, 0xFE, MSR_R, MSR_COND_MTRR),                  /* IA32_MTRRCAP */
	FWD(0x179, 0x179, MSR_R, MSR_COND_MCE),                 /* IA32_MCG_CAP */
	FWD(0x17A, 0x17B, MSR_RW, MSR_COND_MCE),                /* IA32_MCG_STATUS, IA32_MCG_CTL */
	FWD(0x198, 0x19C, MSR_RW, MSR_COND_INTEL),              /* PERF_STATUS .. THERM_STATUS */
	FWD(0x1A0, 0x1A0, MSR_RW, MSR_COND_INTEL),              /* IA32_MISC_ENABLE, but see vmm/msr.c */
	FWD(0x1A2, 0x1A2, MSR_R, MSR_COND_INTEL),               /* MSR_TEMPERATURE_TARGET */
	FWD(0x1AD, 0x1AD, MSR_R, MSR_COND_INTEL),               /* MSR_TURBO_RATIO_LIMIT */
	FWD(0x1B0, 0x1B0, MSR_RW, MSR_COND_EPB),                /* IA32_ENERGY_PERF_BIAS */
	FWD(0x1B1, 0x1B2, MSR_RW, MSR_COND_PKG_THERM),          /* IA32_PACKAGE_THERM_STATUS, _INTERRUPT */
	FWD(0x1FC, 0x1FC, MSR_RW, MSR_COND_INTEL),              /* MSR_POWER_CTL */
	FWD(0x200, 0x21F, MSR_RW, MSR_COND_MTRR),               /* IA32_MTRR_PHYSBASE0 .. PHYSMASK15 */
	FWD(0x250, 0x250, MSR_RW, MSR_COND_MTRR),               /* IA32_MTRR_FIX64K_00000 */
	FWD(0x258, 0x259, MSR_RW, MSR_COND_MTRR),               /* IA32_MTRR_FIX16K_* */
	FWD(0x268, 0x26F, MSR_RW, MSR_COND_MTRR),               /* IA32_MTRR_FIX4K_* */
	FWD(0x277, 0x277, MSR_RW, MSR_COND_ALWAYS),             /* IA32_PAT, where not passed through */
	FWD(0x280, 0x29F, MSR_RW, MSR_COND_MCA),                /* IA32_MC0_CTL2 .. MC31_CTL2 */
	FWD(0x2FF, 0x2FF, MSR_RW, MSR_COND_MTRR),               /* IA32_MTRR_DEF_TYPE */
	FWD(0x345, 0x345, MSR_R, MSR_COND_PDCM),                /* IA32_PERF_CAPABILITIES */
	FWD(0x400, 0x47F, MSR_RW, MSR_COND_MCA),                /* IA32_MCi_CTL/STATUS/ADDR/MISC */
	/* Intel architectural performance monitoring (SDM vol. 3B, 20.2): counters CPUID 0xA lists. */
	FWD_EACH(0xC1, PMU_MAX_GP, 1, MSR_RW, MSR_COND_PMU_GP),       /* IA32_PMCx */
	FWD_EACH(0x186, PMU_MAX_GP, 1, MSR_RW, MSR_COND_PMU_GP),      /* IA32_PERFEVTSELx */
	FWD_EACH(0x4C1, PMU_MAX_GP, 1, MSR_RW, MSR_COND_PMU_GP),      /* IA32_A_PMCx (full-width writes) */
	FWD_EACH(0x309, PMU_MAX_FIXED, 1, MSR_RW, MSR_COND_PMU_FIXED), /* IA32_FIXED_CTRx */
	FWD(0x38D, 0x38D, MSR_RW, MSR_COND_PMU_GLOBAL),         /* IA32_FIXED_CTR_CTRL */
	FWD(0x38E, 0x38E, MSR_R, MSR_COND_PMU_GLOBAL),          /* IA32_PERF_GLOBAL_STATUS */
	FWD(0x38F, 0x390, MSR_RW, MSR_COND_PMU_GLOBAL),         /* IA32_PERF_GLOBAL_CTRL, _OVF_CTRL */
	/* AMD performance counters (APM vol. 2, 13.2): legacy four on every AMD CPU, then extensions. */
	FWD(0xC0010000, 0xC0010007, MSR_RW, MSR_COND_AMD_PERFCTR),       /* PerfEvtSel0-3, PerfCtr0-3 */
	FWD(0xC0010200, 0xC001020B, MSR_RW, MSR_COND_AMD_PERFCTR_CORE),  /* PERF_CTL0-5 / PERF_CTR0-5 */
	FWD(0xC0010230, 0xC001023F, MSR_RW, MSR_COND_AMD_PERFCTR_LLC),   /* L2I / L3 counters */
	FWD(0xC0010240, 0xC0010247, MSR_RW, MSR_COND_AMD_PERFCTR_NB),    /* NB / DF counters */
	FWD(0xC0010010, 0xC0010010, MSR_R, MSR_COND_AMD),       /* SYSCFG */
	/*
	 * NB_CFG: Linux (arch/x86/pci/amd_bus.c) reads it and sets EnableCF8ExtCfg (bit 46), with no
	 * fault handler, on every CPU it brings online on family 0x10 and later. The PCI
	 * configuration mechanism it enables is the guest's, as are the devices.
	 */
	FWD(0xC001001F, 0xC001001F, MSR_RW, MSR_COND_AMD),      /* NB_CFG */
	FWD(0xC0010015, 0xC0010015, MSR_R, MSR_COND_AMD),       /* HWCR */
	FWD(0xC001001A, 0xC001001A, MSR_R, MSR_COND_AMD),       /* TOP_MEM */
	FWD(0xC001001D, 0xC001001D, MSR_R, MSR_COND_AMD),       /* TOP_MEM2 */
	FWD(0xC0010055, 0xC0010055, MSR_R, MSR_COND_AMD),       /* interrupt pending message */
	/* Linux reads both, without a fault handler, wherever CPUID lists OSVW (APM vol. 2, 3.2.10). */
	FWD(0xC0010140, 0xC0010141, MSR_R, MSR_COND_OSVW),      /* OSVW_ID_Length, OSVW_Status */
};

/* How many of a counter range's MSRs the guest's PMU has. */
static uint32_t counters_present(const struct msr_forward_range *r, const struct msr_features *f)
{
	if (r->cond == MSR_COND_PMU_GP)
		return f->pmu_gp;
	if (r->cond == MSR_COND_PMU_FIXED)
		return f->pmu_fixed;
	return UINT32_MAX;
}

unsigned int msr_forward_access(uint32_t msr, const struct msr_features *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(msr_forwarded); i++) {
		const struct msr_forward_range *r = &msr_forwarded[i];
		uint32_t index = (msr - r->first) / r->stride;

		if (msr < r->first || msr > r->last || (msr - r->first) % r->stride)
			continue;
		if (!msr_cond_holds(r->cond, f) || index >= counters_present(r, f))
			return 0;
		return r->access;
	}
	return 0;
}

static bool has(uint32_t reg, uint32_t feature)
{
	return reg & feature;
}

void msr_features_from_cpuid(const struct cpuid_policy *cpuid, struct msr_features *f)
{
	struct cpuid_guest_state g = { 0 };
	uint32_t l0[4], l1[4], l6[4], l7[4], la[4], e1[4], e8[4];
	bool pat = f->pat_virtualized;

	cpuid_policy_lookup(cpuid, 0, 0, &g, l0);
	cpuid_policy_lookup(cpuid, 1, 0, &g, l1);
	cpuid_policy_lookup(cpuid, 6, 0, &g, l6);
	cpuid_policy_lookup(cpuid, 7, 0, &g, l7);
	cpuid_policy_lookup(cpuid, 0xA, 0, &g, la);
	cpuid_policy_lookup(cpuid, 0x80000001, 0, &g, e1);
	cpuid_policy_lookup(cpuid, 0x80000008, 0, &g, e8);
	memset(f, 0, sizeof(*f));
	f->pat_virtualized = pat;
	f->intel = l0[CPUID_EBX] == CPUID_VENDOR_INTEL_EBX && l0[CPUID_EDX] == CPUID_VENDOR_INTEL_EDX &&
		   l0[CPUID_ECX] == CPUID_VENDOR_INTEL_ECX;
	f->amd = l0[CPUID_EBX] == CPUID_VENDOR_AMD_EBX && l0[CPUID_EDX] == CPUID_VENDOR_AMD_EDX && l0[CPUID_ECX] == CPUID_VENDOR_AMD_ECX;
	f->tsc_aux = has(e1[CPUID_EDX], CPUID_80000001_EDX_RDTSCP) || has(l7[CPUID_ECX], CPUID_7_0_ECX_RDPID);
	f->spec_ctrl = has(l7[CPUID_EDX], CPUID_7_0_EDX_IBRS_IBPB) || has(e8[CPUID_EBX], CPUID_80000008_EBX_IBRS);
	f->pred_cmd = has(l7[CPUID_EDX], CPUID_7_0_EDX_IBRS_IBPB) || has(e8[CPUID_EBX], CPUID_80000008_EBX_IBPB);
	f->mtrr = has(l1[CPUID_EDX], CPUID_1_EDX_MTRR);
	f->mce = has(l1[CPUID_EDX], CPUID_1_EDX_MCE);
	f->mca = has(l1[CPUID_EDX], CPUID_1_EDX_MCA);
	f->x2apic = has(l1[CPUID_ECX], CPUID_1_ECX_X2APIC);
	f->tsc_deadline = has(l1[CPUID_ECX], CPUID_1_ECX_TSC_DEADLINE);
	f->pdcm = has(l1[CPUID_ECX], CPUID_1_ECX_PDCM);
	f->tsc_adjust = has(l7[CPUID_EBX], CPUID_7_0_EBX_TSC_ADJUST);
	f->aperfmperf = has(l6[CPUID_ECX], CPUID_6_ECX_APERFMPERF);
	f->epb = has(l6[CPUID_ECX], CPUID_6_ECX_EPB);
	f->pkg_therm = has(l6[CPUID_EAX], CPUID_6_EAX_PTM);
	if (f->intel) {
		/* Leaf 0xA is Intel's; AMD CPUs report zeros or reserved values there. */
		f->pmu_version = la[CPUID_EAX] & 0xFF;
		f->pmu_gp = MIN((la[CPUID_EAX] >> 8) & 0xFF, PMU_MAX_GP);
		f->pmu_fixed = f->pmu_version >= 2 ? MIN(la[CPUID_EDX] & 0x1F, PMU_MAX_FIXED) : 0;
	}
	if (f->amd) {
		f->amd_perfctr_core = has(e1[CPUID_ECX], CPUID_80000001_ECX_PERFCTR_CORE);
		f->amd_perfctr_nb = has(e1[CPUID_ECX], CPUID_80000001_ECX_PERFCTR_NB);
		f->amd_perfctr_llc = has(e1[CPUID_ECX], CPUID_80000001_ECX_PERFCTR_LLC);
		f->osvw = has(e1[CPUID_ECX], CPUID_80000001_ECX_OSVW);
	}
}
