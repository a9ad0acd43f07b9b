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

/* The neutral reason of an exit caused by an instruction, or EXIT_UNKNOWN. */
static enum exit_reason instruction_reason(uint32_t basic)
{
	switch (basic) {
	case VMX_EXIT_CPUID:
		return EXIT_CPUID;
	case VMX_EXIT_RDMSR:
		return EXIT_MSR_READ;
	case VMX_EXIT_WRMSR:
		return EXIT_MSR_WRITE;
	case VMX_EXIT_VMCALL:
		return EXIT_HYPERCALL;
	case VMX_EXIT_XSETBV:
		return EXIT_XSETBV;
	case VMX_EXIT_INVD:
		return EXIT_INVD;
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMREAD:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
		return EXIT_VIRT_INSN;
	default:
		return EXIT_UNKNOWN;
	}
}

#define QUAL VMX_FIELD_QUALIFICATION
#define GPA VMX_FIELD_GUEST_PHYSICAL
#define LEN VMX_FIELD_INSN_LEN
#define INTR VMX_FIELD_INTR_INFO

/* Indexed by basic exit reason: one load on every exit instead of a switch. */
static const uint8_t fields_needed[] = {
	/* The qualification is CR2 of a #PF, the length that of INT3/INTO/INT1. */
	[VMX_EXIT_EXCEPTION_NMI] = INTR | QUAL | LEN,
	[VMX_EXIT_EXTINT] = INTR,
	[VMX_EXIT_SIPI] = QUAL,
	[VMX_EXIT_IO] = QUAL | LEN,
	[VMX_EXIT_EPT_VIOLATION] = QUAL | GPA,
	[VMX_EXIT_EPT_MISCONFIG] = GPA,
	/* The instruction exits of instruction_reason() below. */
	[VMX_EXIT_CPUID] = LEN, [VMX_EXIT_RDMSR] = LEN, [VMX_EXIT_WRMSR] = LEN, [VMX_EXIT_VMCALL] = LEN,
	[VMX_EXIT_XSETBV] = LEN, [VMX_EXIT_VMCLEAR] = LEN, [VMX_EXIT_VMLAUNCH] = LEN, [VMX_EXIT_VMPTRLD] = LEN,
	[VMX_EXIT_VMPTRST] = LEN, [VMX_EXIT_VMREAD] = LEN, [VMX_EXIT_VMRESUME] = LEN, [VMX_EXIT_VMWRITE] = LEN,
	[VMX_EXIT_VMXOFF] = LEN, [VMX_EXIT_VMXON] = LEN, [VMX_EXIT_INVEPT] = LEN, [VMX_EXIT_INVVPID] = LEN,
	[VMX_EXIT_VMFUNC] = LEN, [VMX_EXIT_INVD] = LEN,
};

#undef QUAL
#undef GPA
#undef LEN
#undef INTR

unsigned int vmx_exit_fields_needed(uint32_t reason)
{
	if (reason >= sizeof(fields_needed)) /* bit 31 (failed entry) included */
		return 0;
	return fields_needed[reason];
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
	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:
		decode_exception(e, f);
		return;
	case VMX_EXIT_EXTINT:
		e->reason = EXIT_EXTINT;
		/* Valid only with "acknowledge interrupt on exit": the CPU took the vector for us. */
		if (f->intr_info & VMX_INTR_INFO_VALID)
			e->vector = f->intr_info & VMX_INTR_INFO_VECTOR_MASK;
		return;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = EXIT_SHUTDOWN;
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
		break;
	}
	e->reason = instruction_reason(basic);
	if (e->reason != EXIT_UNKNOWN)
		e->insn_len = f->insn_len;
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
