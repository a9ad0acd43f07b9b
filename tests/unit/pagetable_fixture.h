/*
 * What the page table host tests share (test_pagetable.c, test_pagetable_format.c, test_vtd.c): the walker
 * under test over a fake table allocator, and checks of a built tree.
 */
#ifndef TEST_PAGETABLE_FIXTURE_H
#define TEST_PAGETABLE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/pagetable.c"

/*
 * Tables live in a host buffer and get made-up physical addresses FAKE_BASE + i * 4 KiB.
 * phys_to_virt fails the test on any address that is not a live table, so a dangling or
 * garbage table pointer is caught the moment the builder follows it.
 */
#ifndef FAKE_TABLES
#define FAKE_TABLES 128
#endif
#define FAKE_BASE 0x7f000000ULL

static struct fake {
	uint64_t (*mem)[PT_ENTRIES];
	bool used[FAKE_TABLES];
	int live;
	int budget; /* allocations still allowed; < 0: unlimited */
	int freed;
} fake;

static paddr_t fake_alloc(void *opaque)
{
	assert_ptr_equal(opaque, &fake);
	if (fake.budget == 0)
		return 0;
	for (int i = 0; i < FAKE_TABLES; i++) {
		if (fake.used[i])
			continue;
		fake.used[i] = true;
		memset(fake.mem[i], 0, sizeof(fake.mem[i]));
		fake.live++;
		if (fake.budget > 0)
			fake.budget--;
		return FAKE_BASE + (paddr_t)i * PAGE_SIZE_4K;
	}
	return 0;
}

static int fake_index(paddr_t pa)
{
	assert_true(pa >= FAKE_BASE && IS_ALIGNED(pa, PAGE_SIZE_4K));
	uint64_t i = (pa - FAKE_BASE) / PAGE_SIZE_4K;
	assert_true(i < FAKE_TABLES);
	assert_true(fake.used[i]);
	return (int)i;
}

static void *fake_virt(paddr_t pa, void *opaque __unused)
{
	return fake.mem[fake_index(pa)];
}

static void fake_free(paddr_t pa, void *opaque __unused)
{
	int i = fake_index(pa);

	memset(fake.mem[i], 0xa5, sizeof(fake.mem[i])); /* poison, in case it is still reachable */
	fake.used[i] = false;
	fake.live--;
	fake.freed++;
}

static int setup(void **state __unused)
{
	fake.mem = aligned_alloc(PAGE_SIZE_4K, FAKE_TABLES * PAGE_SIZE_4K);
	memset(fake.used, 0, sizeof(fake.used));
	fake.live = 0;
	fake.budget = -1;
	fake.freed = 0;
	return fake.mem ? 0 : -1;
}

static int teardown(void **state __unused)
{
	free(fake.mem);
	fake.mem = NULL;
	return 0;
}

static void new_ctx(struct pt_ctx *ctx, paddr_t *root, bool allow_1g)
{
	pt_ctx_init_x86(ctx, fake_alloc, fake_virt, &fake);
	ctx->free_table = fake_free;
	ctx->allow_1g = allow_1g;
	*root = fake_alloc(&fake);
	assert_int_not_equal(*root, 0);
}

/* Count tables reachable from a table; fails (through fake_virt) on any dangling pointer. */
static int count_tables(const struct pt_ctx *ctx, paddr_t table, unsigned int level)
{
	const uint64_t *t = fake_virt(table, NULL);
	int n = 1;

	for (unsigned int i = 0; i < PT_ENTRIES && level > PT_LEVEL_4K; i++) {
		if (!(t[i] & PTE_P) || (level <= PT_LEVEL_1G && (t[i] & PTE_PS)))
			continue;
		assert_int_equal(t[i] & ~PTE_ADDR_MASK, ctx->table_flags);
		n += count_tables(ctx, t[i] & PTE_ADDR_MASK, level - 1);
	}
	return n;
}

/* The builder's tables are all reachable (none leaked, none dangling). */
static void expect_tree_sound(const struct pt_ctx *ctx, paddr_t root)
{
	assert_int_equal(count_tables(ctx, root, PT_LEVELS), fake.live);
}

static void expect_map(const struct pt_ctx *ctx, paddr_t root, uint64_t va, paddr_t pa,
		       uint64_t flags, unsigned int level)
{
	paddr_t got_pa = 0;
	uint64_t got_flags = 0;
	unsigned int got_level = 0;

	assert_int_equal(pt_lookup(ctx, root, va, &got_pa, &got_flags, &got_level), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_flags, flags);
	assert_int_equal(got_level, level);
}

static void expect_unmapped(const struct pt_ctx *ctx, paddr_t root, uint64_t va)
{
	assert_int_equal(pt_lookup(ctx, root, va, NULL, NULL, NULL), -E_NOENT);
}

#define RW (PTE_P | PTE_W)

#define PT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
