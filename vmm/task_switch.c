/*
 * Hardware task switches, emulated for VMX, which exits on every one (SVM lets the CPU perform
 * them): CALL or JMP to a TSS or task gate, IRET with EFLAGS.NT, and an event through an IDT task
 * gate (Intel SDM vol. 3A, 8.3 "Task Switching", table 8-1 for the faults). 32-bit TSSs only: a
 * 16-bit TSS or a virtual-8086 task stops the partition with a message.
 *
 * Everything comes from guest memory and is checked again here: the hardware made the first
 * checks before it exited (SDM vol. 3C, 26.4.2: the privilege checks of CALL and JMP, which only
 * it can make as it alone saw whether a gate was used), but the guest may have changed its tables since (another CPU), and
 * emulators differ in what they check first. Every table read is within the GDT's or LDT's limit
 * and goes through the guest's own page tables to guest RAM (vmm/guest_walk.c).
 *
 * The order: everything that can fault in the old task (descriptors, both TSSs, the new task's
 * segment descriptors read) is done before anything is written; then the old task is saved, the
 * busy bits and back link are written, and TR, CR3, LDTR, EFLAGS, EIP, the registers and the
 * segments are loaded. A segment check that fails after that point faults in the new task, as
 * on hardware; the segment registers not loaded yet keep the old task's contents.
 */
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "vmm/emulate.h"
#include "vmm/exit.h"
#include "vmm/task_switch.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/traps.h"

#define TASK_SWITCH_LOG_LIMIT 16

static int fault_with(struct task_fault *fault, uint8_t vector, uint16_t sel, uint32_t ext)
{
	*fault = (struct task_fault){ .vector = vector, .error_code = (sel & ~SEL_RPL_MASK) | ext };
	return -E_FAULT;
}

int task_switch_check_tss(uint64_t desc, uint16_t sel, enum task_switch_source source, uint32_t ext,
			  struct task_fault *fault)
{
	uint16_t attr = desc_attr(desc);
	unsigned int type = attr & SEG_ATTR_TYPE_MASK;
	bool busy = type & DESC_TYPE_TSS_BUSY_BIT;
	/* IRET finds a wrong back link with #TS; CALL, JMP and gates a wrong TSS with #GP. */
	uint8_t wrong = source == TASK_SWITCH_IRET ? EXC_TS : EXC_GP;
	bool tss = !(attr & SEG_ATTR_S) && (type == DESC_TYPE_TSS32_AVAIL || type == DESC_TYPE_TSS32_BUSY ||
					    type == DESC_TYPE_TSS16_AVAIL || type == DESC_TYPE_TSS16_BUSY);

	if (sel & SEL_TI) /* a TSS descriptor lives in the GDT only */
		return fault_with(fault, wrong, sel, ext);
	if (!tss || busy != (source == TASK_SWITCH_IRET))
		return fault_with(fault, wrong, sel, ext);
	if (!(attr & SEG_ATTR_P))
		return fault_with(fault, EXC_NP, sel, ext);
	if (type == DESC_TYPE_TSS16_AVAIL || type == DESC_TYPE_TSS16_BUSY)
		return -E_NOSUPP;
	if (desc_limit(desc) < TSS32_SIZE - 1)
		return fault_with(fault, EXC_TS, sel, ext);
	return 0;
}

int task_switch_check_segment(enum vcpu_seg seg, uint16_t sel, const uint64_t *desc, unsigned int cpl, uint32_t ext,
			      struct task_fault *fault)
{
	uint16_t attr = desc ? desc_attr(*desc) : 0;
	unsigned int type = attr & SEG_ATTR_TYPE_MASK, dpl = (attr >> SEG_ATTR_DPL_SHIFT) & 3, rpl = sel & SEL_RPL_MASK;
	bool code = (attr & SEG_ATTR_S) && (type & DESC_TYPE_CODE);
	bool data = (attr & SEG_ATTR_S) && !(type & DESC_TYPE_CODE);

	switch (seg) {
	case VCPU_SEG_LDTR:
		if (!desc)
			return 0;
		if ((sel & SEL_TI) || (attr & SEG_ATTR_S) || type != DESC_TYPE_LDT || !(attr & SEG_ATTR_P))
			return fault_with(fault, EXC_TS, sel, ext);
		return 0;
	case VCPU_SEG_CS:
		if (!desc || !code)
			return fault_with(fault, EXC_TS, sel, ext);
		if ((type & DESC_TYPE_CONFORMING) ? dpl > rpl : dpl != rpl)
			return fault_with(fault, EXC_TS, sel, ext);
		if (!(attr & SEG_ATTR_P))
			return fault_with(fault, EXC_NP, sel, ext);
		return 0;
	case VCPU_SEG_SS:
		if (!desc || !data || !(type & DESC_TYPE_WRITABLE) || rpl != cpl || dpl != cpl)
			return fault_with(fault, EXC_TS, sel, ext);
		if (!(attr & SEG_ATTR_P))
			return fault_with(fault, EXC_SS, sel, ext);
		return 0;
	default: /* DS, ES, FS, GS: null is allowed (unusable) */
		if (!desc)
			return 0;
		if (!data && !(code && (type & DESC_TYPE_WRITABLE)))
			return fault_with(fault, EXC_TS, sel, ext);
		/* Data and non-conforming code: no access from a more privileged level than their own. */
		if ((data || !(type & DESC_TYPE_CONFORMING)) && dpl < (cpl > rpl ? cpl : rpl))
			return fault_with(fault, EXC_TS, sel, ext);
		if (!(attr & SEG_ATTR_P))
			return fault_with(fault, EXC_NP, sel, ext);
		return 0;
	}
}

/* One emulation: the guest's paging, its descriptor tables, and what went wrong. */
struct task_switch {
	struct vcpu *v;
	struct guest_paging paging;
	struct vcpu_segment gdtr, ldtr; /* ldtr: the new task's once it is loaded */
	uint32_t ext;                   /* SEL_ERROR_EXT for a switch by an external event */
	struct task_fault fault;
	struct guest_fault page_fault;
	bool paged;                     /* the last -E_FAULT is page_fault, not fault */
};

/* Guest memory as the CPU's own implicit supervisor accesses see it. -E_FAULT: #PF in page_fault. */
static int ts_read(struct task_switch *ts, uint64_t linear, void *buf, size_t len)
{
	int rc = guest_read_linear(&ts->paging, (uint32_t)linear, buf, len, 0, vcpu_guest_ram, ts->v->part,
				   &ts->page_fault);

	ts->paged = rc == -E_FAULT;
	return rc;
}

static int ts_write(struct task_switch *ts, uint64_t linear, const void *buf, size_t len)
{
	int rc = guest_write_linear(&ts->paging, (uint32_t)linear, buf, len, 0, vcpu_guest_ram, ts->v->part,
				    &ts->page_fault);

	ts->paged = rc == -E_FAULT;
	return rc;
}

/* The descriptor's linear address for `sel`, if its 8 bytes lie within the GDT or the LDT. */
static bool desc_address(const struct task_switch *ts, uint16_t sel, uint64_t *linear)
{
	const struct vcpu_segment *table = (sel & SEL_TI) ? &ts->ldtr : &ts->gdtr;

	if ((sel & SEL_TI) && ts->ldtr.unusable)
		return false;
	if ((uint32_t)(sel | 7) > table->limit)
		return false;
	*linear = table->base + (sel & ~7U);
	return true;
}

/*
 * The descriptor of a non-null `sel` for `seg`: 0 with *desc; -E_FAULT with the fault (#TS for a
 * selector outside its table) or a #PF; another error when guest memory is not RAM.
 */
static int read_desc(struct task_switch *ts, uint16_t sel, uint64_t *desc)
{
	uint64_t linear;

	if (!desc_address(ts, sel, &linear)) {
		ts->paged = false;
		return fault_with(&ts->fault, EXC_TS, sel, ts->ext);
	}
	return ts_read(ts, linear, desc, sizeof(*desc));
}

/* Writes the type byte (bits 40-47) of the descriptor of `sel`, whose address was checked. */
static int write_desc_type(struct task_switch *ts, uint16_t sel, uint64_t desc)
{
	uint64_t linear;
	uint8_t byte = (uint8_t)(desc >> 40);

	if (!desc_address(ts, sel, &linear))
		return -E_RANGE;
	return ts_write(ts, linear + 5, &byte, 1);
}

/* A checked code or data descriptor in a segment register; the accessed bit set as the CPU sets it. */
static int load_segment(struct task_switch *ts, enum vcpu_seg seg, uint16_t sel, unsigned int cpl)
{
	struct vcpu_segment s = { .selector = sel, .unusable = true };
	uint64_t desc;
	int rc;

	if ((sel & ~SEL_RPL_MASK) == 0) { /* null: whatever the GDT's first entry holds */
		rc = task_switch_check_segment(seg, sel, NULL, cpl, ts->ext, &ts->fault);
		ts->paged = false;
	} else if (seg == VCPU_SEG_LDTR && (sel & SEL_TI)) {
		rc = fault_with(&ts->fault, EXC_TS, sel, ts->ext); /* an LDT is described in the GDT only */
		ts->paged = false;
	} else {
		rc = read_desc(ts, sel, &desc);
		if (!rc)
			rc = task_switch_check_segment(seg, sel, &desc, cpl, ts->ext, &ts->fault);
		if (!rc && seg != VCPU_SEG_LDTR && !(desc & (1ULL << 40))) {
			desc |= 1ULL << 40;
			rc = write_desc_type(ts, sel, desc);
		}
		if (!rc)
			s = (struct vcpu_segment){ .base = desc_base(desc), .limit = desc_limit(desc), .selector = sel,
						   .attr = desc_attr(desc) };
	}
	if (rc)
		return rc;
	vcpu_ops->write_segment(ts->v, seg, &s);
	if (seg == VCPU_SEG_LDTR)
		ts->ldtr = s;
	return 0;
}

/* The fault `rc` says, raised in the guest: a #PF, the checked fault, or #GP(0) for memory that is not RAM. */
static void raise_fault(struct task_switch *ts, int rc)
{
	struct vcpu *v = ts->v;

	if (rc == -E_FAULT && ts->paged) {
		vcpu_ops->write_reg(v, VCPU_CR2, ts->page_fault.addr);
		vcpu_inject_exception(v, EXC_PF, true, ts->page_fault.error_code);
	} else if (rc == -E_FAULT) {
		vcpu_inject_exception(v, ts->fault.vector, true, ts->fault.error_code);
	} else {
		pr_warn("vcpu%u: task switch: a descriptor or TSS outside guest RAM: #GP", v->id);
		vcpu_inject_exception(v, EXC_GP, true, 0);
	}
}

/*
 * A fault before anything changed belongs to the old task. An event that was going through a
 * gate is queued again first, so that the pair becomes #DF (or a triple fault) as on hardware.
 */
static enum exit_verdict fault_in_old_task(struct task_switch *ts, int rc)
{
	const struct vm_exit *e = &ts->v->exit;

	if (e->task_switch.source == TASK_SWITCH_GATE && e->task_switch.event_type != EVENT_SOFTWARE) {
		struct vcpu_event event = { .type = e->task_switch.event_type, .vector = e->task_switch.vector,
					    .has_error_code = e->task_switch.has_error_code,
					    .error_code = e->task_switch.error_code };

		vcpu_ops->inject_event(ts->v, &event);
	}
	raise_fault(ts, rc);
	return EXIT_RESUME;
}

static enum exit_verdict not_emulated(struct task_switch *ts, const char *what)
{
	pr_err("vcpu%u: task switch to TSS %#x: %s is not emulated", ts->v->id, ts->v->exit.task_switch.selector, what);
	vcpu_dump(ts->v);
	return EXIT_STOP;
}

/* INT n, INT3 and INTO reach a task gate only if its DPL allows the CPL (SDM vol. 3A, 6.12.1.1). */
static int check_soft_int_gate(struct task_switch *ts)
{
	const struct vm_exit *e = &ts->v->exit;
	struct vcpu_segment idtr;
	uint64_t gate;
	uint16_t code = (uint16_t)(e->task_switch.vector * 8 + 2); /* IDT bit in the error code */
	int rc;

	if (e->task_switch.source != TASK_SWITCH_GATE || !e->task_switch.soft_int)
		return 0;
	vcpu_ops->read_segment(ts->v, VCPU_SEG_IDTR, &idtr);
	rc = (uint32_t)e->task_switch.vector * 8 + 7 > idtr.limit
		     ? -E_RANGE
		     : ts_read(ts, idtr.base + e->task_switch.vector * 8U, &gate, sizeof(gate));
	if (rc && rc != -E_RANGE)
		return rc;
	if (rc || ((desc_attr(gate) >> SEG_ATTR_DPL_SHIFT) & 3) < vcpu_ops->read_reg(ts->v, VCPU_CPL)) {
		ts->fault = (struct task_fault){ .vector = EXC_GP, .error_code = code };
		ts->paged = false;
		return -E_FAULT;
	}
	return 0;
}

/* Where the old task resumes: after the instruction that switched, or where the event left it. */
static uint32_t old_task_eip(const struct vcpu *v)
{
	const struct vm_exit *e = &v->exit;

	if (e->task_switch.source != TASK_SWITCH_GATE || e->task_switch.event_type == EVENT_SOFTWARE)
		return (uint32_t)(v->rip + e->insn_len);
	return (uint32_t)v->rip;
}

/* The old task's dynamic fields (EIP .. GS) as the switch saves them into its TSS. */
static void save_old_task(struct vcpu *v, uint32_t dyn[TSS32_DYNAMIC_DWORDS])
{
	static const enum vcpu_seg order[] = { VCPU_SEG_ES, VCPU_SEG_CS, VCPU_SEG_SS,
					       VCPU_SEG_DS, VCPU_SEG_FS, VCPU_SEG_GS };
	uint64_t rflags = v->rflags;

	if (v->exit.task_switch.source == TASK_SWITCH_IRET)
		rflags &= ~RFLAGS_NT;
	dyn[0] = old_task_eip(v);
	dyn[1] = (uint32_t)rflags;
	for (unsigned int i = 0; i < 8; i++)
		dyn[2 + i] = (uint32_t)v->regs.gpr[i];
	for (unsigned int i = 0; i < 6; i++) {
		struct vcpu_segment s;

		vcpu_ops->read_segment(v, order[i], &s);
		/* The upper word of each selector dword is reserved: kept as the guest wrote it. */
		dyn[10 + i] = (dyn[10 + i] & 0xFFFF0000U) | s.selector;
	}
}

/* After the commit: the new task's state from its TSS. A fault from here on is the new task's. */
static enum exit_verdict load_new_task(struct task_switch *ts, const uint32_t *tss)
{
	static const enum vcpu_seg order[] = { VCPU_SEG_CS, VCPU_SEG_SS, VCPU_SEG_DS,
					       VCPU_SEG_ES, VCPU_SEG_FS, VCPU_SEG_GS };
	static const unsigned int slot[] = { 1, 2, 3, 0, 4, 5 }; /* of each in the TSS's ES..GS */
	struct vcpu *v = ts->v;
	enum task_switch_source source = v->exit.task_switch.source;
	uint64_t rflags = tss[TSS32_EFLAGS / 4] | RFLAGS_RESERVED;
	uint32_t cr3 = tss[TSS32_CR3 / 4];
	unsigned int cpl = tss[TSS32_ES / 4 + 1] & SEL_RPL_MASK; /* the new CS selector's RPL */
	int rc;

	if ((ts->paging.cr0 & CR0_PG) && cr3 != (uint32_t)ts->paging.cr3) {
		vcpu_ops->write_reg(v, VCPU_CR3, cr3); /* with PAE, the backend loads the PDPTEs */
		vcpu_ops->flush_nested_tlb(v); /* MOV CR3 would drop the old task's translations */
		ts->paging.cr3 = cr3;
	}
	if (source == TASK_SWITCH_CALL || source == TASK_SWITCH_GATE)
		rflags |= RFLAGS_NT;
	vcpu_ops->write_reg(v, VCPU_RFLAGS, rflags);
	vcpu_set_rip(v, tss[TSS32_EIP / 4]);
	for (unsigned int i = 0; i < 8; i++)
		vcpu_set_gpr(v, i, tss[TSS32_EAX / 4 + i]);
	if (v->interrupt_shadow) {
		v->interrupt_shadow = false;
		v->dirty |= VCPU_DIRTY_SHADOW;
	}
	rc = load_segment(ts, VCPU_SEG_LDTR, (uint16_t)tss[TSS32_LDT / 4], cpl);
	for (unsigned int i = 0; !rc && i < 6; i++)
		rc = load_segment(ts, order[i], (uint16_t)tss[TSS32_ES / 4 + slot[i]], cpl);
	if (rc) {
		raise_fault(ts, rc);
		return EXIT_RESUME;
	}
	/* An exception with an error code pushes it on the new task's stack. */
	if (source == TASK_SWITCH_GATE && v->exit.task_switch.has_error_code) {
		struct vcpu_segment ss;
		uint32_t esp = (uint32_t)v->regs.rsp - 4, code = v->exit.task_switch.error_code;

		vcpu_ops->read_segment(v, VCPU_SEG_SS, &ss);
		if (!(ss.attr & SEG_ATTR_DB))
			esp &= 0xFFFF;
		rc = esp + 3 > ss.limit ? -E_RANGE : ts_write(ts, ss.base + esp, &code, sizeof(code));
		if (rc == -E_RANGE) {
			vcpu_inject_exception(v, EXC_SS, true, ts->ext);
			return EXIT_RESUME;
		}
		if (rc) {
			raise_fault(ts, rc);
			return EXIT_RESUME;
		}
		vcpu_set_gpr(v, GPR_RSP, (ss.attr & SEG_ATTR_DB) ? esp : ((v->regs.rsp & ~0xFFFFULL) | esp));
	}
	/* The TSS's T flag: a debug trap on entering the task, DR6.BT (SDM vol. 3B, 18.2.3). */
	if (tss[TSS32_TRAP / 4] & 1) {
		vcpu_ops->write_reg(v, VCPU_DR6, vcpu_ops->read_reg(v, VCPU_DR6) | DR6_BT);
		vcpu_inject_exception(v, EXC_DB, false, 0);
	}
	return EXIT_RESUME;
}

enum exit_verdict handle_task_switch(struct vcpu *v)
{
	static unsigned int logged;
	const struct vm_exit *e = &v->exit;
	enum task_switch_source source = e->task_switch.source;
	uint16_t sel = e->task_switch.selector;
	struct task_switch ts = { .v = v };
	struct vcpu_segment tr;
	uint64_t new_desc, old_desc;
	uint32_t tss[TSS32_SIZE / 4], dyn[TSS32_DYNAMIC_DWORDS];
	int rc;

	if (logged++ < TASK_SWITCH_LOG_LIMIT)
		pr_debug("vcpu%u: task switch (source %u) to TSS %#x at RIP %#llx", v->id, source, sel,
			 (unsigned long long)v->rip);
	vcpu_guest_paging(v, &ts.paging);
	if (ts.paging.efer & EFER_LMA)
		return not_emulated(&ts, "a task switch in long mode (the CPU raises #GP itself)");
	vcpu_ops->read_segment(v, VCPU_SEG_GDTR, &ts.gdtr);
	vcpu_ops->read_segment(v, VCPU_SEG_LDTR, &ts.ldtr);
	vcpu_ops->read_segment(v, VCPU_SEG_TR, &tr);
	if (source == TASK_SWITCH_GATE && e->task_switch.event_type != EVENT_SOFTWARE)
		ts.ext = SEL_ERROR_EXT;

	/* Everything that can fault in the old task, before anything is written. */
	rc = check_soft_int_gate(&ts);
	if (!rc && (sel & SEL_TI))
		rc = fault_with(&ts.fault, source == TASK_SWITCH_IRET ? EXC_TS : EXC_GP, sel, ts.ext);
	if (!rc) {
		rc = read_desc(&ts, sel, &new_desc);
		if (rc == -E_FAULT && !ts.paged) /* outside the GDT: as a wrong descriptor */
			ts.fault.vector = source == TASK_SWITCH_IRET ? EXC_TS : EXC_GP;
	}
	if (!rc)
		rc = task_switch_check_tss(new_desc, sel, source, ts.ext, &ts.fault);
	if (rc == -E_NOSUPP)
		return not_emulated(&ts, "a 16-bit TSS");
	if (!rc && ((tr.attr & SEG_ATTR_TYPE_MASK) != DESC_TYPE_TSS32_BUSY || tr.limit < TSS32_SIZE - 1))
		return not_emulated(&ts, "a switch from a task that is not a 32-bit TSS (TR)");
	if (!rc)
		rc = ts_read(&ts, desc_base(new_desc), tss, sizeof(tss));
	if (!rc)
		rc = ts_read(&ts, tr.base + TSS32_EIP, dyn, sizeof(dyn));
	if (!rc && source != TASK_SWITCH_CALL && source != TASK_SWITCH_GATE)
		rc = read_desc(&ts, tr.selector, &old_desc);
	if (rc)
		return fault_in_old_task(&ts, rc);
	if (tss[TSS32_EFLAGS / 4] & RFLAGS_VM)
		return not_emulated(&ts, "a virtual-8086 task");

	/* The old task saved, the busy bits and the back link; a write that faults still leaves it. */
	save_old_task(v, dyn);
	rc = ts_write(&ts, tr.base + TSS32_EIP, dyn, sizeof(dyn));
	if (!rc && (source == TASK_SWITCH_JMP || source == TASK_SWITCH_IRET))
		rc = write_desc_type(&ts, tr.selector, old_desc & ~((uint64_t)DESC_TYPE_TSS_BUSY_BIT << 40));
	if (!rc && source != TASK_SWITCH_IRET)
		rc = write_desc_type(&ts, sel, new_desc | ((uint64_t)DESC_TYPE_TSS_BUSY_BIT << 40));
	if (!rc && (source == TASK_SWITCH_CALL || source == TASK_SWITCH_GATE)) {
		uint16_t link = tr.selector;

		tss[TSS32_LINK / 4] = (tss[TSS32_LINK / 4] & 0xFFFF0000U) | link;
		rc = ts_write(&ts, desc_base(new_desc) + TSS32_LINK, &link, sizeof(link));
	}
	if (rc)
		return fault_in_old_task(&ts, rc);

	/* The commit point: TR is the new task's, CR0.TS says the FPU state is the old task's. */
	tr = (struct vcpu_segment){ .base = desc_base(new_desc), .limit = desc_limit(new_desc), .selector = sel,
				    .attr = desc_attr(new_desc) | DESC_TYPE_TSS_BUSY_BIT };
	vcpu_ops->write_segment(v, VCPU_SEG_TR, &tr);
	vcpu_ops->write_reg(v, VCPU_CR0, vcpu_ops->read_reg(v, VCPU_CR0) | CR0_TS);
	return load_new_task(&ts, tss);
}
