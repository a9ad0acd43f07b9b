/*
 * Generators for wrappers of instructions that may fault, shared by the hypervisor
 * (x86/safe_insn.h) and the test guests' library (tests/guests/lib/safe.c). Each side has its own
 * exception table and its own way to report a fault, so the caller passes them in:
 *
 *	decl     the wrapper's storage class, return type and name: `static inline int rdmsr_safe`
 *	insn     the instruction, a string: "rdmsr"
 *	entry    a macro taking (insn label, fixup label) that lists the instruction in the table
 *	arm      a statement run right before the instruction (the guests forget the last trap)
 *	ok       what the wrapper returns when the instruction did not fault
 *	faulted  what it returns when the instruction faulted
 *
 * The asm is `volatile`: GCC drops an asm goto whose outputs are unused otherwise.
 */
#ifndef HV_X86_SAFE_INSN_GEN_H
#define HV_X86_SAFE_INSN_GEN_H

/* RDMSR and XGETBV: index in ECX, value out in EDX:EAX. */
#define SAFE_INSN_READ_ECX_EDX_EAX(decl, insn, entry, arm, ok, faulted)                           \
	decl(uint32_t index, uint64_t *value)                                                     \
	{                                                                                         \
		uint32_t lo, hi;                                                                  \
                                                                                                  \
		arm;                                                                              \
		asm volatile goto("1: " insn "\n\t" entry("1b", "%l[fault]")                      \
				  : "=a"(lo), "=d"(hi)                                            \
				  : "c"(index)                                                    \
				  : "memory"                                                      \
				  : fault);                                                       \
		*value = ((uint64_t)hi << 32) | lo;                                               \
		return ok;                                                                        \
	fault:                                                                                    \
		return faulted;                                                                   \
	}

/* WRMSR and XSETBV: index in ECX, value in EDX:EAX. */
#define SAFE_INSN_WRITE_ECX_EDX_EAX(decl, insn, entry, arm, ok, faulted)                          \
	decl(uint32_t index, uint64_t value)                                                      \
	{                                                                                         \
		arm;                                                                              \
		asm volatile goto("1: " insn "\n\t" entry("1b", "%l[fault]")                      \
				  :                                                               \
				  : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) \
				  : "memory"                                                      \
				  : fault);                                                       \
		return ok;                                                                        \
	fault:                                                                                    \
		return faulted;                                                                   \
	}

#endif
