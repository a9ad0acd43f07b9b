/* VMX capabilities: control values and required features from the capability MSRs (SDM vol. 3D app. A). */
#include "errno.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/vmx.h"
#include "x86/vmx_caps.h"

/* A VMXON or VMCS region is one 4 KiB page; IA32_VMX_BASIC reports at most that. */
#define VMX_REGION_MAX 4096

static uint32_t allowed1(uint64_t cap_msr)
{
	return (uint32_t)(cap_msr >> 32);
}

uint32_t vmx_ctls_msr(uint64_t basic, enum vmx_ctls which)
{
	static const uint32_t plain[] = {
		[VMX_CTLS_PIN] = MSR_IA32_VMX_PINBASED_CTLS,
		[VMX_CTLS_PROC] = MSR_IA32_VMX_PROCBASED_CTLS,
		[VMX_CTLS_EXIT] = MSR_IA32_VMX_EXIT_CTLS,
		[VMX_CTLS_ENTRY] = MSR_IA32_VMX_ENTRY_CTLS,
	};
	static const uint32_t true_ctls[] = {
		[VMX_CTLS_PIN] = MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		[VMX_CTLS_PROC] = MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
		[VMX_CTLS_EXIT] = MSR_IA32_VMX_TRUE_EXIT_CTLS,
		[VMX_CTLS_ENTRY] = MSR_IA32_VMX_TRUE_ENTRY_CTLS,
	};

	if ((unsigned int)which >= ARRAY_SIZE(plain))
		return 0;
	return (basic & VMX_BASIC_TRUE_CTLS) ? true_ctls[which] : plain[which];
}

int vmx_caps_read(struct vmx_caps *c, int (*read_msr)(uint32_t msr, uint64_t *value))
{
	const struct {
		uint32_t msr;
		uint64_t *dst;
	} fixed[] = {
		{ MSR_IA32_VMX_MISC, &c->misc },
		{ MSR_IA32_VMX_CR0_FIXED0, &c->cr0_fixed0 },
		{ MSR_IA32_VMX_CR0_FIXED1, &c->cr0_fixed1 },
		{ MSR_IA32_VMX_CR4_FIXED0, &c->cr4_fixed0 },
		{ MSR_IA32_VMX_CR4_FIXED1, &c->cr4_fixed1 },
	};
	uint64_t *ctls[] = {
		[VMX_CTLS_PIN] = &c->pin,
		[VMX_CTLS_PROC] = &c->proc,
		[VMX_CTLS_EXIT] = &c->exit,
		[VMX_CTLS_ENTRY] = &c->entry,
	};
	int ret;

	*c = (struct vmx_caps){ 0 };
	ret = read_msr(MSR_IA32_VMX_BASIC, &c->basic);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < ARRAY_SIZE(ctls); i++) {
		ret = read_msr(vmx_ctls_msr(c->basic, (enum vmx_ctls)i), ctls[i]);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(fixed); i++) {
		ret = read_msr(fixed[i].msr, fixed[i].dst);
		if (ret)
			return ret;
	}
	/* Appendix A.3.3 and A.10: these two exist only when the controls they describe may be 1. */
	if ((allowed1(c->proc) & VMX_PROC_SECONDARY_CONTROLS) && read_msr(MSR_IA32_VMX_PROCBASED_CTLS2, &c->proc2))
		c->proc2 = 0;
	if ((allowed1(c->proc2) & (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID)) &&
	    read_msr(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid))
		c->ept_vpid = 0;
	return 0;
}

int vmx_adjust_controls(uint64_t cap_msr, uint32_t wanted, uint32_t required, uint32_t *out,
			uint32_t *missing)
{
	uint32_t must1 = (uint32_t)cap_msr;
	uint32_t may1 = allowed1(cap_msr);
	uint32_t lacking = required & ~may1;

	*out = (wanted | required | must1) & may1;
	if (missing)
		*missing = lacking;
	if (must1 & ~may1)
		return -E_INVAL;
	return lacking ? -E_NOSUPP : 0;
}

uint64_t vmx_apply_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
	return (value | fixed0) & fixed1;
}

static void fill_basic(struct vmx_features *f, uint64_t basic)
{
	f->revision_id = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
	f->vmcs_size = (uint32_t)((basic >> VMX_BASIC_SIZE_SHIFT) & VMX_BASIC_SIZE_MASK);
	f->vmcs_memtype = (uint8_t)((basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK);
	f->phys_32bit = basic & VMX_BASIC_PHYS32;
	f->true_ctls = basic & VMX_BASIC_TRUE_CTLS;
}

static void fill_controls(struct vmx_features *f, const struct vmx_caps *c)
{
	uint32_t pin = allowed1(c->pin), proc = allowed1(c->proc);
	uint32_t exit = allowed1(c->exit), entry = allowed1(c->entry);

	f->extint_exiting = pin & VMX_PIN_EXTINT_EXITING;
	f->nmi_exiting = pin & VMX_PIN_NMI_EXITING;
	f->virtual_nmis = pin & VMX_PIN_VIRTUAL_NMIS;
	f->preemption_timer = pin & VMX_PIN_PREEMPTION_TIMER;

	f->intr_window = proc & VMX_PROC_INTR_WINDOW_EXITING;
	f->nmi_window = proc & VMX_PROC_NMI_WINDOW_EXITING;
	f->msr_bitmaps = proc & VMX_PROC_USE_MSR_BITMAPS;
	f->io_bitmaps = proc & VMX_PROC_USE_IO_BITMAPS;
	f->secondary = proc & VMX_PROC_SECONDARY_CONTROLS;

	f->host_64bit = exit & VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE;
	f->ack_intr_on_exit = exit & VMX_EXIT_CTL_ACK_INTR_ON_EXIT;
	f->save_efer = exit & VMX_EXIT_CTL_SAVE_EFER;
	f->load_host_efer = exit & VMX_EXIT_CTL_LOAD_EFER;
	f->save_pat = exit & VMX_EXIT_CTL_SAVE_PAT;
	f->load_host_pat = exit & VMX_EXIT_CTL_LOAD_PAT;

	f->ia32e_guest = entry & VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	f->load_guest_efer = entry & VMX_ENTRY_CTL_LOAD_EFER;
	f->load_guest_pat = entry & VMX_ENTRY_CTL_LOAD_PAT;
}

/* EPT, VPID and unrestricted guest: secondary controls qualified by IA32_VMX_EPT_VPID_CAP. */
static void fill_secondary(struct vmx_features *f, const struct vmx_caps *c)
{
	uint32_t proc2 = f->secondary ? allowed1(c->proc2) : 0;
	uint64_t cap = c->ept_vpid;

	f->ept = (proc2 & VMX_PROC2_ENABLE_EPT) && (cap & VMX_EPT_WALK_4) && (cap & VMX_EPT_WB);
	f->ept_2m = f->ept && (cap & VMX_EPT_2M);
	f->ept_1g = f->ept && (cap & VMX_EPT_1G);
	f->ept_ad = f->ept && (cap & VMX_EPT_AD);
	f->ept_exec_only = f->ept && (cap & VMX_EPT_EXEC_ONLY);
	f->invept = f->ept && (cap & VMX_EPT_INVEPT);
	f->invept_single = f->invept && (cap & VMX_EPT_INVEPT_SINGLE);
	f->invept_global = f->invept && (cap & VMX_EPT_INVEPT_GLOBAL);

	/* Unrestricted guest is only valid together with EPT (SDM "VM-Execution Control Fields"). */
	f->unrestricted_guest = f->ept && (proc2 & VMX_PROC2_UNRESTRICTED_GUEST);

	bool invvpid = (proc2 & VMX_PROC2_ENABLE_VPID) && (cap & VMX_VPID_INVVPID);

	f->invvpid_addr = invvpid && (cap & VMX_VPID_INVVPID_ADDR);
	f->invvpid_single = invvpid && (cap & VMX_VPID_INVVPID_SINGLE);
	f->invvpid_all = invvpid && (cap & VMX_VPID_INVVPID_ALL);
	f->invvpid_single_globals = invvpid && (cap & VMX_VPID_INVVPID_SINGLE_GLOBALS);
	/* A VPID whose stale translations cannot be flushed is worse than none. */
	f->vpid = f->invvpid_single || f->invvpid_all;
}

static void fill_misc(struct vmx_features *f, const struct vmx_caps *c)
{
	f->act_hlt = c->misc & VMX_MISC_ACT_HLT;
	f->act_shutdown = c->misc & VMX_MISC_ACT_SHUTDOWN;
	f->act_wait_sipi = c->misc & VMX_MISC_ACT_WAIT_SIPI;
	f->store_lma = c->misc & VMX_MISC_STORE_LMA;
	f->cr3_targets = (uint32_t)((c->misc >> VMX_MISC_CR3_TARGETS_SHIFT) & VMX_MISC_CR3_TARGETS_MASK);
	f->max_msr_list = 512 * (uint32_t)(((c->misc >> VMX_MISC_MSR_LIST_SHIFT) & VMX_MISC_MSR_LIST_MASK) + 1);
	f->guest_cr0_fixed0 = c->cr0_fixed0;
	if (f->unrestricted_guest)
		f->guest_cr0_fixed0 &= ~(uint64_t)(CR0_PE | CR0_PG);
}

static int refuse(char *why, size_t len, const char *msg)
{
	size_t i = 0;

	if (!why || !len)
		return -E_NOSUPP;
	for (; msg[i] && i < len - 1; i++)
		why[i] = msg[i];
	why[i] = '\0';
	return -E_NOSUPP;
}

/* The first missing requirement, in the order a reader would check them, or NULL. */
static const char *first_missing(const struct vmx_features *f, const struct vmx_caps *c)
{
	uint32_t proc2 = allowed1(c->proc2);

	if (!f->vmcs_size || f->vmcs_size > VMX_REGION_MAX)
		return "VMX: IA32_VMX_BASIC reports an unusable VMCS region size";
	if (!f->host_64bit)
		return "VMX: the CPU cannot return to a 64-bit host (exit control 'host address-space size')";
	if (!f->ia32e_guest)
		return "VMX: the CPU cannot run 64-bit guests (entry control 'IA-32e mode guest')";
	if (!f->msr_bitmaps)
		return "VMX: no MSR bitmaps (processor-based control 'use MSR bitmaps')";
	if (!f->io_bitmaps)
		return "VMX: no I/O bitmaps (processor-based control 'use I/O bitmaps')";
	if (!f->secondary)
		return "VMX: no secondary processor-based controls (needed for EPT and unrestricted guest)";
	if (!(proc2 & VMX_PROC2_ENABLE_EPT))
		return "VMX: no EPT (secondary control 'enable EPT')";
	if (!(c->ept_vpid & VMX_EPT_WALK_4))
		return "VMX: EPT does not support 4-level page walks";
	if (!(c->ept_vpid & VMX_EPT_WB))
		return "VMX: EPT does not support write-back paging structures";
	if (!f->unrestricted_guest)
		return "VMX: no unrestricted guest (needed for real-mode guest code and the SIPI start)";
	return NULL;
}

int vmx_caps_check(const struct vmx_caps *c, struct vmx_features *f, char *why, size_t len)
{
	const char *missing;

	*f = (struct vmx_features){ 0 };
	fill_basic(f, c->basic);
	fill_controls(f, c);
	fill_secondary(f, c);
	fill_misc(f, c);
	missing = first_missing(f, c);
	if (missing)
		return refuse(why, len, missing);
	if (why && len)
		why[0] = '\0';
	return 0;
}
