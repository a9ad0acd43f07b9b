/*
 * What the ACPI host tests share (test_acpi.c, test_acpi_madt.c, test_acpi_fadt.c): the parser's
 * sources, a fake physical memory, log capture and builders for crafted tables.
 *
 * The fake phys_view hands out a fresh heap copy of exactly the bytes asked for, so AddressSanitizer
 * reports any read past what the parser mapped (for instance a field beyond a short FADT).
 */
#ifndef TEST_ACPI_FIXTURE_H
#define TEST_ACPI_FIXTURE_H

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

/* An RSDT with these entries, found through a revision 0 RSDP. */
static void setup_rsdt(const paddr_t *entries, size_t n)
{
	put_root(RSDT_PA, false, entries, n);
	put_rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
}

#define ACPI_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
