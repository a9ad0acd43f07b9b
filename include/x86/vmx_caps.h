/*
 * What the CPU's VMX implementation allows, from its capability MSRs (Intel SDM vol. 3D,
 * appendix A), and the control values derived from it.
 *
 * Everything here is pure: the hypervisor reads the MSRs (through the exception table, see
 * vmx_caps_read) into struct vmx_caps once, and the same code runs in host unit tests.
 */
#ifndef HV_X86_VMX_CAPS_H
#define HV_X86_VMX_CAPS_H

#include "types.h"

/* The raw capability MSRs, read once. */
struct vmx_caps {
	uint64_t basic;       /* IA32_VMX_BASIC */
	/* The control MSRs: the IA32_VMX_TRUE_* ones when basic bit 55 is set (see vmx_ctls_msr). */
	uint64_t pin;
	uint64_t proc;
	uint64_t exit;
	uint64_t entry;
	uint64_t proc2;       /* IA32_VMX_PROCBASED_CTLS2; 0 when secondary controls cannot be enabled */
	uint64_t ept_vpid;    /* IA32_VMX_EPT_VPID_CAP; 0 when the CPU has neither EPT nor VPID */
	uint64_t misc;        /* IA32_VMX_MISC */
	uint64_t cr0_fixed0, cr0_fixed1;
	uint64_t cr4_fixed0, cr4_fixed1;
};

/* What the backend may use, derived by vmx_caps_check. */
struct vmx_features {
	uint32_t revision_id;    /* VMCS revision identifier: the first word of VMXON and VMCS regions */
	uint32_t vmcs_size;      /* bytes of a VMXON / VMCS region (at most 4096) */
	uint8_t vmcs_memtype;    /* memory type for VMCS accesses (VMX_MEMTYPE_WB on every known CPU) */
	bool phys_32bit;         /* VMXON/VMCS/bitmap addresses must be below 4 GiB */
	bool true_ctls;          /* pin/proc/exit/entry came from the TRUE MSRs */

	bool secondary;          /* secondary processor-based controls */
	bool msr_bitmaps;
	bool io_bitmaps;
	bool ept;                /* EPT with 4-level walks and write-back paging structures */
	bool ept_2m, ept_1g;     /* EPT leaves of 2 MiB, 1 GiB */
	bool ept_ad;             /* EPT accessed/dirty flags */
	bool ept_exec_only;
	bool invept, invept_single, invept_global;
	bool unrestricted_guest;
	bool vpid;               /* VPIDs, with INVVPID single-context or all-context to flush them */
	bool invvpid_addr, invvpid_single, invvpid_all, invvpid_single_globals;

	bool extint_exiting, nmi_exiting, virtual_nmis, preemption_timer;
	bool intr_window, nmi_window;
	bool ack_intr_on_exit;
	bool host_64bit;         /* exit control "host address-space size" */
	bool ia32e_guest;        /* entry control "IA-32e mode guest" */
	bool save_efer, load_host_efer, load_guest_efer; /* exit save/load, entry load of IA32_EFER */
	bool save_pat, load_host_pat, load_guest_pat;    /* the same for IA32_PAT */

	bool act_hlt, act_shutdown, act_wait_sipi; /* activity states the guest may be entered in */
	bool store_lma;          /* exits save EFER.LMA into the "IA-32e mode guest" entry control */
	uint32_t cr3_targets;    /* CR3-target values supported */
	uint32_t max_msr_list;   /* entries in each VM-entry/VM-exit MSR list */

	/* CR0 bits the guest must keep set: FIXED0 without PE and PG under unrestricted guest. */
	uint64_t guest_cr0_fixed0;
};

/* Which of the four control sets, for vmx_ctls_msr. */
enum vmx_ctls {
	VMX_CTLS_PIN,
	VMX_CTLS_PROC,
	VMX_CTLS_EXIT,
	VMX_CTLS_ENTRY,
};

/*
 * The MSR that reports the allowed settings of one control set: the TRUE variant when
 * IA32_VMX_BASIC (basic) has bit 55 set, else the original one; 0 for an unknown set.
 */
uint32_t vmx_ctls_msr(uint64_t basic, enum vmx_ctls which);

/*
 * Fill c by calling rdmsr (rdmsr_safe in the hypervisor: 0 or a negative error) for each
 * capability MSR that exists: IA32_VMX_PROCBASED_CTLS2 only when secondary controls may be 1,
 * IA32_VMX_EPT_VPID_CAP only when EPT or VPID may be enabled. An optional MSR that faults anyway
 * reads as 0 (nothing offered). Returns 0, or the error of a mandatory MSR (no VMX at all).
 */
int vmx_caps_read(struct vmx_caps *c, int (*read_msr)(uint32_t msr, uint64_t *value));

/*
 * A control value from its capability MSR: the low 32 bits are the allowed-0 settings (a set
 * bit must be 1), the high 32 bits the allowed-1 settings (a clear bit must be 0).
 * *out = (wanted | required | must-be-1) & may-be-1. Returns 0; -E_NOSUPP when a bit of required
 * may not be 1 (those bits in *missing); -E_INVAL when the MSR requires a bit it does not allow.
 * *out is written in every case; missing may be NULL.
 */
int vmx_adjust_controls(uint64_t cap_msr, uint32_t wanted, uint32_t required, uint32_t *out,
			uint32_t *missing);

/* CR0 or CR4 made legal for VMX operation: the FIXED0 bits set, the bits clear in FIXED1 cleared. */
uint64_t vmx_apply_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1);

/*
 * Derive f from c. Returns 0 when everything the backend needs is there: secondary controls,
 * EPT with 4-level walks and WB paging structures, unrestricted guest, MSR and I/O bitmaps, a
 * 64-bit host and IA-32e mode guests, and a VMCS region size of 1..4096 bytes. Otherwise returns
 * -E_NOSUPP with the first missing piece named in why (NUL-terminated, cut to len; why may be
 * NULL when len is 0). f is filled in both cases; why is "" on success.
 */
int vmx_caps_check(const struct vmx_caps *c, struct vmx_features *f, char *why, size_t len);

#endif
