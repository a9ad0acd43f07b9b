/*
 * The Intel VMX backend of struct vcpu_ops (Intel SDM vol. 3, chapters 23-29). The VMCS is built
 * in vmx_vmcs.c; exits are decoded in vmx_exit.c. Control-register exits exist only because VMX
 * forces some CR0/CR4 bits (NE, VMXE) on the guest: they are handled here, at the border, and
 * never reach the vendor-neutral layer.
 */
#include "console.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/fastpath.h"
#include "vmm/msr_bitmap.h"
#include "vmm/partition.h"
#include "vmx_backend.h"
#include "vmx_internal.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/desc.h"
#include "x86/ept.h"
#include "x86/msr.h"
#include "x86/percpu.h"
#include "x86/safe_insn.h"
#include "x86/vmx_ops.h"
#include "x86/extable.h"
#include "x86/virt_backend.h"

struct vmx_config vmx_config;

static int read_msr(uint32_t msr, uint64_t *value)
{
	return rdmsr_safe(msr, value);
}

/* Once, on the boot CPU: what this CPU offers, and the control values we run with. */
static int vmx_configure(void)
{
	struct vmx_config *c = &vmx_config;
	char why[160];

	if (vmx_caps_read(&c->caps, read_msr) || vmx_caps_check(&c->caps, &c->f, why, sizeof(why))) {
		pr_err("vmx: cannot use this CPU's VMX: %s", why);
		return -E_NOSUPP;
	}
	return vmx_compute_controls(c);
}

static int enable_feature_control(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (fc & FEATURE_CONTROL_LOCK) {
		if (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)
			return 0;
		pr_err("vmx: VMX is disabled by firmware (IA32_FEATURE_CONTROL %#llx is locked without VMXON outside "
		       "SMX); enable VT-x in the setup menu", (unsigned long long)fc);
		return -E_NOSUPP;
	}
	wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK);
	return 0;
}

static int vmx_cpu_enable(void)
{
	const struct vmx_features *f = &vmx_config.f;
	uint32_t *region;
	int rc;

	if (!boot_cpu.vmx) {
		pr_err("vmx: this CPU has no VMX (CPUID 1 ECX[5])");
		return -E_NOSUPP;
	}
	rc = enable_feature_control();
	if (!rc && this_cpu_id() == 0 && !this_cpu()->virt.vmxon_pa) /* once: a resume keeps the configuration */
		rc = vmx_configure();
	if (rc)
		return rc;
	/* CR0.NE may be 0 under GRUB: the FIXED MSRs decide what VMX operation requires (SDM 23.8). */
	write_cr0(vmx_apply_fixed(read_cr0(), vmx_config.caps.cr0_fixed0, vmx_config.caps.cr0_fixed1));
	write_cr4(vmx_apply_fixed(read_cr4() | CR4_VMXE | (boot_cpu.xsave ? CR4_OSXSAVE : 0),
				  vmx_config.caps.cr4_fixed0, vmx_config.caps.cr4_fixed1));
	/* Kept from before a suspend: the same VMXON region serves again. */
	if (!this_cpu()->virt.vmxon_pa)
		alloc_zeroed_frames(FRAME_SIZE, &this_cpu()->virt.vmxon_pa);
	region = phys_to_virt(this_cpu()->virt.vmxon_pa);
	region[0] = f->revision_id;
	if (vmxon(this_cpu()->virt.vmxon_pa)) {
		pr_err("vmx: VMXON failed on CPU %u", this_cpu_id());
		return -E_NOSUPP;
	}
	if (this_cpu_id() == 0)
		pr_info("vmx: enabled: EPT%s%s, unrestricted guest, %s, %s, VMCS revision %#x",
			f->ept_2m ? " 2M" : "", f->ept_1g ? " 1G" : "", f->vpid ? "VPID" : "no VPID",
			f->act_wait_sipi ? "wait-for-SIPI" : "no wait-for-SIPI", f->revision_id);
	return 0;
}

#define INTR_SHADOW (VMX_INTR_BLOCK_STI | VMX_INTR_BLOCK_MOV_SS)

/*
 * The register cache back into the VMCS, where it changed (RAX is loaded by the entry stub): the
 * common exits changed RIP only, one test and one VMWRITE.
 */
static void vmx_write_back(struct vcpu *v)
{
	uint32_t dirty = v->dirty;

	if (__builtin_expect(dirty & VCPU_DIRTY_RIP, 1))
		vmcs_writel(VMCS_GUEST_RIP, v->rip);
	if (__builtin_expect(!(dirty & ~VCPU_DIRTY_RIP), 1))
		goto clean;
	if (dirty & VCPU_DIRTY_RSP)
		vmcs_writel(VMCS_GUEST_RSP, v->regs.rsp);
	if (dirty & VCPU_DIRTY_RFLAGS)
		vmcs_writel(VMCS_GUEST_RFLAGS, v->rflags);
	if ((dirty & VCPU_DIRTY_SHADOW) && !v->interrupt_shadow) {
		to_vmx(v)->interruptibility &= ~INTR_SHADOW;
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, to_vmx(v)->interruptibility);
	}
clean:
	v->dirty = 0;
}

/* The register cache at an exit; RSP separately, as the fast exits never need it. */
static void vmx_read_cache(struct vcpu *v)
{
	struct vmx_vcpu *xv = to_vmx(v);

	v->rip = vmcs_readl(VMCS_GUEST_RIP);
	v->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	xv->interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	v->interrupt_shadow = xv->interruptibility & INTR_SHADOW;
}

static void vmx_read_rsp(struct vcpu *v)
{
	v->regs.rsp = vmcs_readl(VMCS_GUEST_RSP);
}

/* Only the fields this exit's decoding uses are read (no VMREAD whose value is dropped). */
static void vmx_read_exit(struct vcpu *v, uint32_t reason)
{
	struct vmx_exit_fields f = { .reason = reason };
	unsigned int need = vmx_exit_fields_needed(reason);

	/* The instruction exits need the length only: one test for them. */
	if (need == VMX_FIELD_INSN_LEN) {
		f.insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
	} else if (need) {
		if (need & VMX_FIELD_QUALIFICATION)
			f.qualification = vmcs_readl(VMCS_EXIT_QUALIFICATION);
		if (need & VMX_FIELD_GUEST_PHYSICAL)
			f.guest_physical = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDR);
		if (need & VMX_FIELD_INSN_LEN)
			f.insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
		if (need & VMX_FIELD_IDT_VECTORING) {
			f.idt_vectoring = vmcs_read32(VMCS_IDT_VECTORING_INFO);
			if (f.idt_vectoring & VMX_INTR_INFO_ERROR_VALID)
				f.idt_error_code = vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE);
		}
		if (need & VMX_FIELD_INTR_INFO) {
			f.intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
			if (f.intr_info & VMX_INTR_INFO_ERROR_VALID)
				f.intr_error_code = vmcs_read32(VMCS_EXIT_INTR_ERROR_CODE);
		}
	}
	vmx_decode_exit(&v->exit, &f);
}

/* A window exit asked for by vmx_request_event_window(): the window is open, stop asking. */
static void vmx_close_event_window(uint32_t reason)
{
	uint32_t bit = reason == VMX_EXIT_INTR_WINDOW ? VMX_PROC_INTR_WINDOW_EXITING : VMX_PROC_NMI_WINDOW_EXITING;

	vmcs_write32(VMCS_PROC_CONTROLS, vmcs_read32(VMCS_PROC_CONTROLS) & ~bit);
}

/*
 * The exit reasons of include/vmm/fastpath.h. They are instruction exits, which never happen
 * while an event is delivered (SDM vol. 3C, 28.2.4): no IDT-vectoring information to look at.
 */
static bool vmx_fast_reason(uint32_t reason)
{
	return __builtin_expect(reason == VMX_EXIT_CPUID, 1) || reason == VMX_EXIT_RDMSR || reason == VMX_EXIT_WRMSR ||
	       reason == VMX_EXIT_VMCALL;
}

/*
 * Completes a hot exit answered below: counted, RIP past the instruction and an STI/MOV SS shadow
 * ended, written to the VMCS at once and kept in the register cache, which stays clean.
 */
static inline bool vmx_fast_done(struct vcpu *v, enum exit_reason reason, uint32_t raw_reason, uint32_t len)
{
	exit_account(v, reason, raw_reason, v->rip, 0);
	v->rip += len;
	vmcs_writel(VMCS_GUEST_RIP, v->rip);
	if (v->interrupt_shadow) {
		v->interrupt_shadow = false;
		to_vmx(v)->interruptibility &= ~INTR_SHADOW;
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, to_vmx(v)->interruptibility);
	}
	return true;
}

/*
 * One of the hot exits (vmx_fast_reason()), answered with the cache read. False: nothing
 * changed.
 */
static bool vmx_fast_exit(struct vcpu *v, uint32_t reason, uint32_t len)
{
	uint64_t *rax = &v->regs.rax; /* loaded and saved by the entry stub */

	if (v->rflags & RFLAGS_TF)
		return false; /* the general path raises the single-step #DB (vcpu_advance_rip()) */
	if (reason == VMX_EXIT_CPUID)
		return vcpu_fast_cpuid(v, rax) && vmx_fast_done(v, EXIT_CPUID, reason, len);
	if (reason == VMX_EXIT_RDMSR)
		return vcpu_fast_msr(v) && vcpu_fast_msr_read(v, rax, vmcs_read64(VMCS_GUEST_EFER)) &&
		       vmx_fast_done(v, EXIT_MSR_READ, reason, len);
	if (reason == VMX_EXIT_WRMSR)
		return vcpu_fast_msr(v) && vcpu_fast_msr_write(v, rax, vmcs_read64(VMCS_GUEST_EFER)) &&
		       vmx_fast_done(v, EXIT_MSR_WRITE, reason, len);
	return vcpu_fast_hypercall_nr(*rax) && vcpu_fast_hypercall(v, rax, (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3) &&
	       vmx_fast_done(v, EXIT_HYPERCALL, reason, len); /* VMX_EXIT_VMCALL */
}

/* Enters the guest; false (with the exit record written) if the entry failed. */
static inline __attribute__((always_inline)) bool vmx_enter(struct vcpu *v, struct vmx_vcpu *xv)
{
	enum vmx_run_result rc;

	vcpu_account_entry(v); /* exit statistics: cycles from the exit to this entry */
	rc = vmx_run(&v->regs, &xv->entry);
	v->exit_tsc = rdtsc();

	if (__builtin_expect(rc == VMX_RUN_EXITED, 1))
		return true;
	if (rc == VMX_RUN_FAIL_INVALID)
		v->exit = (struct vm_exit){
			.reason = EXIT_FAILED_ENTRY,
			.failure = "VMfailInvalid: this CPU has no current VMCS",
		};
	else
		vmx_decode_vmfail(&v->exit, vmcs_read32(VMCS_INSN_ERROR));
	return false;
}

static bool vmx_run_vcpu(struct vcpu *v)
{
	struct vmx_vcpu *xv = to_vmx(v);
	uint32_t reason, idt_vectoring;

	vmx_write_back(v);
	if (!vmx_enter(v, xv))
		return true;
	xv->entry.launched = true;
	for (;;) {
		reason = vmcs_read32(VMCS_EXIT_REASON); /* read once: every path below shares it */
		vmx_read_cache(v);
		if (vmx_fast_reason(reason)) {
			/* The length is all their decoding needs: read once, for the fast path or the decoder. */
			uint32_t len = vmcs_read32(VMCS_EXIT_INSN_LEN);

			if (!vmx_fast_exit(v, reason, len)) {
				struct vmx_exit_fields f = { .reason = reason, .insn_len = len };

				vmx_read_rsp(v);
				vmx_decode_exit(&v->exit, &f);
				return true;
			}
		} else {
			vmx_read_rsp(v);
			idt_vectoring = vmcs_read32(VMCS_IDT_VECTORING_INFO);
			/* A task switch through an IDT gate delivers that event itself (vmm/task_switch.c). */
			if ((idt_vectoring & VMX_INTR_INFO_VALID) && reason != VMX_EXIT_TASK_SWITCH)
				vmx_requeue_interrupted_event(idt_vectoring);
			if (reason != VMX_EXIT_CR_ACCESS || !vmx_handle_cr_access(v))
				break;
			vmx_write_back(v);
		}
		/* Completed here: the run loop looks at waiting work before the next entry. */
		if (vcpu_needs_attention(v)) {
			vmx_read_rsp(v);
			return false;
		}
		if (!vmx_enter(v, xv))
			return true;
	}
	if (reason == VMX_EXIT_INTR_WINDOW || reason == VMX_EXIT_NMI_WINDOW)
		vmx_close_event_window(reason);
	vmx_read_exit(v, reason);
	return true;
}

static uint64_t read_dr6(void)
{
	uint64_t value;

	asm volatile("mov %%dr6, %0" : "=r"(value));
	return value;
}

static void write_dr6(uint64_t value)
{
	asm volatile("mov %0, %%dr6" : : "r"(value));
}

static uint64_t vmx_read_reg(struct vcpu *v, enum vcpu_reg reg)
{
	switch (reg) {
	case VCPU_RIP:
		return v->rip;
	case VCPU_RSP:
		return v->regs.rsp;
	case VCPU_RFLAGS:
		return v->rflags;
	case VCPU_CR0:
		return vmx_guest_cr0(v);
	case VCPU_CR2:
		return read_cr2(); /* not in the VMCS: the guest runs with the hardware CR2 */
	case VCPU_CR3:
		return vmcs_readl(VMCS_GUEST_CR3);
	case VCPU_CR4:
		return vmx_guest_cr4(v);
	case VCPU_EFER:
		return vmcs_read64(VMCS_GUEST_EFER);
	case VCPU_CS_BASE:
		return vmcs_readl(VMCS_GUEST_CS_BASE);
	case VCPU_CS_LD: {
		uint32_t ar = vmcs_read32(VMCS_GUEST_CS_AR);

		return ((ar & VMX_AR_L) ? VCPU_CS_L : 0) | ((ar & VMX_AR_DB) ? VCPU_CS_D : 0);
	}
	case VCPU_TSC_OFFSET:
		return vmcs_read64(VMCS_TSC_OFFSET);
	case VCPU_CPL:
		return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3; /* SS.DPL is the CPL (SDM 26.3.1.5) */
	case VCPU_DR6:
		return read_dr6(); /* not in the VMCS: the guest runs with the hardware DR6 */
	case VCPU_ES_BASE:
		return vmcs_readl(VMCS_GUEST_ES_BASE);
	case VCPU_SS_BASE:
		return vmcs_readl(VMCS_GUEST_SS_BASE);
	case VCPU_DS_BASE:
		return vmcs_readl(VMCS_GUEST_DS_BASE);
	case VCPU_FS_BASE:
		return vmcs_readl(VMCS_GUEST_FS_BASE);
	case VCPU_GS_BASE:
		return vmcs_readl(VMCS_GUEST_GS_BASE);
	case VCPU_PENDING_EXCEPTION:
		return vcpu_pending_exception(v);
	case VCPU_HALTED:
		return vmcs_read32(VMCS_GUEST_ACTIVITY_STATE) == VMX_ACTIVITY_HLT;
	default:
		BUG_ON(true);
		return 0;
	}
}

static void vmx_write_reg(struct vcpu *v, enum vcpu_reg reg, uint64_t value)
{
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
		vmx_set_guest_cr0(v, value);
		break;
	case VCPU_CR2:
		write_cr2(value);
		break;
	case VCPU_CR3:
		vmx_set_guest_cr3(v, value);
		break;
	case VCPU_CR4:
		vmx_set_guest_cr4(v, value);
		break;
	case VCPU_EFER:
		vmx_set_guest_efer(value);
		break;
	case VCPU_TSC_OFFSET:
		vmcs_write64(VMCS_TSC_OFFSET, value);
		break;
	case VCPU_DR6:
		write_dr6(value);
		break;
	default:
		BUG_ON(true);
	}
}

static bool vmx_pending_event(struct vcpu *v, struct vcpu_event *e)
{
	uint32_t info = vmcs_read32(VMCS_ENTRY_INTR_INFO);

	if (!(info & VMX_INTR_INFO_VALID))
		return false;
	*e = (struct vcpu_event){
		.type = event_type_from_field(info),
		.vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK),
		.has_error_code = info & VMX_INTR_INFO_ERROR_VALID,
	};
	if (e->has_error_code)
		e->error_code = vmcs_read32(VMCS_ENTRY_EXCEPTION_ERROR_CODE);
	return true;
}

static void vmx_inject_event(struct vcpu *v, const struct vcpu_event *e)
{
	uint32_t info = e->vector | event_type_to_field(e->type) | VMX_INTR_INFO_VALID;

	if (e->has_error_code) {
		info |= VMX_INTR_INFO_ERROR_VALID;
		vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, e->error_code);
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

static void vmx_set_exception_intercepts(struct vcpu *v, uint32_t mask)
{
	vmcs_write32(VMCS_EXCEPTION_BITMAP, mask);
}

/*
 * An NMI that causes a VM exit leaves NMIs blocked in the host until the next IRET, as if the
 * host had taken it (SDM vol. 3C, VM exits caused by NMIs; KVM runs its NMI handler through an
 * IRET frame for the same reason). An IRET to the next instruction lifts it, so
 * NMIs that arrive while the host works are taken at once instead of waiting for an entry
 * (Bochs keeps them blocked across VM entry too, which starved the kicks of a waiting vCPU).
 */
static void unblock_nmis(void)
{
	unsigned long scratch;

	asm volatile("mov %%ss, %0\n\t"
		     "pushq %0\n\t"
		     "pushq %%rsp\n\t"
		     "addq $8, (%%rsp)\n\t"
		     "pushfq\n\t"
		     "mov %%cs, %0\n\t"
		     "pushq %0\n\t"
		     "leaq 1f(%%rip), %0\n\t"
		     "pushq %0\n\t"
		     "iretq\n"
		     "1:"
		     : "=&r"(scratch)
		     :
		     : "memory", "cc");
}

static void vmx_take_pending_nmi(void)
{
	/* With NMI exiting, the NMI caused the exit and is gone: the host accounts for it here. */
	cpu_nmi_arrived();
	unblock_nmis();
}

static bool vmx_event_allowed(struct vcpu *v, enum event_type type)
{
	/* From the register cache: a shadow the hypervisor ended (an emulated instruction) is gone. */
	uint32_t blocked = to_vmx(v)->interruptibility & ~(v->interrupt_shadow ? 0 : INTR_SHADOW);

	if (vmcs_read32(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID)
		return false;
	if (type == EVENT_NMI)
		return !(blocked & (VMX_INTR_BLOCK_NMI | INTR_SHADOW));
	return (v->rflags & RFLAGS_IF) && !(blocked & INTR_SHADOW);
}

static void vmx_request_event_window(struct vcpu *v, enum event_type type)
{
	/* NMI-window exiting needs virtual NMIs; without them an NMI waits for any exit. */
	uint32_t want = type == EVENT_NMI ? (vmx_config.f.virtual_nmis ? VMX_PROC_NMI_WINDOW_EXITING : 0)
					  : VMX_PROC_INTR_WINDOW_EXITING;

	vmcs_write32(VMCS_PROC_CONTROLS, vmcs_read32(VMCS_PROC_CONTROLS) | want);
}

static void vmx_take_host_interrupts(void)
{
	/* Only when the CPU could not acknowledge on exit: let the host IDT take it. */
	irq_window();
}

static void vmx_init_npt_format(struct pt_ctx *ctx)
{
	ept_ctx_init(ctx, vmx_config.f.ept_1g);
}

static int write_cr4_safe(uint64_t value)
{
	asm volatile goto("1: mov %0, %%cr4\n\t" EXTABLE_ENTRY("1b", "%l[fault]") : : "r"(value) : "memory" : fault);
	return 0;
fault:
	return -E_FAULT;
}

/* VMCLEAR the current VMCS, VMXOFF, clear CR4.VMXE (SDM 23.7); each step may fault if VMX is off. */
unsigned int vmx_leave_cpu(void)
{
	unsigned int faults = 0;
	uint64_t current = ~0ULL;

	if (vmptrst_safe(&current))
		faults++;
	else if (current != ~0ULL && vmclear(current))
		faults++;
	if (vmxoff())
		faults++;
	if (write_cr4_safe(read_cr4() & ~CR4_VMXE))
		faults++;
	return faults;
}

static void vmx_flush_nested_tlb(struct vcpu *v)
{
	const struct vmx_features *f = &vmx_config.f;
	uint64_t eptp = vmcs_read64(VMCS_EPT_POINTER);

	/* Combined mappings are tagged by the EPTP (SDM vol. 3C, 29.4.3.1). */
	if (f->invept_single ? invept(VMX_INVEPT_SINGLE, eptp) : f->invept_global ? invept(VMX_INVEPT_GLOBAL, 0) : 0)
		pr_warn("vcpu%u: INVEPT failed", v->id);
}

const struct vcpu_ops vmx_vcpu_ops = {
	.name = "VMX",
	.vcpu_size = sizeof(struct vmx_vcpu),
	.cpu_enable = vmx_cpu_enable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_reload = vmx_vcpu_reload,
	.run = vmx_run_vcpu,
	.read_reg = vmx_read_reg,
	.write_reg = vmx_write_reg,
	.read_segment = vmx_read_segment,
	.write_segment = vmx_write_segment,
	.inject_event = vmx_inject_event,
	.pending_event = vmx_pending_event,
	.set_exception_intercepts = vmx_set_exception_intercepts,
	.take_pending_nmi = vmx_take_pending_nmi,
	.take_host_interrupts = vmx_take_host_interrupts,
	.event_allowed = vmx_event_allowed,
	.request_event_window = vmx_request_event_window,
	.flush_nested_tlb = vmx_flush_nested_tlb,
	.dump = vmx_dump,
	.init_npt_format = vmx_init_npt_format,
	.msr_bitmap_layout = MSR_BITMAP_VMX,
};
