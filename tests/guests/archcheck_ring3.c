/* archcheck: legal guest actions from ring 3 (a TSS, a DPL-3 gate back) that must fault as on hardware. */
#include "archcheck.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "trap.h"
#include "x86.h"

#define SEL_USER_CODE (0x20 | 3)
#define SEL_USER_DATA (0x28 | 3)
#define SEL_TSS 0x30
#define VEC_USER_RETURN 0x81

/* ---- ring 3 ---- */

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
} __packed;

static struct tss32 tss;
static uint64_t gdt[7] __aligned(8);
static uint8_t ring0_stack[4096] __aligned(16);
uint8_t ring3_stack[4096] __aligned(16);
uint32_t user_saved_esp;
extern uint8_t ring3_stack[4096];

static uint64_t descriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
	return (limit & 0xFFFFULL) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

/*
 * run_user(fn): fn runs in ring 3 on its own stack and ends with INT 0x81, whose DPL-3 gate comes
 * back here on the ring-0 stack of the TSS and returns to the caller.
 */
void run_user(void (*fn)(void));
void user_return(void);
asm(".text\n"
    ".globl run_user\n"
    "run_user:\n\t"
    "pushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n\t"
    "movl %esp, user_saved_esp\n\t"
    "movl 20(%esp), %eax\n\t"
    "pushl $0x2b\n\t"
    "pushl $ring3_stack + 4096\n\t"
    "pushl $0x2\n\t"
    "pushl $0x23\n\t"
    "pushl %eax\n\t"
    "movw $0x2b, %dx\n\tmovw %dx, %ds\n\tmovw %dx, %es\n\tmovw %dx, %fs\n\tmovw %dx, %gs\n\t"
    "iretl\n"
    ".globl user_return\n"
    "user_return:\n\t"
    "movw $0x10, %dx\n\tmovw %dx, %ds\n\tmovw %dx, %es\n\tmovw %dx, %fs\n\tmovw %dx, %gs\n\t"
    "movl user_saved_esp, %esp\n\t"
    "popl %edi\n\tpopl %esi\n\tpopl %ebx\n\tpopl %ebp\n\t"
    "ret\n");

struct idt_gate32 {
	uint16_t offset_lo, selector;
	uint8_t zero, type_attr;
	uint16_t offset_hi;
} __packed;

static void ring3_init(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __packed gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt }, idtr;
	struct idt_gate32 *idt;
	uint32_t ret = (uint32_t)(uintptr_t)user_return;

	gdt[1] = 0x00cf9a000000ffffULL;
	gdt[2] = 0x00cf92000000ffffULL;
	gdt[3] = 0x00cf12000000ffffULL;
	gdt[4] = 0x00cffa000000ffffULL; /* ring-3 code */
	gdt[5] = 0x00cff2000000ffffULL; /* ring-3 data */
	tss.esp0 = (uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
	tss.ss0 = SEL_DATA;
	tss.iomap = sizeof(tss); /* no I/O permission bitmap: ring 3 has no ports */
	gdt[6] = descriptor((uint32_t)(uintptr_t)&tss, sizeof(tss) - 1, 0x89, 0);
	asm volatile("lgdt %0\n\tltr %w1" : : "m"(gdtr), "r"(SEL_TSS) : "memory");
	asm volatile("sidt %0" : "=m"(idtr));
	idt = (struct idt_gate32 *)(uintptr_t)idtr.base;
	idt[VEC_USER_RETURN] = (struct idt_gate32){ ret & 0xFFFF, SEL_CODE, 0, 0xEE, ret >> 16 };
}

static void leave_user(void)
{
	asm volatile("int $0x81");
	__builtin_unreachable();
}

static volatile int user_hc_fault, user_xsetbv_fault, user_cpl;
static volatile uint32_t user_xsetbv_error;

static void user_hypercall(void)
{
	struct hc_regs r;

	asm volatile("movl %%cs, %0" : "=r"(user_cpl));
	hypercall(HC_VERSION, 0, 0, 0, &r);
	user_hc_fault = r.fault;
	leave_user();
}

static void user_xsetbv(void)
{
	user_xsetbv_fault = xsetbv_safe(0, 3);
	user_xsetbv_error = last_trap.error_code;
	leave_user();
}

void check_ring3(void)
{
	bool xsave = cpuid(1).ecx & CPUID_1_ECX_XSAVE;
	uint32_t cr4 = read_cr4();

	ring3_init();
	run_user(user_hypercall);
	ok((user_cpl & 3) == 3, "ring 3 reached (CS 0x%x)", user_cpl);
	ok(user_hc_fault == X86_UD, "%s at CPL 3 raises #UD (vector %d)", hypercall_insn(), user_hc_fault);
	if (!xsave) {
		skip("no XSAVE", "XSETBV at CPL 3 raises #GP(0)");
		return;
	}
	write_cr4(cr4 | CR4_OSXSAVE);
	run_user(user_xsetbv);
	ok(user_xsetbv_fault == X86_GP && user_xsetbv_error == 0, "XSETBV at CPL 3 raises #GP(0) (vector %d, error 0x%x)",
	   user_xsetbv_fault, user_xsetbv_error);
	write_cr4(cr4);
}
