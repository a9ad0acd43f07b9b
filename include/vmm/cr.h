/*
 * The architectural rules for guest writes to CR0, CR4 and EFER (Intel SDM vol. 2, MOV to CR and
 * WRMSR; vol. 3A, 2.5 and 10.8.5; AMD APM vol. 2, 3.1 and 14.6): a pure function of the guest's
 * state and the value written, used wherever the hypervisor performs such a write for the guest
 * (VMX CR-access exits, EFER writes on both vendors). A refused write is #GP(0), as on hardware.
 */
#ifndef HV_VMM_CR_H
#define HV_VMM_CR_H

#include "types.h"
#include "x86/msr.h"

/* CR4 bits beyond those of x86/cpu.h (SDM vol. 3A, 2.5). */
#define CR4_UMIP (1UL << 11)
#define CR4_LA57 (1UL << 12)
#define CR4_SMXE (1UL << 14)
#define CR4_PCIDE (1UL << 17)
#define CR4_KL (1UL << 19)
#define CR4_CET (1UL << 23)
#define CR4_PKS (1UL << 24)
#define CR4_LAM_SUP (1UL << 28)
#define CR4_FRED (1ULL << 32)

/* The CR0 bits that exist; writes to the others (31:0) are ignored, to 63:32 fault. */
#define CR0_DEFINED 0xE005003FULL

/* The guest's state a write is judged against. */
struct cr_state {
	uint64_t cr0, cr3, cr4, efer;
	bool cs_l; /* CS.L: the guest runs 64-bit code (with EFER.LMA) */
};

/* The CPUID words CR4's bits depend on (0 where the leaf does not exist). */
struct cr4_cpuid {
	uint32_t leaf1_ecx, leaf1_edx;
	uint32_t leaf7_ebx, leaf7_ecx, leaf7_edx; /* leaf 7, subleaf 0 */
	uint32_t leaf7_1_eax;                     /* leaf 7, subleaf 1 */
};

/* The CR4 bits a guest may set, from the CPUID it is shown. VMXE and SMXE follow CPUID 1 ECX[5] and ECX[6]. */
uint64_t cr4_guest_valid(const struct cr4_cpuid *c);

/* 0 if hardware accepts MOV CR0 of `value` in state s, else -E_INVAL (#GP(0)). */
int cr0_write_check(const struct cr_state *s, uint64_t value);
/* The same for MOV CR4; `valid` is cr4_guest_valid() of the guest's CPUID. */
int cr4_write_check(const struct cr_state *s, uint64_t value, uint64_t valid);
/* The same for WRMSR EFER; `valid` is the set of EFER bits the guest may write. */
int efer_write_check(const struct cr_state *s, uint64_t value, uint64_t valid);

/*
 * EFER as it becomes after the guest writes `value` (a write efer_write_check() allowed) over
 * `current`: LMA stays what it was, the CPU's to set from LME and CR0.PG (SDM vol. 3A, 10.8.5).
 */
static inline uint64_t efer_after_write(uint64_t current, uint64_t value)
{
	return (value & ~EFER_LMA) | (current & EFER_LMA);
}

struct vcpu;
/* The vCPU's state, read through vcpu_ops (vmm/emulate.c). */
void vcpu_cr_state(struct vcpu *v, struct cr_state *s);

#endif
