/* Names of VMX exit reasons and VM-instruction errors, for dumps and failure reports. */
#include "x86/vmx.h"

static const char *const exit_reason_names[] = {
	[VMX_EXIT_EXCEPTION_NMI] = "exception or NMI",
	[VMX_EXIT_EXTINT] = "external interrupt",
	[VMX_EXIT_TRIPLE_FAULT] = "triple fault",
	[VMX_EXIT_INIT] = "INIT signal",
	[VMX_EXIT_SIPI] = "start-up IPI",
	[VMX_EXIT_IO_SMI] = "I/O SMI",
	[VMX_EXIT_OTHER_SMI] = "other SMI",
	[VMX_EXIT_INTR_WINDOW] = "interrupt window",
	[VMX_EXIT_NMI_WINDOW] = "NMI window",
	[VMX_EXIT_TASK_SWITCH] = "task switch",
	[VMX_EXIT_CPUID] = "CPUID",
	[VMX_EXIT_GETSEC] = "GETSEC",
	[VMX_EXIT_HLT] = "HLT",
	[VMX_EXIT_INVD] = "INVD",
	[VMX_EXIT_INVLPG] = "INVLPG",
	[VMX_EXIT_RDPMC] = "RDPMC",
	[VMX_EXIT_RDTSC] = "RDTSC",
	[VMX_EXIT_RSM] = "RSM",
	[VMX_EXIT_VMCALL] = "VMCALL",
	[VMX_EXIT_VMCLEAR] = "VMCLEAR",
	[VMX_EXIT_VMLAUNCH] = "VMLAUNCH",
	[VMX_EXIT_VMPTRLD] = "VMPTRLD",
	[VMX_EXIT_VMPTRST] = "VMPTRST",
	[VMX_EXIT_VMREAD] = "VMREAD",
	[VMX_EXIT_VMRESUME] = "VMRESUME",
	[VMX_EXIT_VMWRITE] = "VMWRITE",
	[VMX_EXIT_VMXOFF] = "VMXOFF",
	[VMX_EXIT_VMXON] = "VMXON",
	[VMX_EXIT_CR_ACCESS] = "control-register access",
	[VMX_EXIT_DR_ACCESS] = "MOV DR",
	[VMX_EXIT_IO] = "I/O instruction",
	[VMX_EXIT_RDMSR] = "RDMSR",
	[VMX_EXIT_WRMSR] = "WRMSR",
	[VMX_EXIT_INVALID_GUEST_STATE] = "VM-entry failure: invalid guest state",
	[VMX_EXIT_MSR_LOADING] = "VM-entry failure: MSR loading",
	[VMX_EXIT_MWAIT] = "MWAIT",
	[VMX_EXIT_MTF] = "monitor trap flag",
	[VMX_EXIT_MONITOR] = "MONITOR",
	[VMX_EXIT_PAUSE] = "PAUSE",
	[VMX_EXIT_MACHINE_CHECK] = "VM-entry failure: machine-check event",
	[VMX_EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[VMX_EXIT_APIC_ACCESS] = "APIC access",
	[VMX_EXIT_VIRTUALIZED_EOI] = "virtualized EOI",
	[VMX_EXIT_GDTR_IDTR] = "GDTR/IDTR access",
	[VMX_EXIT_LDTR_TR] = "LDTR/TR access",
	[VMX_EXIT_EPT_VIOLATION] = "EPT violation",
	[VMX_EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
	[VMX_EXIT_INVEPT] = "INVEPT",
	[VMX_EXIT_RDTSCP] = "RDTSCP",
	[VMX_EXIT_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[VMX_EXIT_INVVPID] = "INVVPID",
	[VMX_EXIT_WBINVD] = "WBINVD/WBNOINVD",
	[VMX_EXIT_XSETBV] = "XSETBV",
	[VMX_EXIT_APIC_WRITE] = "APIC write",
	[VMX_EXIT_RDRAND] = "RDRAND",
	[VMX_EXIT_INVPCID] = "INVPCID",
	[VMX_EXIT_VMFUNC] = "VMFUNC",
	[VMX_EXIT_ENCLS] = "ENCLS",
	[VMX_EXIT_RDSEED] = "RDSEED",
	[VMX_EXIT_PML_FULL] = "page-modification log full",
	[VMX_EXIT_XSAVES] = "XSAVES",
	[VMX_EXIT_XRSTORS] = "XRSTORS",
	[VMX_EXIT_SPP] = "SPP-related event",
	[VMX_EXIT_UMWAIT] = "UMWAIT",
	[VMX_EXIT_TPAUSE] = "TPAUSE",
	[VMX_EXIT_LOADIWKEY] = "LOADIWKEY",
	[VMX_EXIT_BUS_LOCK] = "bus lock",
	[VMX_EXIT_NOTIFY] = "instruction timeout",
};

static const char *const insn_error_names[] = {
	[VMX_ERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
	[VMX_ERR_VMCLEAR_INVALID_ADDR] = "VMCLEAR with invalid physical address",
	[VMX_ERR_VMCLEAR_VMXON_PTR] = "VMCLEAR with VMXON pointer",
	[VMX_ERR_VMLAUNCH_NOT_CLEAR] = "VMLAUNCH with non-clear VMCS",
	[VMX_ERR_VMRESUME_NOT_LAUNCHED] = "VMRESUME with non-launched VMCS",
	[VMX_ERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
	[VMX_ERR_ENTRY_INVALID_CONTROLS] = "VM entry with invalid control field(s)",
	[VMX_ERR_ENTRY_INVALID_HOST_STATE] = "VM entry with invalid host-state field(s)",
	[VMX_ERR_VMPTRLD_INVALID_ADDR] = "VMPTRLD with invalid physical address",
	[VMX_ERR_VMPTRLD_VMXON_PTR] = "VMPTRLD with VMXON pointer",
	[VMX_ERR_VMPTRLD_BAD_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
	[VMX_ERR_UNSUPPORTED_FIELD] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMX_ERR_VMWRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
	[VMX_ERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
	[VMX_ERR_ENTRY_INVALID_EXEC_VMCS_PTR] = "VM entry with invalid executive-VMCS pointer",
	[VMX_ERR_ENTRY_NONLAUNCHED_EXEC_VMCS] = "VM entry with non-launched executive VMCS",
	[VMX_ERR_ENTRY_EXEC_VMCS_PTR_NOT_VMXON] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[VMX_ERR_VMCALL_NOT_CLEAR] = "VMCALL with non-clear VMCS",
	[VMX_ERR_VMCALL_INVALID_EXIT_CONTROLS] = "VMCALL with invalid VM-exit control fields",
	[VMX_ERR_VMCALL_BAD_MSEG_REVISION] = "VMCALL with incorrect MSEG revision identifier",
	[VMX_ERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMX_ERR_VMCALL_INVALID_SMM_FEATURES] = "VMCALL with invalid SMM-monitor features",
	[VMX_ERR_ENTRY_INVALID_EXEC_VMCS_CONTROLS] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[VMX_ERR_ENTRY_MOV_SS_BLOCKING] = "VM entry with events blocked by MOV SS",
	[VMX_ERR_INVALID_INVEPT_INVVPID] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_exit_reason_name(uint32_t reason)
{
	uint32_t basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	if (basic < ARRAY_SIZE(exit_reason_names) && exit_reason_names[basic])
		return exit_reason_names[basic];
	return "unknown";
}

const char *vmx_instruction_error_name(uint32_t err)
{
	if (err < ARRAY_SIZE(insn_error_names) && insn_error_names[err])
		return insn_error_names[err];
	return "unknown VM-instruction error";
}
