/*
 * Instructions that may fault, each listed in the exception table (see trap.h). The MSR and XCR
 * wrappers come from the generator the hypervisor uses (x86/safe_insn_gen.h).
 */
#include "trap.h"
#include "x86/safe_insn_gen.h"

#define GUEST_SAFE_READ(name, insn)                                                               \
	SAFE_INSN_READ_ECX_EDX_EAX(int name, insn, ASM_TRY, trap_arm(), NO_FAULT, last_trap.vector)
#define GUEST_SAFE_WRITE(name, insn)                                                              \
	SAFE_INSN_WRITE_ECX_EDX_EAX(int name, insn, ASM_TRY, trap_arm(), NO_FAULT, last_trap.vector)

GUEST_SAFE_READ(rdmsr_safe, "rdmsr")
GUEST_SAFE_WRITE(wrmsr_safe, "wrmsr")
GUEST_SAFE_READ(xgetbv_safe, "xgetbv")
GUEST_SAFE_WRITE(xsetbv_safe, "xsetbv")

/* A load through a guest-chosen address; "=q" keeps a byte load in a byte register. */
#define GUEST_SAFE_LOAD(name, type, insn, constraint)                                             \
	int name(uint32_t addr, type *value)                                                      \
	{                                                                                         \
		type v;                                                                           \
                                                                                                  \
		trap_arm();                                                                       \
		asm volatile goto("1: " insn " (%1), %0\n\t" ASM_TRY("1b", "%l[fault]")           \
				  : constraint(v)                                                 \
				  : "r"(addr)                                                     \
				  : "memory"                                                      \
				  : fault);                                                       \
		*value = v;                                                                       \
		return NO_FAULT;                                                                  \
	fault:                                                                                    \
		return last_trap.vector;                                                          \
	}

GUEST_SAFE_LOAD(read8_safe, uint8_t, "movb", "=q")
GUEST_SAFE_LOAD(read32_safe, uint32_t, "movl", "=r")

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
