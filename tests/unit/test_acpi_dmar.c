/*
 * Host tests for the DMAR parser (drivers/acpi_dmar.c): crafted and damaged tables in a fake
 * physical memory. As in test_acpi.c, every phys_map() returns a heap copy of exactly the bytes
 * asked for, so AddressSanitizer catches any read past what the parser mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "put_le.h"

#include "../../drivers/acpi.c"
#include "../../drivers/acpi_dmar.c"
#include "../../drivers/acpi_fadt.c"
#include "../../drivers/acpi_madt.c"

#define TBL_BASE 0x7fe0000ULL
#define TBL_SIZE 0x4000

static uint8_t *tbl_mem;
static void **maps;
static size_t nr_maps, cap_maps;

static const void *fake_map(const struct phys_view *view __unused, paddr_t pa, uint64_t len)
{
	uint8_t *copy;

	if (!len || pa < TBL_BASE || pa - TBL_BASE >= TBL_SIZE || len > TBL_SIZE - (pa - TBL_BASE))
		return NULL;
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, tbl_mem + (pa - TBL_BASE), len);
	if (nr_maps == cap_maps) {
		cap_maps = cap_maps ? cap_maps * 2 : 64;
		maps = realloc(maps, cap_maps * sizeof(*maps));
		assert_non_null(maps);
	}
	maps[nr_maps++] = copy;
	return copy;
}

static const struct phys_view fake_view = { .map = fake_map };

/* ---- log capture ---- */

#define MAX_LOGS 64
static char logs[MAX_LOGS][MSG_MAX];
static int nr_logs;

static void capture_log(int level __unused, const char *msg, void *ctx)
{
	assert_ptr_equal(ctx, &nr_logs);
	assert_true(strlen(msg) < MSG_MAX);
	if (nr_logs < MAX_LOGS)
		snprintf(logs[nr_logs++], MSG_MAX, "%s", msg);
}

static bool logged(const char *text)
{
	for (int i = 0; i < nr_logs; i++)
		if (strstr(logs[i], text))
			return true;
	for (int i = 0; i < nr_logs; i++)
		fprintf(stderr, "  log[%d]: %s\n", i, logs[i]);
	return false;
}

static int setup(void **state __unused)
{
	tbl_mem = calloc(1, TBL_SIZE);
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
	free(tbl_mem);
	return 0;
}

/* ---- DMAR builder: dmar_begin, structures (each closed by its own helper), dmar_end ---- */

static uint32_t dmar_len, struct_at;

static void dmar_begin(uint8_t haw_minus_1, uint8_t flags)
{
	memcpy(tbl_mem, "DMAR", 4);
	tbl_mem[8] = 1;
	memcpy(tbl_mem + 10, "HVTEST", 6);
	tbl_mem[36] = haw_minus_1;
	tbl_mem[37] = flags;
	dmar_len = 48;
}

static void dmar_end(void)
{
	uint8_t sum = 0;

	put16(tbl_mem + 4, (uint16_t)dmar_len);
	tbl_mem[6] = tbl_mem[7] = 0;
	tbl_mem[9] = 0;
	for (uint32_t i = 0; i < dmar_len; i++)
		sum = (uint8_t)(sum + tbl_mem[i]);
	tbl_mem[9] = (uint8_t)-sum;
}

/* Start a structure of the given type with `fixed` bytes before its scopes. */
static uint8_t *struct_begin(uint16_t type, uint16_t fixed)
{
	uint8_t *s = tbl_mem + dmar_len;

	struct_at = dmar_len;
	put16(s, type);
	put16(s + 2, fixed);
	dmar_len += fixed;
	return s;
}

/* Append bytes to the open structure and grow its length. */
static uint8_t *struct_grow(uint16_t n)
{
	uint8_t *p = tbl_mem + dmar_len;

	dmar_len += n;
	put16(tbl_mem + struct_at + 2, (uint16_t)(dmar_len - struct_at));
	return p;
}

static void drhd(uint8_t flags, uint16_t segment, uint64_t base, uint8_t size)
{
	uint8_t *s = struct_begin(0, 16);

	s[4] = flags;
	s[5] = size;
	put16(s + 6, segment);
	put64(s + 8, base);
}

static void rmrr(uint16_t segment, uint64_t base, uint64_t limit)
{
	uint8_t *s = struct_begin(1, 24);

	put16(s + 6, segment);
	put64(s + 8, base);
	put64(s + 16, limit);
}

/* A device scope with `hops` (dev, fn) pairs from `path`. */
static void scope(uint8_t type, uint8_t enum_id, uint8_t bus, const uint8_t *path, unsigned int hops)
{
	uint8_t *s = struct_grow((uint16_t)(6 + 2 * hops));

	s[0] = type;
	s[1] = (uint8_t)(6 + 2 * hops);
	s[4] = enum_id;
	s[5] = bus;
	memcpy(s + 6, path, 2 * hops);
}

static int parse(struct dmar_info *d)
{
	return acpi_dmar_parse(&fake_view, TBL_BASE, d, capture_log, &nr_logs);
}

/* ---- tests ---- */

/* What QEMU's q35 with intel-iommu gives: one unit for every device, no RMRR. */
static void test_qemu_like(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, DMAR_FLAG_INTR_REMAP);
	drhd(1, 0, 0xfed90000, 0);
	scope(DMAR_SCOPE_IOAPIC, 0, 0xff, (const uint8_t[]){ 0, 0 }, 1);
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_true(d.valid);
	assert_int_equal(d.host_addr_width, 39);
	assert_int_equal(d.flags, DMAR_FLAG_INTR_REMAP);
	assert_int_equal(d.nr_units, 1);
	assert_int_equal(d.units[0].reg_base, 0xfed90000);
	assert_int_equal(d.units[0].reg_size, 4096);
	assert_true(d.units[0].include_pci_all);
	assert_int_equal(d.units[0].nr_scopes, 1);
	assert_int_equal(d.scopes[0].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(d.scopes[0].bus, 0xff);
	assert_int_equal(d.nr_rmrrs, 0);
	assert_int_equal(d.errors, 0);
}

/* Two units (one with explicit scopes), an RMRR for a USB controller, and structures we skip. */
static void test_units_rmrr_and_skipped(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(45, 0);
	drhd(0, 0, 0xfed90000, 1);
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 2, 0 }, 1);
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 0x1c, 0, 0, 1 }, 2);
	drhd(1, 1, 0xfed91000, 0);
	rmrr(0, 0x7ec00000, 0x7ecfffff);
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 0x14, 0 }, 1);
	struct_begin(2, 8);  /* ATSR */
	struct_begin(3, 20); /* RHSA */
	struct_begin(5, 8);  /* SATC */
	struct_begin(9, 4);  /* unknown */
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.host_addr_width, 46);
	assert_int_equal(d.nr_units, 2);
	assert_false(d.units[0].include_pci_all);
	assert_int_equal(d.units[0].reg_size, 8192);
	assert_int_equal(d.units[0].nr_scopes, 2);
	assert_int_equal(d.units[0].first_scope, 0);
	assert_int_equal(d.scopes[1].path_len, 2);
	assert_int_equal(d.scopes[1].path[0].dev, 0x1c);
	assert_int_equal(d.scopes[1].path[1].fn, 1);
	assert_true(d.units[1].include_pci_all);
	assert_int_equal(d.units[1].segment, 1);
	assert_int_equal(d.units[1].nr_scopes, 0);
	assert_int_equal(d.nr_rmrrs, 1);
	assert_int_equal(d.rmrrs[0].base, 0x7ec00000);
	assert_int_equal(d.rmrrs[0].end, 0x7ed00000);
	assert_int_equal(d.rmrrs[0].first_scope, 2);
	assert_int_equal(d.rmrrs[0].nr_scopes, 1);
	assert_int_equal(d.scopes[2].path[0].dev, 0x14);
	assert_int_equal(d.nr_ignored, 4);
	assert_int_equal(d.errors, 0);
	assert_true(logged("ATSR at offset"));
	assert_true(logged("RHSA at offset"));
	assert_true(logged("SATC at offset"));
}

static void test_bad_checksum(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, 0);
	drhd(1, 0, 0xfed90000, 0);
	dmar_end();
	tbl_mem[40] ^= 1;
	assert_int_equal(parse(&d), -E_INVAL);
	assert_false(d.valid);
	assert_int_equal(d.nr_units, 0);
	assert_true(logged("checksum mismatch"));
}

static void test_bad_header(void **state __unused)
{
	struct dmar_info d;

	/* Shorter than the fixed part. */
	dmar_begin(38, 0);
	dmar_len = 40;
	dmar_end();
	assert_int_equal(parse(&d), -E_INVAL);
	assert_true(logged("impossible"));

	/* Longer than readable memory. */
	dmar_begin(38, 0);
	dmar_len = TBL_SIZE + 16;
	put16(tbl_mem + 4, (uint16_t)dmar_len);
	tbl_mem[6] = (uint8_t)(dmar_len >> 16);
	assert_int_equal(parse(&d), -E_NOENT);
	assert_true(logged("beyond readable memory"));

	/* Not a DMAR. */
	dmar_begin(38, 0);
	dmar_end();
	memcpy(tbl_mem, "DMAX", 4);
	assert_int_equal(parse(&d), -E_INVAL);
	assert_true(logged("signature"));

	/* Header itself not readable. */
	assert_int_equal(acpi_dmar_parse(&fake_view, TBL_BASE + TBL_SIZE - 8, &d, capture_log, &nr_logs),
			 -E_NOENT);
	assert_false(d.valid);
}

/* A structure whose length runs past the table: what came before is kept, the walk stops. */
static void test_struct_overrun(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, 0);
	drhd(1, 0, 0xfed90000, 0);
	drhd(0, 0, 0xfed91000, 0);
	put16(tbl_mem + struct_at + 2, 200);
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, 1);
	assert_int_equal(d.errors, 1);
	assert_true(logged("DRHD at offset 0x40: bad length"));
}

/* A DRHD shorter than its fixed fields, and a zero-length structure, both stop the walk. */
static void test_struct_too_short(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, 0);
	drhd(1, 0, 0xfed90000, 0);
	put16(tbl_mem + struct_at + 2, 12);
	dmar_len = struct_at + 16;
	dmar_end();
	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, 0);
	assert_int_equal(d.errors, 1);

	nr_logs = 0;
	dmar_begin(38, 0);
	struct_begin(7, 0);
	dmar_len += 8;
	dmar_end();
	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.nr_ignored, 0);

	/* Three stray bytes after the last structure: too few for a header. */
	nr_logs = 0;
	dmar_begin(38, 0);
	drhd(1, 0, 0xfed90000, 0);
	dmar_len += 3;
	dmar_end();
	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, 1);
	assert_int_equal(d.errors, 1);
	assert_true(logged("header overruns"));
}

/* Bad fields in one unit or RMRR skip that entry alone. */
static void test_bad_entries_skipped(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, 0);
	drhd(1, 0, 0, 0);                  /* no register base */
	drhd(1, 0, 0xfed90800, 0);         /* not page-aligned */
	rmrr(0, 0x7ec00000, 0x7ebfffff);   /* inverted */
	rmrr(0, 0x7ec00800, 0x7ecfffff);   /* base not aligned */
	rmrr(0, 0x7ec00000, 0x7ecff000);   /* limit not the last byte of a page */
	rmrr(0, 0xfffffffffffff000ULL, 0xffffffffffffffffULL); /* wraps */
	rmrr(0, 0xe0000, 0xfffff);         /* good */
	drhd(1, 0, 0xfed91000, 0);         /* good */
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, 1);
	assert_int_equal(d.units[0].reg_base, 0xfed91000);
	assert_int_equal(d.nr_rmrrs, 1);
	assert_int_equal(d.rmrrs[0].base, 0xe0000);
	assert_int_equal(d.rmrrs[0].end, 0x100000);
	assert_int_equal(d.errors, 6);
	assert_true(logged("register base zero or not page-aligned"));
	assert_true(logged("RMRR at offset"));
}

/* Broken device scopes: a bad one is skipped, one that overruns its structure ends the list. */
static void test_bad_scopes(void **state __unused)
{
	struct dmar_info d;
	uint8_t *s;

	dmar_begin(38, 0);
	drhd(0, 0, 0xfed90000, 0);
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 2, 0 }, 1);        /* good */
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 32, 0 }, 1);       /* device 32 */
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 3, 8 }, 1);        /* function 8 */
	scope(9, 0, 0, (const uint8_t[]){ 3, 0 }, 1);                              /* unknown type */
	scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ 3, 0 }, 0);        /* no path */
	s = struct_grow(7);                                                        /* odd length */
	s[0] = DMAR_SCOPE_PCI_ENDPOINT;
	s[1] = 7;
	scope(DMAR_SCOPE_PCI_BRIDGE, 0, 0,
	      (const uint8_t[]){ 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 }, 9); /* too deep */
	scope(DMAR_SCOPE_HPET, 7, 0, (const uint8_t[]){ 0x1f, 0 }, 1);             /* good */
	s = struct_grow(4);                                                        /* overruns */
	s[0] = DMAR_SCOPE_PCI_ENDPOINT;
	s[1] = 8;
	drhd(1, 0, 0xfed91000, 0);
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, 2);
	assert_int_equal(d.units[0].nr_scopes, 2);
	assert_int_equal(d.scopes[0].path[0].dev, 2);
	assert_int_equal(d.scopes[1].type, DMAR_SCOPE_HPET);
	assert_int_equal(d.scopes[1].enum_id, 7);
	assert_int_equal(d.errors, 7);
	assert_true(logged("device or function out of range"));
	assert_true(logged("unknown type"));
	assert_true(logged("path too deep"));
	assert_true(logged("overruns its structure"));
}

static void test_too_many(void **state __unused)
{
	struct dmar_info d;

	dmar_begin(38, 0);
	for (unsigned int i = 0; i < DMAR_MAX_UNITS + 2; i++) {
		drhd(0, 0, 0xfed00000 + i * 0x1000, 0);
		scope(DMAR_SCOPE_PCI_ENDPOINT, 0, 0, (const uint8_t[]){ (uint8_t)(i % 32), 0 }, 1);
	}
	for (unsigned int i = 0; i < DMAR_MAX_RMRRS + 1; i++)
		rmrr(0, 0x100000 + i * 0x1000, 0x100fff + i * 0x1000);
	dmar_end();

	assert_int_equal(parse(&d), 0);
	assert_int_equal(d.nr_units, DMAR_MAX_UNITS);
	assert_int_equal(d.nr_units_dropped, 2);
	assert_int_equal(d.nr_scopes, DMAR_MAX_UNITS); /* a dropped unit's scopes are not kept */
	assert_int_equal(d.nr_rmrrs, DMAR_MAX_RMRRS);
	assert_int_equal(d.nr_rmrrs_dropped, 1);
	assert_true(logged("too many remapping units"));
	assert_true(logged("too many reserved memory regions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_qemu_like),
		T(test_units_rmrr_and_skipped),
		T(test_bad_checksum),
		T(test_bad_header),
		T(test_struct_overrun),
		T(test_struct_too_short),
		T(test_bad_entries_skipped),
		T(test_bad_scopes),
		T(test_too_many),
#undef T
	};

	return cmocka_run_group_tests_name("acpi_dmar", tests, NULL, NULL);
}
