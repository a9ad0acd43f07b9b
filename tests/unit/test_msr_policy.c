/* Host unit tests for vmm/msr_policy.c: the bitmaps it builds on both layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/string.c"
#include "../../vmm/xcr0.c"
#include "../../vmm/cpuid_policy.c"
#include "../../vmm/msr_bitmap.c"
#include "../../vmm/msr_policy.c"

/* Feature combinations as a mask, so every one of the 16 can be walked. */
#define F_SPEC_CTRL 1u
#define F_PRED_CMD 2u
#define F_TSC_AUX 4u
#define F_PAT 8u
#define F_ALL 15u

static struct msr_features features_of(unsigned int mask)
{
	return (struct msr_features){
		.spec_ctrl = mask & F_SPEC_CTRL,
		.pred_cmd = mask & F_PRED_CMD,
		.tsc_aux = mask & F_TSC_AUX,
		.pat_virtualized = mask & F_PAT,
	};
}

/* The policy as this test expects it, in numbers typed from the manuals, not from msr.h. */
static const struct {
	uint32_t msr;
	unsigned int access;
	unsigned int needs; /* F_* mask, 0 = always */
} expected[] = {
	{ 0xC0000100, MSR_RW, 0 },           /* FS_BASE */
	{ 0xC0000101, MSR_RW, 0 },           /* GS_BASE */
	{ 0xC0000102, MSR_RW, 0 },           /* KERNEL_GS_BASE */
	{ 0xC0000081, MSR_RW, 0 },           /* STAR */
	{ 0xC0000082, MSR_RW, 0 },           /* LSTAR */
	{ 0xC0000083, MSR_RW, 0 },           /* CSTAR */
	{ 0xC0000084, MSR_RW, 0 },           /* SFMASK */
	{ 0x00000174, MSR_RW, 0 },           /* SYSENTER_CS */
	{ 0x00000175, MSR_RW, 0 },           /* SYSENTER_ESP */
	{ 0x00000176, MSR_RW, 0 },           /* SYSENTER_EIP */
	{ 0xC0000103, MSR_RW, F_TSC_AUX },   /* TSC_AUX */
	{ 0x00000277, MSR_RW, F_PAT },       /* PAT */
	{ 0x00000048, MSR_RW, F_SPEC_CTRL }, /* SPEC_CTRL */
	{ 0x00000049, MSR_W, F_PRED_CMD },   /* PRED_CMD */
};

/* MSRs that must stay intercepted for reads and writes whatever the features. */
static const uint32_t forbidden[] = {
	0xC0000080, /* EFER */
	0xC0010114, /* VM_CR */
	0xC0010117, /* VM_HSAVE_PA */
	0x0000003A, /* FEATURE_CONTROL */
	0x0000001B, /* APIC_BASE */
	0x00000830, /* x2APIC ICR */
	0x00000010, /* TSC */
	0x000000E7, /* MPERF */
	0x00000802, /* x2APIC ID */
	0x0000080B, /* x2APIC EOI */
	0xC0010015, /* HWCR */
};

static const enum msr_bitmap_layout layouts[] = { MSR_BITMAP_VMX, MSR_BITMAP_SVM };

static uint8_t buf[MSR_BITMAP_SVM_SIZE];
static uint8_t ref[MSR_BITMAP_SVM_SIZE];

/* Accesses the expected policy passes through for msr under mask. */
static unsigned int expected_access(uint32_t msr, unsigned int mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		if (expected[i].msr == msr)
			return (expected[i].needs & ~mask) ? 0 : expected[i].access;
	}
	return 0;
}

static void test_table_matches(void **state __unused)
{
	const struct msr_policy_entry *e;
	size_t nr = 0;

	e = msr_policy_entries(&nr);
	assert_non_null(e);
	assert_int_equal(nr, ARRAY_SIZE(expected));
	for (size_t i = 0; i < nr; i++) {
		assert_non_null(e[i].name);
		assert_true(e[i].access != 0 && (e[i].access & ~MSR_RW) == 0);
		assert_true((unsigned int)e[i].cond < MSR_COND_NR);
		assert_string_not_equal(msr_cond_name(e[i].cond), "?");
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(e[i].msr, e[j].msr);
		/* Present in the expected list with the same access. */
		assert_int_equal(expected_access(e[i].msr, F_ALL), e[i].access);
		/* Every entry can be passed through on both layouts. */
		for (size_t l = 0; l < ARRAY_SIZE(layouts); l++) {
			msr_bitmap_init(layouts[l], buf);
			assert_int_equal(msr_bitmap_set(layouts[l], buf, e[i].msr, e[i].access, false),
					 0);
		}
	}
	assert_string_equal(msr_cond_name(MSR_COND_ALWAYS), "always");
	assert_string_equal(msr_cond_name(MSR_COND_NR), "?");
	assert_string_equal(msr_cond_name((enum msr_cond)-1), "?");
}

/* The condition of each entry, seen through msr_policy_access(). */
static void test_entry_conditions(void **state __unused)
{
	const struct msr_policy_entry *e;
	size_t nr = 0;

	e = msr_policy_entries(&nr);
	for (unsigned int mask = 0; mask <= F_ALL; mask++) {
		struct msr_features f = features_of(mask);

		for (size_t i = 0; i < nr; i++)
			assert_int_equal(msr_policy_access(&e[i], &f), expected_access(e[i].msr, mask));
	}
	for (size_t i = 0; i < nr; i++)
		assert_int_equal(msr_policy_access(&e[i], NULL), expected_access(e[i].msr, 0));
}

/* Build from a bitmap of garbage and compare every access of every MSR in range. */
static void check_build(enum msr_bitmap_layout layout, unsigned int mask, bool null_features)
{
	static const uint32_t firsts[] = { 0x00000000, 0xC0000000, 0xC0010000 };
	struct msr_features f = features_of(mask);
	const struct msr_features *fp = null_features ? NULL : &f;
	size_t size = msr_bitmap_size(layout);

	memset(buf, 0x5a, sizeof(buf));
	msr_policy_build(layout, buf, fp);

	for (size_t r = 0; r < ARRAY_SIZE(firsts); r++) {
		for (uint32_t msr = firsts[r]; msr < firsts[r] + 0x2000; msr++) {
			unsigned int want = expected_access(msr, mask);

			for (unsigned int type = MSR_R; type <= MSR_RW; type++) {
				bool pass = (type & ~want) == 0;

				assert_int_equal(msr_bitmap_intercepts(layout, buf, msr, type), !pass);
				assert_int_equal(msr_policy_is_passthrough(msr, type, fp), pass);
			}
		}
	}

	/* Byte for byte: intercept-all minus the expected bits, nothing else (SVM's tail too). */
	msr_bitmap_init(layout, ref);
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		unsigned int want = expected_access(expected[i].msr, mask);

		if (want)
			assert_int_equal(msr_bitmap_set(layout, ref, expected[i].msr, want, false), 0);
	}
	assert_memory_equal(buf, ref, size);
	/* The build stays inside the layout's size. */
	for (size_t i = size; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
}

static void test_build_all_features(void **state __unused)
{
	for (size_t l = 0; l < ARRAY_SIZE(layouts); l++)
		for (unsigned int mask = 0; mask <= F_ALL; mask++)
			check_build(layouts[l], mask, false);
}

static void test_build_null_features(void **state __unused)
{
	for (size_t l = 0; l < ARRAY_SIZE(layouts); l++)
		check_build(layouts[l], 0, true);
}

static void check_intercepted(enum msr_bitmap_layout layout, uint32_t msr,
			      const struct msr_features *f)
{
	assert_true(msr_bitmap_intercepts(layout, buf, msr, MSR_R));
	assert_true(msr_bitmap_intercepts(layout, buf, msr, MSR_W));
	assert_false(msr_policy_is_passthrough(msr, MSR_R, f));
	assert_false(msr_policy_is_passthrough(msr, MSR_W, f));
}

static void test_forbidden_stay_intercepted(void **state __unused)
{
	for (size_t l = 0; l < ARRAY_SIZE(layouts); l++) {
		for (unsigned int mask = 0; mask <= F_ALL; mask++) {
			struct msr_features f = features_of(mask);

			msr_policy_build(layouts[l], buf, &f);
			for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++)
				check_intercepted(layouts[l], forbidden[i], &f);
			/* VMX capability MSRs, IA32_VMX_BASIC through IA32_VMX_EXIT_CTLS2. */
			for (uint32_t msr = 0x480; msr <= 0x493; msr++)
				check_intercepted(layouts[l], msr, &f);
			/* And via the names in msr.h. */
			check_intercepted(layouts[l], MSR_EFER, &f);
			check_intercepted(layouts[l], MSR_VM_CR, &f);
			check_intercepted(layouts[l], MSR_VM_HSAVE_PA, &f);
			check_intercepted(layouts[l], MSR_IA32_FEATURE_CONTROL, &f);
			check_intercepted(layouts[l], MSR_IA32_APIC_BASE, &f);
			check_intercepted(layouts[l], MSR_IA32_VMX_BASIC, &f);
			check_intercepted(layouts[l], MSR_IA32_VMX_EXIT_CTLS2, &f);
		}
	}
}

/* Each conditional entry follows its own feature and no other. */
static void test_conditional_entries(void **state __unused)
{
	struct msr_features f = features_of(0);

	msr_policy_build(MSR_BITMAP_SVM, buf, &f);
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_SVM, buf, 0x48, MSR_R));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_SVM, buf, 0x49, MSR_W));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_SVM, buf, 0xC0000103, MSR_R));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_SVM, buf, 0x277, MSR_W));
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_SVM, buf, 0xC0000082, MSR_RW));

	f = features_of(F_PRED_CMD);
	msr_policy_build(MSR_BITMAP_VMX, buf, &f);
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x49, MSR_W));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x49, MSR_R)); /* write-only */
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x48, MSR_W));
	assert_true(msr_policy_is_passthrough(0x49, MSR_W, &f));
	assert_false(msr_policy_is_passthrough(0x49, MSR_RW, &f));
	assert_false(msr_policy_is_passthrough(0x48, MSR_W, &f));

	f = features_of(F_PAT);
	msr_policy_build(MSR_BITMAP_VMX, buf, &f);
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x277, MSR_RW));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0xC0000103, MSR_R));

	/* Rebuilding with fewer features takes the pass-through back. */
	f = features_of(0);
	msr_policy_build(MSR_BITMAP_VMX, buf, &f);
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x277, MSR_R));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, buf, 0x277, MSR_W));
}

static void test_passthrough_bad_type(void **state __unused)
{
	struct msr_features f = features_of(F_ALL);

	assert_true(msr_policy_is_passthrough(0xC0000100, MSR_RW, &f));
	assert_false(msr_policy_is_passthrough(0xC0000100, 0, &f));
	assert_false(msr_policy_is_passthrough(0xC0000100, 4, &f));
	assert_false(msr_policy_is_passthrough(0xC0000100, MSR_RW | 4, &f));
	assert_false(msr_policy_is_passthrough(0xFFFFFFFF, MSR_R, &f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches),
		cmocka_unit_test(test_entry_conditions),
		cmocka_unit_test(test_build_all_features),
		cmocka_unit_test(test_build_null_features),
		cmocka_unit_test(test_forbidden_stay_intercepted),
		cmocka_unit_test(test_conditional_entries),
		cmocka_unit_test(test_passthrough_bad_type),
	};

	return cmocka_run_group_tests_name("msr_policy", tests, NULL, NULL);
}
