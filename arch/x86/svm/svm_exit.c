/*
 * Translates SVM exit codes into the neutral struct vm_exit (AMD APM vol. 2, appendix C): a pure
 * function of the VMCB, unit-tested on the host (tests/unit/test_svm_exit.c).
 */
#include "svm_internal.h"
#include "x86/traps.h"

/* Exceptions that push an error code (SDM vol. 3, table 6-1). */
#define EXCEPTIONS_WITH_ERROR_CODE ((1U << 8) | (0x1FU << 10) | (1U << 17) | (1U << 21) | (1U << 29) | (1U << 30))

/* Lengths of the exiting instructions when the CPU has no NRIPS (QEMU TCG has none). */
#define LEN_CPUID 2
#define LEN_RDMSR_WRMSR 2
#define LEN_VMMCALL 3
#define LEN_XSETBV 3

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

/*
 * The exits that carry nothing but their reason, and for an instruction its length without NRIPS
 * (every instruction these intercepts report has one length). One table load on the common path.
 */
static const struct {
	uint8_t reason; /* enum exit_reason; EXIT_UNKNOWN: decoded below */
	uint8_t len;    /* an instruction intercept: its length; 0: no instruction (or #UD only) */
} plain_exits[] = {
	[SVM_EXIT_CPUID] = { EXIT_CPUID, LEN_CPUID },
	[SVM_EXIT_MSR] = { EXIT_MSR_READ, LEN_RDMSR_WRMSR }, /* EXITINFO1 1: a write */
	[SVM_EXIT_VMMCALL] = { EXIT_HYPERCALL, LEN_VMMCALL },
	[SVM_EXIT_XSETBV] = { EXIT_XSETBV, LEN_XSETBV },
	[SVM_EXIT_NMI] = { EXIT_NMI, 0 },
	[SVM_EXIT_INTR] = { EXIT_EXTINT, 0 },
	[SVM_EXIT_VINTR] = { EXIT_IRQ_WINDOW, 0 },
	[SVM_EXIT_INIT] = { EXIT_INIT, 0 },
	[SVM_EXIT_SHUTDOWN] = { EXIT_SHUTDOWN, 0 },
	/* Handled by injecting #UD: the length is never used. */
	[SVM_EXIT_VMRUN] = { EXIT_VIRT_INSN, 0 },
	[SVM_EXIT_VMLOAD] = { EXIT_VIRT_INSN, 0 },
	[SVM_EXIT_VMSAVE] = { EXIT_VIRT_INSN, 0 },
	[SVM_EXIT_STGI] = { EXIT_VIRT_INSN, 0 },
	[SVM_EXIT_CLGI] = { EXIT_VIRT_INSN, 0 },
	[SVM_EXIT_SKINIT] = { EXIT_VIRT_INSN, 0 },
};

void svm_decode_exit(struct vm_exit *e, const struct vmcb *vmcb, bool nrips)
{
	uint64_t code = vmcb->control.exit_code;

	*e = (struct vm_exit){ .reason = EXIT_UNKNOWN, .raw_reason = code };
	if (code < ARRAY_SIZE(plain_exits) && plain_exits[code].reason != EXIT_UNKNOWN) {
		e->reason = plain_exits[code].reason;
		if (code == SVM_EXIT_MSR && vmcb->control.exit_info1)
			e->reason = EXIT_MSR_WRITE;
		if (!plain_exits[code].len)
			return;
		/* The length from NRIPS when the CPU has it, else from the exit type. */
		if (nrips && vmcb->control.next_rip > vmcb->save.rip)
			e->insn_len = (uint32_t)(vmcb->control.next_rip - vmcb->save.rip);
		else
			e->insn_len = plain_exits[code].len;
		return;
	}
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		decode_exception(e, vmcb, (unsigned int)(code - SVM_EXIT_EXCP_BASE));
		return;
	}
	switch (code) {
	case SVM_EXIT_IOIO:
		decode_io(e, vmcb);
		return;
	case SVM_EXIT_NPF:
		decode_npf(e, vmcb);
		return;
	case SVM_EXIT_INVALID:
		e->reason = EXIT_FAILED_ENTRY;
		e->failure = "VMEXIT_INVALID: the VMCB failed VMRUN's consistency checks (APM 15.5.1)";
		return;
	default:
		return; /* EXIT_UNKNOWN: no neutral meaning, the dispatcher dumps and stops */
	}
}
