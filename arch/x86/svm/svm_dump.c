/* The raw VMCB, printed when a vCPU stops. */
#include "console.h"
#include "svm_internal.h"

static void dump_seg(const char *name, const struct vmcb_seg *s)
{
	pr_err("vmcb: %-4s sel %04x attr %03x limit %08x base %016llx", name, s->selector, s->attrib, s->limit,
	       (unsigned long long)s->base);
}

void svm_dump_vmcb(const struct vmcb *vmcb)
{
	const struct vmcb_control *c = &vmcb->control;
	const struct vmcb_save *s = &vmcb->save;

	pr_err("vmcb: intercepts cr %08x dr %08x exc %08x misc %08x %08x %08x", c->intercept_cr, c->intercept_dr,
	       c->intercept_exceptions, c->intercept_misc1, c->intercept_misc2, c->intercept_misc3);
	pr_err("vmcb: exit code %#llx info1 %#llx info2 %#llx int_info %#llx", (unsigned long long)c->exit_code,
	       (unsigned long long)c->exit_info1, (unsigned long long)c->exit_info2,
	       (unsigned long long)c->exit_int_info);
	pr_err("vmcb: event_inj %#llx vintr %#llx shadow %#llx asid %u np %#llx n_cr3 %#llx next_rip %#llx",
	       (unsigned long long)c->event_inj, (unsigned long long)c->vintr, (unsigned long long)c->interrupt_shadow,
	       c->asid, (unsigned long long)c->np_control, (unsigned long long)c->n_cr3,
	       (unsigned long long)c->next_rip);
	pr_err("vmcb: iopm %#llx msrpm %#llx tsc_offset %#llx", (unsigned long long)c->iopm_base_pa,
	       (unsigned long long)c->msrpm_base_pa, (unsigned long long)c->tsc_offset);
	dump_seg("cs", &s->cs);
	dump_seg("ss", &s->ss);
	dump_seg("ds", &s->ds);
	dump_seg("es", &s->es);
	dump_seg("fs", &s->fs);
	dump_seg("gs", &s->gs);
	dump_seg("gdtr", &s->gdtr);
	dump_seg("idtr", &s->idtr);
	dump_seg("ldtr", &s->ldtr);
	dump_seg("tr", &s->tr);
	pr_err("vmcb: cpl %u efer %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx", s->cpl, (unsigned long long)s->efer,
	       (unsigned long long)s->cr0, (unsigned long long)s->cr2, (unsigned long long)s->cr3,
	       (unsigned long long)s->cr4);
	pr_err("vmcb: rip %#llx rsp %#llx rflags %#llx rax %#llx dr6 %#llx dr7 %#llx g_pat %#llx",
	       (unsigned long long)s->rip, (unsigned long long)s->rsp, (unsigned long long)s->rflags,
	       (unsigned long long)s->rax, (unsigned long long)s->dr6, (unsigned long long)s->dr7,
	       (unsigned long long)s->g_pat);
}
