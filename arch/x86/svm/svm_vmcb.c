/*
 * Building a VMCB (AMD APM vol. 2, 15.5 and appendix B): the intercepts, and the guest state of a
 * struct vcpu_start as INIT leaves it where the start does not say otherwise; its segment
 * registers for emulation.
 */
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "svm_internal.h"
#include "vmm/partition.h"
#include "x86/msr.h"
#include "x86/percpu.h"

#define GUEST_ASID 1 /* one partition: every vCPU uses the same ASID, one per CPU */
#define SEG_CODE32 0xC9B   /* present, DPL 0, execute/read, accessed, 32-bit, 4 KiB granular */
#define SEG_DATA32 0xC93
#define SEG_CODE16 0x09B   /* real-mode code */
#define SEG_DATA16 0x093
#define SEG_LDT 0x082
#define SEG_TSS_BUSY 0x08B

/* The segments of `start`: flat 4 GiB ones in protected mode, 64 KiB ones as INIT leaves them in real mode. */
static void set_segments(struct vmcb_save *s, const struct vcpu_start *start)
{
	bool flat32 = start->mode == VCPU_START_PROTECTED;
	uint32_t limit = flat32 ? 0xFFFFFFFF : 0xFFFF;
	struct vmcb_seg code = { start->code_sel, flat32 ? SEG_CODE32 : SEG_CODE16, limit, start->cs_base };
	struct vmcb_seg data = { start->data_sel, flat32 ? SEG_DATA32 : SEG_DATA16, limit, 0 };

	s->cs = code;
	s->ds = s->es = s->ss = s->fs = s->gs = data;
}

static void set_intercepts(struct vcpu *v, bool idle)
{
	struct svm_vcpu *sv = to_svm(v);
	struct vmcb_control *c = &sv->vmcb->control;
	struct partition *p = v->part;

	/* VMRUN must be intercepted (APM 15.5.1); the rest is the policy of design.md. */
	/*
	 * SMI too: SMM entered from guest mode would run with the guest's nested table (a parked
	 * vCPU's maps one page). Intercepted, the SMI stays pending for the host's GIF window.
	 */
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI | SVM_INTERCEPT_INIT |
			     SVM_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN;
	c->intercept_exceptions = 0;
	sv->guest_exception_mask = 0;
	if (idle)
		return;
	/* INVD would drop the hypervisor's dirty lines; INVLPGA does not exist while SVM is hidden. */
	c->intercept_misc1 |= SVM_INTERCEPT_CPUID | SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR | SVM_INTERCEPT_INVD |
			      SVM_INTERCEPT_INVLPGA;
	c->intercept_misc2 |= SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE |
			      SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_XSETBV;
	c->intercept_exceptions = p->exception_mask;
	sv->guest_exception_mask = p->exception_mask;
	if (p->test_unhandled_exit)
		c->intercept_misc1 |= SVM_INTERCEPT_RDTSC; /* deliberately without a handler */
}

void svm_vcpu_reset(struct vcpu *v, const struct vcpu_start *start)
{
	struct svm_vcpu *sv = to_svm(v);
	struct partition *p = v->part;
	struct vmcb_control *c = &sv->vmcb->control;
	struct vmcb_save *s = &sv->vmcb->save;
	struct vmcb_save keep = *s;
	bool idle = start->mode == VCPU_START_IDLE;

	set_intercepts(v, idle);
	sv->nmi_blocked = false;
	sv->nmi_stepping = false;
	c->event_inj = 0;
	c->interrupt_shadow = 0;
	c->tlb_control = SVM_TLB_FLUSH_ALL; /* a new nested table and a new address space */
	c->vintr = SVM_VINTR_MASKING; /* physical interrupts follow the host's IF, virtual ones the guest's */
	c->n_cr3 = idle ? p->idle_npt_root : p->npt_root;

	memset(s, 0, sizeof(*s));
	set_segments(s, start);
	s->cr0 = start->cr0;
	s->ldtr = (struct vmcb_seg){ 0, SEG_LDT, 0xFFFF, 0 };
	s->tr = (struct vmcb_seg){ 0, SEG_TSS_BUSY, 0xFFFF, 0 };
	s->gdtr.limit = 0xFFFF;
	s->idtr.limit = 0xFFFF;
	s->efer = EFER_SVME; /* required by VMRUN; the guest never sees it (vmm/msr.c) */
	s->rflags = RFLAGS_RESERVED;
	s->rip = start->rip;
	v->rip = s->rip;
	v->rflags = s->rflags;
	s->dr6 = DR6_INIT;
	s->dr7 = DR7_INIT;
	/* INIT leaves the MSRs alone (SDM vol. 3A, 10.1.1): those the VMCB holds carry over. */
	s->g_pat = keep.g_pat ? keep.g_pat : PAT_POWER_ON;
	s->star = keep.star;
	s->lstar = keep.lstar;
	s->cstar = keep.cstar;
	s->sfmask = keep.sfmask;
	s->kernel_gs_base = keep.kernel_gs_base;
	s->sysenter_cs = keep.sysenter_cs;
	s->sysenter_esp = keep.sysenter_esp;
	s->sysenter_eip = keep.sysenter_eip;
	/* The register cache holds what the VMCB now holds: nothing stale is written back. */
	v->regs = start->regs;
	v->regs.rsp = 0;
	v->interrupt_shadow = false;
	v->dirty = 0;
}

/* The VMCB lives in memory across a suspend; nothing the CPU cached of it may be trusted (APM 15.15). */
void svm_vcpu_reload(struct vcpu *v)
{
	to_svm(v)->vmcb->control.clean_bits = 0;
	to_svm(v)->vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
}

int svm_vcpu_create(struct vcpu *v, const struct vcpu_start *start)
{
	struct svm_vcpu *sv = to_svm(v);
	struct partition *p = v->part;
	struct vmcb *vmcb = alloc_zeroed_frames(sizeof(*vmcb), &sv->vmcb_pa);
	struct vmcb_control *c = &vmcb->control;

	sv->vmcb = vmcb;
	sv->host_vmcb_pa = v->cpu->virt.host_vmcb_pa; /* a vCPU stays on its CPU */
	c->iopm_base_pa = p->io_bitmap_pa;
	c->msrpm_base_pa = v->msr_bitmap_pa;
	c->asid = GUEST_ASID;
	c->np_control = SVM_NP_ENABLE;
	svm_vcpu_reset(v, start);
	return 0;
}

/* The VMCB keeps segments in its own order (es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr). */
static struct vmcb_seg *svm_segment(struct vmcb *vmcb, enum vcpu_seg seg)
{
	struct vmcb_save *s = &vmcb->save;
	struct vmcb_seg *const table[VCPU_SEG_NR] = {
		[VCPU_SEG_ES] = &s->es,	    [VCPU_SEG_CS] = &s->cs,	[VCPU_SEG_SS] = &s->ss,
		[VCPU_SEG_DS] = &s->ds,	    [VCPU_SEG_FS] = &s->fs,	[VCPU_SEG_GS] = &s->gs,
		[VCPU_SEG_LDTR] = &s->ldtr, [VCPU_SEG_TR] = &s->tr,	[VCPU_SEG_GDTR] = &s->gdtr,
		[VCPU_SEG_IDTR] = &s->idtr,
	};

	BUG_ON((unsigned int)seg >= VCPU_SEG_NR);
	return table[seg];
}

void svm_read_segment(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *out)
{
	const struct vmcb_seg *s = svm_segment(to_svm(v)->vmcb, seg);

	*out = (struct vcpu_segment){ .base = s->base, .limit = s->limit, .selector = s->selector,
				      .attr = s->attrib & 0xFFF };
	/* SVM has no unusable flag: a segment loaded with a null selector has P clear. */
	out->unusable = seg < VCPU_SEG_GDTR && !(s->attrib & SEG_ATTR_P);
}

void svm_write_segment(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *in)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;
	struct vmcb_seg *s = svm_segment(vmcb, seg);

	s->base = in->base;
	s->limit = in->limit;
	if (seg >= VCPU_SEG_GDTR)
		return;
	s->selector = in->selector;
	s->attrib = in->unusable ? 0 : in->attr & 0xFFF;
	/* The CPL is a field of its own (APM vol. 2, 15.5.1): it follows SS.DPL as the CPU's does. */
	if (seg == VCPU_SEG_SS)
		vmcb->save.cpl = (in->attr >> SEG_ATTR_DPL_SHIFT) & 3;
}
