/*
 * Host tests for the page-table builder's per-level hooks (struct pt_ctx table_flags_at and
 * next_level_mask), through the AMD-Vi I/O page-table format that needs them: a non-leaf entry
 * names the level it points to, and a leaf at level 2 or 3 is one with NextLevel 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/pagetable.c"
#include "../../drivers/iommu_amdvi_format.c"

#define FAKE_TABLES 64
#define FAKE_BASE 0x40000000ULL

static uint64_t (*tables)[PT_ENTRIES];
static bool used[FAKE_TABLES];
static int live;

static paddr_t fake_alloc(void *opaque __unused)
{
	for (int i = 0; i < FAKE_TABLES; i++) {
		if (used[i])
			continue;
		used[i] = true;
		memset(tables[i], 0, sizeof(tables[i]));
		live++;
		return FAKE_BASE + (paddr_t)i * PAGE_SIZE_4K;
	}
	return 0;
}

static void *fake_virt(paddr_t pa, void *opaque __unused)
{
	uint64_t i = (pa - FAKE_BASE) / PAGE_SIZE_4K;

	assert_true(pa >= FAKE_BASE && IS_ALIGNED(pa, PAGE_SIZE_4K) && i < FAKE_TABLES && used[i]);
	return tables[i];
}

static void fake_free(paddr_t pa, void *opaque __unused)
{
	uint64_t i = (pa - FAKE_BASE) / PAGE_SIZE_4K;

	used[i] = false;
	live--;
}

static int setup(void **state __unused)
{
	tables = aligned_alloc(PAGE_SIZE_4K, FAKE_TABLES * PAGE_SIZE_4K);
	memset(used, 0, sizeof(used));
	live = 0;
	return tables ? 0 : -1;
}

static int teardown(void **state __unused)
{
	free(tables);
	return 0;
}

static unsigned int next_level(uint64_t e)
{
	return (unsigned int)((e >> AMDVI_PTE_NEXT_LEVEL_SHIFT) & 7);
}

/* Walks by hand as the IOMMU does: each entry's NextLevel says which table comes next. */
static uint64_t hw_walk(paddr_t root, uint64_t va, unsigned int *leaf_level)
{
	paddr_t table = root;

	for (unsigned int level = AMDVI_PT_LEVELS; level >= 1; level--) {
		uint64_t e = ((uint64_t *)fake_virt(table, NULL))[(va >> PT_LEVEL_SHIFT(level)) & 511];

		if (!(e & AMDVI_PTE_PR))
			return 0;
		if (next_level(e) == 0) {
			*leaf_level = level;
			return e;
		}
		assert_int_equal(next_level(e), level - 1); /* never skips a level */
		assert_true(e & AMDVI_PTE_IR);
		assert_true(e & AMDVI_PTE_IW);
		table = e & AMDVI_ADDR_MASK;
	}
	fail_msg("level-1 entry with a non-zero NextLevel");
	return 0;
}

static void test_levels_and_large_leaves(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root, pa;
	uint64_t flags, e;
	unsigned int level;

	amdvi_pt_ctx_init(&ctx, fake_alloc, fake_virt, NULL);
	root = fake_alloc(NULL);
	/* 1 GiB + 2 MiB + 4 KiB: one leaf of each size. */
	assert_int_equal(pt_map(&ctx, root, 1ULL << 30, 1ULL << 30, (1ULL << 30) + (2ULL << 20) + 4096,
				amdvi_leaf_flags(true, true)), 0);

	e = hw_walk(root, (1ULL << 30) + 12345, &level);
	assert_int_equal(level, PT_LEVEL_1G);
	assert_int_equal(e & AMDVI_ADDR_MASK, 1ULL << 30);
	assert_true((e & (AMDVI_PTE_IR | AMDVI_PTE_IW)) == (AMDVI_PTE_IR | AMDVI_PTE_IW));
	e = hw_walk(root, (2ULL << 30) + 4096, &level);
	assert_int_equal(level, PT_LEVEL_2M);
	assert_int_equal(e & AMDVI_ADDR_MASK, 2ULL << 30);
	e = hw_walk(root, (2ULL << 30) + (2ULL << 20), &level);
	assert_int_equal(level, PT_LEVEL_4K);
	assert_int_equal(hw_walk(root, (2ULL << 30) + (2ULL << 20) + 4096, &level), 0);
	assert_int_equal(hw_walk(root, 0, &level), 0);

	/* The builder's own lookup agrees. */
	assert_int_equal(pt_lookup(&ctx, root, (2ULL << 30) + 0x1234, &pa, &flags, &level), 0);
	assert_int_equal(pa, (2ULL << 30) + 0x1234);
	assert_int_equal(level, PT_LEVEL_2M);
	assert_int_equal(flags, amdvi_leaf_flags(true, true));
}

/* Unmapping one page of a 1 GiB leaf splits it: tables get NextLevel, the rest stays mapped. */
static void test_split_keeps_levels(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;
	unsigned int level;
	uint64_t e;

	amdvi_pt_ctx_init(&ctx, fake_alloc, fake_virt, NULL);
	ctx.free_table = fake_free;
	root = fake_alloc(NULL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 1ULL << 30, amdvi_leaf_flags(true, false)), 0);
	assert_int_equal(pt_unmap(&ctx, root, 0x200000 + 0x5000, 0x1000), 0);
	assert_int_equal(hw_walk(root, 0x205000, &level), 0);
	e = hw_walk(root, 0x206000, &level);
	assert_int_equal(level, PT_LEVEL_4K);
	assert_int_equal(e & AMDVI_ADDR_MASK, 0x206000);
	assert_false(e & AMDVI_PTE_IW); /* the split kept the leaf's flags */
	e = hw_walk(root, 0x400000, &level);
	assert_int_equal(level, PT_LEVEL_2M);
	pt_destroy(&ctx, root);
	assert_int_equal(live, 0);
}

/* Leaf flags may not carry NextLevel bits; the x86 format is unchanged by the new fields. */
static void test_flag_checks(void **state __unused)
{
	struct pt_ctx ctx, x86;
	paddr_t root;
	unsigned int level;

	amdvi_pt_ctx_init(&ctx, fake_alloc, fake_virt, NULL);
	root = fake_alloc(NULL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4096, AMDVI_PTE_PR | (1ULL << AMDVI_PTE_NEXT_LEVEL_SHIFT)), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4096, AMDVI_PTE_IR), -E_INVAL); /* not present */

	pt_ctx_init_x86(&x86, fake_alloc, fake_virt, NULL);
	root = fake_alloc(NULL);
	assert_int_equal(pt_map(&x86, root, 0, 0, 2ULL << 20, PTE_P | PTE_W), 0);
	assert_int_equal(pt_lookup(&x86, root, 0x1000, NULL, NULL, &level), 0);
	assert_int_equal(level, PT_LEVEL_2M);
	assert_int_equal(((uint64_t *)fake_virt(root, NULL))[0] & 0xFFF, PTE_P | PTE_W | PTE_U);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels_and_large_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_keeps_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_checks, setup, teardown),
	};

	return cmocka_run_group_tests_name("pagetable_levels", tests, NULL, NULL);
}
