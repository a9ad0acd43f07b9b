/*
 * Hardware task switches (issue 18): JMP to a TSS and back, CALL to a TSS returning with IRET
 * (EFLAGS.NT), INT n through an IDT task gate, #GP and #DF through task gates with their error
 * codes on the new task's stack, and the switches that must fault (a busy TSS, a short one, a
 * missing one, IRET to a task that is not busy). Each new task has its own page directory, so
 * CR3 is loaded and the old task's translations are gone.
 *
 * On SVM the CPU performs the switches (QEMU TCG, Bochs: the reference); on VMX each one exits and
 * the hypervisor emulates it (vmm/task_switch.c). The checks are the same. With `pae` on the
 * command line, paging is PAE with 2 MiB pages, so a new CR3 also means new PDPTEs (which VMX
 * keeps in the VMCS).
 */
#include "guest.h"
#include "hypercall.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "taskswitch";

struct tss32 {
	uint16_t link, link_hi;
	uint32_t esp0;
	uint16_t ss0, ss0_hi;
	uint32_t esp1;
	uint16_t ss1, ss1_hi;
	uint32_t esp2;
	uint16_t ss2, ss2_hi;
	uint32_t cr3, eip, eflags;
	uint32_t regs[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
} __packed;
_Static_assert(sizeof(struct tss32) == 0x68, "the 32-bit TSS");

/* The GDT: the library's four descriptors at their selectors, then the tasks'. */
#define SEL_TSS_A 0x20   /* the guest's own task (TR after LTR) */
#define SEL_TSS_B 0x28
#define SEL_TSS_C 0x30   /* reached through IDT task gates */
#define SEL_TSS_SHORT 0x38 /* limit 0x20: too short for a 32-bit TSS */
#define SEL_TSS_ABSENT 0x40 /* P = 0 */
#define GDT_ENTRIES 9

#define TSS_AVAIL 0x9
#define TSS_BUSY 0xB
#define GATE_TASK 0x85   /* present, DPL 0, task gate */
#define EFLAGS_NT (1U << 14)
#define CR0_TS (1U << 3)
#define VEC_SOFT 0x40    /* INT n through a task gate */

#define PDE_P 0x001
#define PDE_RW 0x002
#define PDE_PS 0x080
#define WINDOW_VA 0xc0000000u /* A maps it at 4 MiB, the other tasks at 0 */
#define CR4_PAE (1U << 5)

static uint64_t gdt[GDT_ENTRIES] __aligned(8);
static struct tss32 tss_a, tss_b, tss_c;
static uint8_t stack_b[4096] __aligned(16), stack_c[4096] __aligned(16);
static uint32_t pd_a[1024] __aligned(4096), pd_task[1024] __aligned(4096);
/* PAE: a PDPT of four entries per address space, and four page directories each. */
static uint64_t pdpt_a[4] __aligned(32), pdpt_task[4] __aligned(32);
static uint64_t pae_pd_a[4][512] __aligned(4096), pae_pd_task[4][512] __aligned(4096);
static uint32_t cr3_a, cr3_task;
static volatile uint32_t marker = 0x5a5a1234;

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t zero, type_attr;
	uint16_t offset_hi;
} __packed;
static struct idt_gate *idt;

/* What a task saw on entry (written by its entry code and observe()). */
struct observation {
	uint32_t regs[8];  /* as the task started: from its TSS */
	uint32_t eflags, cr0, cr3, error_code, window;
	uint16_t tr, link, cs, ss, ds;
	uint8_t type_a, type_b, type_c;
	uint32_t a_eip;    /* the old task's saved EIP, as the new task found it */
	bool seen;
};
volatile struct observation obs;
uint32_t rt_regs[8]; /* the old task's registers after it came back */
uint32_t recover_eip; /* where a fault task sends the faulting task on */
const uint16_t bad_selector = 0x1230; /* GDT index 0x246: beyond the limit */

static unsigned int desc_type(uint16_t sel)
{
	return (unsigned int)(gdt[sel >> 3] >> 40) & 0xF;
}

static uint64_t tss_desc(const struct tss32 *t, uint32_t limit, unsigned int type, bool present)
{
	uint32_t base = (uint32_t)(uintptr_t)t;

	return (limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)(present ? 1 : 0) << 47) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

/* A fresh task: flat ring-0 segments, its own stack and page directory, IF clear. */
static void init_task(struct tss32 *t, void (*entry)(void), uint8_t *stack, uint32_t cr3, uint32_t first_reg)
{
	*t = (struct tss32){ .cr3 = cr3, .eip = (uint32_t)(uintptr_t)entry, .eflags = EFLAGS_FIXED,
			     .cs = SEL_CODE, .ss = SEL_DATA, .ds = SEL_DATA, .es = SEL_DATA, .fs = SEL_DATA,
			     .gs = SEL_DATA, .iomap = sizeof(struct tss32) };
	for (unsigned int i = 0; i < 8; i++)
		t->regs[i] = first_reg + i;
	t->regs[4] = (uint32_t)(uintptr_t)(stack + 4096);
}

/* Called by each task's entry code, on the task's own stack. */
void observe(uint32_t *esp_at_entry);
void observe(uint32_t *esp_at_entry)
{
	uint16_t tr, cs, ss, ds;
	uint32_t eflags, cr3;

	asm volatile("str %0; mov %%cs, %1; mov %%ss, %2; mov %%ds, %3" : "=r"(tr), "=r"(cs), "=r"(ss), "=r"(ds));
	asm volatile("pushf; pop %0; mov %%cr3, %1" : "=r"(eflags), "=r"(cr3));
	obs.eflags = eflags;
	obs.cr0 = read_cr0();
	obs.cr3 = cr3;
	obs.tr = tr;
	obs.cs = cs;
	obs.ss = ss;
	obs.ds = ds;
	obs.link = tr == SEL_TSS_B ? tss_b.link : tss_c.link;
	obs.type_a = desc_type(SEL_TSS_A);
	obs.type_b = desc_type(SEL_TSS_B);
	obs.type_c = desc_type(SEL_TSS_C);
	obs.error_code = *esp_at_entry; /* meaningful for the fault tasks only */
	obs.window = *(volatile uint32_t *)(WINDOW_VA + (uint32_t)(uintptr_t)&marker);
	obs.a_eip = tss_a.eip;
	obs.seen = true;
	if (recover_eip)
		tss_a.eip = recover_eip; /* the faulting instruction is not run again */
}

void task_jmp_entry(void), task_call_entry(void), task_fault_entry(void);
void roundtrip_jmp(void), roundtrip_call(void), roundtrip_int(void), fault_gp(void);
extern const char rt_after_jmp[], rt_after_call[], rt_after_int[], task_b_after_jmp[], task_b_after_iret[];
extern const char gp_insn[], gp_recover[];

/*
 * The tasks' entry code: the registers as loaded from the TSS first, then observe(), then back.
 * The round trips load known values in every register but ESP, switch, and store what they hold
 * once the old task runs again (all reloaded from its TSS).
 */
asm(".text\n"
    ".macro SAVE_REGS\n\t"
    "mov %eax, obs+0; mov %ecx, obs+4; mov %edx, obs+8; mov %ebx, obs+12\n\t"
    "mov %esp, obs+16; mov %ebp, obs+20; mov %esi, obs+24; mov %edi, obs+28\n\t"
    "push %esp; call observe; add $4, %esp\n"
    ".endm\n"
    ".macro PATTERNS\n\t"
    "pushal\n\t"
    "mov $0xa0000001, %eax; mov $0xa0000002, %ecx; mov $0xa0000003, %edx; mov $0xa0000004, %ebx\n\t"
    "mov $0xa0000006, %ebp; mov $0xa0000007, %esi; mov $0xa0000008, %edi\n"
    ".endm\n"
    ".macro STORE_PATTERNS\n\t"
    "mov %eax, rt_regs+0; mov %ecx, rt_regs+4; mov %edx, rt_regs+8; mov %ebx, rt_regs+12\n\t"
    "mov %esp, rt_regs+16; mov %ebp, rt_regs+20; mov %esi, rt_regs+24; mov %edi, rt_regs+28\n\t"
    "popal; ret\n"
    ".endm\n"
    ".globl task_jmp_entry, task_call_entry, task_fault_entry, task_b_after_jmp, task_b_after_iret\n"
    "task_jmp_entry:\n\t"
    "SAVE_REGS\n\t"
    "ljmp $0x20, $0\n"
    "task_b_after_jmp:\n\t"
    "jmp task_jmp_entry\n"
    "task_call_entry:\n\t"
    "SAVE_REGS\n\t"
    "iret\n"
    "task_b_after_iret:\n\t"
    "jmp task_call_entry\n"
    "task_fault_entry:\n\t" /* the error code is on top of the stack */
    "SAVE_REGS\n\t"
    "add $4, %esp\n\t"
    "iret\n\t"
    "jmp task_fault_entry\n"
    ".globl roundtrip_jmp, roundtrip_call, roundtrip_int, rt_after_jmp, rt_after_call, rt_after_int\n"
    "roundtrip_jmp:\n\t"
    "PATTERNS\n\t"
    "ljmp $0x28, $0\n"
    "rt_after_jmp:\n\t"
    "STORE_PATTERNS\n"
    "roundtrip_call:\n\t"
    "PATTERNS\n\t"
    "lcall $0x28, $0\n"
    "rt_after_call:\n\t"
    "STORE_PATTERNS\n"
    "roundtrip_int:\n\t"
    "PATTERNS\n\t"
    "int $0x40\n"
    "rt_after_int:\n\t"
    "STORE_PATTERNS\n"
    /* A selector beyond the GDT's limit, from memory so every register keeps its pattern: #GP(0x1230). */
    ".globl fault_gp, gp_insn, gp_recover\n"
    "fault_gp:\n\t"
    "PATTERNS\n"
    "gp_insn:\n\t"
    "mov bad_selector, %es\n"
    "gp_recover:\n\t"
    "push $0x10; pop %es\n\t"
    "STORE_PATTERNS\n");

static const uint32_t patterns[8] = { 0xa0000001, 0xa0000002, 0xa0000003, 0xa0000004,
				      0 /* ESP: checked apart */, 0xa0000006, 0xa0000007, 0xa0000008 };

static uint32_t read_eflags(void)
{
	uint32_t f;

	asm volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static uint16_t read_tr(void)
{
	uint16_t tr;

	asm volatile("str %0" : "=r"(tr));
	return tr;
}

static void clts(void)
{
	asm volatile("clts");
}

static void set_task_gate(unsigned int vector, uint16_t sel, struct idt_gate *saved)
{
	if (saved)
		*saved = idt[vector];
	idt[vector] = (struct idt_gate){ .selector = sel, .type_attr = GATE_TASK };
}

/* What every switch back into A must show: A's own state again, with CR0.TS set. */
static void check_back_in_a(const char *how, const char *after_label)
{
	bool regs_ok = true;
	uint32_t cr0 = read_cr0();

	for (unsigned int i = 0; i < 8; i++)
		if (i != 4 && rt_regs[i] != patterns[i])
			regs_ok = false;
	ok(regs_ok, "%s: A's registers came back from its TSS (eax 0x%x, edi 0x%x)", how, rt_regs[0], rt_regs[7]);
	ok(tss_a.eip == (uint32_t)(uintptr_t)after_label, "%s: A's saved EIP is after the instruction (0x%x, want 0x%x)",
	   how, tss_a.eip, (uint32_t)(uintptr_t)after_label);
	ok(read_tr() == SEL_TSS_A && desc_type(SEL_TSS_A) == TSS_BUSY, "%s: TR is A's again (0x%x), A busy (type 0x%x)",
	   how, read_tr(), desc_type(SEL_TSS_A));
	ok(!(read_eflags() & EFLAGS_NT), "%s: EFLAGS.NT clear in A (0x%x)", how, read_eflags());
	ok(cr0 & CR0_TS, "%s: CR0.TS set by the switch (CR0 0x%x)", how, cr0);
	clts();
}

/* What a new task saw: its registers, segments and CR3 from its TSS, TR, NT, its back link. */
static void check_new_task(const char *how, uint16_t tr, uint32_t first_reg, bool nested, uint32_t cr3)
{
	bool regs_ok = true;

	ok(obs.seen, "%s: the new task ran", how);
	for (unsigned int i = 0; i < 8; i++)
		if (i != 4 && obs.regs[i] != first_reg + i)
			regs_ok = false;
	ok(regs_ok, "%s: the new task's registers come from its TSS (eax 0x%x, edi 0x%x)", how, obs.regs[0],
	   obs.regs[7]);
	ok(obs.tr == tr && obs.cs == SEL_CODE && obs.ss == SEL_DATA && obs.ds == SEL_DATA,
	   "%s: TR 0x%x, CS 0x%x, SS 0x%x, DS 0x%x in the new task", how, obs.tr, obs.cs, obs.ss, obs.ds);
	ok(!!(obs.eflags & EFLAGS_NT) == nested, "%s: EFLAGS.NT %s in the new task (0x%x)", how,
	   nested ? "set" : "clear", obs.eflags);
	if (nested)
		ok(obs.link == SEL_TSS_A, "%s: the back link is A (0x%x)", how, obs.link);
	ok(obs.cr0 & CR0_TS, "%s: CR0.TS set in the new task (0x%x)", how, obs.cr0);
	ok(obs.cr3 == cr3 && obs.window == marker, "%s: CR3 loaded (0x%x) and the old translations gone (0x%x)", how,
	   obs.cr3, obs.window);
}

static void test_jmp(void)
{
	init_task(&tss_b, task_jmp_entry, stack_b, cr3_task, 0xb0000000);
	obs.seen = false;
	roundtrip_jmp();
	check_new_task("JMP to a TSS", SEL_TSS_B, 0xb0000000, false, cr3_task);
	ok(obs.type_a == TSS_AVAIL && obs.type_b == TSS_BUSY, "JMP: in B, A is available (0x%x) and B busy (0x%x)",
	   obs.type_a, obs.type_b);
	check_back_in_a("JMP back", rt_after_jmp);
	ok(desc_type(SEL_TSS_B) == TSS_AVAIL, "JMP back: B is available again (0x%x)", desc_type(SEL_TSS_B));
	/* EBX: observe() keeps it (callee-saved), so it still holds the value B started with. */
	ok(tss_b.eip == (uint32_t)(uintptr_t)task_b_after_jmp && tss_b.regs[3] == 0xb0000003,
	   "JMP back: B's state saved in its TSS (EIP 0x%x, EBX 0x%x)", tss_b.eip, tss_b.regs[3]);
}

static void test_call(void)
{
	init_task(&tss_b, task_call_entry, stack_b, cr3_task, 0xb1000000);
	tss_b.link = 0xffff; /* written by the switch */
	obs.seen = false;
	roundtrip_call();
	check_new_task("CALL to a TSS", SEL_TSS_B, 0xb1000000, true, cr3_task);
	ok(obs.type_a == TSS_BUSY && obs.type_b == TSS_BUSY, "CALL: in B, A (0x%x) and B (0x%x) are busy", obs.type_a,
	   obs.type_b);
	check_back_in_a("IRET from a called task", rt_after_call);
	ok(desc_type(SEL_TSS_B) == TSS_AVAIL, "IRET: B is available again (0x%x)", desc_type(SEL_TSS_B));
	ok(tss_b.eip == (uint32_t)(uintptr_t)task_b_after_iret && !(tss_b.eflags & EFLAGS_NT),
	   "IRET: B's EIP saved after the IRET (0x%x), NT clear in its saved EFLAGS (0x%x)", tss_b.eip, tss_b.eflags);
}

static void test_int_gate(void)
{
	struct idt_gate saved;

	init_task(&tss_c, task_call_entry, stack_c, cr3_task, 0xc0000000);
	set_task_gate(VEC_SOFT, SEL_TSS_C, &saved);
	obs.seen = false;
	roundtrip_int();
	idt[VEC_SOFT] = saved;
	check_new_task("INT n through a task gate", SEL_TSS_C, 0xc0000000, true, cr3_task);
	ok(obs.type_a == TSS_BUSY && obs.type_c == TSS_BUSY, "INT n: in C, A (0x%x) and C (0x%x) are busy", obs.type_a,
	   obs.type_c);
	check_back_in_a("IRET from the gate's task", rt_after_int);
	ok(desc_type(SEL_TSS_C) == TSS_AVAIL, "IRET: C is available again (0x%x)", desc_type(SEL_TSS_C));
}

/*
 * An exception through a task gate: its error code on the new task's stack, the faulting EIP in
 * the old task's TSS. `df`: the #GP's own gate is not present, so the #GP becomes #DF (error 0).
 */
static void test_fault_gate(bool df)
{
	const char *how = df ? "#DF through a task gate" : "#GP through a task gate";
	struct idt_gate saved_gp, saved_df;
	uint32_t want = df ? 0 : 0x1230;

	init_task(&tss_c, task_fault_entry, stack_c, cr3_task, 0xc1000000);
	saved_gp = idt[X86_GP];
	saved_df = idt[X86_DF];
	if (df) {
		idt[X86_GP].type_attr &= (uint8_t)~0x80;
		set_task_gate(X86_DF, SEL_TSS_C, NULL);
	} else {
		set_task_gate(X86_GP, SEL_TSS_C, NULL);
	}
	recover_eip = (uint32_t)(uintptr_t)gp_recover;
	obs.seen = false;
	fault_gp();
	recover_eip = 0;
	idt[X86_GP] = saved_gp;
	idt[X86_DF] = saved_df;
	check_new_task(how, SEL_TSS_C, 0xc1000000, true, cr3_task);
	ok(obs.error_code == want, "%s: error code 0x%x on the new task's stack (0x%x)", how, want, obs.error_code);
	ok(obs.regs[4] == (uint32_t)(uintptr_t)(stack_c + 4096) - 4, "%s: ESP 4 below the TSS's (0x%x)", how,
	   obs.regs[4]);
	if (!df) /* a #DF's saved EIP is undefined (SDM vol. 3A, 6.15) */
		ok(obs.a_eip == (uint32_t)(uintptr_t)gp_insn, "%s: A's saved EIP is the faulting instruction (0x%x)",
		   how, obs.a_eip);
	check_back_in_a(how, gp_recover);
	ok(desc_type(SEL_TSS_C) == TSS_AVAIL, "%s: C is available after its IRET (0x%x)", how, desc_type(SEL_TSS_C));
}

/* CALL/JMP to `sel`: the vector raised (NO_FAULT if none), with last_trap's error code. */
static int far_transfer(uint16_t sel, bool call)
{
	static volatile struct {
		uint32_t offset;
		uint16_t sel;
	} __packed target;

	target.offset = 0;
	target.sel = sel;
	trap_arm();
	if (call)
		asm volatile goto("1: lcall *%0\n\t" ASM_TRY("1b", "%l[fault]") : : "m"(target) : "memory" : fault);
	else
		asm volatile goto("1: ljmp *%0\n\t" ASM_TRY("1b", "%l[fault]") : : "m"(target) : "memory" : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

/* IRET with NT set: a switch to the back link, which here names an available TSS. */
static int iret_nested(void)
{
	int v = NO_FAULT;

	trap_arm();
	asm volatile goto("pushf\n\t"
			  "orl $0x4000, (%%esp)\n\t"
			  "popf\n"
			  "1: iret\n\t" ASM_TRY("1b", "%l[fault]")
			  : : : "memory", "cc" : fault);
	goto out;
fault:
	v = last_trap.vector;
out:
	asm volatile("pushf; andl $~0x4000, (%%esp); popf" : : : "memory", "cc");
	return v;
}

static void expect_fault(const char *what, int v, int vector, uint32_t code)
{
	ok(v == vector && last_trap.error_code == code, "%s raises vector %d error code 0x%x (vector %d, 0x%x)", what,
	   vector, code, v, v == NO_FAULT ? 0 : last_trap.error_code);
	ok(read_tr() == SEL_TSS_A && desc_type(SEL_TSS_A) == TSS_BUSY && desc_type(SEL_TSS_B) == TSS_AVAIL,
	   "%s: nothing switched (TR 0x%x, A 0x%x, B 0x%x)", what, read_tr(), desc_type(SEL_TSS_A),
	   desc_type(SEL_TSS_B));
}

static void test_faulting_switches(void)
{
	init_task(&tss_b, task_jmp_entry, stack_b, cr3_task, 0xb2000000);
	expect_fault("CALL to the busy current TSS", far_transfer(SEL_TSS_A, true), X86_GP, SEL_TSS_A);
	expect_fault("JMP to the busy current TSS", far_transfer(SEL_TSS_A, false), X86_GP, SEL_TSS_A);
	expect_fault("CALL to a TSS with limit 0x20", far_transfer(SEL_TSS_SHORT, true), 10 /* #TS */, SEL_TSS_SHORT);
	expect_fault("CALL to a not-present TSS", far_transfer(SEL_TSS_ABSENT, true), X86_NP, SEL_TSS_ABSENT);
	tss_a.link = SEL_TSS_B;
	expect_fault("IRET with NT to an available TSS", iret_nested(), 10 /* #TS */, SEL_TSS_B);
	ok(!(read_eflags() & EFLAGS_NT), "NT cleared again after the refused IRET");
}

/*
 * Everything mapped 1:1 but WINDOW_VA: A maps it at 4 MiB and reads it (a translation in the
 * TLB); the tasks map it at 0. 32-bit paging with 4 MiB pages, or PAE with 2 MiB pages.
 */
static void setup_paging(bool pae)
{
	if (pae) {
		for (uint32_t d = 0; d < 4; d++) {
			for (uint32_t i = 0; i < 512; i++)
				pae_pd_a[d][i] = pae_pd_task[d][i] = ((uint64_t)(d * 512 + i) << 21) | PDE_PS | PDE_RW | PDE_P;
			pdpt_a[d] = (uint32_t)(uintptr_t)pae_pd_a[d] | PDE_P;
			pdpt_task[d] = (uint32_t)(uintptr_t)pae_pd_task[d] | PDE_P;
		}
		pae_pd_a[WINDOW_VA >> 30][0] = (1u << 22) | PDE_PS | PDE_RW | PDE_P;
		pae_pd_task[WINDOW_VA >> 30][0] = PDE_PS | PDE_RW | PDE_P;
		cr3_a = (uint32_t)(uintptr_t)pdpt_a;
		cr3_task = (uint32_t)(uintptr_t)pdpt_task;
		write_cr4(read_cr4() | CR4_PAE);
	} else {
		for (uint32_t i = 0; i < 1024; i++)
			pd_a[i] = pd_task[i] = (i << 22) | PDE_PS | PDE_RW | PDE_P;
		pd_a[WINDOW_VA >> 22] = (1u << 22) | PDE_PS | PDE_RW | PDE_P;
		pd_task[WINDOW_VA >> 22] = PDE_PS | PDE_RW | PDE_P;
		cr3_a = (uint32_t)(uintptr_t)pd_a;
		cr3_task = (uint32_t)(uintptr_t)pd_task;
		write_cr4(read_cr4() | CR4_PSE);
	}
	write_cr3(cr3_a);
	write_cr0(read_cr0() | CR0_PG);
	(void)*(volatile uint32_t *)(WINDOW_VA + (uint32_t)(uintptr_t)&marker);
}

static void setup_tasks(void)
{
	struct { uint16_t limit; uint32_t base; } __packed gdtr, idtr;

	asm volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	for (unsigned int i = 0; i * 8 < (unsigned int)gdtr.limit + 1 && i < 4; i++)
		gdt[i] = ((const uint64_t *)(uintptr_t)gdtr.base)[i];
	gdt[SEL_TSS_A >> 3] = tss_desc(&tss_a, sizeof(struct tss32) - 1, TSS_AVAIL, true);
	gdt[SEL_TSS_B >> 3] = tss_desc(&tss_b, sizeof(struct tss32) - 1, TSS_AVAIL, true);
	gdt[SEL_TSS_C >> 3] = tss_desc(&tss_c, sizeof(struct tss32) - 1, TSS_AVAIL, true);
	gdt[SEL_TSS_SHORT >> 3] = tss_desc(&tss_b, 0x20, TSS_AVAIL, true);
	gdt[SEL_TSS_ABSENT >> 3] = tss_desc(&tss_b, sizeof(struct tss32) - 1, TSS_AVAIL, false);
	gdtr.limit = sizeof(gdt) - 1;
	gdtr.base = (uint32_t)(uintptr_t)gdt;
	asm volatile("lgdt %0" : : "m"(gdtr) : "memory");
	idt = (struct idt_gate *)(uintptr_t)idtr.base;
	/* A's TSS: what a switch back loads besides what it saved (CR3, LDT). */
	tss_a = (struct tss32){ .cr3 = cr3_a, .iomap = sizeof(struct tss32) };
	asm volatile("ltr %w0" : : "r"(SEL_TSS_A) : "memory");
}

void guest_main(void)
{
	bool pae = mb_has_word("pae");

	setup_paging(pae);
	setup_tasks();
	printf("paging: %s\n", pae ? "PAE, 2 MiB pages" : "32-bit, 4 MiB pages");
	ok(read_tr() == SEL_TSS_A && desc_type(SEL_TSS_A) == TSS_BUSY, "LTR: TR 0x%x, A busy (0x%x)", read_tr(),
	   desc_type(SEL_TSS_A));
	test_jmp();
	test_call();
	test_int_gate();
	test_fault_gate(false);
	test_fault_gate(true);
	test_faulting_switches();
	/* The same JMP again: state left by the faults and refusals is clean. */
	test_jmp();
	ok(hypervisor_intact(), "the hypervisor answers and its code is unchanged");
	hypercall(HC_EXIT_STATS, 0, 0, 0, NULL); /* the boot case reads the task-switch exits from the log */
}
