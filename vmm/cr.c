/*
 * Validity of guest CR0, CR4 and EFER writes (see include/vmm/cr.h). Each rule is the #GP(0)
 * condition the manuals list for MOV to CR0/CR4 and WRMSR IA32_EFER.
 */
#include "errno.h"
#include "vmm/cr.h"
#include "x86/cpu.h"
#include "x86/msr.h"

#define CPUID_1_ECX_VMX (1U << 5)
#define CPUID_1_ECX_SMX (1U << 6)
#define CPUID_1_ECX_PCID (1U << 17)
#define CPUID_1_ECX_XSAVE (1U << 26)
#define CPUID_1_EDX_VME (1U << 1)
#define CPUID_1_EDX_DE (1U << 2)
#define CPUID_1_EDX_PSE (1U << 3)
#define CPUID_1_EDX_PAE (1U << 6)
#define CPUID_1_EDX_MCE (1U << 7)
#define CPUID_1_EDX_PGE (1U << 13)
#define CPUID_1_EDX_FXSR (1U << 24)
#define CPUID_1_EDX_SSE (1U << 25)
#define CPUID_7_EBX_FSGSBASE (1U << 0)
#define CPUID_7_EBX_SMEP (1U << 7)
#define CPUID_7_EBX_SMAP (1U << 20)
#define CPUID_7_ECX_UMIP (1U << 2)
#define CPUID_7_ECX_PKU (1U << 3)
#define CPUID_7_ECX_CET_SS (1U << 7)
#define CPUID_7_ECX_LA57 (1U << 16)
#define CPUID_7_ECX_KL (1U << 23)
#define CPUID_7_ECX_PKS (1U << 31)
#define CPUID_7_EDX_IBT (1U << 20)
#define CPUID_7_1_EAX_FRED (1U << 17)
#define CPUID_7_1_EAX_LAM (1U << 26)

uint64_t cr4_guest_valid(const struct cr4_cpuid *c)
{
	uint32_t leaf1_ecx = c->leaf1_ecx, leaf1_edx = c->leaf1_edx, leaf7_ebx = c->leaf7_ebx, leaf7_ecx = c->leaf7_ecx;
	uint64_t valid = CR4_TSD | CR4_PCE; /* every CPU with CPUID has them */

	if (leaf1_edx & CPUID_1_EDX_VME)
		valid |= CR4_VME | CR4_PVI;
	if (leaf1_edx & CPUID_1_EDX_DE)
		valid |= CR4_DE;
	if (leaf1_edx & CPUID_1_EDX_PSE)
		valid |= CR4_PSE;
	if (leaf1_edx & CPUID_1_EDX_PAE)
		valid |= CR4_PAE;
	if (leaf1_edx & CPUID_1_EDX_MCE)
		valid |= CR4_MCE;
	if (leaf1_edx & CPUID_1_EDX_PGE)
		valid |= CR4_PGE;
	if (leaf1_edx & CPUID_1_EDX_FXSR)
		valid |= CR4_OSFXSR;
	if (leaf1_edx & CPUID_1_EDX_SSE)
		valid |= CR4_OSXMMEXCPT;
	if (leaf1_ecx & CPUID_1_ECX_VMX)
		valid |= CR4_VMXE;
	if (leaf1_ecx & CPUID_1_ECX_SMX)
		valid |= CR4_SMXE;
	if (leaf1_ecx & CPUID_1_ECX_PCID)
		valid |= CR4_PCIDE;
	if (leaf1_ecx & CPUID_1_ECX_XSAVE)
		valid |= CR4_OSXSAVE;
	if (leaf7_ebx & CPUID_7_EBX_FSGSBASE)
		valid |= CR4_FSGSBASE;
	if (leaf7_ebx & CPUID_7_EBX_SMEP)
		valid |= CR4_SMEP;
	if (leaf7_ebx & CPUID_7_EBX_SMAP)
		valid |= CR4_SMAP;
	if (leaf7_ecx & CPUID_7_ECX_UMIP)
		valid |= CR4_UMIP;
	if (leaf7_ecx & CPUID_7_ECX_PKU)
		valid |= CR4_PKE;
	if ((leaf7_ecx & CPUID_7_ECX_CET_SS) || (c->leaf7_edx & CPUID_7_EDX_IBT))
		valid |= CR4_CET;
	if (leaf7_ecx & CPUID_7_ECX_LA57)
		valid |= CR4_LA57;
	if (leaf7_ecx & CPUID_7_ECX_KL)
		valid |= CR4_KL;
	if (leaf7_ecx & CPUID_7_ECX_PKS)
		valid |= CR4_PKS;
	if (c->leaf7_1_eax & CPUID_7_1_EAX_LAM)
		valid |= CR4_LAM_SUP;
	if (c->leaf7_1_eax & CPUID_7_1_EAX_FRED)
		valid |= CR4_FRED;
	return valid;
}

int cr0_write_check(const struct cr_state *s, uint64_t value)
{
	bool paging_on = !(s->cr0 & CR0_PG) && (value & CR0_PG);

	/* Reserved bits 31:0 are ignored (the caller keeps them clear); bits 63:32 fault. */
	if (value >> 32)
		return -E_INVAL;
	if ((value & CR0_PG) && !(value & CR0_PE))
		return -E_INVAL;
	if ((value & CR0_NW) && !(value & CR0_CD))
		return -E_INVAL;
	/* Activating long mode needs PAE, and cannot happen from 64-bit code (SDM 10.8.5). */
	if (paging_on && (s->efer & EFER_LME) && (!(s->cr4 & CR4_PAE) || s->cs_l))
		return -E_INVAL;
	if (!(value & CR0_PG) && (s->cr4 & CR4_PCIDE))
		return -E_INVAL;
	if (!(value & CR0_WP) && (s->cr4 & CR4_CET))
		return -E_INVAL;
	return 0;
}

int cr4_write_check(const struct cr_state *s, uint64_t value, uint64_t valid)
{
	bool long_mode = s->efer & EFER_LMA;

	if (value & ~valid)
		return -E_INVAL;
	if (long_mode && !(value & CR4_PAE))
		return -E_INVAL;
	if (long_mode && ((value ^ s->cr4) & CR4_LA57))
		return -E_INVAL;
	/* PCIDE: only in IA-32e mode and with CR3[11:0] clear. */
	if ((value & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!long_mode || (s->cr3 & 0xFFF)))
		return -E_INVAL;
	if ((value & CR4_CET) && !(s->cr0 & CR0_WP))
		return -E_INVAL;
	return 0;
}

int efer_write_check(const struct cr_state *s, uint64_t value, uint64_t valid)
{
	if (value & ~valid)
		return -E_INVAL;
	/* LME may change only while paging is off (SDM 10.8.5; APM 14.6.1). */
	if ((s->cr0 & CR0_PG) && ((value ^ s->efer) & EFER_LME))
		return -E_INVAL;
	return 0;
}
