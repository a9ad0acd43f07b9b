/* GDT, TSS and IDT layouts (Intel SDM vol. 3, 3.4.5, 7.2.3, 6.14). */
#ifndef HV_X86_DESC_H
#define HV_X86_DESC_H

#include "types.h"

#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS 0x18
#define GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

/* Interrupt stack table slots (1-based, as the IDT gate encodes them). */
#define IST_NMI 1
#define IST_DF 2
#define IST_MC 3
#define IST_COUNT 3
#define IST_STACK_SIZE 4096

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct percpu;
/* Builds this CPU's GDT and TSS (with IST stacks) in its per-CPU block and loads GDT, TR and the IDT. */
void desc_init_cpu(struct percpu *cpu);
/* Fills the shared IDTs once, before any CPU loads them. */
void idt_init(void);
/*
 * Runs a short window with interrupts enabled (IF=1) under an IDT where every vector is an
 * interrupt, so that a device interrupt on a vector below 32 is not taken for an exception.
 */
void irq_window(void);

#endif
