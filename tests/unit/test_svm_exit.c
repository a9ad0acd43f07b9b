/*
 * Host unit tests for the SVM exit decoder (arch/x86/svm/svm_exit.c): a pure function of the
 * VMCB's exit fields, guest RIP and whether the CPU has NRIPS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/svm/svm_exit.c"

#define GUEST_RIP 0x100234ULL

/* A fresh VMCB with one exit in it (calloc: the VMCB is 4 KiB). */
static struct vmcb *vmcb_with(uint64_t code, uint64_t info1, uint64_t info2)
{
	struct vmcb *vmcb = calloc(1, sizeof(*vmcb));

	assert_non_null(vmcb);
	vmcb->control.exit_code = code;
	vmcb->control.exit_info1 = info1;
	vmcb->control.exit_info2 = info2;
	vmcb->save.rip = GUEST_RIP;
	return vmcb;
}

/* Decode into a record full of garbage first, so fields the decoder forgets to clear show up. */
static struct vm_exit decode(const struct vmcb *vmcb, bool nrips)
{
	struct vm_exit e;

	memset(&e, 0xA5, sizeof(e));
	svm_decode_exit(&e, vmcb, nrips);
	return e;
}

static void expect_plain(const struct vm_exit *e, enum exit_reason reason, uint64_t raw, uint32_t len)
{
	assert_int_equal(e->reason, reason);
	assert_int_equal(e->raw_reason, raw);
	assert_int_equal(e->insn_len, len);
	assert_int_equal(e->qualification, 0);
	assert_int_equal(e->gpa, 0);
	assert_false(e->has_vector);
	assert_false(e->has_error_code);
	assert_int_equal(e->error_code, 0);
	assert_int_equal(e->cr2, 0);
	assert_int_equal(e->io.port, 0);
	assert_null(e->failure);
}

static void test_instruction_lengths(void **state __unused)
{
	static const struct {
		uint64_t code, info1;
		enum exit_reason reason;
		uint32_t len; /* without NRIPS: from the exit type */
	} cases[] = {
		{ SVM_EXIT_CPUID, 0, EXIT_CPUID, 2 },
		{ SVM_EXIT_MSR, 0, EXIT_MSR_READ, 2 },
		{ SVM_EXIT_MSR, 1, EXIT_MSR_WRITE, 2 },
		{ SVM_EXIT_VMMCALL, 0, EXIT_HYPERCALL, 3 },
		{ SVM_EXIT_XSETBV, 0, EXIT_XSETBV, 3 },
		{ SVM_EXIT_INVD, 0, EXIT_INVD, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmcb *vmcb = vmcb_with(cases[i].code, cases[i].info1, 0);
		struct vm_exit e;

		/* No NRIPS (QEMU TCG): next_rip is 0 and ignored. */
		e = decode(vmcb, false);
		expect_plain(&e, cases[i].reason, cases[i].code, cases[i].len);
		/* NRIPS: the length is next_rip - rip, whatever the exit type says (prefixes count). */
		vmcb->control.next_rip = GUEST_RIP + cases[i].len + 1;
		e = decode(vmcb, true);
		expect_plain(&e, cases[i].reason, cases[i].code, cases[i].len + 1);
		/* A next_rip that does not lie ahead (not filled in) falls back to the fixed length. */
		vmcb->control.next_rip = 0;
		e = decode(vmcb, true);
		assert_int_equal(e.insn_len, cases[i].len);
		/* The same VMCB decodes the same way twice: nothing outside the arguments counts. */
		vmcb->control.next_rip = GUEST_RIP + 7;
		assert_int_equal(decode(vmcb, true).insn_len, 7);
		assert_int_equal(decode(vmcb, true).insn_len, 7);
		free(vmcb);
	}
}

static void test_io(void **state __unused)
{
	/* outl to 0xcf8: size 4 (one-hot in bits 6:4), EXITINFO2 is the next RIP. */
	uint64_t info = (0xCF8ULL << SVM_IOIO_PORT_SHIFT) | (4U << SVM_IOIO_SIZE_SHIFT);
	struct vmcb *vmcb = vmcb_with(SVM_EXIT_IOIO, info, GUEST_RIP + 1);
	struct vm_exit e = decode(vmcb, false);

	assert_int_equal(e.reason, EXIT_IO);
	assert_int_equal(e.io.port, 0xCF8);
	assert_int_equal(e.io.size, 4);
	assert_false(e.io.in);
	assert_false(e.io.string);
	assert_false(e.io.rep);
	assert_int_equal(e.insn_len, 1);

	/* rep insb from 0x64 with a prefix: 2 bytes. */
	vmcb->control.exit_info1 = (0x64ULL << SVM_IOIO_PORT_SHIFT) | (1U << SVM_IOIO_SIZE_SHIFT) | SVM_IOIO_IN |
				   SVM_IOIO_STR | SVM_IOIO_REP;
	vmcb->control.exit_info2 = GUEST_RIP + 2;
	e = decode(vmcb, true);
	assert_int_equal(e.io.port, 0x64);
	assert_int_equal(e.io.size, 1);
	assert_true(e.io.in);
	assert_true(e.io.string);
	assert_true(e.io.rep);
	assert_int_equal(e.insn_len, 2);
	assert_int_equal(e.qualification, 0); /* the detail word after the I/O fields */
	free(vmcb);
}

static void test_npf(void **state __unused)
{
	struct vmcb *vmcb = vmcb_with(SVM_EXIT_NPF, SVM_NPF_PRESENT | SVM_NPF_WRITE | SVM_NPF_USER, 0xFEE00300);
	struct vm_exit e = decode(vmcb, true);

	assert_int_equal(e.reason, EXIT_NPF);
	assert_int_equal(e.gpa, 0xFEE00300);
	assert_int_equal(e.qualification, NPF_WRITE);
	assert_int_equal(e.insn_len, 0);
	vmcb->control.exit_info1 = SVM_NPF_USER | SVM_NPF_FETCH;
	assert_int_equal(decode(vmcb, true).qualification, NPF_FETCH);
	vmcb->control.exit_info1 = SVM_NPF_USER;
	assert_int_equal(decode(vmcb, true).qualification, NPF_READ);
	free(vmcb);
}

static void test_exceptions(void **state __unused)
{
	struct vmcb *vmcb = vmcb_with(SVM_EXIT_EXCP_BASE + EXC_PF, 0x6, 0xDEADB000);
	struct vm_exit e = decode(vmcb, true);

	assert_int_equal(e.reason, EXIT_EXCEPTION);
	assert_int_equal(e.vector, EXC_PF);
	assert_true(e.has_error_code);
	assert_int_equal(e.error_code, 6);
	assert_int_equal(e.cr2, 0xDEADB000);

	/* #UD has no error code: a stale EXITINFO1 is not reported. */
	vmcb->control.exit_code = SVM_EXIT_EXCP_BASE + EXC_UD;
	vmcb->control.exit_info1 = 0x1234;
	e = decode(vmcb, true);
	assert_int_equal(e.vector, EXC_UD);
	assert_false(e.has_error_code);
	assert_int_equal(e.error_code, 0);
	assert_int_equal(e.cr2, 0);

	/* #GP(0x18). */
	vmcb->control.exit_code = SVM_EXIT_EXCP_BASE + EXC_GP;
	vmcb->control.exit_info1 = 0x18;
	e = decode(vmcb, true);
	assert_true(e.has_error_code);
	assert_int_equal(e.error_code, 0x18);
	free(vmcb);
}

/*
 * Every exception vector: an error code exactly for #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC
 * and #SX (SDM vol. 3, table 6-1; APM vol. 2, table 8-1), CR2 only for #PF, never a length.
 */
static void test_every_exception_vector(void **state __unused)
{
	static const bool has_error_code[32] = {
		[8] = true, [10] = true, [11] = true, [12] = true, [13] = true, [14] = true,
		[17] = true, [21] = true, [29] = true, [30] = true,
	};

	for (unsigned int vector = 0; vector < 32; vector++) {
		struct vmcb *vmcb = vmcb_with(SVM_EXIT_EXCP_BASE + vector, 0xE0, 0xC2C2C000);
		struct vm_exit e = decode(vmcb, true);

		assert_int_equal(e.reason, EXIT_EXCEPTION);
		assert_int_equal(e.raw_reason, SVM_EXIT_EXCP_BASE + vector);
		assert_int_equal(e.vector, vector);
		if (e.has_error_code != has_error_code[vector])
			fail_msg("vector %u: has_error_code %d, expected %d", vector, e.has_error_code,
				 has_error_code[vector]);
		assert_int_equal(e.error_code, has_error_code[vector] ? 0xE0 : 0);
		assert_int_equal(e.cr2, vector == EXC_PF ? 0xC2C2C000 : 0);
		assert_int_equal(e.insn_len, 0);
		free(vmcb);
	}
	/* The exit code after the last exception vector is no exception. */
	struct vmcb *vmcb = vmcb_with(SVM_EXIT_EXCP_BASE + 32, 0, 0);

	assert_int_not_equal(decode(vmcb, true).reason, EXIT_EXCEPTION);
	free(vmcb);
}

/* Byte and word I/O: the size field is one-hot (bits 4, 5, 6 for 1, 2, 4 bytes). */
static void test_io_sizes(void **state __unused)
{
	for (unsigned int size = 1; size <= 4; size <<= 1) {
		uint64_t info = (0x3F8ULL << SVM_IOIO_PORT_SHIFT) | ((uint64_t)size << SVM_IOIO_SIZE_SHIFT) | SVM_IOIO_IN;
		struct vmcb *vmcb = vmcb_with(SVM_EXIT_IOIO, info, GUEST_RIP + 1);
		struct vm_exit e = decode(vmcb, false);

		assert_int_equal(e.io.size, size);
		assert_int_equal(e.io.port, 0x3F8);
		assert_true(e.io.in);
		free(vmcb);
	}
}

static void test_events_and_others(void **state __unused)
{
	static const struct {
		uint64_t code;
		enum exit_reason reason;
	} cases[] = {
		{ SVM_EXIT_NMI, EXIT_NMI },	     { SVM_EXIT_INTR, EXIT_EXTINT },
		{ SVM_EXIT_VINTR, EXIT_IRQ_WINDOW }, { SVM_EXIT_INIT, EXIT_INIT }, { SVM_EXIT_SMI, EXIT_SMI },
		{ SVM_EXIT_SHUTDOWN, EXIT_SHUTDOWN }, { SVM_EXIT_VMRUN, EXIT_VIRT_INSN },
		{ SVM_EXIT_STGI, EXIT_VIRT_INSN },   { SVM_EXIT_SKINIT, EXIT_VIRT_INSN },
		{ SVM_EXIT_VMLOAD, EXIT_VIRT_INSN }, { SVM_EXIT_VMSAVE, EXIT_VIRT_INSN },
		{ SVM_EXIT_CLGI, EXIT_VIRT_INSN },
		{ SVM_EXIT_INVLPGA, EXIT_VIRT_INSN },
		/* No neutral meaning: the dispatcher dumps and stops. */
		{ SVM_EXIT_RDTSC, EXIT_UNKNOWN },    { SVM_EXIT_HLT, EXIT_UNKNOWN },
		{ SVM_EXIT_IRET, EXIT_UNKNOWN },     { 0x7777, EXIT_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmcb *vmcb = vmcb_with(cases[i].code, 0x55, 0x66);
		struct vm_exit e = decode(vmcb, true);

		expect_plain(&e, cases[i].reason, cases[i].code, 0);
		free(vmcb);
	}
}

static void test_invalid(void **state __unused)
{
	struct vmcb *vmcb = vmcb_with(SVM_EXIT_INVALID, 0, 0);
	struct vm_exit e = decode(vmcb, false);

	assert_int_equal(e.reason, EXIT_FAILED_ENTRY);
	assert_int_equal(e.raw_reason, SVM_EXIT_INVALID);
	assert_non_null(e.failure);
	assert_non_null(strstr(e.failure, "VMEXIT_INVALID"));
	free(vmcb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instruction_lengths),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_npf),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_every_exception_vector),
		cmocka_unit_test(test_io_sizes),
		cmocka_unit_test(test_events_and_others),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
