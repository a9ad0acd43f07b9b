/*
 * Host tests for the sleep-register decisions (vmm/sleep_reg.c): which registers the FADT names,
 * which page a memory-space one is on, whether a write is a sleep request, the state it enters,
 * and where the guest's boot CPU starts after the wake. PM1 control in memory space exists in
 * no emulator's firmware (QEMU and Bochs give I/O ports): these tests are its only coverage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/sleep_reg.c"

#define GED_SLEEP_CTL 0xfea00200ULL

static const struct acpi_gas io_pm1a = { .address = 0x604, .space_id = ACPI_GAS_SYSTEM_IO, .bit_width = 16 };
static const struct acpi_gas mem_pm1a = { .address = 0xfed80004, .space_id = ACPI_GAS_SYSTEM_MEMORY, .bit_width = 16 };
static const struct acpi_gas mem_pm1b = { .address = 0xfed81ffe, .space_id = ACPI_GAS_SYSTEM_MEMORY, .bit_width = 16 };
static const struct acpi_gas ged_ctl = { .address = GED_SLEEP_CTL, .space_id = ACPI_GAS_SYSTEM_MEMORY, .bit_width = 8 };
static int rejected;

static void count_reject(const char *name __attribute__((unused)), const struct acpi_gas *g __attribute__((unused)))
{
	rejected++;
}

static struct acpi_fadt_info fadt(const struct acpi_gas *a, const struct acpi_gas *b, const struct acpi_gas *ctl,
				  bool hw_reduced)
{
	struct acpi_fadt_info f = { .flags_valid = true, .flags = hw_reduced ? ACPI_FADT_HW_REDUCED_ACPI : 0 };

	if (a)
		f.pm1a_cnt = *a;
	if (b)
		f.pm1b_cnt = *b;
	if (ctl)
		f.sleep_control = *ctl;
	f.pm1_cnt_len = (a || b) ? 2 : 0;
	return f;
}

static void test_regs_io_pm1(void **state __attribute__((unused)))
{
	struct acpi_fadt_info f = fadt(&io_pm1a, NULL, NULL, false);
	struct sleep_reg r[SLEEP_MAX_REGS];

	assert_int_equal(sleep_regs_from_fadt(&f, r, count_reject), 1);
	assert_int_equal(r[0].kind, SLEEP_REG_PM1A);
	assert_false(r[0].mmio);
	assert_int_equal(r[0].address, 0x604);
	assert_int_equal(r[0].len, 2);
	assert_string_equal(sleep_reg_name(&r[0]), "PM1a_CNT");
}

/* Memory-space PM1a and PM1b: both kept, in memory, with their pages. */
static void test_regs_memory_pm1(void **state __attribute__((unused)))
{
	struct acpi_fadt_info f = fadt(&mem_pm1a, &mem_pm1b, NULL, false);
	struct sleep_reg r[SLEEP_MAX_REGS];

	assert_int_equal(sleep_regs_from_fadt(&f, r, count_reject), 2);
	assert_true(r[0].mmio && r[1].mmio);
	assert_int_equal(r[1].kind, SLEEP_REG_PM1B);
	assert_int_equal(sleep_reg_page(&r[0]), 0xfed80000);
	assert_int_equal(sleep_reg_page(&r[1]), 0xfed81000);
	/* An I/O write at the same number is not a memory write. */
	assert_int_equal(sleep_reg_find(r, 2, false, 0xfed80004, 2), -1);
	assert_int_equal(sleep_reg_find(r, 2, true, 0xfed80004, 2), 0);
	/* PM1b ends on its page's last byte: found there, and nothing past it. */
	assert_int_equal(sleep_reg_find(r, 2, true, 0xfed81fff, 1), 1);
	assert_int_equal(sleep_reg_find(r, 2, true, 0xfed82000, 1), -1);
}

/* SLEEP_CONTROL_REG counts only on a hardware-reduced platform (FADT table 5.9). */
static void test_regs_sleep_control(void **state __attribute__((unused)))
{
	struct acpi_fadt_info f = fadt(NULL, NULL, &ged_ctl, true);
	struct acpi_fadt_info full = fadt(&io_pm1a, NULL, &ged_ctl, false);
	struct sleep_reg r[SLEEP_MAX_REGS];

	assert_int_equal(sleep_regs_from_fadt(&f, r, count_reject), 1);
	assert_int_equal(r[0].kind, SLEEP_REG_SLEEP_CTL);
	assert_true(r[0].mmio);
	assert_int_equal(r[0].len, 1);
	assert_int_equal(sleep_reg_page(&r[0]), 0xfea00000);
	assert_string_equal(sleep_reg_name(&r[0]), "SLEEP_CONTROL_REG");
	assert_int_equal(sleep_regs_from_fadt(&full, r, count_reject), 1);
	assert_int_equal(r[0].kind, SLEEP_REG_PM1A);
}

static void test_regs_other_space_rejected(void **state __attribute__((unused)))
{
	struct acpi_gas pci = { .address = 0x1000, .space_id = ACPI_GAS_PCI_CONFIG, .bit_width = 8 };
	struct acpi_fadt_info f = fadt(&io_pm1a, NULL, &pci, true);
	struct sleep_reg r[SLEEP_MAX_REGS];

	rejected = 0;
	assert_int_equal(sleep_regs_from_fadt(&f, r, count_reject), 1);
	assert_int_equal(rejected, 1);
	assert_int_equal(sleep_regs_from_fadt(&f, r, NULL), 1);
}

/* Writes on the GED page: only those that reach the sleep control byte are looked at. */
static void test_find_on_shared_page(void **state __attribute__((unused)))
{
	struct sleep_reg r = { SLEEP_REG_SLEEP_CTL, true, GED_SLEEP_CTL, 1 };

	assert_int_equal(sleep_reg_find(&r, 1, true, GED_SLEEP_CTL + 2, 1), -1); /* the reset register */
	assert_int_equal(sleep_reg_find(&r, 1, true, GED_SLEEP_CTL + 1, 1), -1); /* sleep status */
	assert_int_equal(sleep_reg_find(&r, 1, true, GED_SLEEP_CTL - 4, 4), -1);
	assert_int_equal(sleep_reg_find(&r, 1, true, GED_SLEEP_CTL - 3, 4), 0); /* its last byte lands on it */
	assert_int_equal(sleep_reg_find(&r, 1, true, GED_SLEEP_CTL, 4), 0);
}

static void test_request_sleep_control(void **state __attribute__((unused)))
{
	struct sleep_reg r = { SLEEP_REG_SLEEP_CTL, true, GED_SLEEP_CTL, 1 };
	unsigned int typ = 99;

	assert_true(sleep_reg_request(&r, GED_SLEEP_CTL, 1, (5u << 2) | (1u << 5), &typ));
	assert_int_equal(typ, 5);
	assert_false(sleep_reg_request(&r, GED_SLEEP_CTL, 1, 5u << 2, &typ)); /* no SLP_EN */
	assert_int_equal(typ, 5);
	/* A dword write over sleep control, status and reset: the low byte decides. */
	assert_true(sleep_reg_request(&r, GED_SLEEP_CTL, 4, 0x00420034, &typ));
	assert_int_equal(typ, 5);
	assert_false(sleep_reg_request(&r, GED_SLEEP_CTL, 4, 0x34343400, &typ));
	/* A write that starts before the register: its second byte lands on it. */
	assert_true(sleep_reg_request(&r, GED_SLEEP_CTL - 1, 2, 0x3400, &typ));
	assert_int_equal(typ, 5);
	/* PM1's SLP_EN bit (13) means nothing here. */
	assert_false(sleep_reg_request(&r, GED_SLEEP_CTL, 2, 1u << 13, &typ));
}

static void test_request_pm1(void **state __attribute__((unused)))
{
	struct sleep_reg r = { SLEEP_REG_PM1A, true, 0xfed80004, 2 };
	unsigned int typ;

	assert_true(sleep_reg_request(&r, 0xfed80004, 2, (1u << 10) | (1u << 13), &typ));
	assert_int_equal(typ, 1);
	assert_true(sleep_reg_request(&r, 0xfed80004, 4, (5u << 10) | (1u << 13) | 0xFFFF0000u, &typ));
	assert_int_equal(typ, 5);
	/* The byte that holds SLP_EN, written alone: SLP_TYP from the same byte (bits 2-4 of it). */
	assert_true(sleep_reg_request(&r, 0xfed80005, 1, 0x20 | (3u << 2), &typ));
	assert_int_equal(typ, 3);
	/* The low byte alone cannot set SLP_EN; nor can SCI_EN and friends. */
	assert_false(sleep_reg_request(&r, 0xfed80004, 1, 0xFF, &typ));
	assert_false(sleep_reg_request(&r, 0xfed80004, 2, 0x1C01, &typ));
	/* A qword write that covers it from below. */
	assert_true(sleep_reg_request(&r, 0xfed80000, 8, (uint64_t)(1u << 13) << 32, &typ));
	assert_int_equal(typ, 0);
}

static void test_state(void **state __attribute__((unused)))
{
	struct acpi_sleep_type t[ACPI_NR_SLEEP_STATES] = {
		[0] = { true, 0, 0 }, [3] = { true, 1, 2 }, [5] = { true, 5, 7 },
	};
	struct sleep_reg a = { SLEEP_REG_PM1A, false, 0x604, 2 };
	struct sleep_reg b = { SLEEP_REG_PM1B, false, 0x608, 2 };
	struct sleep_reg ctl = { SLEEP_REG_SLEEP_CTL, true, GED_SLEEP_CTL, 1 };

	assert_int_equal(sleep_reg_state(&a, t, 0), 0);
	assert_int_equal(sleep_reg_state(&a, t, 1), 3);
	assert_int_equal(sleep_reg_state(&b, t, 2), 3); /* SLP_TYPb */
	assert_int_equal(sleep_reg_state(&b, t, 1), SLEEP_UNKNOWN);
	assert_int_equal(sleep_reg_state(&a, t, 5), 5);
	assert_int_equal(sleep_reg_state(&ctl, t, 5), 5); /* SLP_TYPa */
	assert_int_equal(sleep_reg_state(&a, t, 6), SLEEP_UNKNOWN);
	/* A type named by S3 and S5 both: the sleep path wins. */
	t[5].typ_a = 1;
	assert_int_equal(sleep_reg_state(&a, t, 1), 3);
}

static void test_wake_entry(void **state __attribute__((unused)))
{
	struct sleep_wake_entry e;

	e = sleep_wake_entry(0, 0x9A345, 0x100000, 0); /* version 0: no X vector field */
	assert_int_equal(e.mode, SLEEP_WAKE_REAL);
	assert_int_equal(e.real_cs, 0x9A34);
	assert_int_equal(e.ip, 5);
	e = sleep_wake_entry(1, 0x8000, 0x100000, 0);
	assert_int_equal(e.mode, SLEEP_WAKE_FLAT32);
	assert_int_equal(e.ip, 0x100000);
	assert_false(e.wanted_64bit);
	e = sleep_wake_entry(2, 0x8000, 0x100000, ACPI_FACS_64BIT_WAKE);
	assert_int_equal(e.mode, SLEEP_WAKE_FLAT32);
	assert_true(e.wanted_64bit);
	e = sleep_wake_entry(2, 0x8000, 0x100000000ULL, 0); /* out of reach of protected mode */
	assert_int_equal(e.mode, SLEEP_WAKE_NONE);
	e = sleep_wake_entry(2, 0x8000, 0, 0);
	assert_int_equal(e.mode, SLEEP_WAKE_REAL);
	e = sleep_wake_entry(2, 0, 0, 0);
	assert_int_equal(e.mode, SLEEP_WAKE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regs_io_pm1),
		cmocka_unit_test(test_regs_memory_pm1),
		cmocka_unit_test(test_regs_sleep_control),
		cmocka_unit_test(test_regs_other_space_rejected),
		cmocka_unit_test(test_find_on_shared_page),
		cmocka_unit_test(test_request_sleep_control),
		cmocka_unit_test(test_request_pm1),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_wake_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
