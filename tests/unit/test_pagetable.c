/*
 * Host unit tests for arch/x86/pagetable.c over a fake table allocator: page sizes, lookups,
 * splits, unmapping, allocation failure and bad arguments.
 */
#include "pagetable_fixture.h"

struct region {
	uint64_t va;
	paddr_t pa;
	uint64_t size;
	uint64_t flags;
};

static void test_page_size_choice(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	/* With 1 GiB pages: 1 GiB + 2 MiB + 4 KiB becomes one leaf of each size. */
	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, GiB, 2 * GiB, GiB + 2 * MiB + 4 * KiB, RW), 0);
	expect_map(&ctx, root, GiB, 2 * GiB, RW, PT_LEVEL_1G);
	expect_map(&ctx, root, 2 * GiB - 1, 3 * GiB - 1, RW, PT_LEVEL_1G);
	expect_map(&ctx, root, 2 * GiB + 0x1234, 3 * GiB + 0x1234, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, 2 * GiB + 2 * MiB + 0xfff, 3 * GiB + 2 * MiB + 0xfff, RW, PT_LEVEL_4K);
	expect_unmapped(&ctx, root, 2 * GiB + 2 * MiB + 4 * KiB);
	expect_unmapped(&ctx, root, GiB - 1);
	assert_int_equal(fake.live, 4); /* PML4, PDPT, PD, PT */
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);

	/* Without: the same range takes 513 2 MiB leaves and one 4 KiB leaf. */
	new_ctx(&ctx, &root, false);
	assert_int_equal(pt_map(&ctx, root, GiB, 2 * GiB, GiB + 2 * MiB + 4 * KiB, RW), 0);
	expect_map(&ctx, root, GiB, 2 * GiB, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, GiB + 510 * MiB, 2 * GiB + 510 * MiB, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, 2 * GiB, 3 * GiB, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, 2 * GiB + 2 * MiB, 3 * GiB + 2 * MiB, RW, PT_LEVEL_4K);
	assert_int_equal(fake.live, 5); /* PML4, PDPT, 2 PDs, PT */
	pt_destroy(&ctx, root);

	/* va 2 MiB below a GiB: a 2 MiB leaf first, then the 1 GiB leaf. */
	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, GiB - 2 * MiB, GiB - 2 * MiB, GiB + 2 * MiB, RW), 0);
	expect_map(&ctx, root, GiB - 2 * MiB, GiB - 2 * MiB, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, GiB, GiB, RW, PT_LEVEL_1G);
	pt_destroy(&ctx, root);

	/* pa aligned differently from va: only 4 KiB leaves fit. */
	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, 2 * GiB, 0x1001000, 4 * MiB, RW), 0);
	expect_map(&ctx, root, 2 * GiB, 0x1001000, RW, PT_LEVEL_4K);
	expect_map(&ctx, root, 2 * GiB + 4 * MiB - 1, 0x1001000 + 4 * MiB - 1, RW, PT_LEVEL_4K);
	assert_int_equal(fake.live, 5); /* PML4, PDPT, PD, 2 PTs */
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_lookups(void **state __unused)
{
	static const struct region regions[] = {
		{ 0x0, 0x0, 4 * GiB, RW | PTE_U },                         /* guest RAM 1:1 */
		{ 0x100000000, 0x240000000, 3 * GiB + 6 * MiB + 20 * KiB, RW | PTE_NX },
		{ 0x7fffffe00000, 0x1000, 2 * MiB, PTE_P },               /* top of lower half */
		{ 0xffff800000000000, 0x0, 64 * MiB, RW | PTE_G | PTE_NX }, /* direct map */
		{ 0xffffffff80000000, 0x7de00000, 2 * GiB, RW | PTE_G },  /* image, to 2^64 */
	};
	struct pt_ctx ctx;
	paddr_t root;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	new_ctx(&ctx, &root, true);
	for (unsigned int i = 0; i < ARRAY_SIZE(regions); i++)
		assert_int_equal(pt_map(&ctx, root, regions[i].va, regions[i].pa, regions[i].size,
					regions[i].flags),
				 0);
	expect_tree_sound(&ctx, root);

	for (int n = 0; n < 20000; n++) {
		const struct region *r = &regions[xorshift(&seed) % ARRAY_SIZE(regions)];
		uint64_t off = xorshift(&seed) % r->size;
		paddr_t pa;
		uint64_t flags;

		assert_int_equal(pt_lookup(&ctx, root, r->va + off, &pa, &flags, NULL), 0);
		assert_int_equal(pa, r->pa + off);
		assert_int_equal(flags, r->flags);
	}

	/* Just past the ends, and addresses that are not canonical. */
	expect_unmapped(&ctx, root, 0x100000000 + 3 * GiB + 6 * MiB + 20 * KiB);
	expect_unmapped(&ctx, root, 0x7fffffdff000);
	expect_unmapped(&ctx, root, 0xffff800000000000 + 64 * MiB);
	expect_unmapped(&ctx, root, 0xffffffff7ffff000);
	assert_int_equal(pt_lookup(&ctx, root, 0x800000000000, NULL, NULL, NULL), -E_INVAL);
	assert_int_equal(pt_lookup(&ctx, root, 0x0000900000000000, NULL, NULL, NULL), -E_INVAL);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

/* The local APIC page punched into a 2 MiB guest mapping, keeping its neighbours. */
static void test_split_2m_for_4k_hole(void **state __unused)
{
	const uint64_t apic = 0xfee00000, apic_flags = RW | PTE_U | PTE_PCD | PTE_PWT | PTE_NX;
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, false);
	assert_int_equal(pt_map(&ctx, root, 0xfec00000, 0xfec00000, 4 * MiB, RW | PTE_U), 0);
	assert_int_equal(fake.live, 3);
	expect_map(&ctx, root, apic, apic, RW | PTE_U, PT_LEVEL_2M);

	/* Remap that one page elsewhere, uncached: the 2 MiB leaf becomes a table of 512. */
	assert_int_equal(pt_map(&ctx, root, apic, 0x12345000, 4 * KiB, apic_flags), 0);
	assert_int_equal(fake.live, 4);
	expect_map(&ctx, root, apic + 0x30, 0x12345030, apic_flags, PT_LEVEL_4K);
	expect_map(&ctx, root, apic - 4 * KiB, apic - 4 * KiB, RW | PTE_U, PT_LEVEL_2M);
	expect_map(&ctx, root, apic + 4 * KiB, apic + 4 * KiB, RW | PTE_U, PT_LEVEL_4K);
	expect_map(&ctx, root, 0xfee00000 + 2 * MiB - 1, 0xfee00000 + 2 * MiB - 1, RW | PTE_U,
		   PT_LEVEL_4K);
	expect_tree_sound(&ctx, root);

	/* Then take it away: absent, neighbours unchanged. */
	assert_int_equal(pt_unmap(&ctx, root, apic, 4 * KiB), 0);
	expect_unmapped(&ctx, root, apic);
	expect_unmapped(&ctx, root, apic + 0xfff);
	expect_map(&ctx, root, apic + 4 * KiB, apic + 4 * KiB, RW | PTE_U, PT_LEVEL_4K);
	expect_map(&ctx, root, 0xfec00000, 0xfec00000, RW | PTE_U, PT_LEVEL_2M);

	/* Mapping the whole 2 MiB again folds it back into one leaf and frees the table. */
	assert_int_equal(pt_map(&ctx, root, apic, apic, 2 * MiB, RW | PTE_U), 0);
	expect_map(&ctx, root, apic, apic, RW | PTE_U, PT_LEVEL_2M);
	assert_int_equal(fake.live, 3);
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
}

/* A 1 GiB leaf split twice, with the PAT bit moving between its large and 4 KiB positions. */
static void test_split_1g_and_pat(void **state __unused)
{
	const uint64_t flags = RW | PTE_PAT | PTE_PWT;
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, 0, 4 * GiB, GiB, flags), 0);
	expect_map(&ctx, root, 0x3fffffff, 4 * GiB + 0x3fffffff, flags, PT_LEVEL_1G);

	/* The raw 1 GiB leaf holds PS and PAT at bit 12, and the address without them. */
	const uint64_t *pml4 = fake_virt(root, NULL);
	const uint64_t *pdpt = fake_virt(pml4[0] & PTE_ADDR_MASK, NULL);
	assert_int_equal(pdpt[0], 4 * GiB | RW | PTE_PWT | PTE_PS | PTE_PAT_LARGE);

	assert_int_equal(pt_unmap(&ctx, root, 0x12345000, 4 * KiB), 0);
	expect_unmapped(&ctx, root, 0x12345000);
	expect_map(&ctx, root, 0x12344fff, 4 * GiB + 0x12344fff, flags, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x12346000, 4 * GiB + 0x12346000, flags, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x12200000 - 1, 4 * GiB + 0x12200000 - 1, flags, PT_LEVEL_2M);
	expect_map(&ctx, root, 0x12400000, 4 * GiB + 0x12400000, flags, PT_LEVEL_2M);
	expect_map(&ctx, root, 0, 4 * GiB, flags, PT_LEVEL_2M);

	const uint64_t *pd = fake_virt(pdpt[0] & PTE_ADDR_MASK, NULL);
	const uint64_t *pt = fake_virt(pd[0x91] & PTE_ADDR_MASK, NULL);
	assert_int_equal(pd[0], 4 * GiB | RW | PTE_PWT | PTE_PS | PTE_PAT_LARGE);
	assert_int_equal(pt[0x144], (4 * GiB + 0x12344000) | flags);
	assert_int_equal(pt[0x145], 0);
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
}

static void test_unmap(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * GiB, RW), 0);
	assert_int_equal(pt_map(&ctx, root, 0x7f0000000000, 0x1000000, 8 * MiB + 8 * KiB, RW), 0);

	/* Across a 2 MiB boundary from the middle of one 1 GiB leaf. */
	assert_int_equal(pt_unmap(&ctx, root, 0x1ff000, 0x3000), 0);
	expect_map(&ctx, root, 0x1fe000, 0x1fe000, RW, PT_LEVEL_4K);
	expect_unmapped(&ctx, root, 0x1ff000);
	expect_unmapped(&ctx, root, 0x201000);
	expect_map(&ctx, root, 0x202000, 0x202000, RW, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x400000, 0x400000, RW, PT_LEVEL_2M);
	expect_map(&ctx, root, GiB, GiB, RW, PT_LEVEL_1G);

	/* Unmapping what is not mapped is fine. */
	assert_int_equal(pt_unmap(&ctx, root, 0x1ff000, 0x3000), 0);
	assert_int_equal(pt_unmap(&ctx, root, 0x500000000000, GiB), 0);

	/* A whole second region: all its tables go away with it. */
	int before = fake.live;
	assert_int_equal(pt_unmap(&ctx, root, 0x7f0000000000, 8 * MiB + 8 * KiB), 0);
	expect_unmapped(&ctx, root, 0x7f0000000000);
	expect_unmapped(&ctx, root, 0x7f0000800000);
	assert_int_equal(fake.live, before - 3); /* its PDPT, PD and the PT of the 8 KiB tail */
	expect_tree_sound(&ctx, root);

	/* Everything: only the root is left. */
	assert_int_equal(pt_unmap(&ctx, root, 0, 4 * GiB), 0);
	for (uint64_t va = 0; va < 4 * GiB; va += 256 * MiB + 4 * KiB)
		expect_unmapped(&ctx, root, va);
	assert_int_equal(fake.live, 1);
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

/* No entry may ever point at a table that is not fully written. */
static void test_alloc_failure(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	/* Three tables are needed below the root; only one is available. */
	new_ctx(&ctx, &root, false);
	fake.budget = 1;
	assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x40000000, 4 * KiB, RW), -E_NOMEM);
	expect_unmapped(&ctx, root, 0x40000000);
	expect_tree_sound(&ctx, root); /* the one table made is empty, reachable, and sound */

	/* Retrying with memory finishes the job through the table already there. */
	fake.budget = -1;
	assert_int_equal(pt_map(&ctx, root, 0x40000000, 0x40000000, 4 * KiB, RW), 0);
	expect_map(&ctx, root, 0x40000000, 0x40000000, RW, PT_LEVEL_4K);
	assert_int_equal(fake.live, 4);

	/* A split that cannot get its table leaves the large page exactly as it was. */
	assert_int_equal(pt_map(&ctx, root, 0x80000000, 0x80000000, 2 * MiB, RW), 0);
	const uint64_t *pd = fake_virt(
		((const uint64_t *)fake_virt(((const uint64_t *)fake_virt(root, NULL))[0] &
						     PTE_ADDR_MASK,
					     NULL))[2] &
			PTE_ADDR_MASK,
		NULL);
	uint64_t before = pd[0];
	fake.budget = 0;
	assert_int_equal(pt_map(&ctx, root, 0x80001000, 0x5000, 4 * KiB, RW | PTE_NX), -E_NOMEM);
	assert_int_equal(pt_unmap(&ctx, root, 0x80001000, 4 * KiB), -E_NOMEM);
	assert_int_equal(pd[0], before);
	expect_map(&ctx, root, 0x80001000, 0x80001000, RW, PT_LEVEL_2M);

	/* A range that is partly done when memory runs out: the done part is mapped, the rest
	 * is as before, and the tree is sound. */
	fake.budget = 1;
	assert_int_equal(pt_map(&ctx, root, 0x80000000 - 4 * KiB, 0x10000000, 3 * MiB, RW),
			 -E_NOMEM);
	expect_map(&ctx, root, 0x80000000 - 4 * KiB, 0x10000000, RW, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x80000000, 0x80000000, RW, PT_LEVEL_2M);
	expect_tree_sound(&ctx, root);
	fake.budget = -1;
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

static void test_flags_and_tables(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, 0x400000, 0x400000, 4 * KiB, PTE_P | PTE_NX), 0);
	assert_int_equal(pt_map(&ctx, root, 0x600000, 0x600000, 2 * MiB, RW | PTE_G | PTE_A | PTE_D),
			 0);
	expect_map(&ctx, root, 0x400000, 0x400000, PTE_P | PTE_NX, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x600000, 0x600000, RW | PTE_G | PTE_A | PTE_D, PT_LEVEL_2M);

	/* Intermediate entries carry exactly P|W|U: access is decided at the leaf. */
	const uint64_t *pml4 = fake_virt(root, NULL);
	const uint64_t *pdpt = fake_virt(pml4[0] & PTE_ADDR_MASK, NULL);
	const uint64_t *pd = fake_virt(pdpt[0] & PTE_ADDR_MASK, NULL);
	const uint64_t *pt = fake_virt(pd[2] & PTE_ADDR_MASK, NULL);
	assert_int_equal(pml4[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	assert_int_equal(pdpt[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	assert_int_equal(pd[2] & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
	assert_int_equal(pt[0], 0x400000 | PTE_P | PTE_NX);
	assert_int_equal(pd[3], 0x600000 | RW | PTE_G | PTE_A | PTE_D | PTE_PS);

	/* Remapping with other flags replaces them. */
	assert_int_equal(pt_map(&ctx, root, 0x400000, 0x400000, 4 * KiB, RW), 0);
	expect_map(&ctx, root, 0x400000, 0x400000, RW, PT_LEVEL_4K);

	/* Intermediate flags come from the context (a host table may leave out U). */
	ctx.table_flags = PTE_P | PTE_W;
	assert_int_equal(pt_map(&ctx, root, 0x8000000000, 0x1000, 4 * KiB, RW), 0);
	assert_int_equal(pml4[1] & ~PTE_ADDR_MASK, PTE_P | PTE_W);
	pt_destroy(&ctx, root);
}

static void test_invalid_args(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, true);
	assert_int_equal(pt_map(&ctx, root, 0x1800, 0x1000, 4 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1800, 4 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 0, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 0x1800, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x800000000000, 0x1000, 4 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x7ffffffff000, 0x1000, 8 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0xfffffffffffff000, 0x1000, 8 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, PT_MAX_PHYS, 4 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, PT_MAX_PHYS - 4 * KiB, 8 * KiB, RW), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 4 * KiB, PTE_W), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 4 * KiB, RW | 0x1000), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 4 * KiB, RW | PTE_PAT_LARGE), -E_INVAL);
	assert_int_equal(pt_unmap(&ctx, root, 0x1000, 0), -E_INVAL);
	assert_int_equal(pt_unmap(&ctx, root, 0x1001, 4 * KiB), -E_INVAL);
	assert_int_equal(pt_unmap(&ctx, root, 0xffff7ffffffff000, 4 * KiB), -E_INVAL);
	assert_int_equal(fake.live, 1); /* nothing was touched */
	assert_int_equal(pt_map(&ctx, root, 0x1000, PT_MAX_PHYS - 4 * KiB, 4 * KiB, RW), 0);
	expect_map(&ctx, root, 0x1000, PT_MAX_PHYS - 4 * KiB, RW, PT_LEVEL_4K);
	pt_destroy(&ctx, root);
}

/* Without free_table the builder never frees, and never follows a stale pointer either. */
static void test_no_free_callback(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, false);
	ctx.free_table = NULL;
	assert_int_equal(pt_map(&ctx, root, 0, 0x1000, 2 * MiB, RW), 0);
	assert_int_equal(fake.live, 4);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 2 * MiB, RW), 0);
	assert_int_equal(pt_unmap(&ctx, root, 0, 2 * MiB), 0);
	expect_unmapped(&ctx, root, 0);
	assert_int_equal(fake.live, 4);
	assert_int_equal(fake.freed, 0);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.freed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_page_size_choice),
		PT_TEST(test_random_lookups),
		PT_TEST(test_split_2m_for_4k_hole),
		PT_TEST(test_split_1g_and_pat),
		PT_TEST(test_unmap),
		PT_TEST(test_alloc_failure),
		PT_TEST(test_flags_and_tables),
		PT_TEST(test_invalid_args),
		PT_TEST(test_no_free_callback),
	};

	return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}
