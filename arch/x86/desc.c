/* Segment descriptors, the TSS with its interrupt stacks, and the IDT for the exception vectors. */
#include "x86/desc.h"
#include "x86/percpu.h"
#include "x86/traps.h"
#include "lib/string.h"

#define GDT_CODE64 0x00AF9A000000FFFFULL /* present, DPL 0, execute/read, L=1 */
#define GDT_DATA 0x00CF92000000FFFFULL   /* present, DPL 0, read/write */
#define TSS_TYPE_AVAILABLE 0x9
#define GATE_INTERRUPT 0x8E /* present, DPL 0, 64-bit interrupt gate */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

static struct idt_gate idt[256] __aligned(4096);
static struct idt_gate window_idt[256] __aligned(4096);

static void set_gate_in(struct idt_gate *table, unsigned int vector, void *handler, unsigned int ist)
{
	uintptr_t addr = (uintptr_t)handler;

	table[vector] = (struct idt_gate){
		.offset_low = addr & 0xFFFF,
		.selector = GDT_SEL_CODE,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = (addr >> 16) & 0xFFFF,
		.offset_high = addr >> 32,
	};
}

void idt_init(void)
{
	for (unsigned int v = 0; v < NR_VECTORS; v++) {
		set_gate_in(idt, v, interrupt_stubs[v], 0);
		set_gate_in(window_idt, v, v < NR_EXCEPTIONS ? low_irq_stubs[v] : interrupt_stubs[v], 0);
	}
	/* These may strike on a broken stack or in the middle of VM entry/exit: give them their own. */
	idt[EXC_NMI].ist = IST_NMI;
	idt[EXC_DF].ist = IST_DF;
	idt[EXC_MC].ist = IST_MC;
	/*
	 * In the window only NMI can still be what it is (a fixed interrupt on vectors 0-15 is
	 * illegal at the APIC). Entry 18 stays an interrupt stub, since the guest may send vector
	 * 0x12: trap_dispatch tells a real machine check from it by MCG_STATUS.MCIP.
	 */
	window_idt[EXC_NMI] = idt[EXC_NMI];
}

void irq_window(void)
{
	struct desc_ptr normal = { sizeof(idt) - 1, (uintptr_t)idt };
	struct desc_ptr window = { sizeof(window_idt) - 1, (uintptr_t)window_idt };

	machine_check_probe();
	asm volatile("lidt %0; sti; nop; cli; lidt %1" : : "m"(window), "m"(normal) : "memory");
}

static void set_tss_descriptor(uint64_t *slot, struct tss64 *tss)
{
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | ((uint64_t)TSS_TYPE_AVAILABLE << 40) |
		  (1ULL << 47) | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	slot[1] = base >> 32;
}

void desc_init_cpu(struct percpu *cpu)
{
	struct desc_ptr gdtr = { sizeof(cpu->gdt) - 1, (uintptr_t)cpu->gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	memset(&cpu->tss, 0, sizeof(cpu->tss));
	for (unsigned int i = 0; i < IST_COUNT; i++)
		cpu->tss.ist[i] = (uintptr_t)cpu->ist_stacks[i] + IST_STACK_SIZE;
	cpu->tss.iomap_base = sizeof(cpu->tss); /* no I/O bitmap */

	cpu->gdt[0] = 0;
	cpu->gdt[GDT_SEL_CODE / 8] = GDT_CODE64;
	cpu->gdt[GDT_SEL_DATA / 8] = GDT_DATA;
	set_tss_descriptor(&cpu->gdt[GDT_SEL_TSS / 8], &cpu->tss);

	/* Reloading CS needs a far return; data segments are flat and ignored in 64-bit mode. */
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "ltr %w3\n\t"
		     "lidt %4"
		     :
		     : "m"(gdtr), "i"(GDT_SEL_CODE), "i"(GDT_SEL_DATA), "r"(GDT_SEL_TSS), "m"(idtr)
		     : "rax", "memory");
}
