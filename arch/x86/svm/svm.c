/* The AMD SVM backend of struct vcpu_ops (AMD APM vol. 2, ch. 15). */
#include "console.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "svm_internal.h"
#include "vmm/cr.h"
#include "vmm/fastpath.h"
#include "vmm/msr_bitmap.h"
#include "vmm/partition.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/desc.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
#include "x86/percpu.h"
#include "x86/svm_ops.h"
#include "x86/traps.h"
#include "x86/virt_backend.h"

bool svm_has_nrips;

static bool svm_no_r_init; /* VM_CR could not be read or written (emulators) */

static int svm_cpu_enable(void)
{
	uint32_t a, b, c, d;
	struct percpu_virt *cpu;
	uint64_t vm_cr;

	if (!boot_cpu.svm) {
		pr_err("svm: this CPU has no SVM (CPUID 0x80000001 ECX[2])");
		return -E_NOSUPP;
	}
	/* Bochs has no VM_CR: where it cannot be read, firmware cannot have disabled SVM through it. */
	if (rdmsr_safe(MSR_VM_CR, &vm_cr))
		vm_cr = 0;
	if (vm_cr & VM_CR_SVMDIS) {
		pr_err("svm: SVM is disabled by firmware (VM_CR.SVMDIS%s); enable SVM/virtualization in the setup menu",
		       (vm_cr & VM_CR_LOCK) ? ", locked" : "");
		return -E_NOSUPP;
	}
	cpuid_count(0x8000000A, 0, &a, &b, &c, &d);
	if (!(d & CPUID_8000000A_EDX_NP)) {
		pr_err("svm: no nested paging (CPUID 0x8000000A EDX[0]); it is required");
		return -E_NOSUPP;
	}
	if (this_cpu_id() == 0)
		svm_has_nrips = d & CPUID_8000000A_EDX_NRIPS; /* the same on every CPU: written once */

	cpu = &this_cpu()->virt; /* kept from before a suspend: the same pages serve again */
	if (!cpu->host_save_pa) {
		alloc_zeroed_frames(FRAME_SIZE, &cpu->host_save_pa);
		alloc_zeroed_frames(FRAME_SIZE, &cpu->host_vmcb_pa);
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	/* The host keeps GIF clear: interrupts, NMIs and INIT wait for the guest or an explicit window. */
	if (svm_clgi())
		panic("svm: CLGI faulted with EFER.SVME set");
	/*
	 * The host's FS/GS/TR/LDTR and syscall MSRs, set up before this and never changed after: saved
	 * once, loaded after every exit (svm_entry.asm).
	 */
	if (svm_vmsave(cpu->host_vmcb_pa))
		panic("svm: VMSAVE of the host state faulted");
	wrmsr(MSR_VM_HSAVE_PA, cpu->host_save_pa);
	/*
	 * An INIT in host mode with GIF=1 would reset this CPU out of SVM; R_INIT makes it #SX
	 * instead (APM vol. 2, 15.29), taken as an INIT for this CPU's vCPU (arch/x86/traps.c).
	 * Neither QEMU 7.2 TCG nor Bochs 2.7 models VM_CR (see the README's emulator gaps).
	 */
	if (rdmsr_safe(MSR_VM_CR, &vm_cr) || wrmsr_safe(MSR_VM_CR, vm_cr | VM_CR_R_INIT) ||
	    rdmsr_safe(MSR_VM_CR, &vm_cr) || !(vm_cr & VM_CR_R_INIT))
		svm_no_r_init = true; /* QEMU reads 0 and drops the write; Bochs faults */
	if (boot_cpu.xsave)
		write_cr4(read_cr4() | CR4_OSXSAVE); /* XSETBV on the guest's behalf */
	if (this_cpu()->cpu_id == 0)
		pr_info("svm: enabled: nested paging, %u ASIDs, %s, %s", b,
			svm_has_nrips ? "NRIPS" : "no NRIPS (lengths from the exit type)",
			svm_no_r_init ? "no VM_CR.R_INIT (an INIT in host mode would reset a CPU)" : "INIT redirected to #SX");
	return 0;
}

/*
 * The guest's NMI handler ends with IRET, intercepted while an NMI we injected is blocked. The
 * intercept comes before the IRET runs, so the IRET is single-stepped (TF set at its start traps
 * after it, whatever flags it pops) and the #DB that follows ends the blocking. The window exit
 * clears its own request.
 */
static bool svm_track_events(struct vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct vmcb *vmcb = sv->vmcb;
	uint64_t code = vmcb->control.exit_code;

	if (code == SVM_EXIT_VINTR) {
		vmcb->control.vintr &= ~SVM_V_IRQ;
		vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
		return false;
	}
	if (code == SVM_EXIT_IRET && sv->nmi_blocked) {
		vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_IRET;
		v->rflags |= RFLAGS_TF; /* through the register cache, written back before the entry */
		v->dirty |= VCPU_DIRTY_RFLAGS;
		vmcb->control.intercept_exceptions |= 1U << EXC_DB;
		sv->nmi_stepping = true;
		return true;
	}
	/* Bochs does not set DR6.BS on an intercepted #DB: while stepping over the IRET, it is ours. */
	if (code == SVM_EXIT_EXCP_BASE + EXC_DB && sv->nmi_stepping) {
		vmcb->save.dr6 &= ~DR6_BS;
		vmcb->control.intercept_exceptions = sv->guest_exception_mask;
		sv->nmi_stepping = false;
		sv->nmi_blocked = false;
		return true;
	}
	return false;
}

/*
 * The register cache back into the VMCB. RIP is stored every time (one store, and the common
 * exits all advance it); the rest only where it changed (RAX is stored before every VMRUN).
 */
static void svm_write_back(struct vcpu *v, struct vmcb *vmcb)
{
	uint32_t dirty = v->dirty;

	vmcb->save.rip = v->rip;
	if (!(dirty & ~VCPU_DIRTY_RIP))
		goto clean;
	if (dirty & VCPU_DIRTY_RSP)
		vmcb->save.rsp = v->regs.rsp;
	if (dirty & VCPU_DIRTY_RFLAGS)
		vmcb->save.rflags = v->rflags;
	if ((dirty & VCPU_DIRTY_SHADOW) && !v->interrupt_shadow)
		vmcb->control.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
clean:
	v->dirty = 0;
}

static void svm_read_cache(struct vcpu *v, const struct vmcb *vmcb)
{
	v->regs.rax = vmcb->save.rax;
	v->regs.rsp = vmcb->save.rsp;
	v->rip = vmcb->save.rip;
	v->rflags = vmcb->save.rflags;
	v->interrupt_shadow = vmcb->control.interrupt_shadow & SVM_INTERRUPT_SHADOW;
}

/* Completes a hot exit answered below: counted, RIP past the instruction, the shadow ended. */
static inline bool svm_fast_done(struct vcpu *v, struct vmcb *vmcb, uint64_t rax, enum exit_reason reason,
				 uint32_t fixed_len)
{
	uint64_t rip = vmcb->save.rip;

	vmcb->save.rax = rax;
	exit_account(v, reason, vmcb->control.exit_code, rip, 0);
	vmcb->control.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW; /* the instruction completed */
	vmcb->save.rip = rip + svm_insn_len(vmcb, svm_has_nrips, fixed_len);
	return true;
}

/*
 * Answers one of the hot exits (include/vmm/fastpath.h) on the VMCB itself: RAX, RIP, RFLAGS and
 * the shadow are read and written there, not through the register cache, which svm_run_vcpu()
 * reads when it leaves its loop. False: not completed, and nothing changed.
 */
static bool svm_fast_exit(struct vcpu *v, struct vmcb *vmcb)
{
	uint64_t code = vmcb->control.exit_code;
	uint64_t rax = vmcb->save.rax; /* the VMCB is packed: answered here, stored once */

	if ((vmcb->save.rflags & RFLAGS_TF) || (vmcb->control.exit_int_info & SVM_EVENT_VALID))
		return false;
	if (code == SVM_EXIT_CPUID)
		return vcpu_fast_cpuid(v, &rax) && svm_fast_done(v, vmcb, rax, EXIT_CPUID, LEN_CPUID);
	if (code == SVM_EXIT_MSR && vcpu_fast_msr(v)) {
		if (vmcb->control.exit_info1)
			return vcpu_fast_msr_write(v, &rax, vmcb->save.efer) &&
			       svm_fast_done(v, vmcb, rax, EXIT_MSR_WRITE, LEN_RDMSR_WRMSR);
		return vcpu_fast_msr_read(v, &rax, vmcb->save.efer) &&
		       svm_fast_done(v, vmcb, rax, EXIT_MSR_READ, LEN_RDMSR_WRMSR);
	}
	if (code == SVM_EXIT_VMMCALL)
		return vcpu_fast_hypercall(v, &rax, vmcb->save.cpl) &&
		       svm_fast_done(v, vmcb, rax, EXIT_HYPERCALL, LEN_VMMCALL);
	return false;
}

static inline __attribute__((always_inline)) bool svm_enter(struct vcpu *v, struct svm_vcpu *sv)
{
	bool failed;

	vcpu_account_entry(v); /* exit statistics: cycles from the exit to this entry */
	failed = svm_run(sv->vmcb_pa, &v->regs, sv->host_vmcb_pa);
	v->exit_tsc = rdtsc();
	if (!failed)
		return true;
	v->exit = (struct vm_exit){
		.reason = EXIT_FAILED_ENTRY,
		.raw_reason = SVM_EXIT_INVALID,
		.failure = "an SVM instruction faulted (VMLOAD/VMRUN/VMSAVE): is EFER.SVME set?",
	};
	return false;
}

static bool svm_run_vcpu(struct vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct vmcb *vmcb = sv->vmcb;

	svm_write_back(v, vmcb);
	vmcb->save.rax = v->regs.rax;
	if (!svm_enter(v, sv))
		return true;
	vmcb->control.tlb_control = 0;
	vmcb->control.event_inj = 0;
	/*
	 * The exits completed here inject nothing and ask for no flush, so both fields stay clear
	 * for the entries that follow them.
	 */
	while (svm_fast_exit(v, vmcb)) {
		if (vcpu_needs_attention(v)) {
			svm_read_cache(v, vmcb); /* the run loop looks at the waiting work first */
			return false;
		}
		if (!svm_enter(v, sv))
			return true;
	}
	svm_read_cache(v, vmcb);
	/* An event the exit interrupted is delivered again on the next entry (APM 15.7.2). */
	if (vmcb->control.exit_int_info & SVM_EVENT_VALID)
		vmcb->control.event_inj = vmcb->control.exit_int_info;
	/* Our own NMI bookkeeping first: an exit it consumes never reaches the decoder. */
	if (svm_track_events(v)) {
		v->exit = (struct vm_exit){ .reason = EXIT_NMI_WINDOW, .raw_reason = vmcb->control.exit_code };
		return true;
	}
	svm_decode_exit(&v->exit, vmcb, svm_has_nrips);
	return true;
}

static uint64_t svm_read_reg(struct vcpu *v, enum vcpu_reg reg)
{
	const struct vmcb_save *s = &to_svm(v)->vmcb->save;

	switch (reg) {
	case VCPU_RIP:
		return v->rip;
	case VCPU_RSP:
		return v->regs.rsp;
	case VCPU_RFLAGS:
		return v->rflags;
	case VCPU_CR0:
		return s->cr0;
	case VCPU_CR2:
		return s->cr2;
	case VCPU_CR3:
		return s->cr3;
	case VCPU_CR4:
		return s->cr4;
	case VCPU_EFER:
		return s->efer;
	case VCPU_CS_BASE:
		return s->cs.base;
	case VCPU_CS_LD:
		/* VMCB attributes hold descriptor bits 52-55 in 8-11: L is bit 9, D/B bit 10. */
		return ((s->cs.attrib >> 9) & 1 ? VCPU_CS_L : 0) | ((s->cs.attrib >> 10) & 1 ? VCPU_CS_D : 0);
	case VCPU_TSC_OFFSET:
		return to_svm(v)->vmcb->control.tsc_offset;
	case VCPU_CPL:
		return s->cpl;
	case VCPU_DR6:
		return s->dr6;
	case VCPU_ES_BASE:
		return s->es.base;
	case VCPU_SS_BASE:
		return s->ss.base;
	case VCPU_DS_BASE:
		return s->ds.base;
	case VCPU_FS_BASE:
		return s->fs.base;
	case VCPU_GS_BASE:
		return s->gs.base;
	case VCPU_PENDING_EXCEPTION:
		return vcpu_pending_exception(v);
	case VCPU_HALTED:
		return 0; /* HLT is not intercepted and the VMCB keeps no activity state */
	default:
		BUG_ON(true);
		return 0;
	}
}

static void svm_write_reg(struct vcpu *v, enum vcpu_reg reg, uint64_t value)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;

	switch (reg) {
	case VCPU_RIP:
		vcpu_set_rip(v, value);
		break;
	case VCPU_RSP:
		v->regs.rsp = value;
		v->dirty |= VCPU_DIRTY_RSP;
		break;
	case VCPU_RFLAGS:
		v->rflags = value;
		v->dirty |= VCPU_DIRTY_RFLAGS;
		break;
	case VCPU_CR0:
		s->cr0 = value;
		break;
	case VCPU_CR2:
		s->cr2 = value;
		break;
	case VCPU_CR3:
		s->cr3 = value;
		break;
	case VCPU_CR4:
		s->cr4 = value;
		break;
	case VCPU_EFER:
		s->efer = efer_after_write(s->efer, value) | EFER_SVME; /* SVME stays set for VMRUN */
		break;
	case VCPU_TSC_OFFSET:
		to_svm(v)->vmcb->control.tsc_offset = value;
		break;
	case VCPU_DR6:
		s->dr6 = value;
		break;
	default:
		BUG_ON(true);
	}
}

static bool svm_pending_event(struct vcpu *v, struct vcpu_event *e)
{
	uint64_t inj = to_svm(v)->vmcb->control.event_inj;

	if (!(inj & SVM_EVENT_VALID))
		return false;
	*e = (struct vcpu_event){
		.type = event_type_from_field(inj),
		.vector = (uint8_t)inj,
		.has_error_code = inj & SVM_EVENT_ERROR_VALID,
		.error_code = (uint32_t)(inj >> 32),
	};
	return true;
}

static void svm_inject_event(struct vcpu *v, const struct vcpu_event *e)
{
	struct svm_vcpu *sv = to_svm(v);
	struct vmcb_control *c = &sv->vmcb->control;
	uint64_t inj = e->vector | event_type_to_field(e->type) | SVM_EVENT_VALID;

	if (e->has_error_code)
		inj |= SVM_EVENT_ERROR_VALID | ((uint64_t)e->error_code << 32);
	if (e->type == EVENT_NMI) {
		/* SVM does not show NMI blocking: watch for the IRET that ends the guest's handler. */
		sv->nmi_blocked = true;
		c->intercept_misc1 |= SVM_INTERCEPT_IRET;
	} else if ((c->event_inj & (SVM_EVENT_VALID | SVM_EVENT_TYPE_MASK)) == (SVM_EVENT_VALID | SVM_EVENT_TYPE_NMI)) {
		sv->nmi_blocked = false; /* the NMI this replaces never reached the guest */
		c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	}
	c->event_inj = inj;
}

static void svm_set_exception_intercepts(struct vcpu *v, uint32_t mask)
{
	to_svm(v)->guest_exception_mask = mask;
	to_svm(v)->vmcb->control.intercept_exceptions = mask | (to_svm(v)->nmi_stepping ? 1U << EXC_DB : 0);
}

static bool svm_event_allowed(struct vcpu *v, enum event_type type)
{
	const struct vmcb *vmcb = to_svm(v)->vmcb;

	if ((vmcb->control.event_inj & SVM_EVENT_VALID) || v->interrupt_shadow)
		return false;
	if (type == EVENT_NMI)
		return !to_svm(v)->nmi_blocked;
	return v->rflags & RFLAGS_IF;
}

static void svm_request_event_window(struct vcpu *v, enum event_type type)
{
	struct vmcb_control *c = &to_svm(v)->vmcb->control;

	/* An NMI waits for the IRET intercept (set when the last one was injected). */
	if (type == EVENT_NMI && to_svm(v)->nmi_blocked)
		return;
	/* A virtual interrupt request makes the CPU exit as soon as the guest can take interrupts. */
	c->vintr |= SVM_V_IRQ | SVM_V_IGN_TPR | (0xFULL << SVM_V_INTR_PRIO_SHIFT);
	c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
}

static void svm_take_host_interrupts(void)
{
	/* A short window with GIF and IF set: the host IDT acknowledges and latches what is pending. */
	(void)svm_stgi();
	irq_window();
	(void)svm_clgi();
}

#define NMI_WINDOW_SPINS 1000

static void svm_take_pending_nmi(void)
{
	volatile uint32_t *latched = &this_cpu()->nmis_seen;
	uint32_t before = *latched;

	/*
	 * GIF=1 lets the held NMI through to the host handler (IF stays clear). Hardware takes it at
	 * once; emulators only where they look for events: QEMU TCG at the end of a translation block,
	 * which a CR0 write forces. Wait for it, briefly, before closing GIF again.
	 */
	(void)svm_stgi();
	for (int spin = 0; spin < NMI_WINDOW_SPINS && *latched == before; spin++)
		write_cr0(read_cr0());
	(void)svm_clgi();
}

static void svm_flush_nested_tlb(struct vcpu *v)
{
	to_svm(v)->vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL; /* at the next VMRUN */
}

static void svm_dump(struct vcpu *v)
{
	svm_dump_vmcb(to_svm(v)->vmcb);
}

static void svm_init_npt_format(struct pt_ctx *ctx)
{
	/* NPT uses the host page-table format; walks are user accesses, so every level has U=1. */
	pt_ctx_init_x86(ctx, NULL, NULL, NULL);
	ctx->table_flags = PTE_P | PTE_W | PTE_U;
	ctx->allow_1g = boot_cpu.pages_1g; /* NPT has 1 GiB pages where the host paging has them */
}

/* STGI, then clear EFER.SVME (APM 15.4); each step may fault if SVM is already off. */
unsigned int svm_leave_cpu(void)
{
	unsigned int faults = 0;
	uint64_t efer;

	if (svm_stgi())
		faults++;
	if (rdmsr_safe(MSR_EFER, &efer) || wrmsr_safe(MSR_EFER, efer & ~EFER_SVME))
		faults++;
	/* The machine reset that follows may be an INIT on some chipsets: let it reset the CPU. */
	if (!rdmsr_safe(MSR_VM_CR, &efer))
		(void)wrmsr_safe(MSR_VM_CR, efer & ~VM_CR_R_INIT);
	return faults;
}

const struct vcpu_ops svm_vcpu_ops = {
	.name = "SVM",
	.vcpu_size = sizeof(struct svm_vcpu),
	.cpu_enable = svm_cpu_enable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_reload = svm_vcpu_reload,
	.run = svm_run_vcpu,
	.read_reg = svm_read_reg,
	.write_reg = svm_write_reg,
	.read_segment = svm_read_segment,
	.write_segment = svm_write_segment,
	.inject_event = svm_inject_event,
	.pending_event = svm_pending_event,
	.set_exception_intercepts = svm_set_exception_intercepts,
	.take_pending_nmi = svm_take_pending_nmi,
	.take_host_interrupts = svm_take_host_interrupts,
	.event_allowed = svm_event_allowed,
	.request_event_window = svm_request_event_window,
	.flush_nested_tlb = svm_flush_nested_tlb,
	.dump = svm_dump,
	.init_npt_format = svm_init_npt_format,
	.msr_bitmap_layout = MSR_BITMAP_SVM,
	.unreflectable_exceptions = 1U << EXC_TS, /* the intercept gives no error code for #TS */
};
