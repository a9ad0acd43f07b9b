/*
 * Host tests for the ACPI parser: crafted tables in a fake physical memory.
 *
 * The fake phys_view hands out a fresh heap copy of exactly the bytes asked for, so AddressSanitizer
 * reports any read past what the parser mapped (for instance a field beyond a short FADT).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../drivers/acpi.c"
#include "../../drivers/acpi_fadt.c"
#include "../../drivers/acpi_madt.c"

/* ---- fake physical memory ---- */

#define LOW_SIZE 0x100000     /* 0 .. 1 MiB: BDA, EBDA, BIOS area */
#define TBL_BASE 0x7fe0000ULL /* tables near the top of a 128 MiB machine */
#define TBL_SIZE 0x10000

static uint8_t *low_mem, *tbl_mem;
static void **maps;
static size_t nr_maps, cap_maps;

static const void *fake_map(const struct phys_view *view __unused, paddr_t pa, uint64_t len)
{
	uint8_t *src = NULL, *copy;

	if (pa < LOW_SIZE && len <= LOW_SIZE - pa)
		src = low_mem + pa;
	else if (pa >= TBL_BASE && pa - TBL_BASE < TBL_SIZE && len <= TBL_SIZE - (pa - TBL_BASE))
		src = tbl_mem + (pa - TBL_BASE);
	if (!src || !len)
		return NULL;
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, src, len);
	if (nr_maps == cap_maps) {
		cap_maps = cap_maps ? cap_maps * 2 : 1024;
		maps = realloc(maps, cap_maps * sizeof(*maps));
		assert_non_null(maps);
	}
	maps[nr_maps++] = copy;
	return copy;
}

static const struct phys_view fake_view = { .map = fake_map };

/* Writable pointer to the fake memory behind [pa, pa + len). */
static uint8_t *at(paddr_t pa, size_t len)
{
	if (pa < LOW_SIZE && len <= LOW_SIZE - pa)
		return low_mem + pa;
	assert_true(pa >= TBL_BASE && pa - TBL_BASE + len <= TBL_SIZE);
	return tbl_mem + (pa - TBL_BASE);
}

/* ---- log capture ---- */

#define MAX_LOGS 64

static char logs[MAX_LOGS][MSG_MAX];
static int log_levels[MAX_LOGS];
static int nr_logs;

static void capture_log(int level, const char *msg, void *ctx)
{
	assert_ptr_equal(ctx, &nr_logs);
	assert_true(strlen(msg) < MSG_MAX);
	if (nr_logs < MAX_LOGS) {
		log_levels[nr_logs] = level;
		snprintf(logs[nr_logs++], MSG_MAX, "%s", msg);
	}
}

static bool logged(const char *text)
{
	for (int i = 0; i < nr_logs; i++)
		if (strstr(logs[i], text))
			return true;
	return false;
}

static void dump_logs(void)
{
	for (int i = 0; i < nr_logs; i++)
		fprintf(stderr, "  log[%d] %d: %s\n", i, log_levels[i], logs[i]);
}

#define assert_logged(text)                    \
	do {                                   \
		if (!logged(text))             \
			dump_logs();           \
		assert_true(logged(text));     \
	} while (0)

static int setup(void **state __unused)
{
	low_mem = calloc(1, LOW_SIZE);
	tbl_mem = calloc(1, TBL_SIZE);
	assert_non_null(low_mem);
	assert_non_null(tbl_mem);
	nr_logs = 0;
	return 0;
}

static int teardown(void **state __unused)
{
	for (size_t i = 0; i < nr_maps; i++)
		free(maps[i]);
	free(maps);
	maps = NULL;
	nr_maps = cap_maps = 0;
	free(low_mem);
	free(tbl_mem);
	return 0;
}

/* ---- table builders ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Set the byte at p[at] so that p[0 .. len) sums to 0. */
static void set_checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

static void put_rsdp(paddr_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t *r = at(pa, 36);

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "HVTEST", 6);
	r[15] = rev;
	put32(r + 16, rsdt);
	set_checksum(r, 20, 8);
	if (rev >= 2) {
		put32(r + 20, 36);
		put64(r + 24, xsdt);
		set_checksum(r, 36, 32);
	}
}

static uint8_t *put_header(paddr_t pa, const char *sig, uint32_t len, uint8_t rev)
{
	uint8_t *t = at(pa, len);

	memset(t, 0, len);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "HVTEST", 6);
	memcpy(t + 16, "UNITTEST", 8);
	return t;
}

static void finish_table(paddr_t pa)
{
	uint8_t *t = at(pa, 36);

	set_checksum(t, acpi_rd32(t + 4), 9);
}

static void put_root(paddr_t pa, bool xsdt, const paddr_t *entries, size_t n)
{
	size_t esz = xsdt ? 8 : 4;
	uint8_t *t = put_header(pa, xsdt ? "XSDT" : "RSDT", (uint32_t)(36 + n * esz), 1);

	for (size_t i = 0; i < n; i++) {
		if (xsdt)
			put64(t + 36 + i * 8, entries[i]);
		else
			put32(t + 36 + i * 4, (uint32_t)entries[i]);
	}
	finish_table(pa);
}

/* MADT builder: madt_begin, then madt_* entries, then madt_end. */
static paddr_t madt_at;
static uint32_t madt_len;

static void madt_begin(paddr_t pa, uint32_t lapic)
{
	uint8_t *t = put_header(pa, "APIC", 44, 5);

	put32(t + 36, lapic);
	put32(t + 40, 1); /* PCAT_COMPAT */
	madt_at = pa;
	madt_len = 44;
}

static uint8_t *madt_add(uint8_t type, uint8_t len)
{
	uint8_t *e = at(madt_at + madt_len, len);

	memset(e, 0, len);
	e[0] = type;
	e[1] = len;
	madt_len += len;
	return e;
}

static void madt_lapic(uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
	uint8_t *e = madt_add(0, 8);

	e[2] = acpi_id;
	e[3] = apic_id;
	put32(e + 4, flags);
}

static void madt_x2apic(uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
	uint8_t *e = madt_add(9, 16);

	put32(e + 4, x2apic_id);
	put32(e + 8, flags);
	put32(e + 12, uid);
}

static void madt_end(void)
{
	put32(at(madt_at, 36) + 4, madt_len);
	finish_table(madt_at);
}

static uint8_t *put_fadt(paddr_t pa, uint8_t rev, uint32_t len)
{
	return put_header(pa, "FACP", len, rev);
}

static int parse(const uint8_t *copy, size_t copy_len, struct acpi_info *info)
{
	return acpi_parse(&fake_view, copy, copy_len, info, capture_log, &nr_logs);
}

/* Layout used by most tests. */
#define RSDP_PA 0xF5A40
#define RSDT_PA (TBL_BASE + 0x0000)
#define XSDT_PA (TBL_BASE + 0x0100)
#define MADT_PA (TBL_BASE + 0x1000)
#define MADT2_PA (TBL_BASE + 0x2000)
#define FADT_PA (TBL_BASE + 0x3000)
#define DSDT_PA (TBL_BASE + 0x4000)

static struct acpi_info info;

/* A simple two-CPU MADT at pa. */
static void simple_madt(paddr_t pa, int cpus)
{
	madt_begin(pa, 0xFEE00000);
	for (int i = 0; i < cpus; i++)
		madt_lapic((uint8_t)i, (uint8_t)i, ACPI_CPU_ENABLED);
	madt_end();
}

static void simple_fadt(paddr_t pa)
{
	uint8_t *f = put_fadt(pa, 6, 276);

	put32(f + 40, (uint32_t)DSDT_PA);
	finish_table(pa);
}

/* ---- RSDP and root tables ---- */

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

/* ---- MADT ---- */

static void setup_rsdt(const paddr_t *entries, size_t n)
{
	put_root(RSDT_PA, false, entries, n);
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
}

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

/* ---- FADT ---- */

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
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_rsdp_v1_rsdt),
		T(test_rsdp_v2_prefers_xsdt),
		T(test_bad_xsdt_falls_back_to_rsdt),
		T(test_rsdp_scan_bios_area),
		T(test_rsdp_scan_ebda_first),
		T(test_rsdp_bad_checksum),
		T(test_rsdp_v2_bad_extended_checksum),
		T(test_rsdp_nothing),
		T(test_rsdp_v2_short_copy),
		T(test_bad_root_table),
		T(test_madt_entries),
		T(test_madt_bad_checksum),
		T(test_madt_second_copy),
		T(test_madt_beyond_memory),
		T(test_madt_impossible_length),
		T(test_madt_too_short_for_madt),
		T(test_madt_entry_overruns),
		T(test_madt_entry_zero_length),
		T(test_madt_entry_too_short_for_type),
		T(test_madt_duplicates_and_limit),
		T(test_missing_madt),
		T(test_unreadable_table),
		T(test_fadt_short_revision1),
		T(test_fadt_full_revision6),
		T(test_fadt_revision3),
		T(test_fadt_bad_checksum),
		T(test_no_log_callback),
#undef T
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
