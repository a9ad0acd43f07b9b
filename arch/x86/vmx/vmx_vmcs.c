/*
 * Building a VMCS (Intel SDM vol. 3, chapter 24, and the entry checks of 26.2-26.3) and keeping
 * the guest's view of CR0/CR4 honest while VMX forces some of their bits.
 */
#include "console.h"
#include "vmm/debugkeys.h"
#include "frame.h"
#include "mm.h"
#include "panic.h"
#include "vmm/cr.h"
#include "vmm/partition.h"
#include "vmx_backend.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/ept.h"
#include "x86/msr.h"
#include "x86/percpu.h"
#include "x86/vmx_ops.h"

#define GUEST_VPID 1
#define AR_CODE32 (VMX_AR_TYPE_CODE_RX | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G)
#define AR_DATA32 (VMX_AR_TYPE_DATA_RW | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G)
#define AR_CODE16 (VMX_AR_TYPE_CODE_RX | VMX_AR_S | VMX_AR_P)
#define AR_DATA16 (VMX_AR_TYPE_DATA_RW | VMX_AR_S | VMX_AR_P)
#define AR_TSS_BUSY (VMX_AR_TYPE_TSS_BUSY | VMX_AR_P)

static int adjust(const char *what, uint64_t cap, uint32_t wanted, uint32_t required, uint32_t *out)
{
	uint32_t missing = 0;

	if (vmx_adjust_controls(cap, wanted, required, out, &missing)) {
		pr_err("vmx: required %s controls %#x are not offered (capability MSR %#llx)", what, missing,
		       (unsigned long long)cap);
		return -E_NOSUPP;
	}
	return 0;
}

int vmx_compute_controls(struct vmx_config *c)
{
	const struct vmx_features *f = &c->f;
	uint32_t pin = VMX_PIN_EXTINT_EXITING | VMX_PIN_NMI_EXITING | (f->virtual_nmis ? VMX_PIN_VIRTUAL_NMIS : 0);
	/* TSC offsetting: the guest may set its TSC while the hypervisor's own clock runs on. */
	uint32_t proc = VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_USE_IO_BITMAPS | VMX_PROC_SECONDARY_CONTROLS |
			VMX_PROC_TSC_OFFSETTING;
	/* RDTSCP and INVPCID #UD in the guest unless enabled here; CPUID still offers them. */
	uint32_t proc2 = VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST | VMX_PROC2_ENABLE_RDTSCP |
			 VMX_PROC2_ENABLE_INVPCID | (f->vpid ? VMX_PROC2_ENABLE_VPID : 0);
	uint32_t exit = VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE | VMX_EXIT_CTL_SAVE_EFER | VMX_EXIT_CTL_LOAD_EFER |
			VMX_EXIT_CTL_SAVE_PAT | VMX_EXIT_CTL_LOAD_PAT | VMX_EXIT_CTL_ACK_INTR_ON_EXIT;
	uint32_t entry = VMX_ENTRY_CTL_LOAD_EFER | VMX_ENTRY_CTL_LOAD_PAT;

	if (adjust("pin-based", c->caps.pin, pin, VMX_PIN_EXTINT_EXITING | VMX_PIN_NMI_EXITING, &c->pin) ||
	    adjust("processor-based", c->caps.proc, proc, proc, &c->proc) ||
	    adjust("secondary", c->caps.proc2, proc2, VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST, &c->proc2) ||
	    adjust("VM-exit", c->caps.exit, exit,
		   VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE | VMX_EXIT_CTL_SAVE_EFER | VMX_EXIT_CTL_LOAD_EFER, &c->exit) ||
	    adjust("VM-entry", c->caps.entry, entry, VMX_ENTRY_CTL_LOAD_EFER, &c->entry))
		return -E_NOSUPP;
	/* Unrestricted guests start outside long mode; the CPU sets IA-32e mode on exits itself. */
	c->entry &= ~VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	c->cr0_mask = c->f.guest_cr0_fixed0 | ~c->caps.cr0_fixed1;
	c->cr4_mask = c->caps.cr4_fixed0 | ~c->caps.cr4_fixed1;
	return 0;
}

uint64_t vmx_guest_cr0(struct vcpu *v)
{
	uint64_t mask = vmx_config.cr0_mask;

	return (vmcs_readl(VMCS_GUEST_CR0) & ~mask) | (to_vmx(v)->cr0_shadow & mask);
}

uint64_t vmx_guest_cr4(struct vcpu *v)
{
	uint64_t mask = vmx_config.cr4_mask;

	return (vmcs_readl(VMCS_GUEST_CR4) & ~mask) | (to_vmx(v)->cr4_shadow & mask);
}

void vmx_set_guest_efer(uint64_t value)
{
	vmcs_write64(VMCS_GUEST_EFER, efer_after_write(vmcs_read64(VMCS_GUEST_EFER), value));
}

/* Entering or leaving long mode through an emulated CR0 write (SDM 10.8.5). */
static void update_long_mode(uint64_t old_cr0, uint64_t new_cr0)
{
	uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);
	uint32_t entry = vmcs_read32(VMCS_ENTRY_CONTROLS);

	if ((efer & EFER_LME) && (new_cr0 & CR0_PG) && !(old_cr0 & CR0_PG)) {
		efer |= EFER_LMA;
		entry |= VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	} else if (!(new_cr0 & CR0_PG) && (old_cr0 & CR0_PG)) {
		efer &= ~EFER_LMA;
		entry &= ~VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	}
	vmcs_write64(VMCS_GUEST_EFER, efer);
	vmcs_write32(VMCS_ENTRY_CONTROLS, entry);
}

void vmx_set_guest_cr0(struct vcpu *v, uint64_t value)
{
	uint64_t old = vmx_guest_cr0(v);

	update_long_mode(old, value);
	to_vmx(v)->cr0_shadow = value;
	vmcs_writel(VMCS_CR0_READ_SHADOW, value);
	vmcs_writel(VMCS_GUEST_CR0, vmx_apply_fixed(value, vmx_config.f.guest_cr0_fixed0, vmx_config.caps.cr0_fixed1));
}

void vmx_set_guest_cr4(struct vcpu *v, uint64_t value)
{
	to_vmx(v)->cr4_shadow = value;
	vmcs_writel(VMCS_CR4_READ_SHADOW, value);
	vmcs_writel(VMCS_GUEST_CR4, vmx_apply_fixed(value, vmx_config.caps.cr4_fixed0, vmx_config.caps.cr4_fixed1));
	if (vmx_config.f.vpid && vmx_config.f.invvpid_single)
		invvpid(VMX_INVVPID_SINGLE, GUEST_VPID, 0); /* paging-mode bits may have changed */
}

/*
 * CR3 written for the guest (an emulated task switch). Under PAE paging with EPT the CPU takes the
 * four PDPTEs from the VMCS at entry, not from memory (SDM vol. 3C, 26.3.2.4): they are loaded
 * here from guest RAM as MOV CR3 would. A PDPT outside guest RAM leaves them not present.
 */
void vmx_set_guest_cr3(struct vcpu *v, uint64_t value)
{
	static const uint32_t fields[4] = { VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2,
					    VMCS_GUEST_PDPTE3 };
	uint64_t cr0 = vmx_guest_cr0(v), cr4 = vmx_guest_cr4(v);

	vmcs_writel(VMCS_GUEST_CR3, value);
	if ((cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA)) {
		const uint64_t *pdpt = partition_gpa_to_hva(v->part, value & 0xFFFFFFE0U, 32);

		for (unsigned int i = 0; i < 4; i++)
			vmcs_write64(fields[i], pdpt ? pdpt[i] : 0);
	}
}

/* MOV to CR0/CR4, CLTS and LMSW exit only when they touch a bit VMX forces (NE, VMXE). */
bool vmx_handle_cr_access(struct vcpu *v)
{
	uint64_t qual, old, value;
	unsigned int cr, access;
	struct cr_state state;

	qual = vmcs_readl(VMCS_EXIT_QUALIFICATION);
	cr = qual & VMX_CR_NUMBER_MASK;
	access = (qual >> VMX_CR_ACCESS_SHIFT) & 3;
	if (cr != 0 && cr != 4)
		return false;
	vcpu_cr_state(v, &state);
	old = cr ? state.cr4 : state.cr0;
	switch (access) {
	case VMX_CR_ACCESS_MOV_TO:
		value = vcpu_gpr(v, (qual >> VMX_CR_GPR_SHIFT) & 0xF);
		if (!(vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA))
			value &= 0xFFFFFFFF;
		break;
	case VMX_CR_ACCESS_CLTS:
		value = old & ~CR0_TS;
		break;
	case VMX_CR_ACCESS_LMSW:
		/* LMSW writes MP/EM/TS and can set PE but not clear it. */
		value = (old & ~0xEULL) | ((qual >> VMX_CR_LMSW_DATA_SHIFT) & 0xF) | (old & CR0_PE);
		break;
	default:
		return false; /* MOV from CR never exits with our controls: let the dump show it */
	}
	/* What hardware refuses, #GP(0) instead of a VM entry that fails (vmm/cr.c). */
	if (cr ? cr4_write_check(&state, value, v->part->cr4_valid) : cr0_write_check(&state, value)) {
		vcpu_inject_gp(v);
		return true;
	}
	if (!cr)
		value &= CR0_DEFINED; /* writes to reserved CR0 bits are ignored */
	vcpu_ops->write_reg(v, cr ? VCPU_CR4 : VCPU_CR0, value);
	vcpu_advance_rip(v, vmcs_read32(VMCS_EXIT_INSN_LEN));
	return true;
}

void vmx_requeue_interrupted_event(uint32_t info)
{
	uint32_t type = info & VMX_INTR_INFO_TYPE_MASK;

	if (info & VMX_INTR_INFO_ERROR_VALID)
		vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE));
	if (type == VMX_INTR_TYPE_SW_INTR || type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION || type == VMX_INTR_TYPE_SW_EXCEPTION)
		vmcs_write32(VMCS_ENTRY_INSN_LEN, vmcs_read32(VMCS_EXIT_INSN_LEN));
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info & ~VMX_INTR_INFO_NMI_UNBLOCK_IRET);
}

static void set_segment(uint64_t sel_field, uint64_t base_field, uint64_t limit_field, uint64_t ar_field,
			uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	vmcs_write16(sel_field, sel);
	vmcs_writel(base_field, base);
	vmcs_write32(limit_field, limit);
	vmcs_write32(ar_field, ar);
}

#define SET_SEG(seg, sel, base, limit, ar)                                                        \
	set_segment(VMCS_GUEST_##seg##_SELECTOR, VMCS_GUEST_##seg##_BASE, VMCS_GUEST_##seg##_LIMIT,    \
		    VMCS_GUEST_##seg##_AR, sel, base, limit, ar)

/* The segments of `start`: flat 4 GiB ones in protected mode, 64 KiB ones as INIT leaves them in real mode. */
static void set_guest_segments(const struct vcpu_start *start)
{
	bool flat32 = start->mode == VCPU_START_PROTECTED;
	uint32_t code = flat32 ? AR_CODE32 : AR_CODE16, data = flat32 ? AR_DATA32 : AR_DATA16;
	uint32_t limit = flat32 ? 0xFFFFFFFF : 0xFFFF;
	uint16_t data_sel = start->data_sel;

	SET_SEG(CS, start->code_sel, start->cs_base, limit, code);
	SET_SEG(DS, data_sel, 0, limit, data);
	SET_SEG(ES, data_sel, 0, limit, data);
	SET_SEG(SS, data_sel, 0, limit, data);
	SET_SEG(FS, data_sel, 0, limit, data);
	SET_SEG(GS, data_sel, 0, limit, data);
	SET_SEG(LDTR, 0, 0, 0, VMX_AR_UNUSABLE);
	SET_SEG(TR, 0, 0, 0xFFFF, AR_TSS_BUSY);
	vmcs_writel(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
	vmcs_writel(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);
}

static void set_host_state(void)
{
	struct percpu *cpu = this_cpu();
	struct desc_ptr idtr;

	asm volatile("sidt %0" : "=m"(idtr));
	vmcs_writel(VMCS_HOST_CR0, read_cr0());
	vmcs_writel(VMCS_HOST_CR3, read_cr3());
	vmcs_writel(VMCS_HOST_CR4, read_cr4());
	vmcs_write16(VMCS_HOST_CS_SELECTOR, GDT_SEL_CODE);
	vmcs_write16(VMCS_HOST_SS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(VMCS_HOST_DS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(VMCS_HOST_ES_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_TR_SELECTOR, GDT_SEL_TSS);
	vmcs_writel(VMCS_HOST_FS_BASE, 0);
	vmcs_writel(VMCS_HOST_GS_BASE, (uintptr_t)cpu); /* this_cpu() works again right after an exit */
	vmcs_writel(VMCS_HOST_TR_BASE, (uintptr_t)&cpu->tss);
	vmcs_writel(VMCS_HOST_GDTR_BASE, (uintptr_t)cpu->gdt);
	vmcs_writel(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_writel(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_writel(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	if (vmx_config.exit & VMX_EXIT_CTL_LOAD_PAT)
		vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_writel(VMCS_HOST_RIP, (uintptr_t)vmx_exit_point);
}

static void set_controls(const struct vcpu *v, bool idle)
{
	const struct partition *p = v->part;
	const struct vmx_config *c = &vmx_config;
	uint32_t proc = c->proc;

	uint32_t pin = c->pin;
	uint64_t timer = debugkeys_timer_tsc() >> (c->caps.misc & VMX_MISC_PREEMPTION_RATE_MASK);

	if (!idle && p->test_unhandled_exit)
		proc |= VMX_PROC_RDTSC_EXITING; /* deliberately without a handler */
	/*
	 * The debug keys: an exit after DEBUGKEYS_TIMER_MS of guest time without one, even with the
	 * guest's interrupts off. Without "save VMX-preemption timer value" every entry reloads the
	 * full count (SDM vol. 3, 26.7.4), so the timer fires only in a stretch that long.
	 */
	if (timer && c->f.preemption_timer) {
		pin |= VMX_PIN_PREEMPTION_TIMER;
		vmcs_write32(VMCS_PREEMPTION_TIMER, timer > 0xFFFFFFFFULL ? 0xFFFFFFFFU : (uint32_t)timer);
	}
	vmcs_write32(VMCS_PIN_CONTROLS, pin);
	vmcs_write32(VMCS_PROC_CONTROLS, proc);
	vmcs_write32(VMCS_PROC2_CONTROLS, c->proc2);
	vmcs_write32(VMCS_EXIT_CONTROLS, c->exit);
	vmcs_write32(VMCS_ENTRY_CONTROLS, c->entry);
	vmcs_write32(VMCS_EXCEPTION_BITMAP, idle ? 0 : p->exception_mask);
	vmcs_write32(VMCS_PF_ERROR_CODE_MASK, 0);
	vmcs_write32(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write64(VMCS_IO_BITMAP_A, p->io_bitmap_pa);
	vmcs_write64(VMCS_IO_BITMAP_B, p->io_bitmap_pa + FRAME_SIZE);
	vmcs_write64(VMCS_MSR_BITMAP, v->msr_bitmap_pa);
	vmcs_write64(VMCS_TSC_OFFSET, 0);
	vmcs_write64(VMCS_EPT_POINTER, ept_pointer(idle ? p->idle_npt_root : p->npt_root));
	if (c->proc2 & VMX_PROC2_ENABLE_VPID)
		vmcs_write16(VMCS_VPID, GUEST_VPID);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	/*
	 * The forced CR0/CR4 bits belong to the host: the guest reads its own values from the shadows.
	 * CR4 bits the guest's CPUID does not offer (VMXE, SMXE, reserved) are the host's too, so that
	 * setting one exits and gets its #GP (vmm/cr.c); the same value on every CPU.
	 */
	vmx_config.cr4_mask |= ~p->cr4_valid;
	vmcs_writel(VMCS_CR0_GUEST_HOST_MASK, c->cr0_mask);
	vmcs_writel(VMCS_CR4_GUEST_HOST_MASK, vmx_config.cr4_mask);
}

/* The guest state of `start`, as INIT leaves it where the mode does not say otherwise. */
void vmx_vcpu_reset(struct vcpu *v, const struct vcpu_start *start)
{
	struct vmx_vcpu *xv = to_vmx(v);
	bool idle = start->mode == VCPU_START_IDLE;

	set_controls(v, idle);
	vmcs_write64(VMCS_TSC_OFFSET, v->tsc_offset); /* INIT does not touch the TSC */
	set_guest_segments(start);
	vmcs_writel(VMCS_CR0_READ_SHADOW, 0);
	vmcs_writel(VMCS_CR4_READ_SHADOW, 0);
	xv->cr0_shadow = 0;
	xv->cr4_shadow = 0;
	vmcs_write64(VMCS_GUEST_EFER, 0);
	vmx_set_guest_cr0(v, start->cr0);
	vmx_set_guest_cr4(v, 0);
	vmcs_writel(VMCS_GUEST_CR3, 0);
	vmcs_writel(VMCS_GUEST_DR7, DR7_INIT);
	vmcs_writel(VMCS_GUEST_RFLAGS, RFLAGS_RESERVED);
	vmcs_writel(VMCS_GUEST_RIP, start->rip);
	vmcs_writel(VMCS_GUEST_RSP, 0);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_writel(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* A waiting CPU halts; INIT/SIPI reach it in software as an NMI-kicked exit (vmm/initsipi.c). */
	vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, idle && vmx_config.f.act_hlt ? VMX_ACTIVITY_HLT : VMX_ACTIVITY_ACTIVE);
	/* The register cache holds what the VMCS now holds: nothing stale is written back. */
	v->regs = start->regs;
	v->regs.rsp = 0;
	v->rip = start->rip;
	v->rflags = RFLAGS_RESERVED;
	v->interrupt_shadow = false;
	xv->interruptibility = 0;
	v->dirty = 0;
}

/*
 * VMXOFF left the VMCS clear in memory (vmx_leave_cpu): make it current again, launch it anew, and
 * write the host state again in case any of it moved (SDM vol. 3C, 25.1 and 25.11.3).
 */
void vmx_vcpu_reload(struct vcpu *v)
{
	struct vmx_vcpu *xv = to_vmx(v);

	if (vmclear(xv->vmcs_pa) || vmptrld(xv->vmcs_pa))
		pr_err("vmx: VMCLEAR/VMPTRLD of vCPU %u's VMCS failed after the resume", v->id);
	xv->entry.launched = false;
	xv->entry.host_rsp = 0; /* VMCLEAR: write it again */
	set_host_state();
}

int vmx_vcpu_create(struct vcpu *v, const struct vcpu_start *start)
{
	struct vmx_vcpu *xv = to_vmx(v);
	uint32_t *vmcs = alloc_zeroed_frames(FRAME_SIZE, &xv->vmcs_pa);

	vmcs[0] = vmx_config.f.revision_id;
	if (vmclear(xv->vmcs_pa) || vmptrld(xv->vmcs_pa)) {
		pr_err("vmx: VMCLEAR/VMPTRLD of the new VMCS failed on CPU %u", this_cpu_id());
		return -E_NOSUPP;
	}
	set_host_state();
	vmcs_write64(VMCS_GUEST_PAT, PAT_POWER_ON);
	vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_EIP, 0);
	vmx_vcpu_reset(v, start);
	return 0;
}
