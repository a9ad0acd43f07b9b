/*
 * Translates VMX exit reasons into the neutral struct vm_exit (Intel SDM vol. 3C, chapter
 * "VM Exits", section "Exit Information", and appendix C).
 */
#include "vmx_internal.h"
#include "x86/traps.h"

static void decode_exception(struct vm_exit *e, const struct vmx_exit_fields *f)
{
	uint32_t type = f->intr_info & VMX_INTR_INFO_TYPE_MASK;

	if (type == VMX_INTR_TYPE_NMI) {
		e->reason = EXIT_NMI;
		return;
	}
	e->reason = EXIT_EXCEPTION;
	e->vector = f->intr_info & VMX_INTR_INFO_VECTOR_MASK;
	e->has_error_code = f->intr_info & VMX_INTR_INFO_ERROR_VALID;
	e->error_code = e->has_error_code ? f->intr_error_code : 0;
	/* A #PF exit leaves CR2 alone: the faulting address is the qualification. */
	if (e->vector == EXC_PF)
		e->cr2 = f->qualification;
	/* INT1, INT3 and INTO are reinjected with their length, so the guest resumes after them. */
	if (type == VMX_INTR_TYPE_SW_EXCEPTION || type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION)
		e->insn_len = f->insn_len;
}

static void decode_io(struct vm_exit *e, const struct vmx_exit_fields *f)
{
	uint64_t q = f->qualification;

	e->reason = EXIT_IO;
	e->io.port = (uint16_t)(q >> VMX_IO_PORT_SHIFT);
	e->io.size = (q & VMX_IO_SIZE_MASK) + 1;
	e->io.in = q & VMX_IO_IN;
	e->io.string = q & VMX_IO_STRING;
	e->io.rep = q & VMX_IO_REP;
	e->insn_len = f->insn_len;
}

static void decode_ept_violation(struct vm_exit *e, const struct vmx_exit_fields *f)
{
	uint64_t q = f->qualification;

	e->reason = EXIT_NPF;
	e->gpa = f->guest_physical;
	if (q & VMX_EPT_VIOL_READ)
		e->qualification |= NPF_READ;
	if (q & VMX_EPT_VIOL_WRITE)
		e->qualification |= NPF_WRITE;
	if (q & VMX_EPT_VIOL_FETCH)
		e->qualification |= NPF_FETCH;
}

/*
 * A task switch for vmm/task_switch.c. Through an IDT task gate the switch delivers the event the
 * IDT-vectoring information names, which then counts as delivered: the emulator pushes its error
 * code. The instruction length is defined for CALL, JMP, IRET and software interrupts only (SDM
 * vol. 3C, 28.2.5): the task saves the EIP after them.
 */
static void decode_task_switch(struct vm_exit *e, const struct vmx_exit_fields *f)
{
	uint32_t source = (uint32_t)(f->qualification >> VMX_TASK_SWITCH_SOURCE_SHIFT) & 3;
	uint32_t type = f->idt_vectoring & VMX_INTR_INFO_TYPE_MASK;

	e->task_switch.selector = (uint16_t)(f->qualification & VMX_TASK_SWITCH_SELECTOR_MASK);
	e->task_switch.source = (uint8_t)source;
	if (source != TASK_SWITCH_GATE) {
		e->reason = EXIT_TASK_SWITCH;
		e->insn_len = f->insn_len;
		return;
	}
	if (!(f->idt_vectoring & VMX_INTR_INFO_VALID))
		return; /* a gate with no event: EXIT_UNKNOWN, dumped */
	e->reason = EXIT_TASK_SWITCH;
	e->task_switch.vector = f->idt_vectoring & VMX_INTR_INFO_VECTOR_MASK;
	e->task_switch.event_type = (uint8_t)event_type_from_field(f->idt_vectoring);
	e->task_switch.has_error_code = f->idt_vectoring & VMX_INTR_INFO_ERROR_VALID;
	e->task_switch.error_code = e->task_switch.has_error_code ? f->idt_error_code : 0;
	/* INT n, INT3 and INTO check the gate's DPL; INT1 (privileged) does not. */
	e->task_switch.soft_int = type == VMX_INTR_TYPE_SW_INTR || type == VMX_INTR_TYPE_SW_EXCEPTION;
	if (type == VMX_INTR_TYPE_SW_INTR || type == VMX_INTR_TYPE_SW_EXCEPTION || type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION)
		e->insn_len = f->insn_len;
}

static const char *entry_failure_name(uint32_t basic)
{
	switch (basic) {
	case VMX_EXIT_INVALID_GUEST_STATE:
		return "VM entry failed: invalid guest state (SDM 'Checks on the Guest State Area')";
	case VMX_EXIT_MSR_LOADING:
		return "VM entry failed: loading an MSR from the VM-entry MSR-load area";
	case VMX_EXIT_MACHINE_CHECK:
		return "VM entry failed: machine-check event during VM entry";
	default:
		return "VM entry failed (exit reason bit 31 set)";
	}
}

#define QUAL VMX_FIELD_QUALIFICATION
#define GPA VMX_FIELD_GUEST_PHYSICAL
#define LEN VMX_FIELD_INSN_LEN
#define INTR VMX_FIELD_INTR_INFO
#define IDT VMX_FIELD_IDT_VECTORING

/*
 * Indexed by basic exit reason, one load on every exit instead of a switch: the fields the
 * decoder reads, and for an exit caused by an instruction its neutral reason.
 */
static const struct {
	uint8_t fields;
	uint8_t insn_reason; /* enum exit_reason; EXIT_UNKNOWN: not an instruction exit */
} exit_table[] = {
	/* The qualification is CR2 of a #PF, the length that of INT3/INTO/INT1. */
	[VMX_EXIT_EXCEPTION_NMI] = { INTR | QUAL | LEN, EXIT_UNKNOWN },
	[VMX_EXIT_EXTINT] = { INTR, EXIT_UNKNOWN },
	[VMX_EXIT_SIPI] = { QUAL, EXIT_UNKNOWN },
	[VMX_EXIT_IO] = { QUAL | LEN, EXIT_UNKNOWN },
	[VMX_EXIT_EPT_VIOLATION] = { QUAL | GPA, EXIT_UNKNOWN },
	[VMX_EXIT_EPT_MISCONFIG] = { GPA, EXIT_UNKNOWN },
	[VMX_EXIT_TASK_SWITCH] = { QUAL | LEN | IDT, EXIT_UNKNOWN },
	[VMX_EXIT_CPUID] = { LEN, EXIT_CPUID },
	[VMX_EXIT_RDMSR] = { LEN, EXIT_MSR_READ },
	[VMX_EXIT_WRMSR] = { LEN, EXIT_MSR_WRITE },
	[VMX_EXIT_VMCALL] = { LEN, EXIT_HYPERCALL },
	[VMX_EXIT_XSETBV] = { LEN, EXIT_XSETBV },
	[VMX_EXIT_INVD] = { LEN, EXIT_INVD }, /* performed as WBINVD */
	/* Virtualization is not offered to the guest. */
	[VMX_EXIT_VMCLEAR] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMLAUNCH] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMPTRLD] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMPTRST] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMREAD] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMRESUME] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMWRITE] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMXOFF] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMXON] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_INVEPT] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_INVVPID] = { LEN, EXIT_VIRT_INSN },
	[VMX_EXIT_VMFUNC] = { LEN, EXIT_VIRT_INSN },
};

#undef QUAL
#undef GPA
#undef LEN
#undef INTR
#undef IDT

unsigned int vmx_exit_fields_needed(uint32_t reason)
{
	if (reason >= ARRAY_SIZE(exit_table)) /* bit 31 (failed entry) included */
		return 0;
	return exit_table[reason].fields;
}

void vmx_decode_exit(struct vm_exit *e, const struct vmx_exit_fields *f)
{
	uint32_t basic = f->reason & VMX_EXIT_REASON_BASIC_MASK;

	*e = (struct vm_exit){ .reason = EXIT_UNKNOWN, .raw_reason = f->reason };
	if (f->reason & VMX_EXIT_REASON_FAILED_ENTRY) {
		e->reason = EXIT_FAILED_ENTRY;
		e->failure = entry_failure_name(basic);
		return;
	}
	/* The common exits first: instructions, one table load. */
	if (basic < ARRAY_SIZE(exit_table) && exit_table[basic].insn_reason != EXIT_UNKNOWN) {
		e->reason = exit_table[basic].insn_reason;
		e->insn_len = f->insn_len;
		return;
	}
	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:
		decode_exception(e, f);
		return;
	case VMX_EXIT_EXTINT:
		e->reason = EXIT_EXTINT;
		/* Valid only with "acknowledge interrupt on exit": the CPU took the vector for us. */
		if (f->intr_info & VMX_INTR_INFO_VALID) {
			e->vector = f->intr_info & VMX_INTR_INFO_VECTOR_MASK;
			e->has_vector = true;
		}
		return;
	case VMX_EXIT_INTR_WINDOW:
		e->reason = EXIT_IRQ_WINDOW; /* the backend has turned the window exiting off again */
		return;
	case VMX_EXIT_NMI_WINDOW:
		e->reason = EXIT_NMI_WINDOW;
		return;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = EXIT_SHUTDOWN;
		return;
	case VMX_EXIT_PREEMPTION_TIMER:
		e->reason = EXIT_TIMER; /* armed for the debug keys (vmm/debugkeys.c) */
		return;
	case VMX_EXIT_INIT:
		e->reason = EXIT_INIT;
		return;
	case VMX_EXIT_SIPI:
		e->reason = EXIT_SIPI;
		e->vector = f->qualification & 0xFF;
		return;
	case VMX_EXIT_IO:
		decode_io(e, f);
		return;
	case VMX_EXIT_EPT_VIOLATION:
		decode_ept_violation(e, f);
		return;
	case VMX_EXIT_TASK_SWITCH:
		decode_task_switch(e, f);
		return;
	case VMX_EXIT_EPT_MISCONFIG:
		e->gpa = f->guest_physical; /* stays EXIT_UNKNOWN: our tables are wrong; the dump shows where */
		return;
	case VMX_EXIT_INVALID_GUEST_STATE:
	case VMX_EXIT_MSR_LOADING:
	case VMX_EXIT_MACHINE_CHECK:
		/* These always come with bit 31 set; decode them the same if one ever does not. */
		e->reason = EXIT_FAILED_ENTRY;
		e->failure = entry_failure_name(basic);
		return;
	default:
		return; /* EXIT_UNKNOWN: no neutral meaning, the dispatcher dumps and stops */
	}
}

void vmx_decode_vmfail(struct vm_exit *e, uint32_t insn_error)
{
	*e = (struct vm_exit){
		.reason = EXIT_FAILED_ENTRY,
		.raw_reason = VMX_RAW_VMFAIL | insn_error,
		.failure = insn_error ? vmx_instruction_error_name(insn_error)
				      : "VMfailInvalid: no current VMCS (VMPTRLD missing or failed)",
	};
}
