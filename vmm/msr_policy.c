/* The MSR pass-through policy and the bitmaps derived from it: see include/vmm/msr_policy.h. */
#include "vmm/msr_policy.h"
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
