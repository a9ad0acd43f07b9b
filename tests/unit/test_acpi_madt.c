/*
 * Host tests for drivers/acpi_madt.c: the MADT's entries (CPUs, I/O APICs, overrides, NMIs) and
 * its malformed ones.
 */
#include "acpi_fixture.h"

static void test_madt_entries(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };
	uint8_t *e;

	madt_begin(MADT_PA, 0xFEE00000);
	madt_lapic(0, 0, ACPI_CPU_ENABLED);
	madt_lapic(1, 2, 0);                       /* disabled: counted only */
	madt_lapic(2, 4, ACPI_CPU_ONLINE_CAPABLE); /* hot-pluggable: kept */
	madt_lapic(3, 0xFF, ACPI_CPU_ENABLED);     /* broadcast ID: ignored */
	madt_x2apic(0x100, ACPI_CPU_ENABLED, 100);
	madt_x2apic(0x101, 0, 101); /* disabled */
	madt_x2apic(0x102, ACPI_CPU_ENABLED | 0x80, 102);
	e = madt_add(1, 12); /* I/O APIC */
	e[2] = 8;
	put32(e + 4, 0xFEC00000);
	put32(e + 8, 24);
	e = madt_add(2, 10); /* ISA IRQ 0 -> GSI 2 */
	e[3] = 0;
	put32(e + 4, 2);
	put16(e + 8, 0);
	e = madt_add(2, 10); /* ISA IRQ 9 -> GSI 9, level, active high */
	e[3] = 9;
	put32(e + 4, 9);
	put16(e + 8, 0xD);
	e = madt_add(4, 6); /* all processors, LINT1 */
	e[2] = 0xFF;
	put16(e + 3, 5);
	e[5] = 1;
	e = madt_add(10, 12); /* x2APIC NMI for UID 100, LINT0 */
	put16(e + 2, 0);
	put32(e + 4, 100);
	e[8] = 0;
	e = madt_add(5, 12); /* 64-bit local APIC address */
	put64(e + 4, 0x1FEE00000ULL);
	e = madt_add(0x7F, 5); /* unknown type: skipped */
	madt_end();
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_valid);
	assert_int_equal(info.madt_errors, 0);
	assert_int_equal(info.lapic_addr, 0x1FEE00000ULL);

	assert_int_equal(info.nr_cpus, 4);
	assert_int_equal(info.nr_cpus_disabled, 2);
	assert_int_equal(info.cpus[0].apic_id, 0);
	assert_int_equal(info.cpus[0].acpi_id, 0);
	assert_false(info.cpus[0].x2apic);
	assert_int_equal(info.cpus[1].apic_id, 4);
	assert_int_equal(info.cpus[1].acpi_id, 2);
	assert_int_equal(info.cpus[1].flags, ACPI_CPU_ONLINE_CAPABLE);
	assert_int_equal(info.cpus[2].apic_id, 0x100);
	assert_int_equal(info.cpus[2].acpi_id, 100);
	assert_true(info.cpus[2].x2apic);
	assert_int_equal(info.cpus[3].apic_id, 0x102);
	assert_int_equal(info.cpus[3].flags, ACPI_CPU_ENABLED);
	for (uint32_t i = 0; i < info.nr_cpus; i++)
		assert_true(info.cpus[i].apic_id != 2 && info.cpus[i].apic_id != 0x101);
	assert_logged("ACPI: APIC table at 0x7fe1000: CPU with broadcast APIC ID 0xff, ignored");

	assert_int_equal(info.nr_ioapics, 1);
	assert_int_equal(info.ioapics[0].id, 8);
	assert_int_equal(info.ioapics[0].address, 0xFEC00000);
	assert_int_equal(info.ioapics[0].gsi_base, 24);

	assert_int_equal(info.nr_irq_overrides, 2);
	assert_int_equal(info.irq_overrides[0].source, 0);
	assert_int_equal(info.irq_overrides[0].gsi, 2);
	assert_int_equal(info.irq_overrides[1].source, 9);
	assert_int_equal(info.irq_overrides[1].flags, 0xD);

	assert_int_equal(info.nr_lapic_nmis, 2);
	assert_int_equal(info.lapic_nmis[0].acpi_id, ACPI_NMI_ALL_CPUS);
	assert_int_equal(info.lapic_nmis[0].flags, 5);
	assert_int_equal(info.lapic_nmis[0].lint, 1);
	assert_false(info.lapic_nmis[0].x2apic);
	assert_int_equal(info.lapic_nmis[1].acpi_id, 100);
	assert_int_equal(info.lapic_nmis[1].lint, 0);
	assert_true(info.lapic_nmis[1].x2apic);
}

static void test_madt_too_short_for_madt(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	put_header(MADT_PA, "APIC", 40, 5);
	finish_table(MADT_PA);
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_false(info.madt_valid);
	assert_logged("ACPI: APIC table at 0x7fe1000: length 40 too short for a MADT, ignored");
}

static void test_madt_entry_overruns(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };
	uint8_t *e;

	madt_begin(MADT_PA, 0xFEE00000);
	madt_lapic(0, 0, ACPI_CPU_ENABLED);
	madt_lapic(1, 1, ACPI_CPU_ENABLED);
	e = madt_add(0, 8);
	e[1] = 40; /* runs past the end of the table */
	madt_end();
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_valid);
	assert_int_equal(info.madt_errors, 1);
	assert_int_equal(info.nr_cpus, 2);
	assert_logged("ACPI: APIC table at 0x7fe1000: entry at offset 0x3c overruns the table");
}

static void test_madt_entry_zero_length(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	madt_begin(MADT_PA, 0xFEE00000);
	madt_lapic(0, 0, ACPI_CPU_ENABLED);
	madt_add(0x7F, 4)[1] = 0; /* would loop forever if trusted */
	madt_lapic(1, 1, ACPI_CPU_ENABLED);
	madt_end();
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_int_equal(info.madt_errors, 1);
	assert_int_equal(info.nr_cpus, 1);
	assert_logged("entry at offset 0x34 overruns the table or has a bad length");
}

static void test_madt_entry_too_short_for_type(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	madt_begin(MADT_PA, 0xFEE00000);
	madt_lapic(0, 0, ACPI_CPU_ENABLED);
	madt_add(9, 12); /* x2APIC entries are 16 bytes */
	madt_lapic(1, 1, ACPI_CPU_ENABLED);
	madt_end();
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_true(info.madt_valid);
	assert_int_equal(info.madt_errors, 1);
	assert_int_equal(info.nr_cpus, 1);
	assert_logged("ACPI: APIC table at 0x7fe1000: entry at offset 0x34 is too short for its type");
}

static void test_madt_duplicates_and_limit(void **state __unused)
{
	paddr_t entries[] = { MADT_PA };

	madt_begin(MADT_PA, 0xFEE00000);
	madt_lapic(0, 5, ACPI_CPU_ENABLED);
	madt_x2apic(5, ACPI_CPU_ENABLED, 7); /* same CPU listed twice */
	madt_lapic(1, 5, ACPI_CPU_ENABLED);
	for (uint32_t i = 0; i < 300; i++)
		madt_x2apic(0x1000 + i, ACPI_CPU_ENABLED, 1000 + i);
	madt_end();
	setup_rsdt(entries, 1);

	assert_int_equal(parse(NULL, 0, &info), 0);
	assert_int_equal(info.nr_cpus, ACPI_MAX_CPUS);
	assert_int_equal(info.nr_cpus_duplicate, 2);
	assert_int_equal(info.nr_cpus_dropped, 300 - (ACPI_MAX_CPUS - 1));
	assert_int_equal(info.cpus[0].apic_id, 5);
	assert_int_equal(info.cpus[0].acpi_id, 0);
	assert_false(info.cpus[0].x2apic);
	assert_int_equal(info.cpus[ACPI_MAX_CPUS - 1].apic_id, 0x1000 + ACPI_MAX_CPUS - 2);
	assert_logged("ACPI: APIC table at 0x7fe1000: duplicate APIC ID 0x5, first kept");
	assert_logged("ACPI: APIC table at 0x7fe1000: more than 256 CPUs, only the first are used");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACPI_TEST(test_madt_entries),
		ACPI_TEST(test_madt_too_short_for_madt),
		ACPI_TEST(test_madt_entry_overruns),
		ACPI_TEST(test_madt_entry_zero_length),
		ACPI_TEST(test_madt_entry_too_short_for_type),
		ACPI_TEST(test_madt_duplicates_and_limit),
	};

	return cmocka_run_group_tests_name("acpi_madt", tests, NULL, NULL);
}
