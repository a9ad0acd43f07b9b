/*
 * Intel VMX: VMCS field encodings, control bits, exit reasons and VM-instruction errors
 * (Intel SDM vol. 3C, chapters "Virtual Machine Control Structures", "VM Entries", "VM Exits",
 * and vol. 3D appendices A "VMX Capability Reporting Facility", B "Field Encoding in VMCS" and
 * C "VMX Basic Exit Reasons").
 *
 * The capability MSR numbers live in x86/msr.h (MSR_IA32_VMX_*). How to read them:
 *  - IA32_VMX_BASIC (0x480) exists whenever CPUID.1:ECX.VMX is set.
 *  - The pin/proc/exit/entry controls come from 0x481-0x484, or from their TRUE variants
 *    0x48D-0x490 when IA32_VMX_BASIC bit 55 is set (the TRUE ones may allow some "default1"
 *    bits, like CR3-load exiting, to be 0). Low 32 bits: allowed-0 settings (a 1 there means the
 *    control must be 1); high 32 bits: allowed-1 settings (a 0 there means it must be 0).
 *  - IA32_VMX_PROCBASED_CTLS2 (0x48B) exists only if "activate secondary controls" may be 1.
 *  - IA32_VMX_EPT_VPID_CAP (0x48C) exists only if "enable EPT" or "enable VPID" may be 1; reading
 *    it otherwise raises #GP, so probe it through the exception table.
 *  - IA32_VMX_CR0/CR4_FIXED0/1 (0x486-0x489): bits set in FIXED0 must be 1, bits clear in FIXED1
 *    must be 0 in CR0/CR4 while in VMX operation (and in the guest, except CR0.PE/PG with
 *    unrestricted guest).
 */
#ifndef HV_X86_VMX_H
#define HV_X86_VMX_H

#include "types.h"

/* CPUID.1:ECX */
#define CPUID_1_ECX_VMX (1U << 5)

/* IA32_FEATURE_CONTROL (MSR 0x3A) */
#define FEATURE_CONTROL_LOCK (1ULL << 0)
#define FEATURE_CONTROL_VMX_IN_SMX (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

/* IA32_VMX_BASIC (appendix A.1) */
#define VMX_BASIC_REVISION_MASK 0x7FFFFFFFULL    /* bits 30:0: the VMCS revision identifier */
#define VMX_BASIC_SIZE_SHIFT 32                  /* bits 44:32: VMXON/VMCS region size in bytes */
#define VMX_BASIC_SIZE_MASK 0x1FFFULL
#define VMX_BASIC_PHYS32 (1ULL << 48)            /* VMXON/VMCS/bitmap addresses limited to 32 bits */
#define VMX_BASIC_DUAL_MONITOR (1ULL << 49)
#define VMX_BASIC_MEMTYPE_SHIFT 50               /* bits 53:50: memory type for VMCS accesses */
#define VMX_BASIC_MEMTYPE_MASK 0xFULL
#define VMX_BASIC_INOUT_INFO (1ULL << 54)        /* INS/OUTS exits report instruction information */
#define VMX_BASIC_TRUE_CTLS (1ULL << 55)         /* the IA32_VMX_TRUE_*_CTLS MSRs exist */
#define VMX_BASIC_NO_ERRCODE_CHECK (1ULL << 56)  /* injected exceptions need not match error-code rules */

/* Memory types (SDM vol. 3A "Memory Type Encodings"): EPTP, EPT leaves, IA32_VMX_BASIC. */
#define VMX_MEMTYPE_UC 0
#define VMX_MEMTYPE_WC 1
#define VMX_MEMTYPE_WT 4
#define VMX_MEMTYPE_WP 5
#define VMX_MEMTYPE_WB 6

/* IA32_VMX_MISC (appendix A.6) */
#define VMX_MISC_PREEMPTION_RATE_MASK 0x1FULL    /* bits 4:0: timer counts at TSC >> rate */
#define VMX_MISC_STORE_LMA (1ULL << 5)           /* exits store EFER.LMA in "IA-32e mode guest" */
#define VMX_MISC_ACT_HLT (1ULL << 6)
#define VMX_MISC_ACT_SHUTDOWN (1ULL << 7)
#define VMX_MISC_ACT_WAIT_SIPI (1ULL << 8)
#define VMX_MISC_PT_IN_VMX (1ULL << 14)
#define VMX_MISC_SMBASE_RDMSR (1ULL << 15)
#define VMX_MISC_CR3_TARGETS_SHIFT 16            /* bits 24:16 */
#define VMX_MISC_CR3_TARGETS_MASK 0x1FFULL
#define VMX_MISC_MSR_LIST_SHIFT 25               /* bits 27:25: N, lists may hold 512 * (N + 1) */
#define VMX_MISC_MSR_LIST_MASK 0x7ULL
#define VMX_MISC_VMWRITE_ANY (1ULL << 29)        /* VMWRITE may write the exit-information fields */
#define VMX_MISC_ZERO_LEN_INJECT (1ULL << 30)    /* software events may be injected with length 0 */

/* IA32_VMX_EPT_VPID_CAP (appendix A.10) */
#define VMX_EPT_EXEC_ONLY (1ULL << 0)
#define VMX_EPT_WALK_4 (1ULL << 6)
#define VMX_EPT_WALK_5 (1ULL << 7)
#define VMX_EPT_UC (1ULL << 8)                   /* EPTP may use memory type UC */
#define VMX_EPT_WB (1ULL << 14)                  /* EPTP may use memory type WB */
#define VMX_EPT_2M (1ULL << 16)
#define VMX_EPT_1G (1ULL << 17)
#define VMX_EPT_INVEPT (1ULL << 20)
#define VMX_EPT_AD (1ULL << 21)                  /* accessed and dirty flags */
#define VMX_EPT_ADV_EXIT_INFO (1ULL << 22)
#define VMX_EPT_INVEPT_SINGLE (1ULL << 25)
#define VMX_EPT_INVEPT_GLOBAL (1ULL << 26)
#define VMX_VPID_INVVPID (1ULL << 32)
#define VMX_VPID_INVVPID_ADDR (1ULL << 40)
#define VMX_VPID_INVVPID_SINGLE (1ULL << 41)
#define VMX_VPID_INVVPID_ALL (1ULL << 42)
#define VMX_VPID_INVVPID_SINGLE_GLOBALS (1ULL << 43)

/* INVEPT and INVVPID types (vol. 3C "VMX Instruction Reference") */
#define VMX_INVEPT_SINGLE 1
#define VMX_INVEPT_GLOBAL 2
#define VMX_INVVPID_ADDR 0
#define VMX_INVVPID_SINGLE 1
#define VMX_INVVPID_ALL 2
#define VMX_INVVPID_SINGLE_GLOBALS 3

/*
 * VMCS field encodings (appendix B). An encoding holds: bit 0 access type (1 = the high 32 bits
 * of a 64-bit field), bits 9:1 index, bits 11:10 type (control, read-only data, guest state,
 * host state), bits 14:13 width. The accessors in vmx_ops.h check the width against the value.
 */
#define VMCS_ENC_HIGH (1U << 0)
#define VMCS_ENC_WIDTH(enc) (((enc) >> 13) & 3)
#define VMCS_WIDTH_16 0
#define VMCS_WIDTH_64 1
#define VMCS_WIDTH_32 2
#define VMCS_WIDTH_NATURAL 3

/* 16-bit control fields */
#define VMCS_VPID 0x0000
#define VMCS_POSTED_INTR_NOTIFY_VECTOR 0x0002
#define VMCS_EPTP_INDEX 0x0004

/* 16-bit guest-state fields */
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_GUEST_CS_SELECTOR 0x0802
#define VMCS_GUEST_SS_SELECTOR 0x0804
#define VMCS_GUEST_DS_SELECTOR 0x0806
#define VMCS_GUEST_FS_SELECTOR 0x0808
#define VMCS_GUEST_GS_SELECTOR 0x080A
#define VMCS_GUEST_LDTR_SELECTOR 0x080C
#define VMCS_GUEST_TR_SELECTOR 0x080E
#define VMCS_GUEST_INTR_STATUS 0x0810
#define VMCS_GUEST_PML_INDEX 0x0812

/* 16-bit host-state fields */
#define VMCS_HOST_ES_SELECTOR 0x0C00
#define VMCS_HOST_CS_SELECTOR 0x0C02
#define VMCS_HOST_SS_SELECTOR 0x0C04
#define VMCS_HOST_DS_SELECTOR 0x0C06
#define VMCS_HOST_FS_SELECTOR 0x0C08
#define VMCS_HOST_GS_SELECTOR 0x0C0A
#define VMCS_HOST_TR_SELECTOR 0x0C0C

/* 64-bit control fields (the full field; add VMCS_ENC_HIGH for the upper half) */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200A
#define VMCS_EXECUTIVE_VMCS_PTR 0x200C
#define VMCS_PML_ADDR 0x200E
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_VIRTUAL_APIC_ADDR 0x2012
#define VMCS_APIC_ACCESS_ADDR 0x2014
#define VMCS_POSTED_INTR_DESC_ADDR 0x2016
#define VMCS_VM_FUNCTION_CONTROLS 0x2018
#define VMCS_EPT_POINTER 0x201A
#define VMCS_EOI_EXIT_BITMAP0 0x201C
#define VMCS_EOI_EXIT_BITMAP1 0x201E
#define VMCS_EOI_EXIT_BITMAP2 0x2020
#define VMCS_EOI_EXIT_BITMAP3 0x2022
#define VMCS_EPTP_LIST_ADDR 0x2024
#define VMCS_VMREAD_BITMAP 0x2026
#define VMCS_VMWRITE_BITMAP 0x2028
#define VMCS_VE_INFO_ADDR 0x202A
#define VMCS_XSS_EXIT_BITMAP 0x202C
#define VMCS_TSC_MULTIPLIER 0x2032

/* 64-bit read-only data field */
#define VMCS_GUEST_PHYSICAL_ADDR 0x2400

/* 64-bit guest-state fields */
#define VMCS_LINK_POINTER 0x2800 /* must be ~0ULL unless VMCS shadowing is used */
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PERF_GLOBAL_CTRL 0x2808
#define VMCS_GUEST_PDPTE0 0x280A
#define VMCS_GUEST_PDPTE1 0x280C
#define VMCS_GUEST_PDPTE2 0x280E
#define VMCS_GUEST_PDPTE3 0x2810
#define VMCS_GUEST_BNDCFGS 0x2812

/* 64-bit host-state fields */
#define VMCS_HOST_PAT 0x2C00
#define VMCS_HOST_EFER 0x2C02
#define VMCS_HOST_PERF_GLOBAL_CTRL 0x2C04

/* 32-bit control fields */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_CODE_MASK 0x4006
#define VMCS_PF_ERROR_CODE_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400A
#define VMCS_EXIT_CONTROLS 0x400C
#define VMCS_EXIT_MSR_STORE_COUNT 0x400E
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401A
#define VMCS_TPR_THRESHOLD 0x401C
#define VMCS_PROC2_CONTROLS 0x401E
#define VMCS_PLE_GAP 0x4020
#define VMCS_PLE_WINDOW 0x4022

/* 32-bit read-only data fields */
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE 0x440A
#define VMCS_EXIT_INSN_LEN 0x440C
#define VMCS_EXIT_INSN_INFO 0x440E

/* 32-bit guest-state fields */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480A
#define VMCS_GUEST_LDTR_LIMIT 0x480C
#define VMCS_GUEST_TR_LIMIT 0x480E
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_CS_AR 0x4816
#define VMCS_GUEST_SS_AR 0x4818
#define VMCS_GUEST_DS_AR 0x481A
#define VMCS_GUEST_FS_AR 0x481C
#define VMCS_GUEST_GS_AR 0x481E
#define VMCS_GUEST_LDTR_AR 0x4820
#define VMCS_GUEST_TR_AR 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SMBASE 0x4828
#define VMCS_GUEST_SYSENTER_CS 0x482A
#define VMCS_PREEMPTION_TIMER 0x482E

/* 32-bit host-state field */
#define VMCS_HOST_SYSENTER_CS 0x4C00

/* Natural-width control fields */
#define VMCS_CR0_GUEST_HOST_MASK 0x6000
#define VMCS_CR4_GUEST_HOST_MASK 0x6002
#define VMCS_CR0_READ_SHADOW 0x6004
#define VMCS_CR4_READ_SHADOW 0x6006
#define VMCS_CR3_TARGET0 0x6008
#define VMCS_CR3_TARGET1 0x600A
#define VMCS_CR3_TARGET2 0x600C
#define VMCS_CR3_TARGET3 0x600E

/* Natural-width read-only data fields */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_IO_RCX 0x6402
#define VMCS_IO_RSI 0x6404
#define VMCS_IO_RDI 0x6406
#define VMCS_IO_RIP 0x6408
#define VMCS_GUEST_LINEAR_ADDR 0x640A

/* Natural-width guest-state fields */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680A
#define VMCS_GUEST_DS_BASE 0x680C
#define VMCS_GUEST_FS_BASE 0x680E
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681A
#define VMCS_GUEST_RSP 0x681C
#define VMCS_GUEST_RIP 0x681E
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826

/* Natural-width host-state fields */
#define VMCS_HOST_CR0 0x6C00
#define VMCS_HOST_CR3 0x6C02
#define VMCS_HOST_CR4 0x6C04
#define VMCS_HOST_FS_BASE 0x6C06
#define VMCS_HOST_GS_BASE 0x6C08
#define VMCS_HOST_TR_BASE 0x6C0A
#define VMCS_HOST_GDTR_BASE 0x6C0C
#define VMCS_HOST_IDTR_BASE 0x6C0E
#define VMCS_HOST_SYSENTER_ESP 0x6C10
#define VMCS_HOST_SYSENTER_EIP 0x6C12
#define VMCS_HOST_RSP 0x6C14
#define VMCS_HOST_RIP 0x6C16

/* Pin-based VM-execution controls */
#define VMX_PIN_EXTINT_EXITING (1U << 0)
#define VMX_PIN_NMI_EXITING (1U << 3)
#define VMX_PIN_VIRTUAL_NMIS (1U << 5)
#define VMX_PIN_PREEMPTION_TIMER (1U << 6)
#define VMX_PIN_POSTED_INTERRUPTS (1U << 7)

/* Primary processor-based VM-execution controls */
#define VMX_PROC_INTR_WINDOW_EXITING (1U << 2)
#define VMX_PROC_TSC_OFFSETTING (1U << 3)
#define VMX_PROC_HLT_EXITING (1U << 7)
#define VMX_PROC_INVLPG_EXITING (1U << 9)
#define VMX_PROC_MWAIT_EXITING (1U << 10)
#define VMX_PROC_RDPMC_EXITING (1U << 11)
#define VMX_PROC_RDTSC_EXITING (1U << 12)
#define VMX_PROC_CR3_LOAD_EXITING (1U << 15)
#define VMX_PROC_CR3_STORE_EXITING (1U << 16)
#define VMX_PROC_TERTIARY_CONTROLS (1U << 17)
#define VMX_PROC_CR8_LOAD_EXITING (1U << 19)
#define VMX_PROC_CR8_STORE_EXITING (1U << 20)
#define VMX_PROC_TPR_SHADOW (1U << 21)
#define VMX_PROC_NMI_WINDOW_EXITING (1U << 22)
#define VMX_PROC_MOV_DR_EXITING (1U << 23)
#define VMX_PROC_UNCOND_IO_EXITING (1U << 24)
#define VMX_PROC_USE_IO_BITMAPS (1U << 25)
#define VMX_PROC_MONITOR_TRAP_FLAG (1U << 27)
#define VMX_PROC_USE_MSR_BITMAPS (1U << 28)
#define VMX_PROC_MONITOR_EXITING (1U << 29)
#define VMX_PROC_PAUSE_EXITING (1U << 30)
#define VMX_PROC_SECONDARY_CONTROLS (1U << 31)

/* Secondary processor-based VM-execution controls */
#define VMX_PROC2_VIRTUALIZE_APIC_ACCESSES (1U << 0)
#define VMX_PROC2_ENABLE_EPT (1U << 1)
#define VMX_PROC2_DESC_TABLE_EXITING (1U << 2)
#define VMX_PROC2_ENABLE_RDTSCP (1U << 3)
#define VMX_PROC2_VIRTUALIZE_X2APIC (1U << 4)
#define VMX_PROC2_ENABLE_VPID (1U << 5)
#define VMX_PROC2_WBINVD_EXITING (1U << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST (1U << 7)
#define VMX_PROC2_APIC_REGISTER_VIRT (1U << 8)
#define VMX_PROC2_VIRTUAL_INTR_DELIVERY (1U << 9)
#define VMX_PROC2_PAUSE_LOOP_EXITING (1U << 10)
#define VMX_PROC2_RDRAND_EXITING (1U << 11)
#define VMX_PROC2_ENABLE_INVPCID (1U << 12)
#define VMX_PROC2_ENABLE_VMFUNC (1U << 13)
#define VMX_PROC2_VMCS_SHADOWING (1U << 14)
#define VMX_PROC2_ENCLS_EXITING (1U << 15)
#define VMX_PROC2_RDSEED_EXITING (1U << 16)
#define VMX_PROC2_ENABLE_PML (1U << 17)
#define VMX_PROC2_EPT_VIOLATION_VE (1U << 18)
#define VMX_PROC2_CONCEAL_VMX_FROM_PT (1U << 19)
#define VMX_PROC2_ENABLE_XSAVES (1U << 20)
#define VMX_PROC2_MODE_BASED_EPT_EXEC (1U << 22)
#define VMX_PROC2_TSC_SCALING (1U << 25)
#define VMX_PROC2_ENABLE_USER_WAIT_PAUSE (1U << 26)

/* VM-exit controls */
#define VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS (1U << 2)
#define VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE (1U << 9) /* return to a 64-bit host */
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL (1U << 12)
#define VMX_EXIT_CTL_ACK_INTR_ON_EXIT (1U << 15)
#define VMX_EXIT_CTL_SAVE_PAT (1U << 18)
#define VMX_EXIT_CTL_LOAD_PAT (1U << 19)
#define VMX_EXIT_CTL_SAVE_EFER (1U << 20)
#define VMX_EXIT_CTL_LOAD_EFER (1U << 21)
#define VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER (1U << 22)
#define VMX_EXIT_CTL_CLEAR_BNDCFGS (1U << 23)
#define VMX_EXIT_CTL_CONCEAL_VMX_FROM_PT (1U << 24)

/* VM-entry controls */
#define VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS (1U << 2)
#define VMX_ENTRY_CTL_IA32E_MODE_GUEST (1U << 9)
#define VMX_ENTRY_CTL_TO_SMM (1U << 10)
#define VMX_ENTRY_CTL_DEACT_DUAL_MONITOR (1U << 11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL (1U << 13)
#define VMX_ENTRY_CTL_LOAD_PAT (1U << 14)
#define VMX_ENTRY_CTL_LOAD_EFER (1U << 15)
#define VMX_ENTRY_CTL_LOAD_BNDCFGS (1U << 16)
#define VMX_ENTRY_CTL_CONCEAL_VMX_FROM_PT (1U << 17)

/* EPT pointer (vol. 3C "Extended-Page-Table Pointer") */
#define EPTP_MEMTYPE_MASK 0x7ULL                       /* bits 2:0 */
#define EPTP_WALK_LENGTH(levels) (((uint64_t)(levels) - 1) << 3) /* bits 5:3 */
#define EPTP_AD_ENABLE (1ULL << 6)

/* Segment access rights in the guest-state area: descriptor bits 47:40 and 55:52, plus "unusable" */
#define VMX_AR_TYPE_MASK 0xFU
#define VMX_AR_TYPE_ACCESSED (1U << 0)
#define VMX_AR_S (1U << 4)                    /* code/data (not system) */
#define VMX_AR_DPL_SHIFT 5
#define VMX_AR_P (1U << 7)
#define VMX_AR_AVL (1U << 12)
#define VMX_AR_L (1U << 13)
#define VMX_AR_DB (1U << 14)
#define VMX_AR_G (1U << 15)
#define VMX_AR_UNUSABLE (1U << 16)
#define VMX_AR_TYPE_DATA_RW 0x3U              /* read/write, accessed */
#define VMX_AR_TYPE_CODE_RX 0xBU              /* execute/read, accessed */
#define VMX_AR_TYPE_LDT 0x2U
#define VMX_AR_TYPE_TSS_BUSY 0xBU             /* 32/64-bit busy TSS; entry checks need busy for TR */

/* Guest interruptibility state */
#define VMX_INTR_BLOCK_STI (1U << 0)
#define VMX_INTR_BLOCK_MOV_SS (1U << 1)
#define VMX_INTR_BLOCK_SMI (1U << 2)
#define VMX_INTR_BLOCK_NMI (1U << 3)
#define VMX_INTR_ENCLAVE (1U << 4)

/* Guest activity state */
#define VMX_ACTIVITY_ACTIVE 0
#define VMX_ACTIVITY_HLT 1
#define VMX_ACTIVITY_SHUTDOWN 2
#define VMX_ACTIVITY_WAIT_SIPI 3

/*
 * VM-entry and VM-exit interruption information, IDT-vectoring information: vector in 7:0,
 * type in 10:8, error code valid 11, NMI unblocking due to IRET 12 (exits only), valid 31.
 */
#define VMX_INTR_INFO_VECTOR_MASK 0xFFU
#define VMX_INTR_INFO_TYPE_SHIFT 8
#define VMX_INTR_INFO_TYPE_MASK (7U << 8)
#define VMX_INTR_INFO_ERROR_VALID (1U << 11)
#define VMX_INTR_INFO_NMI_UNBLOCK_IRET (1U << 12)
#define VMX_INTR_INFO_VALID (1U << 31)
#define VMX_INTR_TYPE_EXT_INTR (0U << 8)
#define VMX_INTR_TYPE_NMI (2U << 8)
#define VMX_INTR_TYPE_HW_EXCEPTION (3U << 8)
#define VMX_INTR_TYPE_SW_INTR (4U << 8)
#define VMX_INTR_TYPE_PRIV_SW_EXCEPTION (5U << 8)    /* INT1 */
#define VMX_INTR_TYPE_SW_EXCEPTION (6U << 8)         /* INT3, INTO */
#define VMX_INTR_TYPE_OTHER (7U << 8)                /* MTF pending */

/* Exit reason field: basic reason in 15:0 and flags. */
#define VMX_EXIT_REASON_BASIC_MASK 0xFFFFU
#define VMX_EXIT_REASON_ENCLAVE (1U << 27)
#define VMX_EXIT_REASON_PENDING_MTF (1U << 28)
#define VMX_EXIT_REASON_FROM_ROOT (1U << 29)
#define VMX_EXIT_REASON_FAILED_ENTRY (1U << 31)

/* Basic exit reasons (appendix C) */
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXTINT 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_IO_SMI 5
#define VMX_EXIT_OTHER_SMI 6
#define VMX_EXIT_INTR_WINDOW 7
#define VMX_EXIT_NMI_WINDOW 8
#define VMX_EXIT_TASK_SWITCH 9
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_HLT 12
#define VMX_EXIT_INVD 13
#define VMX_EXIT_INVLPG 14
#define VMX_EXIT_RDPMC 15
#define VMX_EXIT_RDTSC 16
#define VMX_EXIT_RSM 17
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19
#define VMX_EXIT_VMLAUNCH 20
#define VMX_EXIT_VMPTRLD 21
#define VMX_EXIT_VMPTRST 22
#define VMX_EXIT_VMREAD 23
#define VMX_EXIT_VMRESUME 24
#define VMX_EXIT_VMWRITE 25
#define VMX_EXIT_VMXOFF 26
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_DR_ACCESS 29
#define VMX_EXIT_IO 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_GUEST_STATE 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MWAIT 36
#define VMX_EXIT_MTF 37
#define VMX_EXIT_MONITOR 39
#define VMX_EXIT_PAUSE 40
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_TPR_BELOW_THRESHOLD 43
#define VMX_EXIT_APIC_ACCESS 44
#define VMX_EXIT_VIRTUALIZED_EOI 45
#define VMX_EXIT_GDTR_IDTR 46
#define VMX_EXIT_LDTR_TR 47
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_RDTSCP 51
#define VMX_EXIT_PREEMPTION_TIMER 52
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_APIC_WRITE 56
#define VMX_EXIT_RDRAND 57
#define VMX_EXIT_INVPCID 58
#define VMX_EXIT_VMFUNC 59
#define VMX_EXIT_ENCLS 60
#define VMX_EXIT_RDSEED 61
#define VMX_EXIT_PML_FULL 62
#define VMX_EXIT_XSAVES 63
#define VMX_EXIT_XRSTORS 64
#define VMX_EXIT_SPP 66
#define VMX_EXIT_UMWAIT 67
#define VMX_EXIT_TPAUSE 68
#define VMX_EXIT_LOADIWKEY 69
#define VMX_EXIT_BUS_LOCK 74
#define VMX_EXIT_NOTIFY 75

/* Exit qualification: I/O instructions */
#define VMX_IO_SIZE_MASK 0x7U          /* bits 2:0: access size - 1 */
#define VMX_IO_IN (1U << 3)
#define VMX_IO_STRING (1U << 4)
#define VMX_IO_REP (1U << 5)
#define VMX_IO_IMMEDIATE (1U << 6)     /* port from an immediate, not DX */
#define VMX_IO_PORT_SHIFT 16           /* bits 31:16 */

/* Exit qualification: control-register accesses */
#define VMX_CR_NUMBER_MASK 0xFU
#define VMX_CR_ACCESS_SHIFT 4          /* bits 5:4 */
#define VMX_CR_ACCESS_MOV_TO 0
#define VMX_CR_ACCESS_MOV_FROM 1
#define VMX_CR_ACCESS_CLTS 2
#define VMX_CR_ACCESS_LMSW 3
#define VMX_CR_LMSW_MEMORY (1U << 6)
#define VMX_CR_GPR_SHIFT 8             /* bits 11:8 */
#define VMX_CR_LMSW_DATA_SHIFT 16

/* Exit qualification: EPT violations */
#define VMX_EPT_VIOL_READ (1ULL << 0)
#define VMX_EPT_VIOL_WRITE (1ULL << 1)
#define VMX_EPT_VIOL_FETCH (1ULL << 2)
#define VMX_EPT_VIOL_READABLE (1ULL << 3)    /* what the entry allowed */
#define VMX_EPT_VIOL_WRITABLE (1ULL << 4)
#define VMX_EPT_VIOL_EXECUTABLE (1ULL << 5)
#define VMX_EPT_VIOL_LINEAR_VALID (1ULL << 7)
#define VMX_EPT_VIOL_FINAL_TRANSLATION (1ULL << 8) /* else an access to a guest paging structure */
#define VMX_EPT_VIOL_NMI_UNBLOCK_IRET (1ULL << 12)

/* VM-instruction error numbers (vol. 3C "VM-Instruction Error Numbers"), in VMCS_INSN_ERROR */
#define VMX_ERR_VMCALL_IN_ROOT 1
#define VMX_ERR_VMCLEAR_INVALID_ADDR 2
#define VMX_ERR_VMCLEAR_VMXON_PTR 3
#define VMX_ERR_VMLAUNCH_NOT_CLEAR 4
#define VMX_ERR_VMRESUME_NOT_LAUNCHED 5
#define VMX_ERR_VMRESUME_AFTER_VMXOFF 6
#define VMX_ERR_ENTRY_INVALID_CONTROLS 7
#define VMX_ERR_ENTRY_INVALID_HOST_STATE 8
#define VMX_ERR_VMPTRLD_INVALID_ADDR 9
#define VMX_ERR_VMPTRLD_VMXON_PTR 10
#define VMX_ERR_VMPTRLD_BAD_REVISION 11
#define VMX_ERR_UNSUPPORTED_FIELD 12
#define VMX_ERR_VMWRITE_READ_ONLY 13
#define VMX_ERR_VMXON_IN_ROOT 15
#define VMX_ERR_ENTRY_INVALID_EXEC_VMCS_PTR 16
#define VMX_ERR_ENTRY_NONLAUNCHED_EXEC_VMCS 17
#define VMX_ERR_ENTRY_EXEC_VMCS_PTR_NOT_VMXON 18
#define VMX_ERR_VMCALL_NOT_CLEAR 19
#define VMX_ERR_VMCALL_INVALID_EXIT_CONTROLS 20
#define VMX_ERR_VMCALL_BAD_MSEG_REVISION 22
#define VMX_ERR_VMXOFF_DUAL_MONITOR 23
#define VMX_ERR_VMCALL_INVALID_SMM_FEATURES 24
#define VMX_ERR_ENTRY_INVALID_EXEC_VMCS_CONTROLS 25
#define VMX_ERR_ENTRY_MOV_SS_BLOCKING 26
#define VMX_ERR_INVALID_INVEPT_INVVPID 28

/* The name of a basic exit reason (bits 15:0 of `reason`; the flag bits are ignored), or "unknown". */
const char *vmx_exit_reason_name(uint32_t reason);

/* The name of a VM-instruction error number, or "unknown VM-instruction error". */
const char *vmx_instruction_error_name(uint32_t err);

#endif
