/*
 * Host unit tests for the EPT format (arch/x86/vmx/ept.c) driven through the page-table builder
 * with x86 leaf flags, the way the partition code builds its second-level tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/pagetable.c"
#include "../../arch/x86/vmx/ept.c"

/* Tables live in a host buffer at made-up physical addresses FAKE_BASE + i * 4 KiB. */
#define FAKE_TABLES 64
#define FAKE_BASE 0x7f000000ULL

static struct {
	uint64_t (*mem)[PT_ENTRIES];
	int used;
} fake;

static paddr_t fake_alloc(void *opaque __unused)
{
	if (fake.used == FAKE_TABLES)
		return 0;
	memset(fake.mem[fake.used], 0, sizeof(fake.mem[0]));
	return FAKE_BASE + (paddr_t)fake.used++ * PAGE_SIZE_4K;
}

static void *fake_virt(paddr_t pa, void *opaque __unused)
{
	assert_true(pa >= FAKE_BASE && IS_ALIGNED(pa, PAGE_SIZE_4K));
	assert_true((pa - FAKE_BASE) / PAGE_SIZE_4K < (uint64_t)fake.used);
	return fake.mem[(pa - FAKE_BASE) / PAGE_SIZE_4K];
}

static int setup(void **state __unused)
{
	fake.mem = aligned_alloc(PAGE_SIZE_4K, FAKE_TABLES * PAGE_SIZE_4K);
	fake.used = 0;
	return fake.mem ? 0 : -1;
}

static int teardown(void **state __unused)
{
	free(fake.mem);
	fake.mem = NULL;
	return 0;
}

static paddr_t new_ept(struct pt_ctx *ctx, bool allow_1g)
{
	ept_ctx_init(ctx, allow_1g);
	ctx->alloc_table = fake_alloc;
	ctx->phys_to_virt = fake_virt;
	paddr_t root = fake_alloc(NULL);
	assert_int_not_equal(root, 0);
	return root;
}

/* The raw entry that maps gpa at the given level (walks non-leaf entries only). */
static uint64_t raw_entry(paddr_t root, uint64_t gpa, unsigned int level)
{
	paddr_t table = root;

	for (unsigned int l = PT_LEVELS; l > level; l--) {
		uint64_t e = ((uint64_t *)fake_virt(table, NULL))[index_of(gpa, l)];

		assert_int_equal(e & ~PTE_ADDR_MASK, EPT_RWX); /* non-leaf: exactly R/W/X */
		table = e & PTE_ADDR_MASK;
	}
	return ((uint64_t *)fake_virt(table, NULL))[index_of(gpa, level)];
}

#define RWX_X86 (PTE_P | PTE_W | PTE_U)
#define UC_X86 (PTE_PCD | PTE_PWT)
#define WB_BITS EPT_MEMTYPE(VMX_MEMTYPE_WB)
#define UC_BITS EPT_MEMTYPE(VMX_MEMTYPE_UC)

static void test_ctx_shape(void **state __unused)
{
	struct pt_ctx ctx;

	ept_ctx_init(&ctx, true);
	assert_true(ctx.allow_1g);
	assert_int_equal(ctx.present_mask, EPT_READ | EPT_WRITE | EPT_EXEC);
	assert_int_equal(ctx.table_flags, EPT_READ | EPT_WRITE | EPT_EXEC);
	assert_int_equal(ctx.large_bit, 1ULL << 7);
	assert_int_equal(ctx.pat_4k, 0);
	assert_int_equal(ctx.pat_large, 0);
	assert_null(ctx.alloc_table);
	assert_null(ctx.free_table);
	assert_non_null(ctx.flags_from_x86);
	assert_non_null(ctx.flags_to_x86);
	ept_ctx_init(&ctx, false);
	assert_false(ctx.allow_1g);
}

static void test_flag_translation(void **state __unused)
{
	/* RAM: read, write, execute, write-back; IPAT stays clear so the guest's PAT still counts. */
	assert_int_equal(ept_leaf_from_x86(RWX_X86), EPT_READ | EPT_WRITE | EPT_EXEC | WB_BITS);
	assert_int_equal(ept_leaf_from_x86(PTE_P | PTE_W), EPT_READ | EPT_WRITE | EPT_EXEC | WB_BITS);
	/* MMIO: uncached. PCD alone (UC- in the default PAT) is UC too; PWT alone is WT. */
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | UC_X86), EPT_READ | EPT_WRITE | EPT_EXEC | UC_BITS);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_PCD), EPT_READ | EPT_WRITE | EPT_EXEC | UC_BITS);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_PWT),
			 EPT_READ | EPT_WRITE | EPT_EXEC | EPT_MEMTYPE(VMX_MEMTYPE_WT));
	/* Read-only, no-execute. */
	assert_int_equal(ept_leaf_from_x86(PTE_P | PTE_U), EPT_READ | EPT_EXEC | WB_BITS);
	assert_int_equal(ept_leaf_from_x86(PTE_P | PTE_NX), EPT_READ | WB_BITS);
	assert_int_equal(ept_leaf_from_x86(PTE_P | PTE_W | PTE_NX | UC_X86), EPT_READ | EPT_WRITE | UC_BITS);
	/* Inexpressible: not present, or flags EPT has no place for. */
	assert_int_equal(ept_leaf_from_x86(0), 0);
	assert_int_equal(ept_leaf_from_x86(PTE_W | PTE_U), 0);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_PAT), 0);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_G), 0);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_A), 0);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | PTE_D), 0);
	assert_int_equal(ept_leaf_from_x86(RWX_X86 | 0x1000), 0);

	/* Back again: exact for everything the partition code passes. */
	static const uint64_t round_trip[] = {
		RWX_X86, RWX_X86 | UC_X86, RWX_X86 | PTE_PWT, PTE_P | PTE_U, PTE_P | PTE_U | UC_X86,
		RWX_X86 | PTE_NX, PTE_P | PTE_U | PTE_NX | UC_X86,
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(round_trip); i++)
		assert_int_equal(ept_leaf_to_x86(ept_leaf_from_x86(round_trip[i])), round_trip[i]);
	/* Types the builder never writes read as uncached; execute-only is present without W. */
	assert_int_equal(ept_leaf_to_x86(EPT_RWX | EPT_MEMTYPE(VMX_MEMTYPE_WC)), RWX_X86 | UC_X86);
	assert_int_equal(ept_leaf_to_x86(EPT_EXEC | WB_BITS), PTE_P | PTE_U);
}

static void test_leaf_sizes(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_ept(&ctx, true);
	const uint64_t rwx_wb = EPT_RWX | WB_BITS;
	paddr_t pa;
	uint64_t flags;
	unsigned int level;

	/* 1 GiB + 2 MiB + 4 KiB at 1 GiB: one leaf of each size. */
	assert_int_equal(pt_map(&ctx, root, GiB, GiB, GiB + 2 * MiB + 4 * KiB, RWX_X86), 0);
	assert_int_equal(raw_entry(root, GiB, PT_LEVEL_1G), GiB | rwx_wb | EPT_LARGE);
	assert_int_equal(raw_entry(root, 2 * GiB, PT_LEVEL_2M), 2 * GiB | rwx_wb | EPT_LARGE);
	assert_int_equal(raw_entry(root, 2 * GiB + 2 * MiB, PT_LEVEL_4K), (2 * GiB + 2 * MiB) | rwx_wb);

	assert_int_equal(pt_lookup(&ctx, root, GiB + 0x12345, &pa, &flags, &level), 0);
	assert_int_equal(pa, GiB + 0x12345);
	assert_int_equal(flags, RWX_X86);
	assert_int_equal(level, PT_LEVEL_1G);
	assert_int_equal(pt_lookup(&ctx, root, 2 * GiB + 0x1234, &pa, &flags, &level), 0);
	assert_int_equal(level, PT_LEVEL_2M);
	assert_int_equal(pt_lookup(&ctx, root, 2 * GiB + 2 * MiB + 0xfff, &pa, &flags, &level), 0);
	assert_int_equal(pa, 2 * GiB + 2 * MiB + 0xfff);
	assert_int_equal(level, PT_LEVEL_4K);
	assert_int_equal(pt_lookup(&ctx, root, 2 * GiB + 2 * MiB + 4 * KiB, NULL, NULL, NULL), -E_NOENT);

	/* Without 1 GiB EPT pages (sandy_bridge in Bochs), the same GiB takes 2 MiB leaves. */
	root = new_ept(&ctx, false);
	assert_int_equal(pt_map(&ctx, root, GiB, GiB, GiB, RWX_X86), 0);
	assert_int_equal(raw_entry(root, GiB, PT_LEVEL_2M), GiB | rwx_wb | EPT_LARGE);
	assert_int_equal(pt_lookup(&ctx, root, 2 * GiB - 1, NULL, NULL, &level), 0);
	assert_int_equal(level, PT_LEVEL_2M);
}

/* RAM write-back over an uncached default, as the partition builds it, then a 4 KiB split. */
static void test_ram_and_mmio(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_ept(&ctx, true);
	uint64_t flags;
	unsigned int level;

	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * GiB, RWX_X86 | UC_X86), 0);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 0x9f000, RWX_X86), 0);
	assert_int_equal(pt_map(&ctx, root, MiB, MiB, GiB - MiB, RWX_X86), 0);

	assert_int_equal(raw_entry(root, 0x1000, PT_LEVEL_4K), 0x1000 | EPT_RWX | WB_BITS);
	assert_int_equal(raw_entry(root, 0xa0000, PT_LEVEL_4K), 0xa0000 | EPT_RWX | UC_BITS); /* VGA hole */
	assert_int_equal(raw_entry(root, 2 * MiB, PT_LEVEL_2M), 2 * MiB | EPT_RWX | WB_BITS | EPT_LARGE);
	assert_int_equal(raw_entry(root, 0xFEC00000, PT_LEVEL_1G), 3 * GiB | EPT_RWX | UC_BITS | EPT_LARGE);

	assert_int_equal(pt_lookup(&ctx, root, 0xb8000, NULL, &flags, &level), 0);
	assert_int_equal(flags, RWX_X86 | UC_X86);
	assert_int_equal(level, PT_LEVEL_4K);
	assert_int_equal(pt_lookup(&ctx, root, 0x200000, NULL, &flags, NULL), 0);
	assert_int_equal(flags, RWX_X86);
}

/* The xAPIC page: readable (and executable, as NPT leaves it), not writable, uncached. */
static void test_read_only_apic_page(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_ept(&ctx, true);
	const paddr_t apic = 0xFEE00000;
	uint64_t flags;

	assert_int_equal(pt_map(&ctx, root, 3 * GiB, 3 * GiB, GiB, RWX_X86 | UC_X86), 0);
	assert_int_equal(pt_map(&ctx, root, apic, apic, 4 * KiB, PTE_P | PTE_U | UC_X86), 0);

	uint64_t e = raw_entry(root, apic, PT_LEVEL_4K);
	assert_int_equal(e, apic | EPT_READ | EPT_EXEC | UC_BITS);
	assert_false(e & EPT_WRITE);
	assert_int_equal(pt_lookup(&ctx, root, apic + 0x300, NULL, &flags, NULL), 0);
	assert_int_equal(flags, PTE_P | PTE_U | UC_X86);
	/* Its neighbours keep the split 1 GiB leaf's mapping. */
	assert_int_equal(raw_entry(root, apic + 4 * KiB, PT_LEVEL_4K), (apic + 4 * KiB) | EPT_RWX | UC_BITS);
	assert_int_equal(raw_entry(root, 3 * GiB, PT_LEVEL_2M), 3 * GiB | EPT_RWX | UC_BITS | EPT_LARGE);
}

/* Hypervisor memory is left out: absent entries, nothing mapped, neighbours intact. */
static void test_hypervisor_memory_absent(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_ept(&ctx, true);
	const paddr_t hv_base = 0xBE000000, hv_end = 0xBF000000;

	assert_int_equal(pt_map(&ctx, root, 0, 0, hv_base, RWX_X86), 0);
	assert_int_equal(pt_map(&ctx, root, hv_end, hv_end, 4 * GiB - hv_end, RWX_X86 | UC_X86), 0);

	assert_int_equal(pt_lookup(&ctx, root, hv_base, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(pt_lookup(&ctx, root, hv_end - 1, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(raw_entry(root, hv_base, PT_LEVEL_2M), 0);
	assert_int_equal(pt_lookup(&ctx, root, hv_base - 1, NULL, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&ctx, root, hv_end, NULL, NULL, NULL), 0);

	/* Removing a range later (as the partition might) leaves it absent too. */
	assert_int_equal(pt_unmap(&ctx, root, 0x1000, 4 * KiB), 0);
	assert_int_equal(raw_entry(root, 0x1000, PT_LEVEL_4K), 0);
	assert_int_equal(pt_lookup(&ctx, root, 0x1000, NULL, NULL, NULL), -E_NOENT);
	assert_int_equal(pt_lookup(&ctx, root, 0x2000, NULL, NULL, NULL), 0);
}

static void test_invalid_flags_refused(void **state __unused)
{
	struct pt_ctx ctx;
	paddr_t root = new_ept(&ctx, true);

	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * KiB, PTE_W | PTE_U), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * KiB, RWX_X86 | PTE_PAT), -E_INVAL);
	assert_int_equal(pt_map(&ctx, root, 0, 0, 4 * KiB, RWX_X86 | PTE_G), -E_INVAL);
	assert_int_equal(fake.used, 1); /* nothing was built */
	assert_int_equal(pt_lookup(&ctx, root, 0, NULL, NULL, NULL), -E_NOENT);
}

static void test_ept_pointer(void **state __unused)
{
	/* WB (6) in bits 2:0, walk length 4 - 1 = 3 in bits 5:3: 0x1E. */
	assert_int_equal(ept_pointer(0x12345000), 0x12345000 | 0x1E);
	assert_int_equal(ept_pointer(0xFFFFF000000ULL), 0xFFFFF000000ULL | 6 | (3 << 3));
	assert_int_equal(ept_pointer(0x1000) & EPTP_AD_ENABLE, 0);
	assert_int_equal(ept_pointer(0x1000) & EPTP_MEMTYPE_MASK, VMX_MEMTYPE_WB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_shape),
		cmocka_unit_test(test_flag_translation),
		cmocka_unit_test_setup_teardown(test_leaf_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_and_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_apic_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hypervisor_memory_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_flags_refused, setup, teardown),
		cmocka_unit_test(test_ept_pointer),
	};

	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
