/*
 * Instructions that may fault on values we do not control (probing, guest-chosen MSRs and XCR0):
 * a fault is recovered through the exception table and returned as -E_FAULT.
 */
#ifndef HV_X86_SAFE_INSN_H
#define HV_X86_SAFE_INSN_H

#include "errno.h"
#include "x86/extable.h"

static inline int rdmsr_safe(uint32_t msr, uint64_t *value)
{
	uint32_t lo, hi;

	asm volatile goto("1: rdmsr\n\t" EXTABLE_ENTRY("1b", "%l[fault]")
			  : "=a"(lo), "=d"(hi)
			  : "c"(msr)
			  :
			  : fault);
	*value = ((uint64_t)hi << 32) | lo;
	return 0;
fault:
	return -E_FAULT;
}

/* WRMSR and XSETBV share their operands: index in ECX, value in EDX:EAX. */
#define DEFINE_SAFE_ECX_EDX_EAX(name, insn)                                                       \
	static inline int name(uint32_t index, uint64_t value)                                   \
	{                                                                                         \
		asm volatile goto("1: " insn "\n\t" EXTABLE_ENTRY("1b", "%l[fault]")              \
				  :                                                               \
				  : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) \
				  : "memory"                                                      \
				  : fault);                                                       \
		return 0;                                                                         \
	fault:                                                                                    \
		return -E_FAULT;                                                                  \
	}

DEFINE_SAFE_ECX_EDX_EAX(wrmsr_safe, "wrmsr")
DEFINE_SAFE_ECX_EDX_EAX(xsetbv_safe, "xsetbv")
#undef DEFINE_SAFE_ECX_EDX_EAX

/* Needs CR4.OSXSAVE (set on every CPU with XSAVE when virtualization is enabled). */
static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

#endif
