/*
 * Structure offsets for the assembly files. Compiled to assembly only; the Makefile turns each
 * "->NAME value" line into a NASM %define in build/include/asm_offsets.inc, so offsets are never
 * typed by hand.
 */
#include "x86/smp.h"

#define DEFINE(name, value) asm volatile("\n->" #name " %c0" : : "i"(value))
#define OFFSET(name, type, member) DEFINE(name, __builtin_offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(TP_CR3, struct trampoline_params, cr3);
	OFFSET(TP_EFER, struct trampoline_params, efer);
	OFFSET(TP_APIC_ID, struct trampoline_params, apic_id);
	OFFSET(TP_STACK_TOP, struct trampoline_params, stack_top);
	OFFSET(TP_PERCPU, struct trampoline_params, percpu);
	OFFSET(TP_ENTRY, struct trampoline_params, entry);
	DEFINE(TP_SIZE, sizeof(struct trampoline_params));
}
