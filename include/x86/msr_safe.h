/* MSR access that may fault (probing, guest-chosen MSR numbers): faults become -E_FAULT. */
#ifndef HV_X86_MSR_SAFE_H
#define HV_X86_MSR_SAFE_H

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

static inline int wrmsr_safe(uint32_t msr, uint64_t value)
{
	asm volatile goto("1: wrmsr\n\t" EXTABLE_ENTRY("1b", "%l[fault]")
		 :
		 : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
		 : "memory"
		 : fault);
	return 0;
fault:
	return -E_FAULT;
}

#endif
