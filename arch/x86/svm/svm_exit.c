/*
 * Translates SVM exit codes into the neutral struct vm_exit (AMD APM vol. 2, appendix C): a pure
 * function of the VMCB, unit-tested on the host (tests/unit/test_svm_exit.c).
 */
#include "svm_internal.h"
#include "x86/traps.h"

/* Exceptions that push an error code (SDM vol. 3, table 6-1). */
#define EXCEPTIONS_WITH_ERROR_CODE ((1U << 8) | (0x1FU << 10) | (1U << 17) | (1U << 21) | (1U << 29) | (1U << 30))

static void decode_io(struct vm_exit *e, const struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exit_info1;

	e->reason = EXIT_IO;
	e->io.port = info >> SVM_IOIO_PORT_SHIFT;
	e->io.size = (info >> SVM_IOIO_SIZE_SHIFT) & 0x7; /* one-hot: 1, 2 or 4 */
	e->io.in = info & SVM_IOIO_IN;
	e->io.string = info & SVM_IOIO_STR;
	e->io.rep = info & SVM_IOIO_REP;
	e->insn_len = (uint32_t)(vmcb->control.exit_info2 - vmcb->save.rip); /* EXITINFO2 is the next RIP */
}

static void decode_npf(struct vm_exit *e, const struct vmcb *vmcb)
{
	uint64_t code = vmcb->control.exit_info1;

	e->reason = EXIT_NPF;
	e->gpa = vmcb->control.exit_info2;
	e->qualification = (code & SVM_NPF_FETCH) ? NPF_FETCH : (code & SVM_NPF_WRITE) ? NPF_WRITE : NPF_READ;
}

static void decode_exception(struct vm_exit *e, const struct vmcb *vmcb, unsigned int vector)
{
	e->reason = EXIT_EXCEPTION;
	e->vector = vector;
	e->has_error_code = EXCEPTIONS_WITH_ERROR_CODE & (1U << vector);
	e->error_code = e->has_error_code ? (uint32_t)vmcb->control.exit_info1 : 0;
	if (vector == EXC_PF)
		e->cr2 = vmcb->control.exit_info2;
}

static uint32_t fixed_length(enum exit_reason reason)
{
	switch (reason) {
	case EXIT_CPUID:
		return LEN_CPUID;
	case EXIT_MSR_READ:
	case EXIT_MSR_WRITE:
		return LEN_RDMSR_WRMSR;
	case EXIT_HYPERCALL:
		return LEN_VMMCALL;
	case EXIT_XSETBV:
		return LEN_XSETBV;
	case EXIT_INVD:
		return LEN_INVD;
	default:
		return 0;
	}
}

void svm_decode_exit(struct vm_exit *e, const struct vmcb *vmcb, bool nrips)
{
	uint64_t code = vmcb->control.exit_code;

	*e = (struct vm_exit){ .reason = EXIT_UNKNOWN, .raw_reason = code };
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		decode_exception(e, vmcb, (unsigned int)(code - SVM_EXIT_EXCP_BASE));
		return;
	}
	switch (code) {
	case SVM_EXIT_CPUID:
		e->reason = EXIT_CPUID;
		break;
	case SVM_EXIT_MSR:
		e->reason = vmcb->control.exit_info1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = EXIT_HYPERCALL;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		break;
	case SVM_EXIT_INVD:
		e->reason = EXIT_INVD;
		break;
	case SVM_EXIT_IOIO:
		decode_io(e, vmcb);
		return;
	case SVM_EXIT_NPF:
		decode_npf(e, vmcb);
		return;
	case SVM_EXIT_NMI:
		e->reason = EXIT_NMI;
		return;
	case SVM_EXIT_INTR:
		e->reason = EXIT_EXTINT;
		return;
	case SVM_EXIT_VINTR:
		e->reason = EXIT_IRQ_WINDOW;
		return;
	case SVM_EXIT_INIT:
		e->reason = EXIT_INIT;
		return;
	case SVM_EXIT_SMI:
		e->reason = EXIT_SMI;
		return;
	case SVM_EXIT_SHUTDOWN:
		e->reason = EXIT_SHUTDOWN;
		return;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		e->reason = EXIT_VIRT_INSN;
		return;
	case SVM_EXIT_INVALID:
		e->reason = EXIT_FAILED_ENTRY;
		e->failure = "VMEXIT_INVALID: the VMCB failed VMRUN's consistency checks (APM 15.5.1)";
		return;
	default:
		return; /* EXIT_UNKNOWN: no neutral meaning, the dispatcher dumps and stops */
	}
	e->insn_len = svm_insn_len(vmcb, nrips, fixed_length(e->reason));
}
