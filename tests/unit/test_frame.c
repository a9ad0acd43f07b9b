/* Host unit tests for arch/x86/frame.c (with lib/range.c to build a pool from a memory map). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/range.c"
#include "../../arch/x86/frame.c"

#define POOL_BASE 0x1001000ULL /* 16 MiB + 4 KiB: deliberately not 2 MiB aligned */

static void expect_in_pool(paddr_t pa)
{
	paddr_t base, end;

	frame_pool_range(&base, &end);
	assert_true(pa >= base && pa < end);
	assert_true(IS_ALIGNED(pa, FRAME_SIZE));
}

static void test_init_checks(void **state __unused)
{
	paddr_t base = 1, end = 1;

	memset(&pool, 0, sizeof(pool));
	frame_pool_range(&base, &end);
	assert_int_equal(base, 0);
	assert_int_equal(end, 0);
	assert_int_equal(frame_alloc(), 0); /* not initialised */
	assert_int_equal(frame_alloc_contig(4, FRAME_SIZE), 0);

	assert_int_equal(frame_pool_init(POOL_BASE + 0x800, 64 * FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_pool_init(POOL_BASE, 64 * FRAME_SIZE + 1), -E_INVAL);
	assert_int_equal(frame_pool_init(POOL_BASE, 0), -E_INVAL);
	assert_int_equal(frame_pool_init(POOL_BASE, FRAME_POOL_MAX + FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_pool_init(0, 64 * FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_pool_init(MiB - FRAME_SIZE, 64 * FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_pool_init(0xfffffffffffff000ULL, 2 * FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_free_count(), 0); /* the failures changed nothing */

	assert_int_equal(frame_pool_init(MiB, FRAME_POOL_MAX), 0);
	assert_int_equal(frame_free_count(), FRAME_POOL_MAX_FRAMES);
	frame_pool_range(&base, NULL);
	frame_pool_range(NULL, &end);
	assert_int_equal(base, MiB);
	assert_int_equal(end, MiB + FRAME_POOL_MAX);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A pool whose size is not a multiple of 64 frames, to exercise the last bitmap word. */
static void test_exhaust_and_refill(void **state __unused)
{
	enum { N = 100 };
	paddr_t got[N];

	assert_int_equal(frame_pool_init(POOL_BASE, N * FRAME_SIZE), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			got[i] = frame_alloc();
			assert_int_not_equal(got[i], 0);
			expect_in_pool(got[i]);
		}
		assert_int_equal(frame_free_count(), 0);
		assert_int_equal(frame_alloc(), 0);
		assert_int_equal(frame_alloc_contig(1, FRAME_SIZE), 0);

		/* All distinct: sorted, they are exactly the pool's frames. */
		qsort(got, N, sizeof(got[0]), cmp_u64);
		for (int i = 0; i < N; i++)
			assert_int_equal(got[i], POOL_BASE + (uint64_t)i * FRAME_SIZE);

		for (int i = 0; i < N; i++)
			assert_int_equal(frame_free(got[i]), 0);
		assert_int_equal(frame_free_count(), N);
	}

	/* With the hint in the last word past every free frame, the search must wrap rather than
	 * hand out the bits beyond the pool's end. */
	for (int i = 0; i < N; i++)
		assert_int_not_equal(frame_alloc(), 0);
	assert_int_equal(frame_free(POOL_BASE + 10 * FRAME_SIZE), 0);
	assert_int_equal(frame_free(POOL_BASE + 70 * FRAME_SIZE), 0);
	assert_int_equal(frame_alloc(), POOL_BASE + 10 * FRAME_SIZE);
	assert_int_equal(frame_alloc(), POOL_BASE + 70 * FRAME_SIZE);
	assert_int_equal(frame_free(POOL_BASE + 10 * FRAME_SIZE), 0);
	assert_int_equal(frame_alloc(), POOL_BASE + 10 * FRAME_SIZE);
	assert_int_equal(frame_alloc(), 0);
}

static void test_rotating_hint(void **state __unused)
{
	assert_int_equal(frame_pool_init(POOL_BASE, 8 * FRAME_SIZE), 0);
	paddr_t a = frame_alloc();
	paddr_t b = frame_alloc();
	assert_int_equal(a, POOL_BASE);
	assert_int_equal(b, POOL_BASE + FRAME_SIZE);

	/* A freed frame is not handed straight back: the search goes on from the hint ... */
	assert_int_equal(frame_free(a), 0);
	assert_int_equal(frame_alloc(), POOL_BASE + 2 * FRAME_SIZE);
	for (int i = 3; i < 8; i++)
		assert_int_equal(frame_alloc(), POOL_BASE + (uint64_t)i * FRAME_SIZE);
	/* ... and wraps around to it when the end is reached. */
	assert_int_equal(frame_alloc(), a);
	assert_int_equal(frame_alloc(), 0);
}

static void test_contig_alignment(void **state __unused)
{
	/* 8 MiB pool from 16 MiB + 4 KiB: the 2 MiB-aligned starts are 18, 20 and 22 MiB. */
	assert_int_equal(frame_pool_init(POOL_BASE, 8 * MiB), 0);
	uint64_t total = frame_free_count();

	paddr_t one = frame_alloc();
	assert_int_equal(one, POOL_BASE);

	paddr_t big = frame_alloc_contig(512, 2 * MiB);
	assert_int_equal(big, 18 * MiB);
	paddr_t big2 = frame_alloc_contig(512, 2 * MiB);
	assert_int_equal(big2, 20 * MiB);
	paddr_t big3 = frame_alloc_contig(512, 2 * MiB);
	assert_int_equal(big3, 22 * MiB);
	/* The last 2 MiB-aligned run would end past the pool. */
	assert_int_equal(frame_alloc_contig(512, 2 * MiB), 0);
	assert_int_equal(frame_free_count(), total - 1 - 3 * 512);

	/* Smaller aligned runs come from what is left (below 18 MiB and the tail). */
	paddr_t p = frame_alloc_contig(16, 64 * KiB);
	assert_int_not_equal(p, 0);
	assert_true(IS_ALIGNED(p, 64 * KiB));
	expect_in_pool(p);
	expect_in_pool(p + 15 * FRAME_SIZE);
	assert_false(p + 16 * FRAME_SIZE > big && p < big3 + 2 * MiB);

	/* Bad arguments. */
	assert_int_equal(frame_alloc_contig(0, FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_contig(2, 2048), 0);
	assert_int_equal(frame_alloc_contig(2, 3 * FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_contig(2, 0), 0);
	assert_int_equal(frame_alloc_contig(FRAME_POOL_MAX_FRAMES + 1, FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_contig(1, 1ULL << 63), 0);

	assert_int_equal(frame_free_contig(big2, 512), 0);
	assert_int_equal(frame_alloc_contig(512, 2 * MiB), big2);
	assert_int_equal(frame_free_contig(big, 512), 0);
	assert_int_equal(frame_free_contig(big2, 512), 0);
	assert_int_equal(frame_free_contig(big3, 512), 0);
	assert_int_equal(frame_free_contig(p, 16), 0);
	assert_int_equal(frame_free(one), 0);
	assert_int_equal(frame_free_count(), total);

	/* The whole pool as one run. */
	assert_int_equal(frame_alloc_contig(total, FRAME_SIZE), POOL_BASE);
	assert_int_equal(frame_free_count(), 0);
	assert_int_equal(frame_free_contig(POOL_BASE, total), 0);
}

static void test_fragmentation(void **state __unused)
{
	enum { N = 256 };

	assert_int_equal(frame_pool_init(POOL_BASE, N * FRAME_SIZE), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(frame_alloc(), POOL_BASE + (uint64_t)i * FRAME_SIZE);
	for (int i = 0; i < N; i += 2)
		assert_int_equal(frame_free(POOL_BASE + (uint64_t)i * FRAME_SIZE), 0);
	assert_int_equal(frame_free_count(), N / 2);

	/* Half the pool is free but no two free frames touch. */
	assert_int_equal(frame_alloc_contig(2, FRAME_SIZE), 0);
	assert_int_equal(frame_free_count(), N / 2);

	/* Freeing frame 101 joins 100..102 into a run of three. */
	assert_int_equal(frame_free(POOL_BASE + 101 * FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_contig(4, FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_contig(3, FRAME_SIZE), POOL_BASE + 100 * FRAME_SIZE);

	/* Single frames still come from the holes. */
	for (int i = 0; i < N / 2 - 2; i++) {
		paddr_t pa = frame_alloc();
		assert_int_not_equal(pa, 0);
		assert_true(((pa - POOL_BASE) / FRAME_SIZE) % 2 == 0);
	}
	assert_int_equal(frame_alloc(), 0);
}

static void test_bad_free(void **state __unused)
{
	assert_int_equal(frame_pool_init(POOL_BASE, 64 * FRAME_SIZE), 0);
	paddr_t a = frame_alloc();
	paddr_t run = frame_alloc_contig(4, FRAME_SIZE);
	uint64_t n = frame_free_count();

	/* Double free. */
	assert_int_equal(frame_free(a), 0);
	assert_int_equal(frame_free(a), -E_INVAL);
	assert_int_equal(frame_free_count(), n + 1);

	/* Outside the pool, misaligned, zero. */
	assert_int_equal(frame_free(POOL_BASE - FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_free(POOL_BASE + 64 * FRAME_SIZE), -E_INVAL);
	assert_int_equal(frame_free(0), -E_INVAL);
	assert_int_equal(frame_free(run + 0x10), -E_INVAL);
	assert_int_equal(frame_free_contig(run, 0), -E_INVAL);
	assert_int_equal(frame_free_contig(POOL_BASE + 62 * FRAME_SIZE, 4), -E_INVAL);
	assert_int_equal(frame_free_contig(run, UINT64_MAX), -E_INVAL);

	/* A run with one frame already free is refused whole, and nothing is freed. */
	assert_int_equal(frame_free(run + 2 * FRAME_SIZE), 0);
	assert_int_equal(frame_free_contig(run, 4), -E_INVAL);
	assert_int_equal(frame_free_count(), n + 2);
	assert_int_equal(frame_free(run), 0);
	assert_int_equal(frame_free(run + FRAME_SIZE), 0);
	assert_int_equal(frame_free(run + 3 * FRAME_SIZE), 0);
	assert_int_equal(frame_free_count(), 64);
}

/*
 * Build the pool the way boot does: free RAM from a firmware map minus everything in use, carve
 * the pool at the top below 4 GiB, then check every frame handed out against the excluded ranges.
 */
struct fw_range {
	uint64_t start, end;
	bool usable;
};

static const struct fw_range fw_map[] = {
	{ 0x0, 0x9f000, true },
	{ 0x9f000, 0x100000, false },
	{ 0x100000, 0x3ffe0000, true },
	{ 0x3fdf0000, 0x3fe00000, false },  /* reserved hole overlapping RAM */
	{ 0x3fe00000, 0x3fe40000, false },  /* ACPI tables */
	{ 0x3fe40000, 0x3fe41000, false },  /* ACPI NVS */
	{ 0x3fe00000, 0x3fe80000, true },   /* RAM entry overlapping the ACPI ones */
	{ 0xfeffc000, 0xff000000, false },
	{ 0xfffc0000, 0x100000000, false },
};

static const uint64_t in_use[][2] = {
	{ 0x0, MiB },               /* low memory stays the guest's */
	{ 0x200000, 0x600000 },     /* hypervisor image */
	{ 0x3c000000, 0x3d000000 }, /* guest kernel module */
	{ 0x3d000000, 0x3d3f0123 }, /* initrd module */
	{ 0x3d3f1000, 0x3d3f2000 }, /* multiboot info */
};

static void test_pool_from_memory_map(void **state __unused)
{
	struct range_set free_set, excluded;
	uint64_t pool_pa;
	paddr_t base, end;

	range_set_init(&free_set);
	range_set_init(&excluded);
	for (unsigned int i = 0; i < ARRAY_SIZE(fw_map); i++) {
		if (fw_map[i].usable)
			assert_int_equal(range_set_add(&free_set, fw_map[i].start, fw_map[i].end), 0);
		else
			assert_int_equal(range_set_add(&excluded, fw_map[i].start, fw_map[i].end), 0);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(in_use); i++)
		assert_int_equal(range_set_add(&excluded, in_use[i][0], in_use[i][1]), 0);
	for (unsigned int i = 0; i < excluded.nr; i++)
		assert_int_equal(range_set_remove(&free_set, excluded.r[i].start, excluded.r[i].end),
				 0);
	assert_int_equal(range_set_align_pages(&free_set, FRAME_SIZE), 0);

	/* The highest free block that holds 4 MiB ends right under the reserved hole. */
	assert_int_equal(range_set_find_top(&free_set, 4 * MiB, FRAME_SIZE, 4 * GiB, &pool_pa), 0);
	assert_int_equal(pool_pa, 0x3fdf0000 - 4 * MiB);
	assert_int_equal(frame_pool_init(pool_pa, 4 * MiB), 0);
	frame_pool_range(&base, &end);

	/* Hand out everything, in a mix of single frames and aligned runs. */
	uint64_t handed = 0;
	for (;;) {
		paddr_t pa;
		uint64_t n;

		if (handed % 3 == 0) {
			n = 8;
			pa = frame_alloc_contig(n, 8 * FRAME_SIZE);
		} else {
			n = 1;
			pa = frame_alloc();
		}
		if (!pa && n > 1) {
			n = 1;
			pa = frame_alloc();
		}
		if (!pa)
			break;
		assert_true(pa >= base && pa + n * FRAME_SIZE <= end);
		assert_true(range_set_contains(&free_set, pa, pa + n * FRAME_SIZE));
		assert_false(range_set_overlaps(&excluded, pa, pa + n * FRAME_SIZE));
		handed += n;
	}
	assert_int_equal(handed, 4 * MiB / FRAME_SIZE);
	assert_int_equal(frame_free_count(), 0);
	/* The edges of the pool were handed out too and sit against the exclusions. */
	assert_true(range_set_overlaps(&excluded, end, end + FRAME_SIZE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_exhaust_and_refill),
		cmocka_unit_test(test_rotating_hint),
		cmocka_unit_test(test_contig_alignment),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_pool_from_memory_map),
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
