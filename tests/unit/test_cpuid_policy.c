/*
 * Host unit tests for vmm/cpuid_policy.c against hand-written Intel-like and AMD-like CPUs: leaf
 * ranges, the hypervisor leaves, APIC IDs, subleaves, capacity and fixed leaves. The XSAVE leaves
 * are in test_cpuid_policy_xsave.c.
 */
#include "cpuid_policy_fixture.h"

static void test_max_leaves(void **state __unused)
{
	static const struct fake_leaf big[] = {
		{ 0x0, ANY, { 0x30, AMD_VENDOR } },
		{ 0x80000000, ANY, { 0x80000040, 0, 0, 0 } },
	};
	static const struct fake_leaf no_ext[] = {
		{ 0x0, ANY, { 0x7, AMD_VENDOR } },
		{ 0x80000000, ANY, { 0x7, 0, 0, 0 } },
	};
	struct fake_cpu big_cpu = FAKE(big), no_ext_cpu = FAKE(no_ext);
	const struct cpuid_policy *p;

	p = build(&intel);
	expect_regs(q(p, 0, 0, &g_reset), 0x20, INTEL_VENDOR);
	assert_int_equal(q(p, 0x80000000, 0, &g_reset).a, 0x80000008);

	p = build(&amd);
	expect_regs(q(p, 0, 0, &g_reset), 0x10, AMD_VENDOR);
	expect_regs(q(p, 0x80000000, 0, &g_reset), CPUID_EXT_MAX, AMD_VENDOR);

	p = build(&big_cpu);
	assert_int_equal(q(p, 0, 0, &g_reset).a, CPUID_BASIC_MAX);
	assert_int_equal(q(p, 0x80000000, 0, &g_reset).a, CPUID_EXT_MAX);
	assert_false(was_queried(&big_cpu, CPUID_BASIC_MAX + 1, 0));
	assert_false(was_queried(&big_cpu, CPUID_EXT_MAX + 1, 0));

	/* No extended range at all: 0x80000000 is out of range (zeros on a non-Intel host). */
	p = build(&no_ext_cpu);
	expect_regs(q(p, 0x80000000, 0, &g_reset), 0, 0, 0, 0);
	assert_false(was_queried(&no_ext_cpu, 0x80000001, 0));
}

static void test_hypervisor_vmx_svm(void **state __unused)
{
	const struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = 3, .apic_id = 7 };
	const struct cpuid_policy *p;
	struct regs r;

	p = build(&intel);
	r = q(p, 1, 0, &g);
	assert_true(r.c & BIT(31));
	assert_false(r.c & BIT(5));
	assert_int_equal(r.c, (INTEL_1_ECX | BIT(31)) & ~BIT(5));
	assert_int_equal(r.d, 0xBFEBFBFF);
	assert_int_equal(r.a, 0x000806F8);

	p = build(&amd);
	r = q(p, 1, 0, &g);
	assert_int_equal(r.c, AMD_1_ECX | BIT(31));
	r = q(p, 0x80000001, 0, &g);
	assert_false(r.c & BIT(2));
	expect_regs(r, 0x00A10F11, 0x40000000, AMD_80000001_ECX & ~BIT(2), 0x2FD3FBFF);
	expect_regs(q(p, 0x8000000A, 0, &g), 0, 0, 0, 0);
	/* No memory encryption for the guest: Linux would read MSR_AMD64_SEV, which is not offered. */
	expect_regs(q(p, 0x8000001F, 0, &g), 0, 0, 0, 0);
}

static void test_hypervisor_leaves(void **state __unused)
{
	struct fake_cpu *cpus[] = { &intel, &amd };

	for (size_t i = 0; i < ARRAY_SIZE(cpus); i++) {
		const struct cpuid_policy *p = build(cpus[i]);
		struct regs r = q(p, 0x40000000, 0, &g_reset);
		uint32_t sig[3] = { r.b, r.c, r.d };

		assert_int_equal(r.a, 0x40000001);
		assert_memory_equal(sig, "hvHVhv01hv02", 12); /* EBX, ECX, EDX */
		assert_int_equal(r.b, 0x56487668);           /* 'h' 'v' 'H' 'V', little-endian */
		expect_regs(q(p, 0x40000001, 0, &g_reset), 0x00010002, 0x5, 0, 0);
		expect_regs(q(p, 0x40000001, 9, &g_reset), 0x00010002, 0x5, 0, 0);
		expect_regs(q(p, 0x40000002, 0, &g_reset), 0, 0, 0, 0);
		expect_regs(q(p, 0x400000FF, 0, &g_reset), 0, 0, 0, 0);
		expect_regs(q(p, 0x40000100, 0, &g_reset), 0, 0, 0, 0);
		expect_regs(q(p, 0x4FFFFFFF, 0, &g_reset), 0, 0, 0, 0);
		/* The hypervisor range is never asked of the real CPU. */
		assert_false(was_queried(cpus[i], 0x40000000, 0));
	}
}

static void test_apic_id(void **state __unused)
{
	const struct cpuid_guest_state g = { .apic_id = 0x1234 };
	const struct cpuid_guest_state g5 = { .apic_id = 5 };
	const struct cpuid_policy *p;
	struct regs r;

	p = build(&intel);
	r = q(p, 1, 0, &g);
	assert_int_equal(r.b, 0x34000000 | (INTEL_1_EBX & 0x00FFFFFF));
	assert_int_equal(q(p, 1, 0, &g5).b, 0x05000000 | (INTEL_1_EBX & 0x00FFFFFF));
	/* Every level of 0xB and 0x1F, cached or past the last one. */
	expect_regs(q(p, 0xB, 0, &g), 1, 2, 0x100, 0x1234);
	expect_regs(q(p, 0xB, 1, &g), 7, 0x60, 0x201, 0x1234);
	expect_regs(q(p, 0xB, 2, &g), 0, 0, 2, 0x1234);
	expect_regs(q(p, 0xB, 3, &g), 0, 0, 3, 0x1234); /* synthesized, not the host's 0xBAD */
	expect_regs(q(p, 0xB, 0x1FF, &g), 0, 0, 0xFF, 0x1234);
	expect_regs(q(p, 0x1F, 1, &g5), 7, 0x60, 0x201, 5);
	expect_regs(q(p, 0x1F, 2, &g5), 0, 0, 2, 5);
	expect_regs(q(p, 0x1F, 40, &g5), 0, 0, 40, 5);

	p = build(&amd);
	r = q(p, 1, 0, &g5);
	assert_int_equal(r.b, 0x05000000 | (AMD_1_EBX & 0x00FFFFFF));
	expect_regs(q(p, 0xB, 1, &g5), 7, 0x20, 0x201, 5);
	expect_regs(q(p, 0x8000001E, 0, &g), 0x1234, 0x105, 0, 0);
	expect_regs(q(p, 0x8000001E, 0, &g5), 5, 0x105, 0, 0);
}

static void test_topology_leaf_absent(void **state __unused)
{
	/* Leaf 0xB exists in range but is not implemented (EBX = 0): no APIC ID is invented. */
	static const struct fake_leaf old[] = {
		{ 0x0, ANY, { 0xD, AMD_VENDOR } },
		{ 0x1, ANY, { 0x00100F42, 0x03040800, 0x00802009, 0x178BFBFF } },
	};
	struct fake_cpu cpu = FAKE(old);
	const struct cpuid_guest_state g = { .apic_id = 3 };
	const struct cpuid_policy *p = build(&cpu);

	expect_regs(q(p, 0xB, 0, &g), 0, 0, 0, 0);
	expect_regs(q(p, 0xB, 1, &g), 0, 0, 0, 0);
	assert_int_equal(q(p, 1, 0, &g).b, 0x03040800);
	/* Nor 0x8000001E when the extended range stops below it. */
	expect_regs(q(p, 0x8000001E, 0, &g), 0, 0, 0, 0);
}

static void test_bad_args(void **state __unused)
{
	struct cpuid_policy_config cfg = base_cfg();

	assert_int_equal(cpuid_policy_build(NULL, fake_cpuid, &intel, &cfg), -E_INVAL);
	assert_int_equal(cpuid_policy_build(&pol, NULL, &intel, &cfg), -E_INVAL);
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &intel, NULL), -E_INVAL);
	/* An allowed mask that is no valid XCR0 on this host. */
	cfg.xcr0_allowed = XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK;
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &intel, &cfg), -E_INVAL);
	cfg.xcr0_allowed = XCR0_SSE | XCR0_AVX;
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &intel, &cfg), -E_INVAL);
	cfg.xcr0_allowed = XCR0_X87 | XCR0_XTILEDATA;
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &intel, &cfg), -E_INVAL);
	/* Fine once intersected with the host: the AMD host has no AMX, so neither bit remains. */
	cfg.xcr0_allowed = XCR0_X87 | XCR0_SSE | XCR0_XTILEDATA;
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &amd, &cfg), 0);
}

static void test_subleaf_enumeration(void **state __unused)
{
	const struct cpuid_policy *p;

	p = build(&intel);
	/* Leaf 4: until cache type 0, terminator included, nothing after it. */
	expect_regs(q(p, 4, 3, &g_reset), 0x1C03C163, 0x03C0003F, 0xDFFF, 4);
	expect_regs(q(p, 4, 4, &g_reset), 0, 0, 0, 0);
	expect_regs(q(p, 4, 5, &g_reset), 0, 0, 0, 0);
	assert_true(was_queried(&intel, 4, 4));
	assert_false(was_queried(&intel, 4, 5));
	/* Leaf 7: up to 7.0 EAX. */
	expect_regs(q(p, 7, 2, &g_reset), 0, 0, 0, 0x17);
	expect_regs(q(p, 7, 3, &g_reset), 0, 0, 0, 0);
	assert_false(was_queried(&intel, 7, 3));
	/* Leaf 0xB: until level type 0. */
	assert_false(was_queried(&intel, 0xB, 3));
	/* Leaf 0x10: the subleaves named in the bitmap of 0x10.0 EBX only. */
	expect_regs(q(p, 0x10, 1, &g_reset), 0xA, 0x600, 4, 0xF);
	expect_regs(q(p, 0x10, 2, &g_reset), 0, 0, 0, 0);
	expect_regs(q(p, 0x10, 3, &g_reset), 0x77, 0, 4, 7);
	assert_false(was_queried(&intel, 0x10, 2));
	/* Leaf 0x14: up to 0x14.0 EAX. */
	expect_regs(q(p, 0x14, 1, &g_reset), 0x02490002, 0x003F3FFF, 0, 0);
	expect_regs(q(p, 0x14, 2, &g_reset), 0, 0, 0, 0);
	/* Leaves without subleaves ignore ECX. */
	expect_regs(q(p, 6, 0, &g_reset), 4, 0, 0, 0);
	expect_regs(q(p, 6, 0x55, &g_reset), 4, 0, 0, 0);
	assert_int_equal(q(p, 1, 9, &g_reset).c, q(p, 1, 0, &g_reset).c);
	expect_regs(q(p, 0x80000008, 3, &g_reset), 0x3934, 0x200, 0, 0);
	assert_false(was_queried(&intel, 6, 1));

	p = build(&amd);
	/* AMD cache topology: until cache type 0. */
	expect_regs(q(p, 0x8000001D, 3, &g_reset), 0x3C163, 0x03C0003F, 0x7FFF, 1);
	expect_regs(q(p, 0x8000001D, 5, &g_reset), 0, 0, 0, 0);
	assert_false(was_queried(&amd, 0x8000001D, 5));
	/* AMD platform QoS: bitmap in 0x80000020.0 EBX. */
	expect_regs(q(p, 0x80000020, 1, &g_reset), 0xB, 0, 0, 0);
	expect_regs(q(p, 0x80000020, 2, &g_reset), 0, 0, 0, 0);
}

static void test_subleaf_cap(void **state __unused)
{
	/* A leaf 4 that never reports "no more caches" (a broken lower hypervisor). */
	static const struct fake_leaf runaway[] = {
		{ 0x0, ANY, { 0x7, INTEL_VENDOR } },
		{ 0x4, ANY, { 0x1C004121, 1, 2, 3 } },
		{ 0x7, 0, { 0xFFFFFFFF, 0, 0, 0 } },
		{ 0x7, ANY, { 9, 9, 9, 9 } },
	};
	struct fake_cpu cpu = FAKE(runaway);
	const struct cpuid_policy *p = build(&cpu);

	expect_regs(q(p, 4, CPUID_SUBLEAF_MAX - 1, &g_reset), 0x1C004121, 1, 2, 3);
	expect_regs(q(p, 4, CPUID_SUBLEAF_MAX, &g_reset), 0, 0, 0, 0);
	assert_false(was_queried(&cpu, 4, CPUID_SUBLEAF_MAX));
	expect_regs(q(p, 7, CPUID_SUBLEAF_MAX - 1, &g_reset), 9, 9, 9, 9);
	expect_regs(q(p, 7, CPUID_SUBLEAF_MAX, &g_reset), 0, 0, 0, 0);
	assert_false(was_queried(&cpu, 7, CPUID_SUBLEAF_MAX));
}

static void test_capacity(void **state __unused)
{
	/* Five runaway leaves of 64 subleaves each: more than the table holds. */
	static const struct fake_leaf huge[] = {
		{ 0x0, ANY, { 0x1F, INTEL_VENDOR } },
		{ 0x4, ANY, { 0x1C004121, 1, 2, 3 } },
		{ 0x7, ANY, { 0xFFFFFFFF, 0, 0, 0 } },
		{ 0xB, ANY, { 1, 2, 0x100, 0 } },
		{ 0x1F, ANY, { 1, 2, 0x100, 0 } },
		{ 0x14, ANY, { 0xFFFFFFFF, 0, 0, 0 } },
	};
	struct fake_cpu cpu = FAKE(huge);
	struct cpuid_policy_config cfg = base_cfg();

	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &cpu, &cfg), -E_NOMEM);
	assert_true(cpu.nr_calls < 400); /* stopped when full, no endless enumeration */

	/* Four fit (4 * 64 + the rest would not, so drop two). */
	static const struct fake_leaf fits[] = {
		{ 0x0, ANY, { 0x1F, INTEL_VENDOR } },
		{ 0x4, ANY, { 0x1C004121, 1, 2, 3 } },
		{ 0x7, ANY, { 0xFFFFFFFF, 0, 0, 0 } },
		{ 0xB, ANY, { 1, 2, 0x100, 0 } },
	};
	struct fake_cpu cpu2 = FAKE(fits);

	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, &cpu2, &cfg), 0);
	assert_true(pol.nr <= CPUID_POLICY_CAPACITY);
}

static void test_out_of_range(void **state __unused)
{
	const struct cpuid_guest_state g = { .apic_id = 9 };
	const struct cpuid_policy *p;

	/* Intel: the highest basic leaf (0x20 here), policy included. */
	p = build(&intel);
	expect_regs(q(p, 0x21, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x24, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x3FFFFFFF, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x50000000, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x80000009, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x8000001E, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0xFFFFFFFF, 0, &g), 0, 1, 0, 0);
	expect_regs(q(p, 0x20, 0, &g), 0, 1, 0, 0);

	/* An Intel host whose highest leaf is 0xB: the answer is 0xB's, with its APIC ID. */
	static const struct fake_leaf short_intel[] = {
		{ 0x0, ANY, { 0xB, INTEL_VENDOR } },
		{ 0x1, ANY, { 0, 0, BIT(5), 0 } },
		{ 0xB, 0, { 1, 2, 0x100, 0x77 } },
		{ 0xB, 1, { 4, 8, 0x201, 0x77 } },
		{ 0x80000000, ANY, { 0x80000001, 0, 0, 0 } },
	};
	struct fake_cpu cpu = FAKE(short_intel);

	p = build(&cpu);
	expect_regs(q(p, 0xC, 1, &g), 4, 8, 0x201, 9);
	expect_regs(q(p, 0x80000002, 0, &g), 1, 2, 0x100, 9);
	expect_regs(q(p, 0xD, 5, &g), 0, 0, 5, 9);
	expect_regs(q(p, 0x40000000, 0, &g), 0x40000001, 0x56487668, 0x31307668, 0x32307668);

	/* AMD: zeros. */
	p = build(&amd);
	expect_regs(q(p, 0x11, 0, &g), 0, 0, 0, 0);
	expect_regs(q(p, 0x80000022, 0, &g), 0, 0, 0, 0);
	expect_regs(q(p, 0xC0000000, 0, &g), 0, 0, 0, 0);
	expect_regs(q(p, 0xFFFFFFFF, 0, &g), 0, 0, 0, 0);
	assert_false(was_queried(&amd, 0x80000022, 0));
}

static void test_passthrough(void **state __unused)
{
	const struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = 7, .apic_id = 1 };
	const struct cpuid_policy *p;

	p = build(&intel);
	expect_regs(q(p, 4, 2, &g), 0x1C004143, 0x03C0003F, 0x7FF, 0);
	expect_regs(q(p, 0x80000006, 0, &g), 0, 0, 0x08007040, 0);
	expect_regs(q(p, 0x80000001, 0, &g), 0, 0, 0x121, 0x2C100800);
	expect_regs(q(p, 0x2, 0, &g), 0, 0, 0, 0); /* the host's zeros */

	p = build(&amd);
	expect_regs(q(p, 0x80000021, 0, &g), 0x62FCF, 0x15C, 0, 0);
	expect_regs(q(p, 0x80000008, 0, &g), 0x3030, 0x791EF257, 0x400F, 0x10000);
	assert_int_equal(q(p, 7, 0, &g).b, AMD_7_EBX);
	assert_int_equal(q(p, 7, 0, &g).d, BIT(4));
}

/* Every leaf served as fixed gives the lookup's answer, for any subleaf and any vCPU state. */
static void expect_fixed_matches_lookup(const struct cpuid_policy *p, uint32_t leaf)
{
	static const struct cpuid_guest_state states[] = {
		{ .cr4 = 0, .xcr0 = XCR0_X87, .apic_id = 0 },
		{ .cr4 = ~0ULL, .xcr0 = ~0ULL, .xss = ~0ULL, .apic_id = 0x1234567, .apic_disabled = true },
	};
	const uint32_t *fixed = cpuid_policy_fixed(p, leaf);

	if (!fixed)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		for (uint32_t subleaf = 0; subleaf < 4; subleaf++)
			expect_regs(q(p, leaf, subleaf, &states[i]), fixed[0], fixed[1], fixed[2], fixed[3]);
}

static void test_fixed_leaves(void **state __unused)
{
	struct fake_cpu *cpus[] = { &intel, &amd };

	for (size_t i = 0; i < ARRAY_SIZE(cpus); i++) {
		const struct cpuid_policy *p = build(cpus[i]);
		unsigned int fixed = 0;

		for (uint32_t leaf = 0; leaf <= CPUID_BASIC_MAX + 1; leaf++) {
			expect_fixed_matches_lookup(p, leaf);
			fixed += cpuid_policy_fixed(p, leaf) != NULL;
		}
		for (uint32_t leaf = CPUID_EXT_BASE; leaf <= CPUID_EXT_MAX + 1; leaf++) {
			expect_fixed_matches_lookup(p, leaf);
			fixed += cpuid_policy_fixed(p, leaf) != NULL;
		}
		assert_true(fixed > 0);
		/* Leaf 0 is fixed; what depends on the vCPU or the subleaf never is. */
		assert_non_null(cpuid_policy_fixed(p, 0));
		assert_non_null(cpuid_policy_fixed(p, CPUID_EXT_BASE));
		assert_null(cpuid_policy_fixed(p, 1));
		assert_null(cpuid_policy_fixed(p, 4));
		assert_null(cpuid_policy_fixed(p, 7));
		assert_null(cpuid_policy_fixed(p, 0xD));
		assert_null(cpuid_policy_fixed(p, 0x80000001));
		/* Basic leaves above the cached maximum are never fixed, up to where the fast mask ends. */
		for (uint32_t leaf = p->max_basic + 1; leaf < 64; leaf++)
			assert_null(cpuid_policy_fixed(p, leaf));
		/* Outside the cached ranges (Intel answers with the highest basic leaf): the lookup decides. */
		assert_null(cpuid_policy_fixed(p, CPUID_HV_BASE));
		assert_null(cpuid_policy_fixed(p, 0x12345678));
		assert_null(cpuid_policy_fixed(p, 0xFFFFFFFF));
	}
}

static void test_rebuild_is_deterministic(void **state __unused)
{
	static struct cpuid_policy first;

	build(&amd);
	memcpy(&first, &pol, sizeof(pol));
	build(&amd);
	assert_memory_equal(&first, &pol, sizeof(pol));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_leaves),
		cmocka_unit_test(test_hypervisor_vmx_svm),
		cmocka_unit_test(test_hypervisor_leaves),
		cmocka_unit_test(test_apic_id),
		cmocka_unit_test(test_topology_leaf_absent),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_subleaf_enumeration),
		cmocka_unit_test(test_subleaf_cap),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_fixed_leaves),
		cmocka_unit_test(test_rebuild_is_deterministic),
	};

	return cmocka_run_group_tests_name("cpuid_policy", tests, NULL, NULL);
}
