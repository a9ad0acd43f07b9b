/* The vCPU's MSR state: its own intercept bitmap and the TSC it sees (vmm/msr.c). */
#ifndef HV_VMM_MSR_H
#define HV_VMM_MSR_H

#include "vmm/vcpu.h"
#include "x86/msr.h"

/* Before the vCPU first runs: its TSC state and the pass-throughs that depend on it. */
void msr_vcpu_init(struct vcpu *v);
/* Intercept (or pass through) accesses of `type` (MSR_R, MSR_W) to `msr` for this vCPU only. */
void msr_set_intercept(struct vcpu *v, uint32_t msr, unsigned int type, bool intercept);

/* EFER as the guest reads it: SVME is the backend's (VMRUN needs it), never the guest's. */
static inline uint64_t msr_efer_guest_view(uint64_t efer)
{
	return efer & ~EFER_SVME;
}

#endif
