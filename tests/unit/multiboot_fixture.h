/*
 * What the Multiboot tests share (test_multiboot.c, test_multiboot1.c, test_multiboot2.c): the
 * parser's sources, a fresh fake memory and boot_info per test, the assertions on a result, and
 * the random damage run over a good info. A test built from a table row finds its row in
 * fixture->row (cmocka's initial state).
 */
#ifndef TEST_MULTIBOOT_FIXTURE_H
#define TEST_MULTIBOOT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../boot/multiboot.c"
#include "../../boot/multiboot1.c"
#include "../../boot/multiboot2.c"
#include "mbi_builder.h"

struct fixture {
	struct fake_mem *fm;
	struct boot_info *bi;
	const void *row; /* the table row a row test runs, NULL for the others */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->row = *state;
	f->fm = fake_mem_new();
	f->bi = calloc(1, sizeof(*f->bi));
	if (!f->bi)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->fm->zero_maps, 0);
	fake_mem_free(f->fm);
	free(f->bi);
	free(f);
	return 0;
}

#define FIX struct fixture *f = *state; struct fake_mem *fm = f->fm; struct boot_info *bi = f->bi

#define assert_error_contains(substring)                                                           \
	do {                                                                                       \
		if (!strstr(bi->error, (substring)))                                               \
			fail_msg("error \"%s\" does not contain \"%s\"", bi->error, (substring));     \
	} while (0)

#define assert_fails(rc, expected_rc, substring)                                                    \
	do {                                                                                       \
		int rc_ = (rc);                                                                    \
		if (rc_ != (expected_rc))                                                         \
			fail_msg("rc %d, expected %d; error \"%s\"", rc_, (expected_rc), bi->error); \
		assert_error_contains(substring);                                                  \
	} while (0)

#define assert_ok(rc)                                                                              \
	do {                                                                                       \
		int rc_ = (rc);                                                                    \
		if (rc_ != 0)                                                                      \
			fail_msg("rc %d; error \"%s\"", rc_, bi->error);                          \
		assert_string_equal(bi->error, "");                                                \
	} while (0)

/*
 * Runs the fixed tests, then one test per row of a table, named after the row's `what` (at
 * name_offset in each row), with the common setup and teardown.
 */
static int run_with_rows(const char *group, const struct CMUnitTest *fixed, size_t nr_fixed,
			 CMUnitTestFunction row_test, const void *rows, size_t nr_rows, size_t row_size,
			 size_t name_offset)
{
	struct CMUnitTest *tests = calloc(nr_fixed + nr_rows, sizeof(*tests));
	int failed;

	if (!tests)
		abort();
	memcpy(tests, fixed, nr_fixed * sizeof(*tests));
	for (size_t i = 0; i < nr_rows; i++) {
		const void *row = (const char *)rows + i * row_size;

		const char *name = *(const char *const *)((const char *)row + name_offset);

		tests[nr_fixed + i] = (struct CMUnitTest){ name, row_test, setup, teardown, (void *)row };
	}
	failed = _cmocka_run_group_tests(group, tests, nr_fixed + nr_rows, NULL, NULL);
	free(tests);
	return failed;
}

#define RUN_WITH_ROWS(group, fixed, row_test, rows)                                                \
	run_with_rows(group, fixed, ARRAY_SIZE(fixed), row_test, rows, ARRAY_SIZE(rows), sizeof((rows)[0]), \
		      offsetof(typeof((rows)[0]), what))

static int parse1(struct fake_mem *fm, paddr_t info, struct boot_info *bi)
{
	return bootinfo_parse(MB1_BOOTLOADER_MAGIC, info, &fm->view, bi);
}

static int parse2(struct fake_mem *fm, paddr_t info, struct boot_info *bi)
{
	return bootinfo_parse(MB2_BOOTLOADER_MAGIC, info, &fm->view, bi);
}

static void assert_mem(const struct boot_info *bi, uint32_t i, uint64_t base, uint64_t len, uint32_t type)
{
	assert_true(i < bi->nr_mmap);
	assert_int_equal(bi->mmap[i].base, base);
	assert_int_equal(bi->mmap[i].len, len);
	assert_int_equal(bi->mmap[i].type, type);
}

static void assert_used(const struct boot_info *bi, paddr_t start, paddr_t end)
{
	uint32_t i;

	for (i = 0; i < bi->nr_used; i++)
		if (bi->used[i].start == start && bi->used[i].end == end)
			return;
	fail_msg("used range [0x%llx, 0x%llx) not recorded", (unsigned long long)start,
		 (unsigned long long)end);
}

/* ---- mutation: random damage must give a clean result or a clean error ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static void check_result(const struct boot_info *bi, int rc)
{
	uint32_t i;

	assert_true(memchr(bi->error, '\0', sizeof(bi->error)) != NULL);
	if (rc) {
		assert_true(rc == -E_INVAL || rc == -E_RANGE || rc == -E_NOMEM);
		assert_true(bi->error[0] != '\0');
		return;
	}
	assert_true(bi->nr_mmap > 0 && bi->nr_mmap <= BOOT_MMAP_MAX);
	assert_true(bi->nr_mods <= BOOT_MODS_MAX);
	assert_true(bi->nr_used >= 1 && bi->nr_used <= BOOT_USED_MAX);
	assert_true(bi->rsdp_len <= BOOT_RSDP_MAX);
	assert_true(memchr(bi->cmdline, '\0', sizeof(bi->cmdline)) != NULL);
	assert_true(memchr(bi->loader_name, '\0', sizeof(bi->loader_name)) != NULL);
	for (i = 0; i < bi->nr_mmap; i++) {
		assert_true(bi->mmap[i].len > 0);
		assert_true(bi->mmap[i].base + bi->mmap[i].len > bi->mmap[i].base);
		assert_true(bi->mmap[i].type >= MEM_USABLE && bi->mmap[i].type <= MEM_BAD);
	}
	for (i = 0; i < bi->nr_mods; i++) {
		assert_true(bi->mods[i].start <= bi->mods[i].end);
		assert_true(memchr(bi->mods[i].cmdline, '\0', sizeof(bi->mods[i].cmdline)) != NULL);
	}
	for (i = 0; i < bi->nr_used; i++) {
		assert_true(bi->used[i].start < bi->used[i].end);
		assert_true(bi->used[i].start >= bi->info_start && bi->used[i].end <= bi->info_end);
	}
}

static void mutate_and_parse(struct fake_mem *fm, struct boot_info *bi, uint32_t magic, paddr_t info,
			     paddr_t lo, paddr_t hi, int iterations)
{
	uint8_t *pristine = malloc(FAKE_SIZE);
	int n, ok = 0;

	assert_non_null(pristine);
	memcpy(pristine, fm->bytes, FAKE_SIZE);
	for (n = 0; n < iterations; n++) {
		int flips = 1 + rng() % 4, k, rc;

		memcpy(fm->bytes, pristine, FAKE_SIZE);
		for (k = 0; k < flips; k++) {
			paddr_t at = lo + rng() % (hi - lo);

			/* Small values make sizes and counts interesting; others make garbage. */
			fm_w8(fm, at, rng() % 3 ? (uint8_t)rng() : (uint8_t)(rng() % 48));
		}
		rc = bootinfo_parse(magic, info, &fm->view, bi);
		check_result(bi, rc);
		ok += rc == 0;
		fake_mem_release_maps(fm);
	}
	assert_true(ok > 0); /* some damage is harmless (e.g. inside strings) */
	free(pristine);
}

#endif
