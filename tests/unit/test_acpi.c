/*
 * Host tests for drivers/acpi.c: finding the RSDP and the root table, and mapping, length and
 * checksum checks of every table, with crafted tables in a fake physical memory.
 */
#include "acpi_fixture.h"

static void test_rsdp_v1_rsdt(void **state __unused)
{
	paddr_t entries[] = { FADT_PA, MADT_PA };
	uint8_t copy[20];

	simple_madt(MADT_PA, 2);
	simple_fadt(FADT_PA);
	put_root(RSDT_PA, false, entries, 2);
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
	memcpy(copy, at(RSDP_PA, 20), 20);
	memset(at(RSDP_PA, 20), 0, 20); /* only the boot loader's copy exists */

	assert_int_equal(parse(copy, sizeof(copy), &info), 0);
	assert_true(info.rsdp_found && info.rsdp_valid && info.rsdp_from_copy);
	assert_int_equal(info.rsdp_pa, 0);
	assert_int_equal(info.rsdp_revision, 0);
	assert_true(info.root_valid);
	assert_false(info.root_is_xsdt);
	assert_int_equal(info.root_pa, RSDT_PA);
	assert_true(info.madt_found && info.madt_valid);
	assert_true(info.fadt_found && info.fadt_valid);
	assert_int_equal(info.nr_cpus, 2);
	assert_int_equal(info.lapic_addr, 0xFEE00000);
	assert_int_equal(info.madt_flags, 1);
	assert_int_equal(info.fadt.dsdt, DSDT_PA);
	assert_int_equal(info.nr_tables, 3);
	assert_string_equal(info.tables[0].sig, "RSDT");
	assert_string_equal(info.tables[1].sig, "FACP");
	assert_string_equal(info.tables[2].sig, "APIC");
	assert_true(info.tables[2].valid);
	assert_int_equal(info.tables[2].pa, MADT_PA);
	assert_int_equal(nr_logs, 0);
}

static void test_rsdp_v2_prefers_xsdt(void **state __unused)
{
	paddr_t rsdt_entries[] = { MADT_PA };
	paddr_t xsdt_entries[] = { MADT2_PA, FADT_PA };
	uint8_t copy[36];

	simple_madt(MADT_PA, 1);
	simple_madt(MADT2_PA, 3);
	simple_fadt(FADT_PA);
	put_root(RSDT_PA, false, rsdt_entries, 1);
	put_root(XSDT_PA, true, xsdt_entries, 2);
	put_rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
	memcpy(copy, at(RSDP_PA, 36), 36);

	assert_int_equal(parse(copy, sizeof(copy), &info), 0);
	assert_int_equal(info.rsdp_revision, 2);
	assert_true(info.root_is_xsdt);
	assert_int_equal(info.root_pa, XSDT_PA);
	assert_int_equal(info.madt_pa, MADT2_PA);
	assert_int_equal(info.nr_cpus, 3);
	assert_string_equal(info.tables[0].sig, "XSDT");
	assert_int_equal(nr_logs, 0);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state __unused)
{
	paddr_t rsdt_entries[] = { MADT_PA };
	paddr_t xsdt_entries[] = { MADT2_PA };

	simple_madt(MADT_PA, 1);
	simple_madt(MADT2_PA, 3);
	put_root(RSDT_PA, false, rsdt_entries, 1);
	put_root(XSDT_PA, true, xsdt_entries, 1);
	at(XSDT_PA, 36)[20] ^= 0x55; /* corrupt an OEM byte: checksum no longer matches */
	put_rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_false(info.root_is_xsdt);
	assert_int_equal(info.root_pa, RSDT_PA);
	assert_int_equal(info.nr_cpus, 1);
	assert_logged("ACPI: XSDT table at 0x7fe0100: checksum mismatch, ignored");
	assert_logged("falling back to the RSDT");
}

static void test_rsdp_scan_bios_area(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };
	paddr_t pa = 0;

	simple_madt(MADT_PA, 2);
	put_root(RSDT_PA, false, entries, 1);
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);

	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), 0);
	assert_int_equal(pa, RSDP_PA);
	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_false(info.rsdp_from_copy);
	assert_int_equal(info.rsdp_pa, RSDP_PA);
	assert_int_equal(info.nr_cpus, 2);
}

static void test_rsdp_scan_ebda_first(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };
	paddr_t pa = 0;

	simple_madt(MADT_PA, 2);
	put_root(RSDT_PA, false, entries, 1);
	put16(at(0x40E, 2), 0x9FC0); /* EBDA at 0x9FC00 */
	put_rsdp(0x9FC00 + 0x230, 0, (uint32_t)RSDT_PA, 0);
	put_rsdp(0xE0000, 0, 0x1234, 0); /* the BIOS area comes second */

	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), 0);
	assert_int_equal(pa, 0x9FE30);
	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_int_equal(info.rsdp_pa, 0x9FE30);
	assert_int_equal(info.root_pa, RSDT_PA);

	/* Not on a 16-byte boundary: not found there, the BIOS area's one is. */
	memset(at(0x9FE30, 36), 0, 36);
	put_rsdp(0x9FC00 + 0x238, 0, (uint32_t)RSDT_PA, 0);
	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), 0);
	assert_int_equal(pa, 0xE0000);
}

static void test_rsdp_bad_checksum(void **state __unused)
{
	paddr_t pa = 0;
	uint8_t copy[20];

	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
	at(RSDP_PA, 20)[8] ^= 1;
	memcpy(copy, at(RSDP_PA, 20), 20);

	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), -E_NOENT);
	assert_int_equal(parse(copy, sizeof(copy), &info), -E_NOENT);
	assert_true(info.rsdp_found);
	assert_false(info.rsdp_valid);
	assert_false(info.root_valid || info.madt_valid || info.fadt_valid);
	assert_int_equal(info.nr_cpus, 0);
	assert_logged("ACPI: RSDP copy from the boot loader: checksum mismatch, searching memory");
	assert_logged("ACPI: RSDP candidate at 0xf5a40: checksum mismatch, skipped");
	assert_logged("ACPI: no valid RSDP found");
}

static void test_rsdp_v2_bad_extended_checksum(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };
	paddr_t pa = 0;

	simple_madt(MADT_PA, 1);
	put_root(RSDT_PA, false, entries, 1);
	put_rsdp(0xE0040, 2, (uint32_t)RSDT_PA, XSDT_PA);
	at(0xE0040, 36)[32] ^= 1; /* v1 checksum still good */
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);

	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), 0);
	assert_int_equal(pa, RSDP_PA);
	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_logged("ACPI: RSDP candidate at 0xe0040: extended checksum mismatch, skipped");
	assert_int_equal(info.rsdp_revision, 0);
}

static void test_rsdp_nothing(void **state __unused)
{
	paddr_t pa = 0;

	assert_int_equal(acpi_find_rsdp(&fake_view, &pa), -E_NOENT);
	assert_int_equal(parse(NULL, 0, &info), -E_NOENT);
	assert_false(info.rsdp_found);
	assert_int_equal(info.nr_cpus, 0);
}

/* A revision 2 RSDP copied with only its 20-byte ACPI 1.0 part still leads to the RSDT. */
static void test_rsdp_v2_short_copy(void **state __unused)
{
	paddr_t rsdt_entries[] = { MADT_PA };
	uint8_t copy[20];

	simple_madt(MADT_PA, 2);
	put_root(RSDT_PA, false, rsdt_entries, 1);
	put_rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
	memcpy(copy, at(RSDP_PA, 20), 20);

	assert_int_equal(parse(copy, sizeof(copy), &info), 0);
	assert_true(info.rsdp_from_copy);
	assert_false(info.root_is_xsdt);
	assert_int_equal(info.nr_cpus, 2);
	assert_logged("revision 2 fields not available, using the RSDT");
}

static void test_bad_root_table(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	simple_madt(MADT_PA, 2);
	put_root(RSDT_PA, false, entries, 1);
	memcpy(at(RSDT_PA, 4), "RSDX", 4);
	finish_table(RSDT_PA);
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);

	assert_int_equal(parse(NULL, 0, &info), -E_INVAL);
	assert_true(info.rsdp_valid);
	assert_false(info.root_valid || info.madt_valid);
	assert_logged("ACPI: RSDX table at 0x7fe0000: expected RSDT, ignored");
	assert_logged("ACPI: no valid RSDT or XSDT");
}

static void test_madt_bad_checksum(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	simple_madt(MADT_PA, 2);
	at(MADT_PA, 64)[50] ^= 1;
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_found);
	assert_false(info.madt_valid);
	assert_int_equal(info.nr_cpus, 0);
	assert_int_equal(info.lapic_addr, 0);
	assert_string_equal(info.tables[1].sig, "APIC");
	assert_false(info.tables[1].valid);
	assert_logged("ACPI: APIC table at 0x7fe1000: checksum mismatch, ignored");
	assert_logged("ACPI: no valid MADT, only the boot CPU will run");
}

/* A bad first MADT does not hide a good second one; a second good one is ignored. */
static void test_madt_second_copy(void **state __unused)
{
	paddr_t entries[] = { MADT_PA, MADT2_PA, MADT_PA };

	simple_madt(MADT_PA, 2);
	at(MADT_PA, 64)[50] ^= 1;
	simple_madt(MADT2_PA, 3);
	setup_rsdt(entries, 3);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_valid);
	assert_int_equal(info.madt_pa, MADT2_PA);
	assert_int_equal(info.nr_cpus, 3);
	assert_false(logged("second MADT"));

	at(MADT_PA, 64)[50] ^= 1;
	nr_logs = 0;
	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_int_equal(info.madt_pa, MADT_PA);
	assert_int_equal(info.nr_cpus, 2);
	assert_logged("ACPI: APIC table at 0x7fe2000: second MADT, ignored");
}

static void test_madt_beyond_memory(void **state __unused)
{
	paddr_t madt = TBL_BASE + TBL_SIZE - 0x40;
	paddr_t entries[] = { madt };

	put_header(madt, "APIC", 0x40, 5);
	put32(at(madt, 36) + 4, 0x80); /* claims more bytes than memory has */
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_found);
	assert_false(info.madt_valid);
	assert_int_equal(info.nr_cpus, 0);
	assert_logged("ACPI: APIC table at 0x7feffc0: length 128 beyond readable memory, ignored");
}

static void test_madt_impossible_length(void **state __unused)
{
	paddr_t entries[] = { MADT_PA, MADT2_PA };

	put_header(MADT_PA, "APIC", 36, 5);
	put32(at(MADT_PA, 36) + 4, 20);
	put_header(MADT2_PA, "APIC", 36, 5);
	put32(at(MADT2_PA, 36) + 4, 0x200000);
	setup_rsdt(entries, 2);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_false(info.madt_valid);
	assert_logged("ACPI: APIC table at 0x7fe1000: length 20 impossible, ignored");
	assert_logged("ACPI: APIC table at 0x7fe2000: length 2097152 impossible, ignored");
}

static void test_missing_madt(void **state __unused)
{
	paddr_t entries[] = { FADT_PA, 0 };

	simple_fadt(FADT_PA);
	setup_rsdt(entries, 2);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_false(info.madt_found);
	assert_false(info.madt_valid);
	assert_int_equal(info.nr_cpus, 0);
	assert_true(info.fadt_valid);
	assert_logged("ACPI: no valid MADT, only the boot CPU will run");
	assert_logged("ACPI: RSDT table at 0x7fe0000: null entry skipped");
}

static void test_unreadable_table(void **state __unused)
{
	paddr_t entries[] = { 0x40000000, MADT_PA };

	simple_madt(MADT_PA, 1);
	setup_rsdt(entries, 2);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_int_equal(info.nr_cpus, 1);
	assert_string_equal(info.tables[1].sig, "????");
	assert_false(info.tables[1].valid);
	assert_logged("ACPI: table at 0x40000000: header not readable, ignored");
}

static void test_fadt_bad_checksum(void **state __unused)
{
	paddr_t entries[] = { MADT_PA, FADT_PA };

	simple_madt(MADT_PA, 1);
	simple_fadt(FADT_PA);
	at(FADT_PA, 276)[200] = 0x42;
	setup_rsdt(entries, 2);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.fadt_found);
	assert_false(info.fadt_valid);
	assert_int_equal(info.fadt.dsdt, 0);
	assert_true(info.madt_valid);
	assert_logged("ACPI: FACP table at 0x7fe3000: checksum mismatch, ignored");
	assert_logged("ACPI: no valid FADT");
}

/* Logging is optional. */
static void test_no_log_callback(void **state __unused)
{
	assert_int_equal(acpi_parse(&fake_view, NULL, 0, &info, NULL, NULL), -E_NOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACPI_TEST(test_rsdp_v1_rsdt),
		ACPI_TEST(test_rsdp_v2_prefers_xsdt),
		ACPI_TEST(test_bad_xsdt_falls_back_to_rsdt),
		ACPI_TEST(test_rsdp_scan_bios_area),
		ACPI_TEST(test_rsdp_scan_ebda_first),
		ACPI_TEST(test_rsdp_bad_checksum),
		ACPI_TEST(test_rsdp_v2_bad_extended_checksum),
		ACPI_TEST(test_rsdp_nothing),
		ACPI_TEST(test_rsdp_v2_short_copy),
		ACPI_TEST(test_bad_root_table),
		ACPI_TEST(test_madt_bad_checksum),
		ACPI_TEST(test_madt_second_copy),
		ACPI_TEST(test_madt_beyond_memory),
		ACPI_TEST(test_madt_impossible_length),
		ACPI_TEST(test_missing_madt),
		ACPI_TEST(test_unreadable_table),
		ACPI_TEST(test_fadt_bad_checksum),
		ACPI_TEST(test_no_log_callback),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
