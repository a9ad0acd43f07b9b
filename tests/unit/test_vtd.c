/*
 * Host tests for the VT-d builders (drivers/iommu_vtd_tables.c): capability decode, root and
 * context entries, the second-level format driven through the page-table builder, invalidation
 * descriptors and fault records.
 */
#define FAKE_TABLES 2048 /* a whole domain's tree in 4 KiB leaves */
#include "pagetable_fixture.h"
#include "../../drivers/iommu_vtd_tables.c"

static paddr_t new_tree(struct pt_ctx *ctx, bool allow_1g)
{
	vtd_sl_ctx_init(ctx, allow_1g);
	ctx->alloc_table = fake_alloc;
	ctx->phys_to_virt = fake_virt;
	ctx->opaque = &fake;
	return fake_alloc(&fake);
}

/* The raw entry that maps va at `level` (the walk must reach it). */
static uint64_t entry_at(const struct pt_ctx *ctx, paddr_t root, uint64_t va, unsigned int level)
{
	paddr_t table = root;

	for (unsigned int l = PT_LEVELS; l > level; l--) {
		uint64_t e = ((uint64_t *)fake_virt(table, NULL))[index_of(va, l)];

		assert_true(e & ctx->present_mask);
		assert_int_equal(e & ~VTD_SL_ADDR_MASK, VTD_SL_R | VTD_SL_W); /* non-leaf: R|W only */
		table = e & VTD_SL_ADDR_MASK;
	}
	return ((uint64_t *)fake_virt(table, NULL))[index_of(va, level)];
}

/* ---- capabilities ---- */

/* The values QEMU 7.2's intel-iommu reports with its defaults (aw-bits=39). */
#define QEMU_CAP (0x220ULL << 20 | 0ULL << 40 | 6ULL | 18ULL << 48 | 1ULL << 39 | 3ULL << 34 | \
		  38ULL << 16 | 2ULL << 8 | 3ULL << 54)
#define QEMU_ECAP (1ULL << 1 | 0xf0ULL << 4 | 1ULL << 2 | 1ULL << 6)

static void test_caps_qemu(void **state __unused)
{
	struct vtd_caps c;

	vtd_caps_decode(QEMU_CAP, QEMU_ECAP, &c);
	assert_int_equal(c.nr_domains, 65536);
	assert_int_equal(c.sagaw, 2);
	assert_int_equal(c.mgaw, 39);
	assert_true(c.sp_2m);
	assert_true(c.sp_1g);
	assert_int_equal(c.fault_offset, 0x220);
	assert_int_equal(c.nr_faults, 1);
	assert_true(c.qi);
	assert_false(c.coherent);
	assert_false(c.caching_mode);
	assert_false(c.rwbf);
	assert_int_equal(c.iotlb_offset, 0xf0);
	assert_int_equal(c.reg_span, 4096);
	assert_int_equal(vtd_pick_levels(&c), 3);
	assert_int_equal(vtd_levels_reach(3), 1ULL << 39);
	assert_int_equal(vtd_levels_reach(4), 1ULL << 48);
	assert_int_equal(vtd_levels_reach(5), 0);
}

static void test_caps_fields(void **state __unused)
{
	struct vtd_caps c;

	/* 4- and 3-level, caching mode, RWBF, PLMR/PHMR, 1G without 2M (ignored), 256 fault
	 * records far up (FRO 0x3ff * 16): registers span 5 pages. */
	vtd_caps_decode(1ULL << 7 | 1ULL << 4 | 3ULL << 5 | 6ULL << 8 | 47ULL << 16 | 0x3ffULL << 24 |
				1ULL << 35 | 255ULL << 40 | 0,
			1ULL << 0 | 0x3ffULL << 8, &c);
	assert_true(c.caching_mode);
	assert_true(c.rwbf);
	assert_true(c.plmr && c.phmr);
	assert_int_equal(c.nr_domains, 16);
	assert_int_equal(vtd_pick_levels(&c), 4);
	assert_int_equal(c.mgaw, 48);
	assert_false(c.sp_2m);
	assert_false(c.sp_1g);
	assert_false(c.qi);
	assert_true(c.coherent);
	assert_int_equal(c.fault_offset, 0x3ff0);
	assert_int_equal(c.nr_faults, 256);
	assert_int_equal(c.iotlb_offset, 0x3ff0);
	assert_int_equal(c.reg_span, ALIGN_UP(0x3ff0 + 256 * 16, 4096));

	/* 5-level only: unusable. */
	vtd_caps_decode(8ULL << 8, 0, &c);
	assert_int_equal(vtd_pick_levels(&c), 0);
}

/* ---- root and context entries ---- */

static void test_root_and_context_entries(void **state __unused)
{
	uint64_t e[2];
	uint64_t *root = calloc(VTD_TABLE_ENTRIES, 16), *ctx = calloc(VTD_TABLE_ENTRIES, 16);

	vtd_root_entry(e, 0x12345000);
	assert_int_equal(e[0], 0x12345001);
	assert_int_equal(e[1], 0);

	/* 3-level: AW 1; 4-level: AW 2; domain ID in bits 87:72, translation type 0. */
	vtd_context_entry(e, 0xabcde000, 3, 1);
	assert_int_equal(e[0], 0xabcde001);
	assert_int_equal(e[1], 0x101);
	vtd_context_entry(e, 0xabcde000, 4, 0x1234);
	assert_int_equal(e[1], 0x123402);

	vtd_fill_root_table(root, 0x5000);
	vtd_fill_context_table(ctx, 0x6000, 3, 1);
	for (unsigned int i = 0; i < VTD_TABLE_ENTRIES; i++) {
		assert_int_equal(root[2 * i], 0x5001);
		assert_int_equal(root[2 * i + 1], 0);
		assert_int_equal(ctx[2 * i], 0x6001);
		assert_int_equal(ctx[2 * i + 1], 0x101);
	}
	free(root);
	free(ctx);
}

/* ---- second-level tables ---- */

static void test_sl_map_large_pages(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_tree(&ctx, true);
	paddr_t pa;
	uint64_t flags, e;
	unsigned int level;

	/* [0, 0x9f000) and [1 MiB, 3 GiB + 2 MiB): 4K, 2M and 1G leaves. */
	assert_int_equal(vtd_sl_map(&ctx, root, 0, 0x9f000, 1ULL << 39, true), 0);
	assert_int_equal(vtd_sl_map(&ctx, root, 0x100000, 3 * GiB + 2 * MiB, 1ULL << 39, true), 0);

	e = entry_at(&ctx, root, 0x1000, PT_LEVEL_4K);
	assert_int_equal(e, 0x1000 | VTD_SL_R | VTD_SL_W);
	e = entry_at(&ctx, root, 0x200000, PT_LEVEL_2M);
	assert_int_equal(e, 0x200000 | VTD_SL_R | VTD_SL_W | VTD_SL_PS);
	e = entry_at(&ctx, root, 1 * GiB, PT_LEVEL_1G);
	assert_int_equal(e, 1 * GiB | VTD_SL_R | VTD_SL_W | VTD_SL_PS);
	e = entry_at(&ctx, root, 3 * GiB, PT_LEVEL_2M);
	assert_int_equal(e, 3 * GiB | VTD_SL_R | VTD_SL_W | VTD_SL_PS);

	assert_int_equal(pt_lookup(&ctx, root, 0x9e123, &pa, &flags, &level), 0);
	assert_int_equal(pa, 0x9e123);
	assert_int_equal(flags, VTD_SL_R | VTD_SL_W);
	/* The hole below 1 MiB and everything past the end stay unmapped. */
	assert_int_equal(pt_lookup(&ctx, root, 0x9f000, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(pt_lookup(&ctx, root, 0xff000, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(pt_lookup(&ctx, root, 3 * GiB + 2 * MiB, NULL, NULL, NULL), -E_NOENT);
}

static void test_sl_no_1g_no_2m(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_tree(&ctx, false);
	unsigned int level;

	/* Without 1 GiB pages a 1 GiB-aligned GiB is 512 2 MiB leaves. */
	assert_int_equal(vtd_sl_map(&ctx, root, 1 * GiB, 2 * GiB, 1ULL << 39, true), 0);
	assert_int_equal(pt_lookup(&ctx, root, 1 * GiB, NULL, NULL, &level), 0);
	assert_int_equal(level, PT_LEVEL_2M);

	/* Without 2 MiB pages everything is a 4 KiB leaf, even aligned 2 MiB chunks. */
	root = new_tree(&ctx, false);
	assert_int_equal(vtd_sl_map(&ctx, root, 0, 4 * MiB, 1ULL << 39, false), 0);
	for (uint64_t va = 0; va < 4 * MiB; va += 4096) {
		uint64_t e = entry_at(&ctx, root, va, PT_LEVEL_4K);

		assert_int_equal(e, va | VTD_SL_R | VTD_SL_W);
	}
}

/* Ranges are rounded out to pages and cut at the limit; an empty result is fine. */
static void test_sl_limit_and_rounding(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_tree(&ctx, true);
	paddr_t pa;

	assert_int_equal(vtd_sl_map(&ctx, root, 0x1800, 0x2800, 1ULL << 39, true), 0);
	assert_int_equal(pt_lookup(&ctx, root, 0x1000, &pa, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&ctx, root, 0x2000, &pa, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&ctx, root, 0x3000, NULL, NULL, NULL), -E_NOENT);

	assert_int_equal(vtd_sl_map(&ctx, root, (1ULL << 39) - 4096, (1ULL << 39) + GiB, 1ULL << 39, true), 0);
	assert_int_equal(pt_lookup(&ctx, root, (1ULL << 39) - 4096, NULL, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&ctx, root, 1ULL << 39, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(vtd_sl_map(&ctx, root, 1ULL << 40, 1ULL << 41, 1ULL << 39, true), 0);
	assert_int_equal(pt_lookup(&ctx, root, 1ULL << 40, NULL, NULL, NULL), -E_NOENT);
}

/* A 3-level unit starts at the table the 4-level root's first entry points to. */
static void test_sl_root_levels(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_tree(&ctx, true);
	paddr_t l3, l3_again;
	uint64_t *top;

	assert_int_equal(vtd_sl_root(&ctx, root, 4), root);
	assert_int_equal(vtd_sl_root(&ctx, root, 5), 0);
	/* Nothing mapped yet: an empty level-3 table is made and hooked in. */
	l3 = vtd_sl_root(&ctx, root, 3);
	assert_int_not_equal(l3, 0);
	top = fake_virt(root, NULL);
	assert_int_equal(top[0], l3 | VTD_SL_R | VTD_SL_W);
	/* Later mappings below 512 GiB land in that same table. */
	assert_int_equal(vtd_sl_map(&ctx, root, 0, 1 * GiB, 1ULL << 39, true), 0);
	l3_again = vtd_sl_root(&ctx, root, 3);
	assert_int_equal(l3_again, l3);
	assert_int_equal(((uint64_t *)fake_virt(l3, NULL))[0], 0 | VTD_SL_R | VTD_SL_W | VTD_SL_PS);
}

/* ---- invalidation descriptors and faults ---- */

static void test_qi_descriptors(void **state __unused)
{
	uint64_t d[2];

	vtd_qi_context_global(d);
	assert_int_equal(d[0], 0x11);
	assert_int_equal(d[1], 0);
	vtd_qi_iotlb_global(d, true, true);
	assert_int_equal(d[0], 0xd2);
	vtd_qi_iotlb_global(d, false, false);
	assert_int_equal(d[0], 0x12);
	vtd_qi_wait(d, 0x12345678, 7);
	assert_int_equal(d[0], 0x700000065ULL);
	assert_int_equal(d[1], 0x12345678);
}

static void test_fault_decode(void **state __unused)
{
	struct iommu_fault f;

	/* F set, T = 0 (write), reason 5, source 00:03.0, address with offset bits. */
	assert_true(vtd_fault_decode(0x7fe01234ULL, 1ULL << 63 | 5ULL << 32 | 0x18, 0, &f));
	assert_int_equal(f.bdf, PCI_BDF(0, 3, 0));
	assert_int_equal(f.addr, 0x7fe01000);
	assert_true(f.write);
	assert_int_equal(f.reason, 5);
	assert_int_equal(f.segment, 0);

	/* T = 1: a read; segment carried from the unit. */
	assert_true(vtd_fault_decode(0x1000, 3ULL << 62 | 6ULL << 32 | 0x0210, 2, &f));
	assert_false(f.write);
	assert_int_equal(f.reason, 6);
	assert_int_equal(f.bdf, PCI_BDF(2, 2, 0));
	assert_int_equal(f.segment, 2);

	/* F clear: no fault. */
	assert_false(vtd_fault_decode(0x1000, 6ULL << 32 | 0x18, 0, &f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_caps_qemu),
		T(test_caps_fields),
		T(test_root_and_context_entries),
		T(test_sl_map_large_pages),
		T(test_sl_no_1g_no_2m),
		T(test_sl_limit_and_rounding),
		T(test_sl_root_levels),
		T(test_qi_descriptors),
		T(test_fault_decode),
#undef T
	};

	return cmocka_run_group_tests_name("vtd", tests, NULL, NULL);
}
