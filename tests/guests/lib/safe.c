/* Instructions that may fault, each listed in the exception table (see trap.h). */
#include "trap.h"

int rdmsr_safe(uint32_t msr, uint64_t *value)
{
	uint32_t lo, hi;

	trap_arm();
	asm volatile goto("1: rdmsr\n\t" ASM_TRY("1b", "%l[fault]")
			  : "=a"(lo), "=d"(hi)
			  : "c"(msr)
			  : "memory"
			  : fault);
	*value = ((uint64_t)hi << 32) | lo;
	return NO_FAULT;
fault:
	return last_trap.vector;
}

int wrmsr_safe(uint32_t msr, uint64_t value)
{
	trap_arm();
	asm volatile goto("1: wrmsr\n\t" ASM_TRY("1b", "%l[fault]")
			  :
			  : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			  : "memory"
			  : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

/* XGETBV is 0f 01 d0, XSETBV 0f 01 d1: spelled as bytes so any assembler takes them. */
int xgetbv_safe(uint32_t xcr, uint64_t *value)
{
	uint32_t lo, hi;

	trap_arm();
	asm volatile goto("1: .byte 0x0f, 0x01, 0xd0\n\t" ASM_TRY("1b", "%l[fault]")
			  : "=a"(lo), "=d"(hi)
			  : "c"(xcr)
			  : "memory"
			  : fault);
	*value = ((uint64_t)hi << 32) | lo;
	return NO_FAULT;
fault:
	return last_trap.vector;
}

int xsetbv_safe(uint32_t xcr, uint64_t value)
{
	trap_arm();
	asm volatile goto("1: .byte 0x0f, 0x01, 0xd1\n\t" ASM_TRY("1b", "%l[fault]")
			  :
			  : "c"(xcr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			  : "memory"
			  : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

int read8_safe(uint32_t addr, uint8_t *value)
{
	uint8_t v;

	trap_arm();
	asm volatile goto("1: movb (%1), %0\n\t" ASM_TRY("1b", "%l[fault]")
			  : "=q"(v)
			  : "r"(addr)
			  : "memory"
			  : fault);
	*value = v;
	return NO_FAULT;
fault:
	return last_trap.vector;
}

int read32_safe(uint32_t addr, uint32_t *value)
{
	uint32_t v;

	trap_arm();
	asm volatile goto("1: movl (%1), %0\n\t" ASM_TRY("1b", "%l[fault]")
			  : "=r"(v)
			  : "r"(addr)
			  : "memory"
			  : fault);
	*value = v;
	return NO_FAULT;
fault:
	return last_trap.vector;
}

int write32_safe(uint32_t addr, uint32_t value)
{
	trap_arm();
	asm volatile goto("1: movl %1, (%0)\n\t" ASM_TRY("1b", "%l[fault]")
			  :
			  : "r"(addr), "r"(value)
			  : "memory"
			  : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}
