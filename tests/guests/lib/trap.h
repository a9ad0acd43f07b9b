/*
 * Exceptions and interrupts in the test guests.
 *
 * Every one of the 256 vectors enters trap_dispatch() with a struct trap_frame; a vector with a
 * handler (set_irq_handler) goes to it. For the exceptions, an instruction that is *expected* to
 * fault is listed in the exception table (ASM_TRY); a fault on it records the vector, error code,
 * EIP and CR2 in `last_trap` and resumes at its recovery label. Any other exception or interrupt
 * is a failed check: it prints `not ok` with the vector and EIP, then the guest exits.
 *
 * The table is written with asm goto, so the recovery path is an ordinary C label:
 *
 *	trap_arm();
 *	asm volatile goto("1: rdmsr\n\t" ASM_TRY("1b", "%l[fault]") : ... : fault);
 *	return NO_FAULT;
 *	fault: return last_trap.vector;
 *
 * A trap (#BP, INT n) reports the EIP *after* the instruction, so list the label after it.
 * Always write `asm volatile goto`: GCC drops an asm goto whose outputs are unused otherwise.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include "types.h"
#include "x86.h" /* the X86_* vector numbers */

#define NO_FAULT (-1)

#define ASM_TRY(insn, fixup)                                                                      \
	".pushsection .ex_table, \"a\"\n\t.balign 4\n\t.long " insn ", " fixup "\n\t.popsection\n\t"

/* Pushed by entry.S: segment registers, PUSHA, vector and error code, then the CPU's frame. */
struct trap_frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error_code;
	uint32_t eip, cs, eflags; /* same privilege level: no ESP/SS */
};

struct trap_record {
	int vector; /* NO_FAULT until an expected exception is recovered */
	uint32_t error_code;
	uint32_t eip;
	uint32_t cr2; /* read on #PF only */
};

extern volatile struct trap_record last_trap;

/*
 * Handlers for any of the 256 vectors: interrupts (32-255, no error code) and the NMI. A handler
 * runs in trap_dispatch() with interrupts off (interrupt gates); it sends its own EOI. For a vector
 * with a handler the exception table is not consulted. NULL removes the handler: an interrupt on a
 * vector without one is a failed check, as an unexpected exception is.
 */
#define NR_IDT_VECTORS 256
typedef void (*irq_handler_t)(struct trap_frame *f);
void set_irq_handler(unsigned int vector, irq_handler_t fn);

/* Forgets the previous recovered exception; call right before the instruction that may fault. */
void trap_arm(void);
/* Short name of a vector, such as "#GP". */
const char *exception_name(unsigned int vector);

/* Loads the GDT (flat code and data, plus test descriptors) and the IDT. */
void desc_init(void);
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_NOT_PRESENT 0x18 /* a data segment with P=0, for #NP */
#define GDT_LIMIT 0x1f      /* four descriptors */

/*
 * Safe variants: each returns NO_FAULT, or the vector of the exception the instruction raised
 * (details in last_trap). Outputs are only written when there was no fault.
 */
int rdmsr_safe(uint32_t msr, uint64_t *value);
int wrmsr_safe(uint32_t msr, uint64_t value);
int xgetbv_safe(uint32_t xcr, uint64_t *value);
int xsetbv_safe(uint32_t xcr, uint64_t value);
int read8_safe(uint32_t addr, uint8_t *value);
int read32_safe(uint32_t addr, uint32_t *value);
int write32_safe(uint32_t addr, uint32_t value);

#endif
