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

/* Features the conditional entries depend on; the caller fills them from CPUID and the vendor. */
struct msr_features {
	bool spec_ctrl;       /* IA32_SPEC_CTRL exists (e.g. CPUID 7 EDX[26], 0x80000008 EBX[14]) */
	bool pred_cmd;        /* IA32_PRED_CMD exists (e.g. CPUID 7 EDX[26], 0x80000008 EBX[12]) */
	bool tsc_aux;         /* TSC_AUX exists: RDTSCP (0x80000001 EDX[27]) or RDPID (7 ECX[22]) */
	bool pat_virtualized; /* the hardware keeps a guest PAT: VMX load/save IA32_PAT, SVM NPT G_PAT */
};

/* Condition under which a policy entry applies. */
enum msr_cond {
	MSR_COND_ALWAYS,
	MSR_COND_SPEC_CTRL,
	MSR_COND_PRED_CMD,
	MSR_COND_TSC_AUX,
	MSR_COND_PAT_VIRTUALIZED,
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

/* Short name of a condition ("always", "spec_ctrl", ...), "?" for an unknown value. */
const char *msr_cond_name(enum msr_cond cond);

#endif
