/* The guest's GDT and IDT, and the dispatcher: interrupt handlers, then the exception table. */
#include "guest.h"
#include "trap.h"
#include "x86.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type_attr;
	uint16_t offset_hi;
} __packed;

struct desc_ptr32 {
	uint16_t limit;
	uint32_t base;
} __packed;

struct ex_entry {
	uint32_t insn;
	uint32_t fixup;
};

#define NR_VECTORS 32 /* exceptions; the IDT has NR_IDT_VECTORS */
#define GATE_INTR32 0x8e /* present, DPL 0, 32-bit interrupt gate: IF cleared on entry */

/* Flat 4 GiB segments (SDM vol. 3, 3.4.5): base 0, limit 0xfffff with G=1, D/B=1. */
static const uint64_t gdt[] __aligned(8) = {
	0,
	0x00cf9a000000ffffULL, /* SEL_CODE: code, execute/read, DPL 0 */
	0x00cf92000000ffffULL, /* SEL_DATA: data, read/write, DPL 0 */
	0x00cf12000000ffffULL, /* SEL_NOT_PRESENT: the data descriptor with P=0 */
};
_Static_assert(sizeof(gdt) == GDT_LIMIT + 1, "GDT_LIMIT matches the table");

static struct idt_gate idt[NR_IDT_VECTORS] __aligned(8);
static irq_handler_t handlers[NR_IDT_VECTORS];

extern const uint32_t trap_stubs[NR_IDT_VECTORS];
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

volatile struct trap_record last_trap = { .vector = NO_FAULT };

static const char *const names[NR_VECTORS] = {
	[0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",	[4] = "#OF",  [5] = "#BR",
	[6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP", [12] = "#SS",
	[13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
	[20] = "#VE", [21] = "#CP", [29] = "#VC", [30] = "#SX",
};

const char *exception_name(unsigned int vector)
{
	if (vector < NR_VECTORS && names[vector])
		return names[vector];
	return "reserved";
}

void desc_init(void)
{
	struct desc_ptr32 gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
	struct desc_ptr32 idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "mov %2, %%ds\n\t"
		     "mov %2, %%es\n\t"
		     "mov %2, %%fs\n\t"
		     "mov %2, %%gs\n\t"
		     "mov %2, %%ss"
		     :
		     : "m"(gdtr), "i"(SEL_CODE), "r"(SEL_DATA)
		     : "memory");

	for (unsigned int v = 0; v < NR_IDT_VECTORS; v++) {
		idt[v] = (struct idt_gate){
			.offset_lo = trap_stubs[v] & 0xffff,
			.selector = SEL_CODE,
			.type_attr = GATE_INTR32,
			.offset_hi = trap_stubs[v] >> 16,
		};
	}
	asm volatile("lidt %0" : : "m"(idtr));
}

void set_irq_handler(unsigned int vector, irq_handler_t fn)
{
	if (vector < NR_IDT_VECTORS)
		handlers[vector] = fn;
}

void trap_arm(void)
{
	last_trap.vector = NO_FAULT;
	last_trap.error_code = 0;
	last_trap.eip = 0;
	last_trap.cr2 = 0;
}

static bool fixup(struct trap_frame *f)
{
	for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn != f->eip)
			continue;
		last_trap.error_code = f->error_code;
		last_trap.eip = f->eip;
		last_trap.cr2 = f->vector == X86_PF ? read_cr2() : 0;
		last_trap.vector = (int)f->vector;
		f->eip = e->fixup;
		return true;
	}
	return false;
}

/* The exceptions that push an error code (SDM vol. 3, 6.13), as entry.S has them. */
static bool has_error_code(unsigned int vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 ||
	       vector == 30;
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	static bool in_unexpected;

	if (f->vector < NR_IDT_VECTORS && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	/*
	 * Only an exception can be an expected fault: an NMI or interrupt taken just before a listed
	 * instruction has that instruction's address too.
	 */
	if (f->vector < NR_VECTORS && f->vector != X86_NMI && fixup(f))
		return;
	/* An exception while reporting one: say so as plainly as possible and stop. */
	if (in_unexpected) {
		printf("not ok - nested exception %u at eip 0x%x\n", f->vector, f->eip);
		guest_exit(false);
	}
	in_unexpected = true;
	/*
	 * An external interrupt (or INT n) on a vector whose exception has an error code pushes none:
	 * the frame is one word short, so "eip" holds CS and "cs" holds EFLAGS (bit 1 always set).
	 */
	if (has_error_code(f->vector) && f->eip == SEL_CODE && (f->cs & EFLAGS_FIXED))
		abort_test("interrupt on exception vector %u (%s) without an error code: an external interrupt or "
			   "INT n, not the exception, at eip 0x%x (eflags 0x%x)",
			   f->vector, exception_name(f->vector), f->error_code, f->cs);
	if (f->vector >= NR_VECTORS)
		abort_test("unexpected interrupt vector 0x%x at eip 0x%x (eflags 0x%x)", f->vector, f->eip,
			   f->eflags);
	abort_test("unexpected exception %u (%s) error code 0x%x at eip 0x%x (cr2 0x%x, eax 0x%x, ebx 0x%x, "
		   "ecx 0x%x, edx 0x%x, esp 0x%x)",
		   f->vector, exception_name(f->vector), f->error_code, f->eip, read_cr2(), f->eax, f->ebx,
		   f->ecx, f->edx, f->esp_pusha + 20);
}
