/*
 * Host unit tests for the CPUID -> MSR half of vmm/msr_policy.c: every CPUID feature bit the guest
 * is shown makes its MSRs exist, on both vendors, and hiding the bit hides the MSRs (#GP).
 */
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

/* A fake CPU: leaf -> registers; every other leaf reads zero. */
struct leaf_regs {
	uint32_t leaf;
	uint32_t r[4];
};

struct fake {
	struct leaf_regs l[12];
	size_t n;
};

static void fake_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4], void *ctx)
{
	const struct fake *f = ctx;

	memset(out, 0, 16);
	for (size_t i = 0; i < f->n; i++)
		if (f->l[i].leaf == leaf && (subleaf == 0 || leaf < 4 || leaf == 6 || leaf == 0xA ||
					     leaf >= 0x80000000))
			memcpy(out, f->l[i].r, 16);
}

static void put(struct fake *f, uint32_t leaf, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	f->l[f->n++] = (struct leaf_regs){ leaf, { a, b, c, d } };
}

#define INTEL 0
#define AMD 1

/* Leaf 0 with the vendor string and max leaf 0xA, 0x80000000 with max 0x80000008. */
static void vendor(struct fake *f, int which)
{
	if (which == INTEL)
		put(f, 0, 0xA, 0x756E6547, 0x6C65746E, 0x49656E69); /* GenuineIntel */
	else
		put(f, 0, 0xA, 0x68747541, 0x444D4163, 0x69746E65); /* AuthenticAMD */
	put(f, 0x80000000, 0x80000008, 0, 0, 0);
}

static struct cpuid_policy pol;

static struct msr_features features_cfg(struct fake *f, const struct cpuid_policy_config *cfg)
{
	struct msr_features out = { 0 };

	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, f, cfg), 0);
	msr_features_from_cpuid(&pol, &out);
	return out;
}

static struct msr_features features(struct fake *f)
{
	struct cpuid_policy_config cfg = { .xcr0_allowed = 0 };
	struct msr_features out = { 0 };

	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, f, &cfg), 0);
	msr_features_from_cpuid(&pol, &out);
	return out;
}

/* One feature bit and the MSRs it must bring, typed from the manuals. */
struct feature_case {
	const char *name;
	int vendor;
	uint32_t leaf;
	unsigned int reg; /* 0 EAX .. 3 EDX */
	unsigned int bit;
	uint32_t msrs[6];
	unsigned int access; /* of msrs[0] */
};

static const struct feature_case cases[] = {
	{ "MTRR", INTEL, 1, 3, 12, { 0xFE, 0x200, 0x21F, 0x250, 0x268, 0x2FF }, MSR_R },
	{ "MTRR (AMD)", AMD, 1, 3, 12, { 0xFE, 0x2FF }, MSR_R },
	{ "MCE", INTEL, 1, 3, 7, { 0x179, 0x17A, 0x17B }, MSR_R },
	{ "MCA", AMD, 1, 3, 14, { 0x400, 0x401, 0x47F, 0x280 }, MSR_RW },
	{ "PDCM", INTEL, 1, 2, 15, { 0x345 }, MSR_R },
	{ "APERFMPERF", INTEL, 6, 2, 0, { 0xE7, 0xE8 }, MSR_R },
	{ "EPB", INTEL, 6, 2, 3, { 0x1B0 }, MSR_RW },
	{ "PTM", INTEL, 6, 0, 6, { 0x1B1, 0x1B2 }, MSR_RW },
	{ "PerfCtrExtCore", AMD, 0x80000001, 2, 23, { 0xC0010200, 0xC0010205, 0xC001020B }, MSR_RW },
	{ "PerfCtrExtNB", AMD, 0x80000001, 2, 24, { 0xC0010240, 0xC0010247 }, MSR_RW },
	{ "PerfCtrExtLLC", AMD, 0x80000001, 2, 28, { 0xC0010230, 0xC001023F }, MSR_RW },
	{ "OSVW", AMD, 0x80000001, 2, 9, { 0xC0010140, 0xC0010141 }, MSR_R },
};

static struct msr_features with_bit(int which, uint32_t leaf, unsigned int reg, unsigned int bit)
{
	struct fake f = { .n = 0 };
	uint32_t r[4] = { 0 };

	vendor(&f, which);
	if (bit < 32)
		r[reg] = 1u << bit;
	put(&f, leaf, r[0], r[1], r[2], r[3]);
	return features(&f);
}

static void test_each_feature_brings_its_msrs(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct feature_case *c = &cases[i];
		struct msr_features on = with_bit(c->vendor, c->leaf, c->reg, c->bit);
		struct msr_features off = with_bit(c->vendor, c->leaf, c->reg, 32);

		print_message("%s\n", c->name);
		assert_int_equal(msr_forward_access(c->msrs[0], &on), c->access);
		for (size_t m = 0; m < ARRAY_SIZE(c->msrs) && c->msrs[m]; m++) {
			assert_int_not_equal(msr_forward_access(c->msrs[m], &on), 0);
			assert_int_equal(msr_forward_access(c->msrs[m], &off), 0);
		}
	}
}

static void test_vendor_only_msrs(void **state __unused)
{
	struct msr_features intel = with_bit(INTEL, 1, 0, 32), amd = with_bit(AMD, 1, 0, 32);

	/* IA32_MISC_ENABLE and PLATFORM_INFO are Intel's, SYSCFG/HWCR and the legacy counters AMD's. */
	assert_int_equal(msr_forward_access(0x1A0, &intel), MSR_RW);
	assert_int_equal(msr_forward_access(0xCE, &intel), MSR_R);
	assert_int_equal(msr_forward_access(0x1A0, &amd), 0);
	assert_int_equal(msr_forward_access(0xCE, &amd), 0);
	assert_int_equal(msr_forward_access(0xC0010015, &amd), MSR_R);
	assert_int_equal(msr_forward_access(0xC0010015, &intel), 0);
	/* NB_CFG: Linux sets EnableCF8ExtCfg in it with a plain RDMSR/WRMSR on family 0x10 and later. */
	assert_int_equal(msr_forward_access(0xC001001F, &amd), MSR_RW);
	assert_int_equal(msr_forward_access(0xC001001F, &intel), 0);
	for (uint32_t msr = 0xC0010000; msr <= 0xC0010007; msr++) {
		assert_int_equal(msr_forward_access(msr, &amd), MSR_RW);
		assert_int_equal(msr_forward_access(msr, &intel), 0);
	}
	assert_int_equal(msr_forward_access(0xC0010008, &amd), 0);
	assert_true(amd.amd && !amd.intel && intel.intel && !intel.amd);
}

/* Intel leaf 0xA: only the counters it lists exist. */
static void test_intel_pmu_counters(void **state __unused)
{
	struct fake f = { .n = 0 };
	struct msr_features pmu;

	vendor(&f, INTEL);
	put(&f, 0xA, 2 | 4 << 8 | 48 << 16, 0, 0, 3); /* version 2, 4 GP counters, 3 fixed */
	pmu = features(&f);
	assert_int_equal(pmu.pmu_version, 2);
	for (uint32_t i = 0; i < 8; i++) {
		unsigned int want = i < 4 ? MSR_RW : 0;

		assert_int_equal(msr_forward_access(0xC1 + i, &pmu), want);   /* IA32_PMCi */
		assert_int_equal(msr_forward_access(0x186 + i, &pmu), want);  /* IA32_PERFEVTSELi */
		assert_int_equal(msr_forward_access(0x4C1 + i, &pmu), want);  /* IA32_A_PMCi */
	}
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(msr_forward_access(0x309 + i, &pmu), i < 3 ? MSR_RW : 0); /* fixed */
	assert_int_equal(msr_forward_access(0x38D, &pmu), MSR_RW);
	assert_int_equal(msr_forward_access(0x38E, &pmu), MSR_R);
	assert_int_equal(msr_forward_access(0x38F, &pmu), MSR_RW);
	assert_int_equal(msr_forward_access(0x390, &pmu), MSR_RW);

	/* Version 1: GP counters, but no fixed counters nor global control. */
	f.n = 0;
	vendor(&f, INTEL);
	put(&f, 0xA, 1 | 2 << 8, 0, 0, 3);
	pmu = features(&f);
	assert_int_equal(msr_forward_access(0xC2, &pmu), MSR_RW);
	assert_int_equal(msr_forward_access(0xC3, &pmu), 0);
	assert_int_equal(msr_forward_access(0x309, &pmu), 0);
	assert_int_equal(msr_forward_access(0x38F, &pmu), 0);

	/* No PMU (version 0), or leaf 0xA on an AMD CPU: none of them. */
	f.n = 0;
	vendor(&f, AMD);
	put(&f, 0xA, 2 | 4 << 8, 0, 0, 3);
	pmu = features(&f);
	assert_int_equal(pmu.pmu_version, 0);
	assert_int_equal(msr_forward_access(0xC1, &pmu), 0);
	assert_int_equal(msr_forward_access(0x186, &pmu), 0);
}

/* A PMU the hardware lists but cannot run is hidden in CPUID, and its MSRs go with it. */
static void test_hidden_pmu_takes_its_msrs(void **state __unused)
{
	struct cpuid_policy_config hide = { .hide_arch_pmu = true, .hide_80000001_ecx = 1u << 23 };
	struct fake f = { .n = 0 };
	struct msr_features m;
	uint32_t out[4];
	struct cpuid_guest_state g = { 0 };

	vendor(&f, INTEL);
	put(&f, 0xA, 2 | 4 << 8, 0, 0, 3);
	m = features_cfg(&f, &hide);
	cpuid_policy_lookup(&pol, 0xA, 0, &g, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	assert_int_equal(msr_forward_access(0xC1, &m), 0);
	assert_int_equal(msr_forward_access(0x38F, &m), 0);

	f.n = 0;
	vendor(&f, AMD);
	put(&f, 0x80000001, 0, 0, 1u << 23 | 1u << 24, 0);
	m = features_cfg(&f, &hide);
	cpuid_policy_lookup(&pol, 0x80000001, 0, &g, out);
	assert_int_equal(out[2], 1u << 24);
	assert_int_equal(msr_forward_access(0xC0010200, &m), 0);
	assert_int_equal(msr_forward_access(0xC0010240, &m), MSR_RW);
	assert_int_equal(msr_forward_access(0xC0010000, &m), MSR_RW); /* legacy counters: no CPUID bit */
}

/* Machine check the hardware lists but cannot read: hidden in leaf 1 and AMD's mirror, MSRs too. */
static void test_hidden_mca_takes_its_msrs(void **state __unused)
{
	struct cpuid_policy_config hide = { .hide_1_edx = 1u << 7 | 1u << 14 };
	struct cpuid_guest_state g = { 0 };
	struct fake f = { .n = 0 };
	struct msr_features m;
	uint32_t out[4];

	vendor(&f, AMD);
	put(&f, 1, 0, 0, 0, 1u << 7 | 1u << 14 | 1u << 12);
	put(&f, 0x80000001, 0, 0, 0, 1u << 7 | 1u << 14 | 1u << 12);
	m = features_cfg(&f, &hide);
	cpuid_policy_lookup(&pol, 1, 0, &g, out);
	assert_int_equal(out[3] & (1u << 7 | 1u << 14 | 1u << 12), 1u << 12);
	cpuid_policy_lookup(&pol, 0x80000001, 0, &g, out);
	assert_int_equal(out[3] & (1u << 7 | 1u << 14 | 1u << 12), 1u << 12);
	assert_false(m.mce || m.mca);
	assert_true(m.mtrr);
	assert_int_equal(msr_forward_access(0x179, &m), 0);
	assert_int_equal(msr_forward_access(0x400, &m), 0);
	assert_int_equal(msr_forward_access(0xFE, &m), MSR_R);
}

/* The bits the pass-through table uses, derived the same way. */
static void test_passthrough_features(void **state __unused)
{
	struct msr_features f;

	f = with_bit(INTEL, 7, 3, 26);
	assert_true(f.spec_ctrl && f.pred_cmd && !f.tsc_aux);
	f = with_bit(AMD, 0x80000008, 1, 12);
	assert_true(f.pred_cmd && !f.spec_ctrl);
	f = with_bit(AMD, 0x80000001, 3, 27);
	assert_true(f.tsc_aux);
	f = with_bit(INTEL, 1, 2, 21);
	assert_true(f.x2apic && !f.tsc_deadline);
	f = with_bit(INTEL, 1, 2, 24);
	assert_true(f.tsc_deadline && !f.x2apic);
	f = with_bit(INTEL, 7, 1, 1);
	assert_true(f.tsc_adjust);
}

/* Owned or unknown MSRs are never forwarded, whatever CPUID says. */
static void test_owned_never_forwarded(void **state __unused)
{
	static const uint32_t owned[] = { 0x10, 0x1B, 0x3A, 0x3B, 0x6E0, 0x480, 0x48C, 0x830,
					  0xC0000080, 0xC0010114, 0xC0010117, 0x12345678 };
	struct msr_features all;

	all = (struct msr_features){ true, true, true, true, true, true, true, true, true, true, true, true,
				     true, true, true, true, 2, 8, 4, true, true, true, true };
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		assert_int_equal(msr_forward_access(owned[i], &all), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_feature_brings_its_msrs),
		cmocka_unit_test(test_vendor_only_msrs),
		cmocka_unit_test(test_intel_pmu_counters),
		cmocka_unit_test(test_hidden_pmu_takes_its_msrs),
		cmocka_unit_test(test_hidden_mca_takes_its_msrs),
		cmocka_unit_test(test_passthrough_features),
		cmocka_unit_test(test_owned_never_forwarded),
	};

	return cmocka_run_group_tests_name("msr_forward", tests, NULL, NULL);
}
