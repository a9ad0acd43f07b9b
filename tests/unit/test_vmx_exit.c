/* Host unit tests for the VMX exit decoder (arch/x86/vmx/vmx_exit.c) and the VMX names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/vmx/vmx_exit.c"
#include "../../arch/x86/vmx/vmx_names.c"

/* Decode with a record full of garbage first, so fields the decoder forgets to clear show up. */
static struct vm_exit decode(const struct vmx_exit_fields *f)
{
	struct vm_exit e;

	memset(&e, 0xA5, sizeof(e));
	vmx_decode_exit(&e, f);
	return e;
}

/*
 * Reason and code, and nothing in the detail words beyond what the reason carries (the details
 * of the reasons share storage: a stale one would show here).
 */
static void expect_plain(const struct vm_exit *e, enum exit_reason reason, uint64_t raw)
{
	assert_int_equal(e->reason, reason);
	assert_int_equal(e->raw_reason, raw);
	switch (reason) {
	case EXIT_EXTINT:
	case EXIT_SIPI: /* the vector only */
		assert_false(e->has_error_code);
		assert_int_equal(e->error_code, 0);
		assert_int_equal(e->cr2, 0);
		break;
	case EXIT_IO: /* the first word only */
		assert_int_equal(e->qualification, 0);
		break;
	default:
		assert_int_equal(e->gpa, 0);
		assert_int_equal(e->qualification, 0);
		assert_null(e->failure);
		break;
	}
}

#define INTR(type, vector) (VMX_INTR_INFO_VALID | (type) | (vector))

static void test_exception_and_nmi(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_EXCEPTION_NMI, .insn_len = 7 };
	struct vm_exit e;

	/* NMI: interruption type 2, vector 2. */
	f.intr_info = INTR(VMX_INTR_TYPE_NMI, EXC_NMI);
	e = decode(&f);
	expect_plain(&e, EXIT_NMI, VMX_EXIT_EXCEPTION_NMI);
	assert_int_equal(e.insn_len, 0);

	/* #GP(0x18): hardware exception with an error code. */
	f.intr_info = INTR(VMX_INTR_TYPE_HW_EXCEPTION, EXC_GP) | VMX_INTR_INFO_ERROR_VALID;
	f.intr_error_code = 0x18;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_EXCEPTION);
	assert_int_equal(e.vector, EXC_GP);
	assert_true(e.has_error_code);
	assert_int_equal(e.error_code, 0x18);
	assert_int_equal(e.cr2, 0);
	assert_int_equal(e.insn_len, 0);

	/* #PF: the faulting address is in the qualification, not in CR2. */
	f.intr_info = INTR(VMX_INTR_TYPE_HW_EXCEPTION, EXC_PF) | VMX_INTR_INFO_ERROR_VALID;
	f.intr_error_code = 0x6;
	f.qualification = 0xdeadb000;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_EXCEPTION);
	assert_int_equal(e.vector, EXC_PF);
	assert_true(e.has_error_code);
	assert_int_equal(e.error_code, 6);
	assert_int_equal(e.cr2, 0xdeadb000);

	/* #UD: no error code; a stale error-code field is not reported. */
	f.intr_info = INTR(VMX_INTR_TYPE_HW_EXCEPTION, EXC_UD);
	f.intr_error_code = 0x1234;
	f.qualification = 0;
	e = decode(&f);
	assert_int_equal(e.vector, EXC_UD);
	assert_false(e.has_error_code);
	assert_int_equal(e.error_code, 0);

	/* INT3 (software exception) and INT1 (privileged) keep their length for reinjection. */
	f.intr_info = INTR(VMX_INTR_TYPE_SW_EXCEPTION, EXC_BP);
	f.insn_len = 1;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_EXCEPTION);
	assert_int_equal(e.vector, EXC_BP);
	assert_int_equal(e.insn_len, 1);
	f.intr_info = INTR(VMX_INTR_TYPE_PRIV_SW_EXCEPTION, EXC_DB);
	e = decode(&f);
	assert_int_equal(e.vector, EXC_DB);
	assert_int_equal(e.insn_len, 1);
}

static void test_external_interrupt(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_EXTINT };
	struct vm_exit e;

	/* Acknowledged on exit: the vector is in the interruption information. */
	f.intr_info = INTR(VMX_INTR_TYPE_EXT_INTR, 0x31);
	e = decode(&f);
	expect_plain(&e, EXIT_EXTINT, VMX_EXIT_EXTINT);
	assert_int_equal(e.vector, 0x31);
	assert_true(e.has_vector);

	/* Not acknowledged: no vector. */
	f.intr_info = 0x31;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_EXTINT);
	assert_int_equal(e.vector, 0);
	assert_false(e.has_vector);
}

static void test_event_windows(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_INTR_WINDOW };
	struct vm_exit e = decode(&f);

	expect_plain(&e, EXIT_IRQ_WINDOW, VMX_EXIT_INTR_WINDOW);
	f.reason = VMX_EXIT_NMI_WINDOW;
	e = decode(&f);
	expect_plain(&e, EXIT_NMI_WINDOW, VMX_EXIT_NMI_WINDOW);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_INTR_WINDOW), 0);
}

static void test_init_sipi_triple_fault(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_TRIPLE_FAULT };
	struct vm_exit e;

	e = decode(&f);
	expect_plain(&e, EXIT_SHUTDOWN, VMX_EXIT_TRIPLE_FAULT);

	f.reason = VMX_EXIT_INIT;
	e = decode(&f);
	expect_plain(&e, EXIT_INIT, VMX_EXIT_INIT);

	/* SIPI: the vector (the start page number) is the low byte of the qualification. */
	f.reason = VMX_EXIT_SIPI;
	f.qualification = 0x9A;
	e = decode(&f);
	expect_plain(&e, EXIT_SIPI, VMX_EXIT_SIPI);
	assert_int_equal(e.vector, 0x9A);
	assert_int_equal(e.insn_len, 0);
}

static void test_instruction_exits(void **state __unused)
{
	static const struct {
		uint32_t raw;
		enum exit_reason reason;
		uint32_t len;
	} cases[] = {
		{ VMX_EXIT_CPUID, EXIT_CPUID, 2 },     { VMX_EXIT_RDMSR, EXIT_MSR_READ, 2 },
		{ VMX_EXIT_WRMSR, EXIT_MSR_WRITE, 2 }, { VMX_EXIT_VMCALL, EXIT_HYPERCALL, 3 },
		{ VMX_EXIT_XSETBV, EXIT_XSETBV, 3 },   { VMX_EXIT_VMCLEAR, EXIT_VIRT_INSN, 4 },
		{ VMX_EXIT_INVD, EXIT_INVD, 2 },
		{ VMX_EXIT_VMLAUNCH, EXIT_VIRT_INSN, 3 }, { VMX_EXIT_VMPTRLD, EXIT_VIRT_INSN, 5 },
		{ VMX_EXIT_VMPTRST, EXIT_VIRT_INSN, 5 }, { VMX_EXIT_VMREAD, EXIT_VIRT_INSN, 3 },
		{ VMX_EXIT_VMRESUME, EXIT_VIRT_INSN, 3 }, { VMX_EXIT_VMWRITE, EXIT_VIRT_INSN, 3 },
		{ VMX_EXIT_VMXOFF, EXIT_VIRT_INSN, 3 },  { VMX_EXIT_VMXON, EXIT_VIRT_INSN, 5 },
		{ VMX_EXIT_INVEPT, EXIT_VIRT_INSN, 5 },  { VMX_EXIT_INVVPID, EXIT_VIRT_INSN, 5 },
		{ VMX_EXIT_VMFUNC, EXIT_VIRT_INSN, 3 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmx_exit_fields f = { .reason = cases[i].raw, .insn_len = cases[i].len,
					     .qualification = 0x55 };
		struct vm_exit e = decode(&f);

		expect_plain(&e, cases[i].reason, cases[i].raw);
		assert_int_equal(e.insn_len, cases[i].len);
	}
}

static void test_io(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_IO, .insn_len = 1 };
	struct vm_exit e;

	/* out dx, al to 0x3F8: size 1, out, port in 31:16. */
	f.qualification = (0x3F8ULL << 16) | 0;
	e = decode(&f);
	expect_plain(&e, EXIT_IO, VMX_EXIT_IO);
	assert_int_equal(e.io.port, 0x3F8);
	assert_int_equal(e.io.size, 1);
	assert_false(e.io.in);
	assert_false(e.io.string);
	assert_false(e.io.rep);
	assert_int_equal(e.insn_len, 1);

	/* in ax, 0x71 (immediate): size 2. */
	f.qualification = (0x71ULL << 16) | VMX_IO_IMMEDIATE | VMX_IO_IN | 1;
	f.insn_len = 3;
	e = decode(&f);
	assert_int_equal(e.io.port, 0x71);
	assert_int_equal(e.io.size, 2);
	assert_true(e.io.in);
	assert_int_equal(e.insn_len, 3);

	/* rep insd from 0xCFC: size 4, string, rep. */
	f.qualification = (0xCFCULL << 16) | VMX_IO_REP | VMX_IO_STRING | VMX_IO_IN | 3;
	f.insn_len = 2;
	e = decode(&f);
	assert_int_equal(e.io.port, 0xCFC);
	assert_int_equal(e.io.size, 4);
	assert_true(e.io.in);
	assert_true(e.io.string);
	assert_true(e.io.rep);
	assert_int_equal(e.insn_len, 2);

	/* outsb to 0xFFFF, no rep. */
	f.qualification = (0xFFFFULL << 16) | VMX_IO_STRING;
	e = decode(&f);
	assert_int_equal(e.io.port, 0xFFFF);
	assert_false(e.io.in);
	assert_true(e.io.string);
	assert_false(e.io.rep);
}

static void test_ept_violation(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_EPT_VIOLATION, .guest_physical = 0xBE001234,
				     .insn_len = 9 };
	struct vm_exit e;

	f.qualification = VMX_EPT_VIOL_READ | VMX_EPT_VIOL_LINEAR_VALID | VMX_EPT_VIOL_FINAL_TRANSLATION;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_NPF);
	assert_int_equal(e.raw_reason, VMX_EXIT_EPT_VIOLATION);
	assert_int_equal(e.gpa, 0xBE001234);
	assert_int_equal(e.qualification, NPF_READ);
	assert_int_equal(e.insn_len, 0); /* the length field is undefined for EPT violations */

	/* A write to the read-only xAPIC page: the entry was readable. */
	f.guest_physical = 0xFEE00300;
	f.qualification = VMX_EPT_VIOL_WRITE | VMX_EPT_VIOL_READABLE | VMX_EPT_VIOL_EXECUTABLE;
	e = decode(&f);
	assert_int_equal(e.gpa, 0xFEE00300);
	assert_int_equal(e.qualification, NPF_WRITE);

	f.qualification = VMX_EPT_VIOL_FETCH;
	e = decode(&f);
	assert_int_equal(e.qualification, NPF_FETCH);

	/* A read-modify-write reports both. */
	f.qualification = VMX_EPT_VIOL_READ | VMX_EPT_VIOL_WRITE;
	e = decode(&f);
	assert_int_equal(e.qualification, NPF_READ | NPF_WRITE);
}

static void test_failed_entries(void **state __unused)
{
	static const uint32_t basics[] = {
		VMX_EXIT_INVALID_GUEST_STATE, VMX_EXIT_MSR_LOADING, VMX_EXIT_MACHINE_CHECK,
	};
	const char *names[ARRAY_SIZE(basics)];

	for (unsigned int i = 0; i < ARRAY_SIZE(basics); i++) {
		struct vmx_exit_fields f = { .reason = VMX_EXIT_REASON_FAILED_ENTRY | basics[i],
					     .qualification = 1 };
		struct vm_exit e = decode(&f);

		assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
		assert_int_equal(e.raw_reason, VMX_EXIT_REASON_FAILED_ENTRY | basics[i]);
		assert_non_null(e.failure);
		assert_non_null(strstr(e.failure, "VM entry failed"));
		names[i] = e.failure;

		/* The same basic reason without bit 31 is still a failed entry. */
		f.reason = basics[i];
		e = decode(&f);
		assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
		assert_string_equal(e.failure, names[i]);
	}
	assert_non_null(strstr(names[0], "invalid guest state"));
	assert_non_null(strstr(names[1], "MSR"));
	assert_non_null(strstr(names[2], "machine-check"));

	/* Bit 31 wins over whatever the basic reason would mean. */
	struct vmx_exit_fields f = { .reason = VMX_EXIT_REASON_FAILED_ENTRY | VMX_EXIT_CPUID, .insn_len = 2 };
	struct vm_exit e = decode(&f);
	assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
	assert_non_null(e.failure);
	assert_int_equal(e.insn_len, 0);
}

static void test_vmfail(void **state __unused)
{
	struct vm_exit e;

	memset(&e, 0xA5, sizeof(e));
	vmx_decode_vmfail(&e, VMX_ERR_ENTRY_INVALID_CONTROLS);
	assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
	assert_int_equal(e.raw_reason, VMX_RAW_VMFAIL | 7);
	assert_string_equal(e.failure, "VM entry with invalid control field(s)");
	assert_int_equal(e.insn_len, 0);

	vmx_decode_vmfail(&e, 0);
	assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
	assert_int_equal(e.raw_reason, VMX_RAW_VMFAIL);
	assert_non_null(strstr(e.failure, "VMfailInvalid"));
}

static void test_unknown_exits(void **state __unused)
{
	static const uint32_t others[] = {
		VMX_EXIT_HLT, VMX_EXIT_RDTSC,
		VMX_EXIT_CR_ACCESS, VMX_EXIT_RDTSCP, VMX_EXIT_WBINVD,
		35, 65, 1000, 0xFFFF,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(others); i++) {
		struct vmx_exit_fields f = { .reason = others[i], .insn_len = 2, .qualification = 3 };
		struct vm_exit e = decode(&f);

		expect_plain(&e, EXIT_UNKNOWN, others[i]);
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(e.vector, 0);
	}

	/* The preemption timer is the hypervisor's own (debug keys): no instruction, nothing to read. */
	{
		struct vmx_exit_fields f = { .reason = VMX_EXIT_PREEMPTION_TIMER, .insn_len = 2, .qualification = 3 };
		struct vm_exit e = decode(&f);

		expect_plain(&e, EXIT_TIMER, VMX_EXIT_PREEMPTION_TIMER);
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_PREEMPTION_TIMER), 0);
	}

	/* An EPT misconfiguration is ours to fix: unknown, with the address for the dump. */
	struct vmx_exit_fields f = { .reason = VMX_EXIT_EPT_MISCONFIG, .guest_physical = 0x5000 };
	struct vm_exit e = decode(&f);
	assert_int_equal(e.reason, EXIT_UNKNOWN);
	assert_int_equal(e.raw_reason, VMX_EXIT_EPT_MISCONFIG);
	assert_int_equal(e.gpa, 0x5000);

	/* Flag bits other than 31 do not change the decoding. */
	f = (struct vmx_exit_fields){ .reason = VMX_EXIT_REASON_PENDING_MTF | VMX_EXIT_CPUID, .insn_len = 2 };
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_CPUID);
	assert_int_equal(e.raw_reason, VMX_EXIT_REASON_PENDING_MTF | VMX_EXIT_CPUID);
}

static void test_exit_reason_names(void **state __unused)
{
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_EXCEPTION_NMI), "exception or NMI");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_TRIPLE_FAULT), "triple fault");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_CPUID), "CPUID");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_VMCALL), "VMCALL");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_IO), "I/O instruction");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_EPT_VIOLATION), "EPT violation");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_EPT_MISCONFIG), "EPT misconfiguration");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_XSETBV), "XSETBV");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_INVALID_GUEST_STATE),
			    "VM-entry failure: invalid guest state");
	/* The flag bits are ignored. */
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_REASON_FAILED_ENTRY | VMX_EXIT_MSR_LOADING),
			    "VM-entry failure: MSR loading");
	/* Reserved numbers and numbers past the table. */
	assert_string_equal(vmx_exit_reason_name(35), "unknown");
	assert_string_equal(vmx_exit_reason_name(38), "unknown");
	assert_string_equal(vmx_exit_reason_name(42), "unknown");
	assert_string_equal(vmx_exit_reason_name(76), "unknown");
	assert_string_equal(vmx_exit_reason_name(0xFFFF), "unknown");

	/* Every number 0..75 that has a name has a non-empty one. */
	for (uint32_t r = 0; r <= VMX_EXIT_NOTIFY; r++)
		assert_true(strlen(vmx_exit_reason_name(r)) > 0);
}

static void test_instruction_error_names(void **state __unused)
{
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_VMCALL_IN_ROOT),
			    "VMCALL executed in VMX root operation");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_VMLAUNCH_NOT_CLEAR), "VMLAUNCH with non-clear VMCS");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_ENTRY_INVALID_HOST_STATE),
			    "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_VMPTRLD_BAD_REVISION),
			    "VMPTRLD with incorrect VMCS revision identifier");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_UNSUPPORTED_FIELD),
			    "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_ENTRY_MOV_SS_BLOCKING),
			    "VM entry with events blocked by MOV SS");
	assert_string_equal(vmx_instruction_error_name(VMX_ERR_INVALID_INVEPT_INVVPID),
			    "invalid operand to INVEPT/INVVPID");
	/* 0, the gaps (14, 21, 27) and anything past 28 have no name. */
	static const uint32_t unnamed[] = { 0, 14, 21, 27, 29, 0xFFFFFFFF };
	for (unsigned int i = 0; i < ARRAY_SIZE(unnamed); i++)
		assert_string_equal(vmx_instruction_error_name(unnamed[i]), "unknown VM-instruction error");
	/* Every documented number is named. */
	for (uint32_t err = 1; err <= 28; err++) {
		bool gap = err == 14 || err == 21 || err == 27;

		assert_int_equal(strcmp(vmx_instruction_error_name(err), "unknown VM-instruction error") == 0, gap);
	}
}

/* The backend reads only the fields the decoder uses for the reason (no VMREAD dropped unused). */
/* Qualification: selector in 15:0, source in 31:30; through an IDT gate, the event from IDT vectoring. */
static void test_task_switch(void **state __unused)
{
	struct vmx_exit_fields f = { .reason = VMX_EXIT_TASK_SWITCH, .insn_len = 7, .qualification = 0x0028 };
	struct vm_exit e = decode(&f);

	/* CALL: the selector, and the length so the old task resumes after the instruction. */
	assert_int_equal(e.reason, EXIT_TASK_SWITCH);
	assert_int_equal(e.task_switch.selector, 0x28);
	assert_int_equal(e.task_switch.source, TASK_SWITCH_CALL);
	assert_int_equal(e.insn_len, 7);
	f.qualification = (1ULL << 30) | 0x30;
	e = decode(&f);
	assert_int_equal(e.task_switch.source, TASK_SWITCH_IRET);
	assert_int_equal(e.task_switch.selector, 0x30);
	f.qualification = (2ULL << 30) | 0x38;
	assert_int_equal(decode(&f).task_switch.source, TASK_SWITCH_JMP);

	/* A #DF through a task gate: the event and its error code; no instruction, no length. */
	f.qualification = (3ULL << 30) | 0x40;
	f.idt_vectoring = INTR(VMX_INTR_TYPE_HW_EXCEPTION, EXC_DF) | VMX_INTR_INFO_ERROR_VALID;
	f.idt_error_code = 0;
	e = decode(&f);
	assert_int_equal(e.reason, EXIT_TASK_SWITCH);
	assert_int_equal(e.task_switch.source, TASK_SWITCH_GATE);
	assert_int_equal(e.task_switch.vector, EXC_DF);
	assert_int_equal(e.task_switch.event_type, EVENT_EXCEPTION);
	assert_true(e.task_switch.has_error_code);
	assert_false(e.task_switch.soft_int);
	assert_int_equal(e.insn_len, 0);

	/* INT n through a gate: software, its length, the gate's DPL to check. */
	f.idt_vectoring = INTR(VMX_INTR_TYPE_SW_INTR, 0x80);
	f.idt_error_code = 0x1234;
	e = decode(&f);
	assert_int_equal(e.task_switch.vector, 0x80);
	assert_int_equal(e.task_switch.event_type, EVENT_SOFTWARE);
	assert_false(e.task_switch.has_error_code);
	assert_int_equal(e.task_switch.error_code, 0);
	assert_true(e.task_switch.soft_int);
	assert_int_equal(e.insn_len, 7);

	/* INT1 is a software event without the DPL check. */
	f.idt_vectoring = INTR(VMX_INTR_TYPE_PRIV_SW_EXCEPTION, EXC_DB);
	e = decode(&f);
	assert_false(e.task_switch.soft_int);
	assert_int_equal(e.insn_len, 7);

	/* A gate source without an event cannot be emulated: unknown, dumped. */
	f.idt_vectoring = 0;
	assert_int_equal(decode(&f).reason, EXIT_UNKNOWN);
}

static void test_fields_needed(void **state __unused)
{
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_CPUID), VMX_FIELD_INSN_LEN);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_RDMSR), VMX_FIELD_INSN_LEN);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_VMCALL), VMX_FIELD_INSN_LEN);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_VMXON), VMX_FIELD_INSN_LEN);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_IO), VMX_FIELD_QUALIFICATION | VMX_FIELD_INSN_LEN);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_EPT_VIOLATION),
			 VMX_FIELD_QUALIFICATION | VMX_FIELD_GUEST_PHYSICAL);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_EPT_MISCONFIG), VMX_FIELD_GUEST_PHYSICAL);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_EXTINT), VMX_FIELD_INTR_INFO);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_SIPI), VMX_FIELD_QUALIFICATION);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_TRIPLE_FAULT), 0);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_INIT), 0);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_REASON_FAILED_ENTRY | VMX_EXIT_INVALID_GUEST_STATE), 0);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_HLT), 0);
	assert_int_equal(vmx_exit_fields_needed(VMX_EXIT_TASK_SWITCH),
			 VMX_FIELD_QUALIFICATION | VMX_FIELD_INSN_LEN | VMX_FIELD_IDT_VECTORING);

	/* The table and the decoder agree: every instruction exit the decoder knows gets its length. */
	for (uint32_t basic = 0; basic < ARRAY_SIZE(exit_table); basic++)
		if (exit_table[basic].insn_reason != EXIT_UNKNOWN)
			assert_int_equal(vmx_exit_fields_needed(basic), VMX_FIELD_INSN_LEN);

	/* What is read is enough: decoding from only those fields gives the full answer. */
	struct vmx_exit_fields f = { .reason = VMX_EXIT_CPUID, .insn_len = 2 };
	struct vm_exit e = decode(&f);

	assert_int_equal(e.reason, EXIT_CPUID);
	assert_int_equal(e.insn_len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exception_and_nmi),
		cmocka_unit_test(test_external_interrupt),
		cmocka_unit_test(test_event_windows),
		cmocka_unit_test(test_init_sipi_triple_fault),
		cmocka_unit_test(test_instruction_exits),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_ept_violation),
		cmocka_unit_test(test_failed_entries),
		cmocka_unit_test(test_vmfail),
		cmocka_unit_test(test_unknown_exits),
		cmocka_unit_test(test_task_switch),
		cmocka_unit_test(test_fields_needed),
		cmocka_unit_test(test_exit_reason_names),
		cmocka_unit_test(test_instruction_error_names),
	};

	return cmocka_run_group_tests_name("vmx_exit", tests, NULL, NULL);
}
