/*
 * Host unit tests for arch/x86/pagetable.c with other entry formats: an EPT-shaped one, and flag
 * translation hooks.
 */
#include "pagetable_fixture.h"


/*
 * The same walker over an EPT-shaped format: present is any of read/write/execute, table
 * entries are RWX, the large bit is bit 7 and no PAT bit moves (the memory type sits in
 * bits 3..5 at every level).
 */
#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_MT_WB (6ULL << 3)
#define EPT_LARGE (1ULL << 7)

/*
 * A format with flag hooks: callers speak x86 flags, the tables hold the format's own bits. The
 * toy translation puts P in bit 0 and W in bit 1 like x86, and PCD as bit 3 (our "uncached"),
 * refusing everything else; back again it adds U, so the round trip is visible.
 */
#define TOY_UC (1ULL << 3)

static int toy_from_calls, toy_to_calls;

static void test_ept_like_format(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;

	new_ctx(&ctx, &root, true);
	ctx.table_flags = EPT_R | EPT_W | EPT_X;
	ctx.present_mask = EPT_R | EPT_W | EPT_X;
	ctx.large_bit = EPT_LARGE;
	ctx.pat_4k = 0;
	ctx.pat_large = 0;

	const uint64_t wb = EPT_R | EPT_W | EPT_X | EPT_MT_WB;
	assert_int_equal(pt_map(&ctx, root, 0, 0, 2 * GiB, wb), 0);
	expect_map(&ctx, root, 0x12345678, 0x12345678, wb, PT_LEVEL_1G);

	/* Execute-only is present in this format. */
	assert_int_equal(pt_map(&ctx, root, 0x40200000, 0x9000, 4 * KiB, EPT_X), 0);
	expect_map(&ctx, root, 0x40200000, 0x9000, EPT_X, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x40201000, 0x40201000, wb, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x40000000, 0x40000000, wb, PT_LEVEL_2M);
	expect_map(&ctx, root, 0, 0, wb, PT_LEVEL_1G);

	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * KiB, wb | EPT_LARGE), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * KiB, EPT_MT_WB), -E_INVAL);
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

static uint64_t toy_from_x86(uint64_t flags)
{
	toy_from_calls++;
	if (flags & ~(PTE_P | PTE_W | PTE_U | PTE_PCD))
		return 0;
	return (flags & (PTE_P | PTE_W)) | ((flags & PTE_PCD) ? TOY_UC : 0);
}

static uint64_t toy_to_x86(uint64_t bits)
{
	toy_to_calls++;
	return (bits & (PTE_P | PTE_W)) | PTE_U | ((bits & TOY_UC) ? PTE_PCD : 0);
}

static void test_flag_hooks(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root;
	uint64_t flags;

	/* The x86 format has no hooks: flags pass through unchanged (every test above). */
	new_ctx(&ctx, &root, true);
	assert_null(ctx.flags_from_x86);
	assert_null(ctx.flags_to_x86);

	ctx.flags_from_x86 = toy_from_x86;
	ctx.flags_to_x86 = toy_to_x86;
	toy_from_calls = toy_to_calls = 0;

	assert_int_equal(pt_map(&ctx, root, 0, 0, 2 * MiB + 4 * KiB, PTE_P | PTE_W | PTE_U | PTE_PCD), 0);
	assert_int_equal(toy_from_calls, 1); /* once per call, not per entry */
	const uint64_t *pml4 = fake_virt(root, NULL);
	const uint64_t *pdpt = fake_virt(pml4[0] & PTE_ADDR_MASK, NULL);
	const uint64_t *pd = fake_virt(pdpt[0] & PTE_ADDR_MASK, NULL);
	const uint64_t *pt = fake_virt(pd[1] & PTE_ADDR_MASK, NULL);
	assert_int_equal(pd[0], 0 | PTE_P | PTE_W | TOY_UC | PTE_PS); /* the format's bits, no U */
	assert_int_equal(pt[0], 2 * MiB | PTE_P | PTE_W | TOY_UC);

	/* Lookups translate back; splitting a large leaf keeps the format's bits untouched. */
	assert_int_equal(pt_lookup(&ctx, root, 0x1000, NULL, &flags, NULL), 0);
	assert_int_equal(flags, PTE_P | PTE_W | PTE_U | PTE_PCD);
	assert_int_equal(toy_to_calls, 1);
	assert_int_equal(pt_map(&ctx, root, 0x1000, 0x1000, 4 * KiB, PTE_P), 0);
	pt = fake_virt(pd[0] & PTE_ADDR_MASK, NULL);
	assert_int_equal(pt[0], 0 | PTE_P | PTE_W | TOY_UC);
	assert_int_equal(pt[1], 0x1000 | PTE_P);
	expect_map(&ctx, root, 0x1000, 0x1000, PTE_P | PTE_U, PT_LEVEL_4K);
	expect_map(&ctx, root, 0x2000, 0x2000, PTE_P | PTE_W | PTE_U | PTE_PCD, PT_LEVEL_4K);
	assert_int_equal(pt_lookup(&ctx, root, 0x1000, NULL, NULL, NULL), 0); /* no flags asked, no call */
	assert_int_equal(toy_to_calls, 3);

	/* What the hook cannot express (0) is refused before anything changes. */
	int live = fake.live;
	assert_int_equal(pt_map(&ctx, root, 4 * MiB, 4 * MiB, 4 * KiB, PTE_P | PTE_G), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 4 * MiB, 4 * MiB, 4 * KiB, PTE_W), -E_INVAL);
	assert_int_equal(fake.live, live);
	expect_unmapped(&ctx, root, 4 * MiB);
	expect_tree_sound(&ctx, root);
	pt_destroy(&ctx, root);
	assert_int_equal(fake.live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_ept_like_format),
		PT_TEST(test_flag_hooks),
	};

	return cmocka_run_group_tests_name("pagetable_format", tests, NULL, NULL);
}
