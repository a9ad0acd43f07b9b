/*
 * Host tests for what sleep states read from the firmware at boot (drivers/acpi_fadt.c): the
 * DSDT's \_Sx sleep types and the FACS the FADT names.
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

/* Name (_S3, Package (0x04) { One, One, Zero, Zero }) as iasl emits it. */
static const uint8_t s3_one[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00 };
/* Name (\_S5, Package () { 0x05, 0x07 }): root prefix and BytePrefix values. */
static const uint8_t s5_bytes[] = { 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x07, 0x02, 0x0A, 0x05, 0x0A, 0x07 };
/* A one-element package: the same type for both blocks. */
static const uint8_t s4_single[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x03, 0x01, 0x0A, 0x02 };
/* A method call or reference, not a constant: not recognized. */
static const uint8_t s3_method[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x05, 0x02, 0x70, 0x0A, 0x01 };
/* The name used, not declared (no NameOp before it). */
static const uint8_t s3_use[] = { 0x70, '_', 'S', '3', '_', 0x12, 0x04, 0x02, 0x01, 0x01 };

static void test_sleep_type_one_op(void **state __unused)
{
	struct acpi_sleep_type t = { 0 };

	assert_true(acpi_aml_sleep_type(s3_one, sizeof(s3_one), 3, &t));
	assert_true(t.valid);
	assert_int_equal(t.typ_a, 1);
	assert_int_equal(t.typ_b, 1);
	assert_false(acpi_aml_sleep_type(s3_one, sizeof(s3_one), 5, &t));
}

static void test_sleep_type_byte_prefix_root(void **state __unused)
{
	struct acpi_sleep_type t = { 0 };

	assert_true(acpi_aml_sleep_type(s5_bytes, sizeof(s5_bytes), 5, &t));
	assert_int_equal(t.typ_a, 5);
	assert_int_equal(t.typ_b, 7);
}

static void test_sleep_type_single_element(void **state __unused)
{
	struct acpi_sleep_type t = { 0 };

	assert_true(acpi_aml_sleep_type(s4_single, sizeof(s4_single), 4, &t));
	assert_int_equal(t.typ_a, 2);
	assert_int_equal(t.typ_b, 2);
}

static void test_sleep_type_rejects(void **state __unused)
{
	struct acpi_sleep_type t = { 0 };

	assert_false(acpi_aml_sleep_type(s3_method, sizeof(s3_method), 3, &t));
	assert_false(acpi_aml_sleep_type(s3_use, sizeof(s3_use), 3, &t));
	/* Cut short anywhere: never read past the end (AddressSanitizer watches the heap copy). */
	for (uint32_t len = 0; len <= sizeof(s5_bytes); len++) {
		uint8_t *copy = malloc(len ? len : 1);
		struct acpi_sleep_type cut = { 0 };

		memcpy(copy, s5_bytes, len);
		/* 11 bytes hold the first element: enough, with typ_b taken from typ_a. */
		assert_int_equal(acpi_aml_sleep_type(copy, len, 5, &cut), len >= 11);
		free(copy);
	}
}

/* ---- the FACS and DSDT through acpi_sleep_parse ---- */

#define MEM_BASE 0x10000
#define MEM_SIZE 0x1000
#define FACS_PA (MEM_BASE + 0x100)
#define DSDT_PA (MEM_BASE + 0x400)
static uint8_t mem[MEM_SIZE];

static const void *mem_map(const struct phys_view *view __unused, paddr_t pa, uint64_t len)
{
	if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
		return NULL;
	return mem + (pa - MEM_BASE);
}

static const struct phys_view mem_view = { .map = mem_map };
static int logged;

static void count_log(int level __unused, const char *msg __unused, void *ctx __unused)
{
	logged++;
}

static void parse_sleep(struct acpi_info *info, paddr_t facs, paddr_t dsdt)
{
	struct acpi_parser p = { .mem = &mem_view, .out = info, .log = count_log };

	memset(info, 0, sizeof(*info));
	info->fadt_valid = true;
	info->fadt.facs = facs;
	info->fadt.dsdt = dsdt;
	logged = 0;
	acpi_sleep_parse(&p);
}

static void put_dsdt(const uint8_t *aml, uint32_t len)
{
	uint32_t total = HDR_LEN + len;

	memcpy(mem + (DSDT_PA - MEM_BASE), "DSDT", 4);
	memcpy(mem + (DSDT_PA - MEM_BASE) + HDR_LENGTH, &total, 4);
	memcpy(mem + (DSDT_PA - MEM_BASE) + HDR_LEN, aml, len);
}

static void test_facs_and_dsdt(void **state __unused)
{
	struct acpi_info info;
	uint32_t facs_len = 64;

	memset(mem, 0, sizeof(mem));
	memcpy(mem + (FACS_PA - MEM_BASE), "FACS", 4);
	memcpy(mem + (FACS_PA - MEM_BASE) + 4, &facs_len, 4);
	put_dsdt(s3_one, sizeof(s3_one));
	parse_sleep(&info, FACS_PA, DSDT_PA);
	assert_true(info.facs_valid);
	assert_int_equal(info.facs_pa, FACS_PA);
	assert_int_equal(info.facs_length, 64);
	assert_true(info.sleep_types[3].valid);
	assert_int_equal(info.sleep_types[3].typ_a, 1);
	assert_false(info.sleep_types[5].valid);
	assert_int_equal(logged, 0);
}

static void test_facs_rejected(void **state __unused)
{
	struct acpi_info info;
	uint32_t short_len = 32;

	memset(mem, 0, sizeof(mem));
	memcpy(mem + (FACS_PA - MEM_BASE), "FACS", 4);
	memcpy(mem + (FACS_PA - MEM_BASE) + 4, &short_len, 4);
	parse_sleep(&info, FACS_PA, 0);
	assert_false(info.facs_valid);
	assert_int_equal(logged, 1);
	/* Beyond readable memory: no FACS, and no DSDT read either. */
	parse_sleep(&info, MEM_BASE + MEM_SIZE - 8, MEM_BASE + MEM_SIZE - 8);
	assert_false(info.facs_valid);
	assert_false(info.sleep_types[3].valid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sleep_type_one_op),
		cmocka_unit_test(test_sleep_type_byte_prefix_root),
		cmocka_unit_test(test_sleep_type_single_element),
		cmocka_unit_test(test_sleep_type_rejects),
		cmocka_unit_test(test_facs_and_dsdt),
		cmocka_unit_test(test_facs_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
