/* XCR0 access; XSETBV on the guest's behalf goes through the exception table. */
#ifndef HV_X86_XCR_H
#define HV_X86_XCR_H

#include "errno.h"
#include "x86/extable.h"

/* Needs CR4.OSXSAVE (set on every CPU that has XSAVE when virtualization is enabled). */
static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

static inline int xsetbv_safe(uint32_t index, uint64_t value)
{
	asm volatile goto("1: xsetbv\n\t" EXTABLE_ENTRY("1b", "%l[fault]")
			  :
			  : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			  : "memory"
			  : fault);
	return 0;
fault:
	return -E_FAULT;
}

#endif
