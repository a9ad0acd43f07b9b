/*
 * Host tests for drivers/acpi_fadt.c: the FADT's fields at each revision and length.
 */
#include "acpi_fixture.h"

static void test_fadt_short_revision1(void **state __unused)
{
	paddr_t entries[] = { FADT_PA };
	uint8_t *f = put_fadt(FADT_PA, 1, 116);

	put32(f + 40, 0x7fe4000);
	put32(f + 48, 0xB2);
	put32(f + 64, 0x404);
	f[89] = 2;
	put32(f + 112, ACPI_FADT_RESET_REG_SUP);
	finish_table(FADT_PA);
	/* Bytes after the table look like a reset register: they must not be read. */
	f[116] = ACPI_GAS_SYSTEM_IO;
	f[117] = 8;
	put64(f + 120, 0xCF9);
	f[128] = 6;
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.fadt_found && info.fadt_valid);
	assert_int_equal(info.fadt_pa, FADT_PA);
	assert_int_equal(info.fadt.revision, 1);
	assert_int_equal(info.fadt.length, 116);
	assert_int_equal(info.fadt.dsdt, 0x7fe4000);
	assert_int_equal(info.fadt.smi_cmd, 0xB2);
	assert_int_equal(info.fadt.pm1_cnt_len, 2);
	assert_int_equal(info.fadt.pm1a_cnt.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.fadt.pm1a_cnt.address, 0x404);
	assert_int_equal(info.fadt.pm1a_cnt.bit_width, 16);
	assert_int_equal(info.fadt.pm1b_cnt.address, 0);
	assert_true(info.fadt.flags_valid);
	assert_true(info.fadt.reset_reg_sup);
	assert_false(info.fadt.reset_reg_valid);
	assert_int_equal(info.fadt.reset_reg.address, 0);
	assert_int_equal(info.fadt.reset_value, 0);
	assert_false(acpi_reset_reg_usable(&info));
}

static void test_fadt_full_revision6(void **state __unused)
{
	paddr_t entries[] = { FADT_PA };
	uint8_t *f = put_fadt(FADT_PA, 6, 276);

	put32(f + 40, 0x7fe4000);
	put64(f + 140, 0x17fe4000ULL); /* X_DSDT wins */
	put32(f + 48, 0xB2);
	put32(f + 64, 0x604);
	put32(f + 68, 0x608);
	f[89] = 2;
	put16(f + 109, ACPI_IAPC_8042 | ACPI_IAPC_NO_VGA);
	put32(f + 112, ACPI_FADT_RESET_REG_SUP | 1);
	f[116] = ACPI_GAS_SYSTEM_IO;
	f[117] = 8;
	f[118] = 0;
	f[119] = 1;
	put64(f + 120, 0xCF9);
	f[128] = 6;
	/* X_PM1a_CNT_BLK in memory space; X_PM1b_CNT_BLK zero: the 32-bit port stays. */
	f[172] = ACPI_GAS_SYSTEM_MEMORY;
	f[173] = 16;
	f[175] = 2;
	put64(f + 176, 0xFED80004ULL);
	finish_table(FADT_PA);
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.fadt_valid);
	assert_int_equal(info.fadt.revision, 6);
	assert_int_equal(info.fadt.length, 276);
	assert_int_equal(info.fadt.dsdt, 0x17fe4000ULL);
	assert_true(info.fadt.iapc_boot_arch_valid);
	assert_int_equal(info.fadt.iapc_boot_arch, ACPI_IAPC_8042 | ACPI_IAPC_NO_VGA);
	assert_int_equal(info.fadt.flags, ACPI_FADT_RESET_REG_SUP | 1);
	assert_true(info.fadt.reset_reg_sup);
	assert_true(info.fadt.reset_reg_valid);
	assert_int_equal(info.fadt.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.fadt.reset_reg.bit_width, 8);
	assert_int_equal(info.fadt.reset_reg.bit_offset, 0);
	assert_int_equal(info.fadt.reset_reg.access_size, 1);
	assert_int_equal(info.fadt.reset_reg.address, 0xCF9);
	assert_int_equal(info.fadt.reset_value, 6);
	assert_int_equal(info.fadt.pm1a_cnt.space_id, ACPI_GAS_SYSTEM_MEMORY);
	assert_int_equal(info.fadt.pm1a_cnt.address, 0xFED80004ULL);
	assert_int_equal(info.fadt.pm1a_cnt.bit_width, 16);
	assert_int_equal(info.fadt.pm1b_cnt.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.fadt.pm1b_cnt.address, 0x608);
	assert_true(acpi_reset_reg_usable(&info));

	/* Without RESET_REG_SUP the register is not to be used. */
	put32(at(FADT_PA, 276) + 112, 1);
	finish_table(FADT_PA);
	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.fadt.reset_reg_valid);
	assert_false(info.fadt.reset_reg_sup);
	assert_false(acpi_reset_reg_usable(&info));
}

/* An ACPI 2.0 (revision 3, 244 bytes) FADT: covers the reset register and X_PM1 blocks. */
static void test_fadt_revision3(void **state __unused)
{
	paddr_t entries[] = { FADT_PA };
	uint8_t *f = put_fadt(FADT_PA, 3, 244);

	put32(f + 112, ACPI_FADT_RESET_REG_SUP);
	f[116] = ACPI_GAS_SYSTEM_MEMORY;
	f[117] = 8;
	put64(f + 120, 0xFED00000ULL);
	f[128] = 0xE;
	finish_table(FADT_PA);
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.fadt.reset_reg_valid);
	assert_int_equal(info.fadt.reset_reg.address, 0xFED00000ULL);
	assert_int_equal(info.fadt.reset_value, 0xE);
	assert_true(acpi_reset_reg_usable(&info));
	assert_int_equal(info.fadt.pm1a_cnt.address, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACPI_TEST(test_fadt_short_revision1),
		ACPI_TEST(test_fadt_full_revision6),
		ACPI_TEST(test_fadt_revision3),
	};

	return cmocka_run_group_tests_name("acpi_fadt", tests, NULL, NULL);
}
