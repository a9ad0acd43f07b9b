/*
 * Host unit tests for vmm/task_switch.c: the descriptor checks of table 8-1 and whole switches
 * through a fake backend over 1 MiB of guest RAM (paging off): what is saved where in the old
 * TSS, what is loaded from the new one, busy bits, back link, NT, CR0.TS, and which fault a bad
 * switch raises in which task.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/string.c"
#include "../../vmm/guest_walk.c"
#include "../../vmm/task_switch.c"

#define RAM_SIZE 0x100000
static uint8_t ram[RAM_SIZE];

/* The fake vCPU's state beyond struct vcpu. */
static struct vcpu_segment segs[VCPU_SEG_NR];
static uint64_t cr0, cr3, cr4, dr6;
static int flushes, injected, stopped;
static struct vcpu_event queued, raised;
static bool queued_valid;

const void *vcpu_guest_ram(uint64_t gpa, uint64_t len, void *ctx)
{
	(void)ctx;
	return gpa < RAM_SIZE && len <= RAM_SIZE - gpa ? &ram[gpa] : NULL;
}

void vcpu_guest_paging(struct vcpu *v, struct guest_paging *g)
{
	(void)v;
	*g = (struct guest_paging){ .cr0 = cr0, .cr3 = cr3, .cr4 = cr4 };
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error_code, uint32_t error_code)
{
	(void)v;
	injected++;
	raised = (struct vcpu_event){ .type = EVENT_EXCEPTION, .vector = vector, .has_error_code = has_error_code,
				      .error_code = error_code };
}

void vcpu_single_step_trap(struct vcpu *v)
{
	(void)v;
	fail();
}

void vcpu_dump(struct vcpu *v)
{
	(void)v;
	stopped++;
}

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static uint64_t fake_read_reg(struct vcpu *v, enum vcpu_reg reg)
{
	switch (reg) {
	case VCPU_RIP: return v->rip;
	case VCPU_RFLAGS: return v->rflags;
	case VCPU_CR0: return cr0;
	case VCPU_CR3: return cr3;
	case VCPU_CR4: return cr4;
	case VCPU_DR6: return dr6;
	case VCPU_CPL: return (segs[VCPU_SEG_SS].attr >> SEG_ATTR_DPL_SHIFT) & 3;
	default: fail(); return 0;
	}
}

static void fake_write_reg(struct vcpu *v, enum vcpu_reg reg, uint64_t value)
{
	switch (reg) {
	case VCPU_RFLAGS: v->rflags = value; break;
	case VCPU_CR0: cr0 = value; break;
	case VCPU_CR2: break;
	case VCPU_CR3: cr3 = value; break;
	case VCPU_DR6: dr6 = value; break;
	default: fail();
	}
}

static void fake_read_segment(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *s)
{
	(void)v;
	*s = segs[seg];
}

static void fake_write_segment(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *s)
{
	(void)v;
	segs[seg] = *s;
}

static void fake_inject_event(struct vcpu *v, const struct vcpu_event *e)
{
	(void)v;
	queued = *e;
	queued_valid = true;
}

static void fake_flush(struct vcpu *v)
{
	(void)v;
	flushes++;
}

static const struct vcpu_ops fake_ops = {
	.read_reg = fake_read_reg, .write_reg = fake_write_reg, .read_segment = fake_read_segment,
	.write_segment = fake_write_segment, .inject_event = fake_inject_event, .flush_nested_tlb = fake_flush,
};
const struct vcpu_ops *vcpu_ops = &fake_ops;

/* The guest: a GDT, two 32-bit TSSs (A current, B to switch to), an LDT. */
#define GDT_BASE 0x1000
#define TSS_A 0x2000
#define TSS_B 0x2100
#define LDT_BASE 0x3000
#define IDT_BASE 0x4000
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_A 0x20
#define SEL_B 0x28
#define SEL_LDT 0x30
#define SEL_TSS16 0x38
#define SEL_SHORT 0x40
#define SEL_DATA3 0x48 /* DPL 3 */
#define SEL_ABSENT 0x50
#define GDT_LIMIT 0x57

#define CODE32 0x00cf9a000000ffffULL /* execute/read, not accessed */
#define DATA32 0x00cf92000000ffffULL
#define DATA32_DPL3 0x00cff2000000ffffULL

static uint64_t sys_desc(uint32_t base, uint32_t limit, unsigned int type, bool present)
{
	return (limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)present << 47) | ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t *gdt(uint16_t sel)
{
	return (uint64_t *)&ram[GDT_BASE + (sel & ~7U)];
}

static uint32_t *tss(uint32_t base, unsigned int offset)
{
	return (uint32_t *)&ram[base + offset];
}

static unsigned int type_of(uint16_t sel)
{
	return (unsigned int)(*gdt(sel) >> 40) & 0xF;
}

static struct vcpu v;

/* A is the running task (TR, busy); B is available with its registers 0xb0..., EIP 0x5000. */
static int setup(void **state __unused)
{
	memset(ram, 0, sizeof(ram));
	memset(segs, 0, sizeof(segs));
	memset(&v, 0, sizeof(v));
	cr0 = CR0_PE | CR0_ET;
	cr3 = cr4 = dr6 = 0;
	flushes = injected = stopped = 0;
	queued_valid = false;
	*gdt(SEL_CODE) = CODE32;
	*gdt(SEL_DATA) = DATA32;
	*gdt(SEL_A) = sys_desc(TSS_A, 0x67, DESC_TYPE_TSS32_BUSY, true);
	*gdt(SEL_B) = sys_desc(TSS_B, 0x67, DESC_TYPE_TSS32_AVAIL, true);
	*gdt(SEL_LDT) = sys_desc(LDT_BASE, 0x17, DESC_TYPE_LDT, true);
	*gdt(SEL_TSS16) = sys_desc(TSS_B, 0x2B, DESC_TYPE_TSS16_AVAIL, true);
	*gdt(SEL_SHORT) = sys_desc(TSS_B, 0x66, DESC_TYPE_TSS32_AVAIL, true);
	*gdt(SEL_DATA3) = DATA32_DPL3;
	*gdt(SEL_ABSENT) = sys_desc(TSS_B, 0x67, DESC_TYPE_TSS32_AVAIL, false);
	segs[VCPU_SEG_GDTR] = (struct vcpu_segment){ .base = GDT_BASE, .limit = GDT_LIMIT };
	segs[VCPU_SEG_IDTR] = (struct vcpu_segment){ .base = IDT_BASE, .limit = 0x7FF };
	segs[VCPU_SEG_LDTR] = (struct vcpu_segment){ .unusable = true };
	segs[VCPU_SEG_TR] = (struct vcpu_segment){ .base = TSS_A, .limit = 0x67, .selector = SEL_A,
						   .attr = SEG_ATTR_P | DESC_TYPE_TSS32_BUSY };
	for (enum vcpu_seg s = VCPU_SEG_ES; s <= VCPU_SEG_GS; s++)
		segs[s] = (struct vcpu_segment){ .limit = 0xFFFFFFFF, .selector = s == VCPU_SEG_CS ? SEL_CODE : SEL_DATA,
						 .attr = s == VCPU_SEG_CS ? 0xC9B : 0xC93 };
	v.rip = 0x1234;
	v.rflags = 0x246;
	for (unsigned int i = 0; i < 8; i++)
		v.regs.gpr[i] = 0xa0 + i;
	*tss(TSS_B, TSS32_CR3) = 0x7000;
	*tss(TSS_B, TSS32_EIP) = 0x5000;
	*tss(TSS_B, TSS32_EFLAGS) = 0x2;
	for (unsigned int i = 0; i < 8; i++)
		*tss(TSS_B, TSS32_EAX + 4 * i) = 0xb0 + i;
	*tss(TSS_B, TSS32_EAX + 16) = 0x9000; /* ESP */
	for (unsigned int i = 0; i < 6; i++)
		*tss(TSS_B, TSS32_ES + 4 * i) = i == 1 ? SEL_CODE : SEL_DATA;
	return 0;
}

static void exit_for(enum task_switch_source source, uint16_t sel, uint32_t insn_len)
{
	v.exit = (struct vm_exit){ .reason = EXIT_TASK_SWITCH, .insn_len = insn_len };
	v.exit.task_switch.selector = sel;
	v.exit.task_switch.source = (uint8_t)source;
}

static void exit_for_gate(uint16_t sel, enum event_type type, uint8_t vector, bool has_error, uint32_t code)
{
	exit_for(TASK_SWITCH_GATE, sel, type == EVENT_SOFTWARE ? 2 : 0);
	v.exit.task_switch.vector = vector;
	v.exit.task_switch.event_type = (uint8_t)type;
	v.exit.task_switch.has_error_code = has_error;
	v.exit.task_switch.error_code = code;
	v.exit.task_switch.soft_int = type == EVENT_SOFTWARE;
}

static void expect_raised(uint8_t vector, uint32_t code)
{
	assert_int_equal(injected, 1);
	assert_int_equal(raised.vector, vector);
	assert_true(raised.has_error_code);
	assert_int_equal(raised.error_code, code);
}

/* Nothing of the old task changed: the fault belongs to it. */
static void expect_untouched(void)
{
	assert_int_equal(segs[VCPU_SEG_TR].selector, SEL_A);
	assert_int_equal(type_of(SEL_A), DESC_TYPE_TSS32_BUSY);
	assert_int_equal(*tss(TSS_A, TSS32_EIP), 0);
	assert_int_equal(v.rip, 0x1234);
	assert_false(cr0 & CR0_TS);
}

static void test_descriptor_fields(void **state __unused)
{
	assert_int_equal(desc_base(CODE32), 0);
	assert_int_equal(desc_limit(CODE32), 0xFFFFFFFF);
	assert_int_equal(desc_attr(CODE32), 0xC9A);
	assert_int_equal(desc_base(sys_desc(0x12345678, 0x67, 9, true)), 0x12345678);
	assert_int_equal(desc_limit(sys_desc(0x12345678, 0xABCDE, 9, true)), 0xABCDE);
	assert_int_equal(desc_attr(sys_desc(0, 0x67, 9, true)), 0x89);
}

static void test_check_tss(void **state __unused)
{
	uint64_t avail = sys_desc(0, 0x67, DESC_TYPE_TSS32_AVAIL, true), busy = sys_desc(0, 0x67, DESC_TYPE_TSS32_BUSY, true);
	struct task_fault f;

	assert_int_equal(task_switch_check_tss(avail, 0x28, TASK_SWITCH_CALL, 0, &f), 0);
	assert_int_equal(task_switch_check_tss(avail, 0x28, TASK_SWITCH_JMP, 0, &f), 0);
	assert_int_equal(task_switch_check_tss(busy, 0x28, TASK_SWITCH_IRET, 0, &f), 0);
	/* The busy rules: #GP for CALL, JMP and gates, #TS for IRET; the EXT bit with an external event. */
	assert_int_equal(task_switch_check_tss(busy, 0x2B, TASK_SWITCH_CALL, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_GP && f.error_code == 0x28);
	assert_int_equal(task_switch_check_tss(busy, 0x28, TASK_SWITCH_GATE, SEL_ERROR_EXT, &f), -E_FAULT);
	assert_true(f.vector == EXC_GP && f.error_code == 0x29);
	assert_int_equal(task_switch_check_tss(avail, 0x28, TASK_SWITCH_IRET, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_TS && f.error_code == 0x28);
	/* Not present: #NP; too short: #TS; in the LDT or not a TSS: as a wrong descriptor. */
	assert_int_equal(task_switch_check_tss(sys_desc(0, 0x67, 9, false), 0x28, TASK_SWITCH_JMP, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_NP && f.error_code == 0x28);
	assert_int_equal(task_switch_check_tss(sys_desc(0, 0x66, 9, true), 0x28, TASK_SWITCH_JMP, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_TS && f.error_code == 0x28);
	assert_int_equal(task_switch_check_tss(avail, 0x2C, TASK_SWITCH_JMP, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_GP && f.error_code == 0x2C);
	assert_int_equal(task_switch_check_tss(sys_desc(0, 0x67, DESC_TYPE_LDT, true), 0x28, TASK_SWITCH_IRET, 0, &f),
			 -E_FAULT);
	assert_true(f.vector == EXC_TS);
	assert_int_equal(task_switch_check_tss(CODE32, 0x28, TASK_SWITCH_CALL, 0, &f), -E_FAULT);
	assert_true(f.vector == EXC_GP);
	/* A 16-bit TSS passes the checks but is not emulated. */
	assert_int_equal(task_switch_check_tss(sys_desc(0, 0x2B, DESC_TYPE_TSS16_AVAIL, true), 0x28, TASK_SWITCH_CALL, 0,
					       &f), -E_NOSUPP);
}

static void expect_segment(enum vcpu_seg seg, uint16_t sel, uint64_t desc, unsigned int cpl, int vector)
{
	struct task_fault f = { 0 };
	int rc = task_switch_check_segment(seg, sel, desc ? &desc : NULL, cpl, 0, &f);

	if (vector < 0) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, -E_FAULT);
	assert_int_equal(f.vector, vector);
	assert_int_equal(f.error_code, sel & ~3U);
}

static void test_check_segment(void **state __unused)
{
	uint64_t conforming = CODE32 | (4ULL << 40), exec_only = CODE32 & ~(2ULL << 40);
	uint64_t code3 = CODE32 | (3ULL << 45), not_present = DATA32 & ~(1ULL << 47), read_only = DATA32 & ~(2ULL << 40);

	expect_segment(VCPU_SEG_CS, 0x08, CODE32, 0, -1);
	expect_segment(VCPU_SEG_CS, 0x0B, code3, 3, -1);
	expect_segment(VCPU_SEG_CS, 0x0B, CODE32, 3, EXC_TS);         /* non-conforming: DPL must be RPL */
	expect_segment(VCPU_SEG_CS, 0x0B, conforming, 3, -1);         /* conforming: DPL <= RPL */
	expect_segment(VCPU_SEG_CS, 0x10, DATA32, 0, EXC_TS);
	expect_segment(VCPU_SEG_CS, 0, 0, 0, EXC_TS);
	expect_segment(VCPU_SEG_CS, 0x08, CODE32 & ~(1ULL << 47), 0, EXC_NP);
	expect_segment(VCPU_SEG_SS, 0x10, DATA32, 0, -1);
	expect_segment(VCPU_SEG_SS, 0, 0, 0, EXC_TS);
	expect_segment(VCPU_SEG_SS, 0x13, DATA32, 0, EXC_TS);         /* RPL != CPL */
	expect_segment(VCPU_SEG_SS, 0x10, DATA32_DPL3, 0, EXC_TS);    /* DPL != CPL */
	expect_segment(VCPU_SEG_SS, 0x10, read_only, 0, EXC_TS);
	expect_segment(VCPU_SEG_SS, 0x10, not_present, 0, EXC_SS);
	expect_segment(VCPU_SEG_DS, 0, 0, 3, -1);                     /* null: unusable */
	expect_segment(VCPU_SEG_DS, 0x13, DATA32_DPL3, 3, -1);
	expect_segment(VCPU_SEG_DS, 0x13, DATA32, 3, EXC_TS);         /* DPL 0 from CPL 3 */
	expect_segment(VCPU_SEG_ES, 0x10, DATA32, 0, -1);
	expect_segment(VCPU_SEG_ES, 0x08, exec_only, 0, EXC_TS);
	expect_segment(VCPU_SEG_FS, 0x0B, conforming, 3, -1);         /* readable conforming code: no DPL rule */
	expect_segment(VCPU_SEG_GS, 0x10, not_present, 0, EXC_NP);
	expect_segment(VCPU_SEG_LDTR, 0, 0, 0, -1);
	expect_segment(VCPU_SEG_LDTR, 0x30, sys_desc(0, 0x17, DESC_TYPE_LDT, true), 0, -1);
	expect_segment(VCPU_SEG_LDTR, 0x30, DATA32, 0, EXC_TS);
	expect_segment(VCPU_SEG_LDTR, 0x30, sys_desc(0, 0x17, DESC_TYPE_LDT, false), 0, EXC_TS);
}

/* JMP: old state saved after the instruction, A available, B busy and loaded, no NT, CR0.TS. */
static void test_jmp(void **state __unused)
{
	/* Paging with 4 MiB pages: both page directories map the first 4 MiB 1:1. */
	*(uint32_t *)&ram[0x6000] = *(uint32_t *)&ram[0x7000] = 0x83; /* P, RW, PS */
	cr0 |= CR0_PG;
	cr4 = CR4_PSE;
	cr3 = 0x6000;
	*tss(TSS_B, TSS32_LDT) = SEL_LDT;
	exit_for(TASK_SWITCH_JMP, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 0);
	/* The old task's TSS. */
	assert_int_equal(*tss(TSS_A, TSS32_EIP), 0x1234 + 7);
	assert_int_equal(*tss(TSS_A, TSS32_EFLAGS), 0x246);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(*tss(TSS_A, TSS32_EAX + 4 * i), 0xa0 + i);
	assert_int_equal(*tss(TSS_A, TSS32_CS), SEL_CODE);
	assert_int_equal(*tss(TSS_A, TSS32_GS), SEL_DATA);
	assert_int_equal(*tss(TSS_A, TSS32_CR3), 0); /* CR3 and the LDT selector are never saved */
	assert_int_equal(type_of(SEL_A), DESC_TYPE_TSS32_AVAIL);
	assert_int_equal(type_of(SEL_B), DESC_TYPE_TSS32_BUSY);
	assert_int_equal(*(uint16_t *)tss(TSS_B, TSS32_LINK), 0); /* no back link for JMP */
	/* The new task. */
	assert_int_equal(segs[VCPU_SEG_TR].selector, SEL_B);
	assert_int_equal(segs[VCPU_SEG_TR].base, TSS_B);
	assert_int_equal(segs[VCPU_SEG_TR].attr & 0xF, DESC_TYPE_TSS32_BUSY);
	assert_int_equal(v.rip, 0x5000);
	assert_int_equal(v.rflags, 0x2);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(v.regs.gpr[i], i == 4 ? 0x9000 : 0xb0 + i);
	assert_true(cr0 & CR0_TS);
	assert_int_equal(cr3, 0x7000);
	assert_int_equal(flushes, 1);
	assert_int_equal(segs[VCPU_SEG_LDTR].selector, SEL_LDT);
	assert_int_equal(segs[VCPU_SEG_LDTR].base, LDT_BASE);
	assert_false(segs[VCPU_SEG_LDTR].unusable);
	assert_int_equal(segs[VCPU_SEG_CS].attr, 0xC9B); /* accessed, in the register and in the GDT */
	assert_int_equal(segs[VCPU_SEG_SS].limit, 0xFFFFFFFF);
	assert_true(*gdt(SEL_CODE) & (1ULL << 40));
	assert_true(v.dirty & VCPU_DIRTY_RIP);
}

/* CALL then IRET: the back link and NT; IRET frees B, clears NT in B's saved image, keeps A busy. */
static void test_call_then_iret(void **state __unused)
{
	exit_for(TASK_SWITCH_CALL, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 0);
	assert_int_equal(*(uint16_t *)tss(TSS_B, TSS32_LINK), SEL_A);
	assert_true(v.rflags & RFLAGS_NT);
	assert_int_equal(type_of(SEL_A), DESC_TYPE_TSS32_BUSY);
	assert_int_equal(type_of(SEL_B), DESC_TYPE_TSS32_BUSY);
	assert_int_equal(cr3, 0); /* paging off: CR3 is not loaded */

	v.rip = 0x5010;
	exit_for(TASK_SWITCH_IRET, SEL_A, 1);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 0);
	assert_int_equal(type_of(SEL_B), DESC_TYPE_TSS32_AVAIL);
	assert_int_equal(type_of(SEL_A), DESC_TYPE_TSS32_BUSY);
	assert_false(*tss(TSS_B, TSS32_EFLAGS) & RFLAGS_NT);
	assert_int_equal(*tss(TSS_B, TSS32_EIP), 0x5011);
	assert_int_equal(v.rip, 0x1234 + 7);
	assert_int_equal(v.rflags, 0x246);
	assert_int_equal(segs[VCPU_SEG_TR].selector, SEL_A);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(v.regs.gpr[i], 0xa0 + i);
}

/* An exception through a gate: the faulting EIP saved, the error code pushed on the new stack. */
static void test_gate_error_code(void **state __unused)
{
	exit_for_gate(SEL_B, EVENT_EXCEPTION, EXC_GP, true, 0x1230);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 0);
	assert_int_equal(*tss(TSS_A, TSS32_EIP), 0x1234);
	assert_int_equal(v.regs.rsp, 0x9000 - 4);
	assert_int_equal(*(uint32_t *)&ram[0x9000 - 4], 0x1230);
	assert_true(v.rflags & RFLAGS_NT);
	assert_int_equal(*(uint16_t *)tss(TSS_B, TSS32_LINK), SEL_A);
	assert_int_equal(type_of(SEL_A), DESC_TYPE_TSS32_BUSY);
	assert_false(queued_valid);
}

/* INT n: the old EIP after the instruction; the gate's DPL is checked against the CPL. */
static void test_soft_int_gate(void **state __unused)
{
	uint64_t *gate = (uint64_t *)&ram[IDT_BASE + 0x40 * 8];

	*gate = ((uint64_t)SEL_B << 16) | (0x85ULL << 40);
	exit_for_gate(SEL_B, EVENT_SOFTWARE, 0x40, false, 0);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 0);
	assert_int_equal(*tss(TSS_A, TSS32_EIP), 0x1234 + 2);

	setup(NULL);
	*gate = ((uint64_t)SEL_B << 16) | (0x85ULL << 40);
	segs[VCPU_SEG_SS].attr |= 3 << SEG_ATTR_DPL_SHIFT; /* CPL 3 */
	exit_for_gate(SEL_B, EVENT_SOFTWARE, 0x40, false, 0);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_GP, 0x40 * 8 + 2);
	expect_untouched();
	assert_false(queued_valid); /* a software interrupt is not delivered again */
}

static void test_refused_switches(void **state __unused)
{
	/* CALL to the busy current task. */
	exit_for(TASK_SWITCH_CALL, SEL_A, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_GP, SEL_A);
	expect_untouched();
	/* Too short, not present, outside the GDT, in the LDT. */
	static const struct { uint16_t sel; uint8_t vector; } cases[] = {
		{ SEL_SHORT, EXC_TS }, { SEL_ABSENT, EXC_NP }, { 0x1230, EXC_GP }, { 0x2C, EXC_GP },
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(NULL);
		exit_for(TASK_SWITCH_JMP, cases[i].sel, 5);
		assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
		expect_raised(cases[i].vector, cases[i].sel & ~3U);
		expect_untouched();
		assert_int_equal(type_of(SEL_B), DESC_TYPE_TSS32_AVAIL);
	}
	/* IRET to a task that is not busy. */
	setup(NULL);
	exit_for(TASK_SWITCH_IRET, SEL_B, 1);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_TS, SEL_B);
	expect_untouched();
}

/* A hardware event whose gate leads to a busy TSS: the event is queued again, then #GP with EXT. */
static void test_gate_fault_requeues_event(void **state __unused)
{
	exit_for_gate(SEL_A, EVENT_EXCEPTION, EXC_NP, true, 0x6B);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_true(queued_valid);
	assert_int_equal(queued.vector, EXC_NP);
	assert_int_equal(queued.error_code, 0x6B);
	expect_raised(EXC_GP, SEL_A | SEL_ERROR_EXT);
	expect_untouched();
}

/* A bad segment in the new TSS faults after the commit: in the new task, TR already switched. */
static void test_fault_in_new_task(void **state __unused)
{
	*tss(TSS_B, TSS32_SS) = SEL_DATA3; /* DPL 3 stack for CPL 0 */
	exit_for(TASK_SWITCH_JMP, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_TS, SEL_DATA3);
	assert_int_equal(segs[VCPU_SEG_TR].selector, SEL_B);
	assert_int_equal(type_of(SEL_B), DESC_TYPE_TSS32_BUSY);
	assert_int_equal(v.rip, 0x5000);
	assert_int_equal(segs[VCPU_SEG_CS].selector, SEL_CODE);
	assert_int_equal(segs[VCPU_SEG_SS].selector, SEL_DATA); /* not loaded: the old task's */
}

/* Guest tables outside guest RAM: #GP(0), nothing read from or written to elsewhere. */
static void test_tables_outside_ram(void **state __unused)
{
	segs[VCPU_SEG_GDTR].base = RAM_SIZE - 8;
	exit_for(TASK_SWITCH_JMP, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_GP, 0);
	assert_int_equal(segs[VCPU_SEG_TR].selector, SEL_A);

	setup(NULL);
	*gdt(SEL_B) = sys_desc(RAM_SIZE - 0x20, 0x67, DESC_TYPE_TSS32_AVAIL, true); /* TSS runs off the end */
	exit_for(TASK_SWITCH_JMP, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	expect_raised(EXC_GP, 0);
	expect_untouched();
}

static void test_not_emulated(void **state __unused)
{
	exit_for(TASK_SWITCH_CALL, SEL_TSS16, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_STOP);
	assert_int_equal(stopped, 1);
	setup(NULL);
	*tss(TSS_B, TSS32_EFLAGS) |= RFLAGS_VM;
	exit_for(TASK_SWITCH_CALL, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_STOP);
	expect_untouched();
}

/* The T flag in the new TSS: #DB with DR6.BT once the switch is done. */
static void test_trap_flag(void **state __unused)
{
	*tss(TSS_B, TSS32_TRAP) = 1;
	exit_for(TASK_SWITCH_JMP, SEL_B, 7);
	assert_int_equal(handle_task_switch(&v), EXIT_RESUME);
	assert_int_equal(injected, 1);
	assert_int_equal(raised.vector, EXC_DB);
	assert_true(dr6 & DR6_BT);
	assert_int_equal(v.rip, 0x5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor_fields),
		cmocka_unit_test(test_check_tss),
		cmocka_unit_test(test_check_segment),
		cmocka_unit_test_setup(test_jmp, setup),
		cmocka_unit_test_setup(test_call_then_iret, setup),
		cmocka_unit_test_setup(test_gate_error_code, setup),
		cmocka_unit_test_setup(test_soft_int_gate, setup),
		cmocka_unit_test_setup(test_refused_switches, setup),
		cmocka_unit_test_setup(test_gate_fault_requeues_event, setup),
		cmocka_unit_test_setup(test_fault_in_new_task, setup),
		cmocka_unit_test_setup(test_tables_outside_ram, setup),
		cmocka_unit_test_setup(test_not_emulated, setup),
		cmocka_unit_test_setup(test_trap_flag, setup),
	};

	return cmocka_run_group_tests_name("task_switch", tests, NULL, NULL);
}
