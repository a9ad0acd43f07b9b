/*
 * Which MSRs the guest may access without an exit.
 *
 * One static table lists the MSRs passed through, the accesses allowed and an optional condition
 * on a CPU feature; everything else is intercepted (notably EFER, VM_CR, VM_HSAVE_PA,
 * FEATURE_CONTROL, the VMX capability MSRs, APIC_BASE and the x2APIC ICR). The vendor bitmaps are
 * derived from the table, so changing the policy or the vendor means rebuilding a bitmap, never
 * patching bits by hand.
 *
 * Passing an MSR through means the guest's value lives in the hardware register while the guest
 * runs; the vendor code must switch every such register the hardware does not switch itself.
 */
#ifndef HV_VMM_MSR_POLICY_H
#define HV_VMM_MSR_POLICY_H

#include "types.h"
#include "vmm/msr_bitmap.h"

/*
 * Features the conditional entries depend on. msr_features_from_cpuid() fills them from the CPUID
 * the guest is shown, so an MSR exists for the guest exactly when its CPUID says so.
 */
struct msr_features {
	bool spec_ctrl;       /* IA32_SPEC_CTRL exists (e.g. CPUID 7 EDX[26], 0x80000008 EBX[14]) */
	bool pred_cmd;        /* IA32_PRED_CMD exists (e.g. CPUID 7 EDX[26], 0x80000008 EBX[12]) */
	bool tsc_aux;         /* TSC_AUX exists: RDTSCP (0x80000001 EDX[27]) or RDPID (7 ECX[22]) */
	bool pat_virtualized; /* the hardware keeps a guest PAT: VMX load/save IA32_PAT, SVM NPT G_PAT */
	/* The forwarded MSRs (msr_forward_access()): */
	bool intel, amd;      /* vendor string: model-specific MSRs of one vendor only */
	bool mtrr;            /* 1 EDX[12] */
	bool mce, mca;        /* 1 EDX[7], EDX[14] */
	bool x2apic;          /* 1 ECX[21] */
	bool tsc_deadline;    /* 1 ECX[24] */
	bool pdcm;            /* 1 ECX[15]: IA32_PERF_CAPABILITIES */
	bool tsc_adjust;      /* 7.0 EBX[1] */
	bool aperfmperf;      /* 6 ECX[0] */
	bool epb;             /* 6 ECX[3]: IA32_ENERGY_PERF_BIAS */
	bool pkg_therm;       /* 6 EAX[6]: package thermal status and interrupt */
	uint8_t pmu_version;  /* Intel leaf 0xA EAX[7:0]: architectural performance monitoring */
	uint8_t pmu_gp;       /* 0xA EAX[15:8]: general-purpose counters */
	uint8_t pmu_fixed;    /* 0xA EDX[4:0]: fixed-function counters (version 2 and later) */
	bool amd_perfctr_core; /* 0x80000001 ECX[23]: six core counters at 0xC0010200 */
	bool amd_perfctr_nb;   /* 0x80000001 ECX[24]: northbridge counters at 0xC0010240 */
	bool amd_perfctr_llc;  /* 0x80000001 ECX[28]: last-level cache counters at 0xC0010230 */
	bool osvw;             /* 0x80000001 ECX[9]: OS-visible workaround MSRs at 0xC0010140-1 */
};

/* Condition under which a policy entry applies. */
enum msr_cond {
	MSR_COND_ALWAYS,
	MSR_COND_SPEC_CTRL,
	MSR_COND_PRED_CMD,
	MSR_COND_TSC_AUX,
	MSR_COND_PAT_VIRTUALIZED,
	MSR_COND_INTEL,
	MSR_COND_AMD,
	MSR_COND_MTRR,
	MSR_COND_MCE,
	MSR_COND_MCA,
	MSR_COND_X2APIC,
	MSR_COND_TSC_DEADLINE,
	MSR_COND_PDCM,
	MSR_COND_TSC_ADJUST,
	MSR_COND_APERFMPERF,
	MSR_COND_EPB,
	MSR_COND_PKG_THERM,
	MSR_COND_PMU_GP,      /* per counter: index below pmu_gp (version 1 and later) */
	MSR_COND_PMU_FIXED,   /* per counter: index below pmu_fixed (version 2 and later) */
	MSR_COND_PMU_GLOBAL,  /* version 2 and later */
	MSR_COND_AMD_PERFCTR, /* the four legacy counters every AMD CPU has */
	MSR_COND_AMD_PERFCTR_CORE,
	MSR_COND_AMD_PERFCTR_NB,
	MSR_COND_AMD_PERFCTR_LLC,
	MSR_COND_OSVW,
	MSR_COND_NR,
};

struct msr_policy_entry {
	uint32_t msr;
	unsigned int access; /* MSR_R, MSR_W or both: what the guest may do without an exit */
	enum msr_cond cond;
	const char *name;    /* for logs */
};

/*
 * Fill bitmap (msr_bitmap_size(layout) bytes) with the policy: intercept everything, then pass
 * through each table entry whose condition holds under f. f == NULL means no optional feature.
 */
void msr_policy_build(enum msr_bitmap_layout layout, void *bitmap, const struct msr_features *f);

/*
 * True if every access in type (MSR_R, MSR_W or both) to msr is passed through under f; false for
 * a type that is 0 or has other bits. Agrees with the bitmap msr_policy_build() makes.
 */
bool msr_policy_is_passthrough(uint32_t msr, unsigned type, const struct msr_features *f);

/* The policy table, for iteration (boot log); *nr receives the number of entries. */
const struct msr_policy_entry *msr_policy_entries(size_t *nr);

/* The accesses entry e passes through under f: e->access, or 0 if its condition does not hold. */
unsigned int msr_policy_access(const struct msr_policy_entry *e, const struct msr_features *f);

/*
 * The MSRs the exit handler forwards to the hardware for the guest (a hardware fault becomes the
 * guest's #GP): each range exists for the guest when its condition holds under f. Returns the
 * accesses allowed (MSR_R, or MSR_RW), 0 when the guest's CPU has no such MSR, which then gets #GP
 * as on hardware without the feature. Counter ranges (MSR_COND_PMU_*) hold one MSR per counter,
 * `stride` apart: only the counters CPUID reports exist.
 */
unsigned int msr_forward_access(uint32_t msr, const struct msr_features *f);

struct cpuid_policy;
/* The guest's MSR features from the CPUID it is shown (pat_virtualized is the caller's to set). */
void msr_features_from_cpuid(const struct cpuid_policy *cpuid, struct msr_features *f);

/* Short name of a condition ("always", "spec_ctrl", ...), "?" for an unknown value. */
const char *msr_cond_name(enum msr_cond cond);

#endif
