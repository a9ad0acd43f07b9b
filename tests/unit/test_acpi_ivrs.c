/*
 * Host tests for the IVRS parser (drivers/acpi_ivrs.c): crafted and damaged tables in a fake
 * physical memory. Each mapping is a fresh heap copy of exactly the bytes asked for, so
 * AddressSanitizer catches any read past what the parser mapped.
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
#include "../../drivers/acpi_fadt.c"
#include "../../drivers/acpi_madt.c"
#include "../../drivers/acpi_ivrs.c"

#define TBL_BASE 0x7fe0000ULL
#define TBL_SIZE 0x2000

static uint8_t mem[TBL_SIZE];
static void *maps[256];
static size_t nr_maps;

static const void *fake_map(const struct phys_view *view __unused, paddr_t pa, uint64_t len)
{
	uint8_t *copy;

	if (pa < TBL_BASE || pa - TBL_BASE >= TBL_SIZE || len > TBL_SIZE - (pa - TBL_BASE) || !len)
		return NULL;
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, mem + (pa - TBL_BASE), len);
	assert_true(nr_maps < 256);
	maps[nr_maps++] = copy;
	return copy;
}

static const struct phys_view view = { .map = fake_map };

#define MAX_LOGS 32
static char logs[MAX_LOGS][MSG_MAX];
static int nr_logs;

static void capture_log(int level __unused, const char *msg, void *ctx __unused)
{
	if (nr_logs < MAX_LOGS)
		snprintf(logs[nr_logs++], MSG_MAX, "%s", msg);
}

static void assert_logged(const char *text)
{
	for (int i = 0; i < nr_logs; i++)
		if (strstr(logs[i], text))
			return;
	for (int i = 0; i < nr_logs; i++)
		fprintf(stderr, "  log[%d]: %s\n", i, logs[i]);
	fail_msg("no log line contains \"%s\"", text);
}

static int setup(void **state __unused)
{
	memset(mem, 0, sizeof(mem));
	nr_logs = 0;
	return 0;
}

static int teardown(void **state __unused)
{
	for (size_t i = 0; i < nr_maps; i++)
		free(maps[i]);
	nr_maps = 0;
	return 0;
}

/* ---- table builder: blocks appended at `len`, checksum set last ---- */

static uint32_t len;


static void begin_table(uint32_t ivinfo)
{
	memcpy(mem, "IVRS", 4);
	mem[8] = 2;
	memcpy(mem + 10, "HVTEST", 6);
	put32(mem + 36, ivinfo);
	len = 48;
}

static void finish_table(void)
{
	uint8_t sum = 0;

	put32(mem + 4, len);
	mem[9] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + mem[i]);
	mem[9] = (uint8_t)-sum;
}

/* Starts an IVHD block; returns its offset. Device entries are appended by entry4/entry8. */
static uint32_t begin_ivhd(uint8_t type, uint16_t devid, uint64_t base, uint64_t efr)
{
	uint32_t off = len;
	uint8_t *b = mem + off;

	b[0] = type;
	b[1] = 0xB0;
	put16(b + 4, devid);
	put16(b + 6, 0x40);
	put64(b + 8, base);
	put16(b + 16, 0);
	put32(b + 20, 0x80048F6E);
	if (type != IVHD_TYPE_LEGACY)
		put64(b + 24, efr);
	len += type == IVHD_TYPE_LEGACY ? 24 : 40;
	return off;
}

static void end_block(uint32_t off)
{
	put16(mem + off + 2, (uint16_t)(len - off));
}

static void entry4(uint8_t type, uint16_t devid, uint8_t dte)
{
	mem[len] = type;
	put16(mem + len + 1, devid);
	mem[len + 3] = dte;
	len += 4;
}

static void entry8(uint8_t type, uint16_t devid, uint8_t dte, uint8_t b4, uint16_t w5, uint8_t b7)
{
	entry4(type, devid, dte);
	mem[len - 4 + 4] = b4;
	put16(mem + len - 4 + 5, w5);
	mem[len - 4 + 7] = b7;
	len += 4;
}

static void hid_entry(uint16_t devid, const char *uid)
{
	uint8_t n = (uint8_t)strlen(uid);

	mem[len] = 0xF0;
	put16(mem + len + 1, devid);
	memcpy(mem + len + 4, "AMDI0020", 8);
	mem[len + 20] = 2; /* UID is a string */
	mem[len + 21] = n;
	memcpy(mem + len + 22, uid, n);
	len += 22 + n;
}

static void ivmd(uint8_t type, uint8_t flags, uint16_t devid, uint16_t aux, uint64_t start, uint64_t length)
{
	uint8_t *b = mem + len;

	b[0] = type;
	b[1] = flags;
	put16(b + 2, 32);
	put16(b + 4, devid);
	put16(b + 6, aux);
	put64(b + 16, start);
	put64(b + 24, length);
	len += 32;
}

static int parse(struct ivrs_info *info)
{
	return ivrs_parse(&view, TBL_BASE, info, capture_log, NULL);
}

/* QEMU's shape: one unit described by a type 0x10 and a type 0x11 block, device entries, IVMDs. */
static void build_good(void)
{
	uint32_t b;

	begin_table(0x00203041);
	b = begin_ivhd(IVHD_TYPE_LEGACY, 0x0010, 0xfed80000, 0);
	entry4(0x01, 0, 0);
	end_block(b);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80000, 0x29ad6ULL);
	entry4(0x02, 0x0008, 0x00);            /* select 00:01.0 */
	entry4(0x03, 0x0100, 0xD7);            /* range 01:00.0 .. 01:1f.7 */
	entry4(0x00, 0, 0);                    /* padding */
	entry4(0x04, 0x01FF, 0);
	entry8(0x42, 0x0300, 0, 0, 0x0208, 0); /* 03:00.0 aliased to 02:01.0 */
	entry8(0x48, 0, 0xD7, 9, 0x00A0, IVRS_SPECIAL_IOAPIC);
	entry8(0x46, 0x0400, 0, 0, 0, 0);      /* extended select */
	hid_entry(0x00A5, "ab");
	end_block(b);
	ivmd(IVMD_TYPE_SELECT, IVMD_FLAG_UNITY | IVMD_FLAG_IR | IVMD_FLAG_IW, 0x0008, 0, 0xdd000000, 0x10000);
	ivmd(IVMD_TYPE_ALL, IVMD_FLAG_UNITY | IVMD_FLAG_IR, 0, 0, 0xde000000, 0x2000);
	ivmd(IVMD_TYPE_RANGE, IVMD_FLAG_EXCLUSION, 0x0100, 0x0107, 0xdf000000, 0x1000);
	finish_table();
}

static void test_good_table(void **state __unused)
{
	struct ivrs_info info;

	build_good();
	assert_int_equal(parse(&info), 0);
	assert_true(info.valid);
	assert_int_equal(info.errors, 0);
	assert_int_equal(info.ivinfo, 0x00203041);
	assert_int_equal(IVINFO_PASIZE(info.ivinfo), 0x30);
	assert_int_equal(IVINFO_VASIZE(info.ivinfo), 0x40);
	/* Only the highest type's block counts: one unit, not two, and not its "all" entry. */
	assert_int_equal(info.ivhd_type, IVHD_TYPE_EFR);
	assert_int_equal(info.nr_units, 1);
	assert_int_equal(info.units[0].devid, 0x0010);
	assert_int_equal(info.units[0].cap_offset, 0x40);
	assert_int_equal(info.units[0].mmio_base, 0xfed80000);
	assert_int_equal(info.units[0].efr, 0x29ad6);
	assert_int_equal(info.units[0].features, 0x80048F6E);
	/* select, range (256), alias (2), special, extended select, HID */
	assert_int_equal(info.units[0].nr_device_ids, 1 + 256 + 2 + 1 + 1 + 1);
	assert_int_equal(info.nr_devranges, 7);
	assert_int_equal(info.devranges[1].first, 0x0100);
	assert_int_equal(info.devranges[1].last, 0x01FF);
	assert_int_equal(info.devranges[1].dte_setting, 0xD7);
	assert_int_equal(ivrs_unit_of(&info, 0x0008), 0);
	assert_int_equal(ivrs_unit_of(&info, 0x0180), 0);
	assert_int_equal(ivrs_unit_of(&info, 0x0208), 0);
	assert_int_equal(ivrs_unit_of(&info, 0x00A5), 0);
	assert_int_equal(ivrs_unit_of(&info, 0x0009), -1);
	assert_int_equal(ivrs_unit_of(&info, 0x0200), -1);
	assert_int_equal(info.nr_specials, 1);
	assert_int_equal(info.specials[0].variety, IVRS_SPECIAL_IOAPIC);
	assert_int_equal(info.specials[0].handle, 9);
	assert_int_equal(info.specials[0].devid, 0x00A0);
	assert_int_equal(info.nr_unity, 3);
	assert_int_equal(info.unity[0].first_devid, 0x0008);
	assert_int_equal(info.unity[0].last_devid, 0x0008);
	assert_int_equal(info.unity[0].start, 0xdd000000);
	assert_int_equal(info.unity[0].length, 0x10000);
	assert_int_equal(info.unity[1].first_devid, 0);
	assert_int_equal(info.unity[1].last_devid, 0xFFFF);
	assert_int_equal(info.unity[1].flags, IVMD_FLAG_UNITY | IVMD_FLAG_IR);
	assert_int_equal(info.unity[2].last_devid, 0x0107);
	assert_int_equal(info.unity[2].flags, IVMD_FLAG_EXCLUSION);
}

static void test_legacy_only(void **state __unused)
{
	struct ivrs_info info;
	uint32_t b;

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_LEGACY, 0x0002, 0xfd200000, 0);
	entry4(0x01, 0, 0);
	end_block(b);
	b = begin_ivhd(IVHD_TYPE_LEGACY, 0x0102, 0xfd300000, 0);
	entry4(0x02, 0x0110, 0);
	end_block(b);
	mem[len] = 0x99; /* an unknown block type is skipped by its length */
	put16(mem + len + 2, 8);
	len += 8;
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.ivhd_type, IVHD_TYPE_LEGACY);
	assert_int_equal(info.nr_units, 2);
	assert_int_equal(info.units[0].efr, 0);
	assert_int_equal(info.units[0].nr_device_ids, 0x10000);
	assert_int_equal(info.units[1].mmio_base, 0xfd300000);
	assert_int_equal(info.errors, 0);
}

static void test_bad_checksum(void **state __unused)
{
	struct ivrs_info info;

	build_good();
	mem[40] ^= 1;
	assert_int_equal(parse(&info), -E_INVAL);
	assert_false(info.valid);
	assert_int_equal(info.nr_units, 0);
	assert_logged("checksum mismatch");
}

static void test_bad_signature_and_length(void **state __unused)
{
	struct ivrs_info info;

	build_good();
	memcpy(mem, "IVRX", 4);
	finish_table();
	assert_int_equal(parse(&info), -E_INVAL);
	assert_logged("signature not IVRS");

	build_good();
	put32(mem + 4, TBL_SIZE + 16); /* beyond readable memory */
	assert_int_equal(parse(&info), -E_INVAL);
	put32(mem + 4, 40); /* shorter than IVinfo */
	assert_int_equal(parse(&info), -E_INVAL);
	assert_logged("impossible or unreadable");
}

/* A block whose length runs past the table: reported, what came before it kept. */
static void test_block_overrun(void **state __unused)
{
	struct ivrs_info info;
	uint32_t b;

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80000, 1);
	entry4(0x02, 0x0008, 0);
	end_block(b);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0020, 0xfed90000, 1);
	end_block(b);
	put16(mem + b + 2, 0x400); /* second block claims more than the table holds */
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, 1);
	assert_int_equal(info.errors, 1);
	assert_logged("overruns the table");

	put16(mem + b + 2, 2); /* shorter than a block header */
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, 1);
	assert_int_equal(info.errors, 1);
}

/* IVHD too short for its type; an entry overrunning its block; bad MMIO base. */
static void test_bad_ivhd(void **state __unused)
{
	struct ivrs_info info;
	uint32_t b;

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80000, 1);
	entry4(0x02, 0x0008, 0);
	entry8(0x42, 0x0300, 0, 0, 0x0208, 0);
	end_block(b);
	put16(mem + b + 2, (uint16_t)(len - b - 4)); /* the 8-byte alias entry is cut short */
	len -= 4;
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, 1);
	assert_int_equal(info.units[0].nr_device_ids, 1);
	assert_int_equal(ivrs_unit_of(&info, 0x0300), -1);
	assert_int_equal(info.errors, 1);
	assert_logged("overruns its IVHD block");

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80000, 1);
	end_block(b);
	put16(mem + b + 2, 24); /* type 0x11 needs 40 bytes before its entries */
	len = b + 24;
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, 0);
	assert_logged("too short for its type");

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80100, 1); /* not 16 KiB aligned */
	end_block(b);
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, 0);
	assert_logged("bad MMIO base");
}

static void test_unbalanced_ranges(void **state __unused)
{
	struct ivrs_info info;
	uint32_t b;

	begin_table(0);
	b = begin_ivhd(IVHD_TYPE_EFR, 0x0010, 0xfed80000, 1);
	entry4(0x04, 0x0010, 0);  /* end without start */
	entry4(0x03, 0x0200, 0);
	entry4(0x04, 0x0100, 0);  /* end below its start */
	entry4(0x03, 0x0300, 0);
	entry4(0x03, 0x0400, 0);  /* second start while open */
	entry4(0x04, 0x04FF, 0);
	entry4(0x03, 0x0500, 0);  /* never closed */
	end_block(b);
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_devranges, 1);
	assert_int_equal(info.devranges[0].first, 0x0400);
	assert_int_equal(info.devranges[0].last, 0x04FF);
	assert_int_equal(info.errors, 4);
	assert_logged("without a matching start");
	assert_logged("inside an open range");
	assert_logged("ends inside a device range");
}

static void test_bad_ivmd(void **state __unused)
{
	struct ivrs_info info;

	begin_table(0);
	ivmd(IVMD_TYPE_SELECT, IVMD_FLAG_UNITY, 8, 0, 0x1000, 0);                 /* empty */
	ivmd(IVMD_TYPE_SELECT, IVMD_FLAG_UNITY, 8, 0, ~0xFFFULL, 0x2000);         /* wraps */
	ivmd(IVMD_TYPE_RANGE, IVMD_FLAG_UNITY, 0x10, 0x08, 0x1000, 0x1000);       /* last < first */
	ivmd(IVMD_TYPE_SELECT, IVMD_FLAG_UNITY, 8, 0, 0x1000, 0x1000);            /* good */
	mem[len] = IVMD_TYPE_ALL;                                                /* 16 bytes: too short */
	put16(mem + len + 2, 16);
	len += 16;
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_unity, 1);
	assert_int_equal(info.unity[0].start, 0x1000);
	assert_int_equal(info.errors, 4);
	assert_logged("impossible range");
	assert_logged("empty device range");
	assert_logged("too short, ignored");
}

/* Duplicate units and more units than the parser keeps. */
static void test_limits(void **state __unused)
{
	struct ivrs_info info;
	uint32_t b;

	begin_table(0);
	for (unsigned int i = 0; i < IVRS_MAX_UNITS + 2; i++) {
		b = begin_ivhd(IVHD_TYPE_EFR, (uint16_t)(0x10 + i), 0xfe000000 + i * 0x80000ULL, 1);
		end_block(b);
	}
	b = begin_ivhd(IVHD_TYPE_EFR, 0x10, 0xfd000000, 1); /* same device ID as the first */
	end_block(b);
	finish_table();
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nr_units, IVRS_MAX_UNITS);
	assert_int_equal(info.nr_units_dropped, 2);
	assert_int_equal(info.errors, 1);
	assert_logged("more than 0x8 IOMMUs");
	assert_logged("second IVHD block");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature_and_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ivhd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbalanced_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ivmd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};

	return cmocka_run_group_tests_name("acpi_ivrs", tests, NULL, NULL);
}
