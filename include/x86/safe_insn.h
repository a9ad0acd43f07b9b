/*
 * Instructions that may fault on values we do not control (probing, guest-chosen MSRs and XCR0):
 * a fault is recovered through the exception table and returned as -E_FAULT.
 */
#ifndef HV_X86_SAFE_INSN_H
#define HV_X86_SAFE_INSN_H

#include "errno.h"
#include "x86/extable.h"
#include "x86/safe_insn_gen.h"

SAFE_INSN_READ_ECX_EDX_EAX(static inline int rdmsr_safe, "rdmsr", EXTABLE_ENTRY, (void)0, 0, -E_FAULT)
SAFE_INSN_WRITE_ECX_EDX_EAX(static inline int wrmsr_safe, "wrmsr", EXTABLE_ENTRY, (void)0, 0, -E_FAULT)
SAFE_INSN_WRITE_ECX_EDX_EAX(static inline int xsetbv_safe, "xsetbv", EXTABLE_ENTRY, (void)0, 0, -E_FAULT)

/* Needs CR4.OSXSAVE (set on every CPU with XSAVE when virtualization is enabled). */
static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

#endif
