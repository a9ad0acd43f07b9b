/*
 * Host tests for INS and OUTS exits (vmm/io.c, vmm/string_io.c): element by element through guest
 * RAM, never the hypervisor's, with REP batches, single-stepping and the refusals.
 */
#include "io_fixture.h"

/* ---- INS and OUTS ---- */

static void string_exit(uint16_t port, uint8_t size, bool in, const uint8_t *bytes, size_t len)
{
	memset(insn, 0x90, sizeof(insn));
	memcpy(insn, bytes, len);
	io_exit(port, size, in, (uint8_t)len);
	vcpu.exit.io.string = true;
}

static void test_rep_insb(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	port_value = 0x5A;
	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = RAM_BASE + 0x10;
	vcpu.regs.rcx = 5;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_memory_equal(gram(RAM_BASE + 0x10), "\x5A\x5A\x5A\x5A\x5A", 5);
	assert_int_equal(*gram(RAM_BASE + 0x15), 0xEE);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + 0x15);
	assert_int_equal(vcpu.regs.rcx, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 2);
	assert_int_equal(nr_ins, 5);
}

static void test_rep_insw_downwards(void **state __unused)
{
	static const uint8_t rep_insw[] = { 0x66, 0xF3, 0x6D };

	port_value = 0xBEEF;
	string_exit(T_PORT_KBD, 2, true, rep_insw, sizeof(rep_insw));
	vcpu.rflags = T_RFLAGS_DF;
	vcpu.regs.rdi = RAM_BASE + 0x20;
	vcpu.regs.rcx = 3;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_memory_equal(gram(RAM_BASE + 0x1C), "\xEF\xBE\xEF\xBE\xEF\xBE", 6);
	assert_int_equal(*gram(RAM_BASE + 0x1B), 0xEE);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + 0x1A);
	assert_int_equal(vcpu.regs.rcx, 0);
}

static void test_outsb_across_a_page(void **state __unused)
{
	static const uint8_t outsd[] = { 0x6F };

	memcpy(gram(RAM_BASE + 0xFFE), "\x01\x02", 2); /* one element on two pages */
	memcpy(gram(RAM_BASE + 0x1000), "\x03\x04", 2);
	string_exit(T_PORT_OTHER, 4, false, outsd, sizeof(outsd));
	vcpu.regs.rsi = RAM_BASE + 0xFFE;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_outs, 1);
	assert_int_equal(outs[0].value, 0x04030201);
	assert_int_equal(vcpu.regs.rsi, RAM_BASE + 0x1002);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
}

static void test_string_io_into_hypervisor_memory(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = HV_BASE;
	vcpu.regs.rcx = 16;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(injected_vector, EXC_GP);
	assert_int_equal(injected_count, 1);
	/* The fault leaves the registers at the element that faulted; nothing was read. */
	assert_int_equal(vcpu.regs.rdi, HV_BASE);
	assert_int_equal(vcpu.regs.rcx, 16);
	assert_int_equal(vcpu.rip, GUEST_RIP);
	assert_int_equal(nr_ins, 0);
}

static void test_string_output_to_sleep_port_refused(void **state __unused)
{
	static const uint8_t outsw[] = { 0x66, 0x6F };

	string_exit(T_PORT_PM1A_CNT, 2, false, outsw, sizeof(outsw));
	vcpu.regs.rsi = RAM_BASE;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(injected_vector, EXC_GP);
	assert_int_equal(sleep_writes, 0);
	assert_int_equal(nr_outs, 0);
}

static void test_string_io_undecodable_stops(void **state __unused)
{
	static const uint8_t outsb[] = { 0x6E };

	string_exit(T_PORT_KBD, 1, true, outsb, sizeof(outsb)); /* the exit says INS, the bytes OUTS */
	assert_int_equal(handle_io(&vcpu), EXIT_STOP);
	assert_int_equal(dumps, 1);
	assert_int_equal(nr_ins + nr_outs, 0);
}

/* A long REP goes on at the next exit, with interrupts in between. */
static void test_rep_in_batches(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	port_value = 0x11;
	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = RAM_BASE;
	vcpu.regs.rcx = STRING_IO_BATCH + 3;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_ins, STRING_IO_BATCH);
	assert_int_equal(vcpu.regs.rcx, 3);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + STRING_IO_BATCH);
	assert_int_equal(vcpu.rip, GUEST_RIP); /* the instruction runs again */
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_ins, STRING_IO_BATCH + 3);
	assert_int_equal(vcpu.regs.rcx, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 2);
	assert_int_equal(*gram(RAM_BASE + STRING_IO_BATCH + 2), 0x11);
	assert_int_equal(*gram(RAM_BASE + STRING_IO_BATCH + 3), 0xEE);
}

/* With TF, one element per exit and a single-step trap after each. */
static void test_rep_single_step(void **state __unused)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };

	string_exit(T_PORT_OTHER, 1, false, rep_outsb, sizeof(rep_outsb));
	vcpu.regs.rsi = RAM_BASE;
	vcpu.regs.rcx = 5;
	vcpu.rflags = T_RFLAGS_TF;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_outs, 1);
	assert_int_equal(vcpu.regs.rcx, 4);
	assert_int_equal(vcpu.regs.rsi, RAM_BASE + 1);
	assert_int_equal(vcpu.rip, GUEST_RIP);
	assert_int_equal(single_step_traps, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_rep_insb),
		T(test_rep_insw_downwards),
		T(test_outsb_across_a_page),
		T(test_string_io_into_hypervisor_memory),
		T(test_string_output_to_sleep_port_refused),
		T(test_string_io_undecodable_stops),
		T(test_rep_in_batches),
		T(test_rep_single_step),
	};
#undef T

	return cmocka_run_group_tests_name("io_string", tests, NULL, NULL);
}
