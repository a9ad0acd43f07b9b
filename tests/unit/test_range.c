/* Host unit tests for lib/range.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/range.c"

/* Assert the set holds exactly the n ranges in exp (pairs start, end). */
static void expect_set(const struct range_set *s, const uint64_t (*exp)[2], unsigned int n)
{
	assert_int_equal(s->nr, n);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(s->r[i].start, exp[i][0]);
		assert_int_equal(s->r[i].end, exp[i][1]);
	}
}

static void test_add_merge(void **state __unused)
{
	struct range_set s;

	range_set_init(&s);
	assert_int_equal(range_set_add(&s, 30, 40), 0);
	assert_int_equal(range_set_add(&s, 10, 20), 0);
	assert_int_equal(range_set_add(&s, 50, 60), 0);
	expect_set(&s, (const uint64_t[][2]){ { 10, 20 }, { 30, 40 }, { 50, 60 } }, 3);

	/* Adjacent on both sides: one range. */
	assert_int_equal(range_set_add(&s, 20, 30), 0);
	expect_set(&s, (const uint64_t[][2]){ { 10, 40 }, { 50, 60 } }, 2);

	/* Overlapping the head, and one inside (no change). */
	assert_int_equal(range_set_add(&s, 5, 12), 0);
	assert_int_equal(range_set_add(&s, 52, 58), 0);
	expect_set(&s, (const uint64_t[][2]){ { 5, 40 }, { 50, 60 } }, 2);

	/* Touching only the end of the last. */
	assert_int_equal(range_set_add(&s, 60, 61), 0);
	expect_set(&s, (const uint64_t[][2]){ { 5, 40 }, { 50, 61 } }, 2);

	/* One range swallowing everything. */
	assert_int_equal(range_set_add(&s, 70, 80), 0);
	assert_int_equal(range_set_add(&s, 0, 100), 0);
	expect_set(&s, (const uint64_t[][2]){ { 0, 100 } }, 1);

	/* Empty is a no-op, inverted is refused. */
	assert_int_equal(range_set_add(&s, 200, 200), 0);
	assert_int_equal(range_set_add(&s, 300, 299), -E_INVAL);
	expect_set(&s, (const uint64_t[][2]){ { 0, 100 } }, 1);

	/* Up to the top of the address space. */
	assert_int_equal(range_set_add(&s, UINT64_MAX - 10, UINT64_MAX), 0);
	assert_int_equal(s.nr, 2);
	assert_int_equal(range_set_total(&s), 110);
}

static void test_add_spanning_gap_merges_middle(void **state __unused)
{
	struct range_set s;

	range_set_init(&s);
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(range_set_add(&s, i * 100, i * 100 + 10), 0);
	/* Covers the ranges starting at 300..600 and overlaps 700's start exactly at its edge. */
	assert_int_equal(range_set_add(&s, 305, 700), 0);
	expect_set(&s,
		   (const uint64_t[][2]){ { 0, 10 }, { 100, 110 }, { 200, 210 }, { 300, 710 },
					  { 800, 810 }, { 900, 910 } },
		   6);
}

static void test_remove(void **state __unused)
{
	struct range_set s;

	range_set_init(&s);
	assert_int_equal(range_set_add(&s, 100, 200), 0);

	/* Split in the middle. */
	assert_int_equal(range_set_remove(&s, 140, 160), 0);
	expect_set(&s, (const uint64_t[][2]){ { 100, 140 }, { 160, 200 } }, 2);

	/* Head and tail. */
	assert_int_equal(range_set_remove(&s, 90, 110), 0);
	assert_int_equal(range_set_remove(&s, 190, 250), 0);
	expect_set(&s, (const uint64_t[][2]){ { 110, 140 }, { 160, 190 } }, 2);

	/* Exactly a whole range, and something absent. */
	assert_int_equal(range_set_remove(&s, 110, 140), 0);
	assert_int_equal(range_set_remove(&s, 0, 50), 0);
	assert_int_equal(range_set_remove(&s, 300, 400), 0);
	assert_int_equal(range_set_remove(&s, 170, 170), 0);
	expect_set(&s, (const uint64_t[][2]){ { 160, 190 } }, 1);

	/* Spanning several: tail of one, wholes, head of another. */
	range_set_init(&s);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(range_set_add(&s, i * 100, i * 100 + 50), 0);
	assert_int_equal(range_set_remove(&s, 20, 420), 0);
	expect_set(&s, (const uint64_t[][2]){ { 0, 20 }, { 420, 450 } }, 2);

	/* Everything. */
	assert_int_equal(range_set_remove(&s, 0, UINT64_MAX), 0);
	assert_int_equal(s.nr, 0);
	assert_int_equal(range_set_remove(&s, 5, 4), -E_INVAL);
}

static void fill_to_capacity(struct range_set *s)
{
	range_set_init(s);
	for (uint64_t i = 0; i < RANGE_SET_CAPACITY; i++)
		assert_int_equal(range_set_add(s, i * 100, i * 100 + 50), 0);
	assert_int_equal(s->nr, RANGE_SET_CAPACITY);
}

static void test_capacity(void **state __unused)
{
	struct range_set s, copy;

	fill_to_capacity(&s);
	copy = s;

	/* A new disjoint range, before, between and after: refused, nothing changed. */
	assert_int_equal(range_set_add(&s, 60, 70), -E_NOMEM);
	assert_int_equal(range_set_add(&s, UINT64_MAX - 5, UINT64_MAX), -E_NOMEM);
	assert_memory_equal(&s, &copy, sizeof(s));

	/* A split needs a slot too. */
	assert_int_equal(range_set_remove(&s, 210, 220), -E_NOMEM);
	assert_memory_equal(&s, &copy, sizeof(s));

	/* Merging and trimming need none. */
	assert_int_equal(range_set_add(&s, 50, 100), 0);
	assert_int_equal(s.nr, RANGE_SET_CAPACITY - 1);
	assert_int_equal(range_set_add(&s, 60, 70), 0); /* now inside [0, 150) */
	assert_int_equal(s.nr, RANGE_SET_CAPACITY - 1);
	assert_int_equal(range_set_add(&s, 1000000, 1000001), 0);
	assert_int_equal(s.nr, RANGE_SET_CAPACITY);
	assert_int_equal(range_set_remove(&s, 300, 310), 0);
	assert_int_equal(range_set_remove(&s, 440, 450), 0);
	assert_int_equal(s.nr, RANGE_SET_CAPACITY);
	assert_true(range_set_contains(&s, 310, 350));
	assert_true(range_set_contains(&s, 400, 440));
}

static void test_contains_overlaps(void **state __unused)
{
	struct range_set s;

	range_set_init(&s);
	assert_false(range_set_contains(&s, 0, 1));
	assert_false(range_set_overlaps(&s, 0, UINT64_MAX));
	assert_int_equal(range_set_add(&s, 100, 200), 0);
	assert_int_equal(range_set_add(&s, 300, 400), 0);

	assert_true(range_set_contains(&s, 100, 200));
	assert_true(range_set_contains(&s, 150, 151));
	assert_true(range_set_contains(&s, 300, 400));
	assert_false(range_set_contains(&s, 99, 150));
	assert_false(range_set_contains(&s, 150, 201));
	assert_false(range_set_contains(&s, 150, 350)); /* spans the gap */
	assert_false(range_set_contains(&s, 150, 150)); /* empty */
	assert_false(range_set_contains(&s, 500, 600));

	assert_true(range_set_overlaps(&s, 199, 300));
	assert_true(range_set_overlaps(&s, 0, 101));
	assert_true(range_set_overlaps(&s, 399, 1000));
	assert_true(range_set_overlaps(&s, 0, UINT64_MAX));
	assert_false(range_set_overlaps(&s, 200, 300)); /* half-open: both edges miss */
	assert_false(range_set_overlaps(&s, 0, 100));
	assert_false(range_set_overlaps(&s, 400, 500));
	assert_false(range_set_overlaps(&s, 150, 150));
}

static void test_total_and_align(void **state __unused)
{
	struct range_set s;

	range_set_init(&s);
	assert_int_equal(range_set_add(&s, 0x0, 0x9fc00), 0);
	assert_int_equal(range_set_add(&s, 0x100800, 0x2000000), 0);
	assert_int_equal(range_set_add(&s, 0x3000100, 0x3000f00), 0); /* no whole page inside */
	assert_int_equal(range_set_add(&s, 0x4000000, 0x4001001), 0);
	assert_int_equal(range_set_add(&s, UINT64_MAX - 0x800, UINT64_MAX), 0); /* would wrap */
	assert_int_equal(range_set_total(&s),
			 0x9fc00 + (0x2000000 - 0x100800) + 0xe00 + 0x1001 + 0x800);

	assert_int_equal(range_set_align_pages(&s, 3), -E_INVAL);
	assert_int_equal(range_set_align_pages(&s, 0), -E_INVAL);
	assert_int_equal(range_set_align_pages(&s, 0x1000), 0);
	expect_set(&s,
		   (const uint64_t[][2]){ { 0x0, 0x9f000 }, { 0x101000, 0x2000000 },
					  { 0x4000000, 0x4001000 } },
		   3);
	assert_int_equal(range_set_total(&s), 0x9f000 + 0x1eff000 + 0x1000);

	/* Coarser alignment drops what no longer holds a page. */
	assert_int_equal(range_set_align_pages(&s, 0x200000), 0);
	expect_set(&s, (const uint64_t[][2]){ { 0x200000, 0x2000000 } }, 1);
}

static void test_find_top(void **state __unused)
{
	struct range_set s;
	uint64_t a = 0;

	range_set_init(&s);
	assert_int_equal(range_set_find_top(&s, 0x1000, 0x1000, UINT64_MAX, &a), -E_NOENT);
	assert_int_equal(range_set_add(&s, 0x100000, 0x800000), 0);       /* 1..8 MiB */
	assert_int_equal(range_set_add(&s, 0x1080000, 0x1350000), 0);     /* not 2 MiB aligned */
	assert_int_equal(range_set_add(&s, 0x100000000, 0x140000000), 0); /* above 4 GiB */

	/* Highest overall, then below 4 GiB. */
	assert_int_equal(range_set_find_top(&s, 0x200000, 0x1000, UINT64_MAX, &a), 0);
	assert_int_equal(a, 0x13fe00000);
	assert_int_equal(range_set_find_top(&s, 0x200000, 0x1000, 4 * GiB, &a), 0);
	assert_int_equal(a, 0x1150000);

	/* Alignment pushes the block down inside the range ... */
	assert_int_equal(range_set_find_top(&s, 0x200000, 0x100000, 4 * GiB, &a), 0);
	assert_int_equal(a, 0x1100000);
	/* ... or out of it, to a lower range. */
	assert_int_equal(range_set_find_top(&s, 0x200000, 0x200000, 4 * GiB, &a), 0);
	assert_int_equal(a, 0x600000);

	/* A limit in the middle of a range; a limit below a whole range's start. */
	assert_int_equal(range_set_find_top(&s, 0x100000, 0x100000, 0x1200000, &a), 0);
	assert_int_equal(a, 0x1100000);
	assert_int_equal(range_set_find_top(&s, 0x100000, 0x1000, 0x1000000, &a), 0);
	assert_int_equal(a, 0x700000);
	assert_int_equal(range_set_find_top(&s, 0x1000, 0x1000, 0x100000, &a), -E_NOENT);

	/* Exactly the size of a range; one page too big for any. */
	assert_int_equal(range_set_find_top(&s, 0x700000, 0x1000, 4 * GiB, &a), 0);
	assert_int_equal(a, 0x100000);
	assert_int_equal(range_set_find_top(&s, 0x40001000, 0x1000, UINT64_MAX, &a), -E_NOENT);

	/* A 1 GiB-aligned GiB above 4 GiB. */
	assert_int_equal(range_set_find_top(&s, GiB, GiB, UINT64_MAX, &a), 0);
	assert_int_equal(a, 0x100000000);

	assert_int_equal(range_set_find_top(&s, 0, 0x1000, UINT64_MAX, &a), -E_INVAL);
	assert_int_equal(range_set_find_top(&s, 0x1000, 0x1800, UINT64_MAX, &a), -E_INVAL);
	assert_int_equal(range_set_find_top(&s, 0x1000, 0, UINT64_MAX, &a), -E_INVAL);
}

/*
 * The boot-time arithmetic on an e820-like map from a PC with 2 GiB below 4 GiB and 2 GiB above:
 * free = usable - [0, 1 MiB) - every other firmware type - image - modules - boot info, where
 * firmware entries may overlap and a reservation wins over usable memory.
 */
enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4 };

struct e820 {
	uint64_t start, end;
	int type;
};

static const struct e820 firmware_map[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0xa0000, E820_RESERVED },
	{ 0xf0000, 0x100000, E820_RESERVED },
	{ 0x100000, 0x7fee0000, E820_RAM },
	{ 0x7fe00000, 0x7fe10000, E820_RESERVED }, /* inside the RAM entry above */
	{ 0x7fee0000, 0x7feff000, E820_ACPI },
	{ 0x7feff000, 0x7ff00000, E820_NVS },
	{ 0x7fed0000, 0x7fef0000, E820_RAM },      /* overlaps RAM and the ACPI tables */
	{ 0x7ff00000, 0x80000000, E820_RESERVED },
	{ 0xfec00000, 0xfec01000, E820_RESERVED },
	{ 0xfee00000, 0xfee01000, E820_RESERVED },
	{ 0xfffc0000, 0x100000000, E820_RESERVED },
	{ 0x100000000, 0x180000000, E820_RAM },
	{ 0x180000000, 0x1800ff800, E820_RAM },    /* adjacent, ends off a page boundary */
};

/* What the loader put in memory: hypervisor image, bzImage and initrd modules, multiboot info. */
static const uint64_t loaded[][2] = {
	{ 0x200000, 0x400000 },   /* image */
	{ 0x400000, 0xa3c07b },   /* bzImage module */
	{ 0x7c000000, 0x7d800000 }, /* initrd module, placed high by the loader */
	{ 0xa3d000, 0xa3e3a8 },   /* multiboot info */
};

static void build_free(struct range_set *s)
{
	range_set_init(s);
	for (unsigned int i = 0; i < ARRAY_SIZE(firmware_map); i++) {
		if (firmware_map[i].type == E820_RAM)
			assert_int_equal(range_set_add(s, firmware_map[i].start, firmware_map[i].end), 0);
	}
	/* Removing after all additions is what makes a reservation win regardless of order. */
	for (unsigned int i = 0; i < ARRAY_SIZE(firmware_map); i++) {
		if (firmware_map[i].type != E820_RAM)
			assert_int_equal(range_set_remove(s, firmware_map[i].start, firmware_map[i].end),
					 0);
	}
	assert_int_equal(range_set_remove(s, 0, MiB), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(loaded); i++)
		assert_int_equal(range_set_remove(s, loaded[i][0], loaded[i][1]), 0);
	assert_int_equal(range_set_align_pages(s, 0x1000), 0);
}

static void test_boot_memory_map(void **state __unused)
{
	struct range_set s;
	uint64_t hv = 0;

	build_free(&s);
	/* The piece between the bzImage and the boot info holds no whole page and is gone. */
	expect_set(&s,
		   (const uint64_t[][2]){
			   { 0x100000, 0x200000 },
			   { 0xa3f000, 0x7c000000 },
			   { 0x7d800000, 0x7fe00000 },
			   { 0x7fe10000, 0x7fee0000 },
			   { 0x100000000, 0x1800ff000 },
		   },
		   5);
	/* Reservations won where RAM overlapped them; nothing loaded is free. */
	assert_false(range_set_overlaps(&s, 0x7fee0000, 0x7ff00000));
	assert_false(range_set_overlaps(&s, 0x7fe00000, 0x7fe10000));
	for (unsigned int i = 0; i < ARRAY_SIZE(loaded); i++)
		assert_false(range_set_overlaps(&s, loaded[i][0], loaded[i][1]));

	/* 32 MiB for the hypervisor at the top of free RAM below 4 GiB, 2 MiB aligned. */
	assert_int_equal(range_set_find_top(&s, 32 * MiB, 2 * MiB, 4 * GiB, &hv), 0);
	assert_int_equal(hv, 0x7de00000);
	assert_int_equal(range_set_remove(&s, hv, hv + 32 * MiB), 0);
	expect_set(&s,
		   (const uint64_t[][2]){
			   { 0x100000, 0x200000 },
			   { 0xa3f000, 0x7c000000 },
			   { 0x7d800000, 0x7de00000 },
			   { 0x7fe10000, 0x7fee0000 },
			   { 0x100000000, 0x1800ff000 },
		   },
		   5);

	/* 64 MiB no longer fits above the initrd and lands below it. */
	build_free(&s);
	assert_int_equal(range_set_find_top(&s, 64 * MiB, 2 * MiB, 4 * GiB, &hv), 0);
	assert_int_equal(hv, 0x78000000);
	assert_true(range_set_contains(&s, hv, hv + 64 * MiB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merge),
		cmocka_unit_test(test_add_spanning_gap_merges_middle),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_contains_overlaps),
		cmocka_unit_test(test_total_and_align),
		cmocka_unit_test(test_find_top),
		cmocka_unit_test(test_boot_memory_map),
	};

	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
