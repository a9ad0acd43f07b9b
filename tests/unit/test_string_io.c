/* Host unit tests for vmm/string_io.c: INS/OUTS prefixes and how rSI/rDI/rCX step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../vmm/string_io.c"

static void decode(const uint8_t *bytes, size_t n, enum cpu_mode mode, struct string_io_insn *out)
{
	assert_int_equal(string_io_decode(bytes, n, mode, out), 0);
}

static void test_decode(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };
	static const uint8_t outsw_fs[] = { 0x66, 0x64, 0x6F };
	static const uint8_t insd_es_override[] = { 0x2E, 0x6D };
	static const uint8_t adsize_outsb[] = { 0x67, 0xF3, 0x6E };
	static const uint8_t rex_outsd[] = { 0xF3, 0x48, 0x6F };
	static const uint8_t not_string[] = { 0xF3, 0xEC };
	struct string_io_insn i;

	decode(rep_insb, sizeof(rep_insb), CPU_MODE_PROT32, &i);
	assert_true(i.rep && i.in && i.seg == SEG_ES && i.addr_size == 4 && i.len == 2);
	decode(outsw_fs, sizeof(outsw_fs), CPU_MODE_PROT32, &i);
	assert_true(!i.rep && !i.in && i.seg == SEG_FS && i.addr_size == 4 && i.len == 3);
	/* INS always writes ES:rDI, whatever the override says. */
	decode(insd_es_override, sizeof(insd_es_override), CPU_MODE_LONG64, &i);
	assert_true(i.in && i.seg == SEG_ES && i.addr_size == 8);
	decode(adsize_outsb, sizeof(adsize_outsb), CPU_MODE_PROT32, &i);
	assert_true(i.rep && !i.in && i.seg == SEG_DS && i.addr_size == 2);
	decode(adsize_outsb, sizeof(adsize_outsb), CPU_MODE_LONG64, &i);
	assert_int_equal(i.addr_size, 4);
	decode(adsize_outsb, sizeof(adsize_outsb), CPU_MODE_REAL16, &i);
	assert_int_equal(i.addr_size, 4);
	decode(rep_insb, sizeof(rep_insb), CPU_MODE_REAL16, &i);
	assert_int_equal(i.addr_size, 2);
	decode(rex_outsd, sizeof(rex_outsd), CPU_MODE_LONG64, &i);
	assert_true(i.rep && !i.in && i.len == 3 && i.addr_size == 8);
	/* 0x48 outside 64-bit mode is DEC EAX: not a string instruction. */
	assert_int_equal(string_io_decode(rex_outsd, sizeof(rex_outsd), CPU_MODE_PROT32, &i), -E_INVAL);
	assert_int_equal(string_io_decode(not_string, sizeof(not_string), CPU_MODE_PROT32, &i), -E_INVAL);
	assert_int_equal(string_io_decode(rep_insb, 1, CPU_MODE_PROT32, &i), -E_RANGE);
}

static void test_step(void **state __unused)
{
	/* 16-bit: wraps within the low word, the rest of the register stays. */
	assert_int_equal(string_io_update(0x1234FFFFULL, 2, 1), 0x12340000ULL);
	assert_int_equal(string_io_update(0x12340000ULL, 2, -2), 0x1234FFFEULL);
	/* 32-bit: wraps at 4 GiB, and the upper half is cleared as a 32-bit write does. */
	assert_int_equal(string_io_update(0xAAAAAAAAFFFFFFFFULL, 4, 1), 0);
	assert_int_equal(string_io_update(0x1000, 4, -4), 0xFFC);
	/* 64-bit: plain arithmetic. */
	assert_int_equal(string_io_update(0xFFFFFFFFULL, 8, 1), 0x100000000ULL);
	/* rCX counts down at the address size. */
	assert_int_equal(string_io_update(0x5550001, 2, -1), 0x5550000);
	assert_int_equal(string_io_reg(0xABCD12345678ULL, 2), 0x5678);
	assert_int_equal(string_io_reg(0xABCD12345678ULL, 4), 0x12345678);
	assert_int_equal(string_io_reg(0xABCD12345678ULL, 8), 0xABCD12345678ULL);
}

static void test_linear(void **state __unused)
{
	assert_int_equal(string_io_linear(0x10000, 0xFFFF1234, 2, CPU_MODE_REAL16), 0x11234);
	assert_int_equal(string_io_linear(0xF0000000, 0x20000000, 4, CPU_MODE_PROT32), 0x10000000);
	assert_int_equal(string_io_linear(0xF0000000, 0x20000000, 8, CPU_MODE_LONG64), 0x110000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_linear),
	};

	return cmocka_run_group_tests_name("string_io", tests, NULL, NULL);
}
