/*
 * Host unit tests for vmm/cpuid_policy.c: the XSAVE leaves (0xD) and the CPUID bits that follow the
 * guest's CR4 and XCR0.
 */
#include "cpuid_policy_fixture.h"

static void test_osxsave_ospke_follow_guest(void **state __unused)
{
	/* The Intel host has OSXSAVE and OSPKE set, the AMD host only OSXSAVE: neither matters. */
	struct fake_cpu *cpus[] = { &intel, &amd };

	for (size_t i = 0; i < ARRAY_SIZE(cpus); i++) {
		const struct cpuid_policy *p = build(cpus[i]);

		for (unsigned int m = 0; m < 4; m++) {
			struct cpuid_guest_state g = {
				.cr4 = ((m & 1) ? CR4_OSXSAVE : 0) | ((m & 2) ? CR4_PKE : 0) |
				       0x20 /* PAE */,
				.xcr0 = 3,
			};
			struct regs r1 = q(p, 1, 0, &g), r7 = q(p, 7, 0, &g);

			assert_int_equal(!!(r1.c & BIT(27)), !!(m & 1));
			assert_int_equal(!!(r7.c & BIT(4)), !!(m & 2));
			/* Nothing else moves. */
			assert_int_equal(r1.c & ~BIT(27), q(p, 1, 0, &g_reset).c & ~BIT(27));
			assert_int_equal(r7.c & ~BIT(4), q(p, 7, 0, &g_reset).c & ~BIT(4));
			assert_true(r7.c & CPUID_7_0_ECX_PKU);
		}
		/* OSPKE lives in subleaf 0 only. */
		struct cpuid_guest_state pke = { .cr4 = CR4_PKE };
		assert_int_equal(q(p, 7, 1, &pke).c, 0);
	}
}

static void test_xsave_intel(void **state __unused)
{
	const struct cpuid_policy *p = build(&intel);
	static const struct {
		uint64_t xcr0;
		uint32_t standard, compacted;
	} sizes[] = {
		{ 0, 576, 576 },                 /* read as the reset value, x87 */
		{ XCR0_X87, 576, 576 },
		{ XCR0_X87 | XCR0_SSE, 576, 576 },
		{ 0x7, 832, 832 },
		{ 0xE7, 2688, 2432 },
		{ 0x2E7, 2696, 2440 },
		{ 0x207, 2696, 840 },
		{ 0x60007, 11008, 832 + 64 /* 896 aligned */ + 8192 },
		{ INTEL_XCR0, 11008, 10752 },
		{ INTEL_XCR0 | XCR0_MPX | (1ULL << 40), 11008, 10752 }, /* not allowed: ignored */
	};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = sizes[i].xcr0 };

		expect_regs(q(p, 0xD, 0, &g), INTEL_XCR0, sizes[i].standard, 11008, 0);
		/* XSAVES offered but no IA32_XSS bits by default. */
		expect_regs(q(p, 0xD, 1, &g), 0x1F, sizes[i].compacted, 0, 0);
	}
	/* Components: the allowed ones as the host has them, the rest zero. */
	expect_regs(q(p, 0xD, 2, &g_reset), 256, 576, 0, 0);
	expect_regs(q(p, 0xD, 7, &g_reset), 1024, 1664, 0, 0);
	expect_regs(q(p, 0xD, 18, &g_reset), 8192, 2816, 6, 0);
	expect_regs(q(p, 0xD, 3, &g_reset), 0, 0, 0, 0);  /* MPX: host has none */
	expect_regs(q(p, 0xD, 8, &g_reset), 0, 0, 0, 0);  /* PT: supervisor, not allowed */
	expect_regs(q(p, 0xD, 11, &g_reset), 0, 0, 0, 0); /* CET_U: supervisor, not allowed */
	expect_regs(q(p, 0xD, 63, &g_reset), 0, 0, 0, 0);
	expect_regs(q(p, 0xD, 64, &g_reset), 0, 0, 0, 0);
	/* The host's own XCR0-dependent EBX never leaks. */
	assert_int_not_equal(q(p, 0xD, 0, &g_reset).b, 0xA88);
	/* Feature flags stay: everything they need is allowed. */
	assert_int_equal(q(p, 1, 0, &g_reset).c & (BIT(26) | BIT(28)), BIT(26) | BIT(28));
	assert_int_equal(q(p, 7, 0, &g_reset).b, INTEL_7_EBX);
	assert_int_equal(q(p, 7, 0, &g_reset).d, INTEL_7_EDX);
}

static void test_xsave_amd(void **state __unused)
{
	const struct cpuid_policy *p = build(&amd);
	struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = AMD_XCR0 };

	expect_regs(q(p, 0xD, 0, &g), AMD_XCR0, 2440, 2440, 0);
	expect_regs(q(p, 0xD, 1, &g), 0xF, 2440, 0, 0);
	g.xcr0 = 0xE7;
	expect_regs(q(p, 0xD, 0, &g), AMD_XCR0, 2432, 2440, 0);
	g.xcr0 = 0x7;
	expect_regs(q(p, 0xD, 0, &g), AMD_XCR0, 832, 2440, 0);
	expect_regs(q(p, 0xD, 9, &g), 8, 2432, 0, 0);
	expect_regs(q(p, 0xD, 17, &g), 0, 0, 0, 0); /* no AMX on this host */
}

static void test_xsave_restricted(void **state __unused)
{
	struct cpuid_policy_config cfg = base_cfg();
	const struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = INTEL_XCR0 };
	const struct cpuid_policy *p;
	struct regs r;

	/* AVX but no AVX-512, PKRU or AMX. */
	cfg.xcr0_allowed = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	p = build_with(&intel, &cfg);
	expect_regs(q(p, 0xD, 0, &g), 0x7, 832, 832, 0);
	expect_regs(q(p, 0xD, 1, &g), 0x1F, 832, 0, 0);
	expect_regs(q(p, 0xD, 2, &g), 256, 576, 0, 0);
	for (uint32_t s = 3; s < 64; s++)
		expect_regs(q(p, 0xD, s, &g), 0, 0, 0, 0);
	/* The hidden components are never even asked for. */
	assert_false(was_queried(&intel, 0xD, 5));
	assert_false(was_queried(&intel, 0xD, 18));

	/* Flags whose state the guest cannot enable are gone; the others stay. */
	r = q(p, 7, 0, &g);
	assert_int_equal(r.b, INTEL_7_EBX & ~CPUID_7_0_EBX_AVX512);
	assert_true(r.b & CPUID_7_0_EBX_AVX2);
	assert_int_equal(r.c & ~CPUID_7_0_ECX_OSPKE,
			 INTEL_7_ECX & ~(CPUID_7_0_ECX_AVX512 | CPUID_7_0_ECX_PKU | CPUID_7_0_ECX_OSPKE));
	assert_int_equal(r.d, INTEL_7_EDX & ~(CPUID_7_0_EDX_AVX512 | CPUID_7_0_EDX_AMX));
	assert_int_equal(q(p, 7, 1, &g).a, INTEL_7_1_EAX & ~CPUID_7_1_EAX_AVX512_BF16);
	assert_int_equal(q(p, 1, 0, &g).c & (BIT(26) | BIT(28) | BIT(12) | BIT(29)),
			 BIT(26) | BIT(28) | BIT(12) | BIT(29));

	/* Only x87 and SSE: AVX and everything built on it go too. */
	cfg.xcr0_allowed = XCR0_X87 | XCR0_SSE;
	p = build_with(&intel, &cfg);
	expect_regs(q(p, 0xD, 0, &g), 0x3, 576, 576, 0);
	r = q(p, 1, 0, &g);
	assert_true(r.c & CPUID_1_ECX_XSAVE);
	assert_false(r.c & (CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C));
	r = q(p, 7, 0, &g);
	assert_false(r.b & CPUID_7_0_EBX_AVX2);
	assert_false(r.c & (CPUID_7_0_ECX_VAES | CPUID_7_0_ECX_VPCLMULQDQ));
	assert_int_equal(q(p, 7, 1, &g).a, 0);

	/* Bits the host lacks are dropped, not offered. */
	cfg.xcr0_allowed = XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX;
	p = build_with(&intel, &cfg);
	assert_int_equal(q(p, 0xD, 0, &g).a, 0x7);
}

static void test_xss(void **state __unused)
{
	struct cpuid_policy_config cfg = base_cfg();
	struct cpuid_guest_state g = { .cr4 = CR4_OSXSAVE, .xcr0 = 0x2E7, .xss = 1ULL << 11 };
	const struct cpuid_policy *p;

	/* CET_U and CET_S requested; bit 13 (HDC) and a user bit are not the host's XSS. */
	cfg.xss_allowed = (1ULL << 11) | (1ULL << 12) | (1ULL << 13) | XCR0_AVX;
	p = build_with(&intel, &cfg);
	expect_regs(q(p, 0xD, 1, &g), 0x1F, 2440 + 16, 0x1800, 0);
	expect_regs(q(p, 0xD, 11, &g), 16, 0, 1, 0);
	expect_regs(q(p, 0xD, 12, &g), 24, 0, 1, 0);
	expect_regs(q(p, 0xD, 8, &g), 0, 0, 0, 0);
	/* Supervisor state never counts in the standard format (XSAVE/XCR0). */
	assert_int_equal(q(p, 0xD, 0, &g).b, 2696);
	/* XSS bits the guest set but may not have are ignored. */
	g.xss = (1ULL << 8) | (1ULL << 12);
	assert_int_equal(q(p, 0xD, 1, &g).b, 2440 + 24);

	/* hide_xsaves: no XSAVES, no XSS, XSAVEC sizes for XCR0 only. */
	cfg.hide_xsaves = true;
	p = build_with(&intel, &cfg);
	expect_regs(q(p, 0xD, 1, &g), 0x1F & ~CPUID_D_1_EAX_XSAVES, 2440, 0, 0);
	expect_regs(q(p, 0xD, 11, &g), 0, 0, 0, 0);

	/* Neither XSAVEC nor XSAVES: no compacted size. */
	static const struct fake_leaf plain[] = {
		{ 0x0, ANY, { 0xD, INTEL_VENDOR } },
		{ 0x1, ANY, { 0, 0, BIT(26) | BIT(28), 0 } },
		{ 0xD, 0, { 0x7, 0x340, 0x340, 0 } },
		{ 0xD, 1, { 0x1, 0x340, 0, 0 } }, /* XSAVEOPT only */
		{ 0xD, 2, { 256, 576, 0, 0 } },
	};
	struct fake_cpu cpu = FAKE(plain);

	p = build(&cpu);
	g.xcr0 = 7;
	expect_regs(q(p, 0xD, 0, &g), 0x7, 832, 832, 0);
	expect_regs(q(p, 0xD, 1, &g), 0x1, 0, 0, 0);
}

static void test_no_xsave(void **state __unused)
{
	struct cpuid_policy_config cfg = base_cfg();
	const struct cpuid_guest_state g = { .xcr0 = 7 };
	const struct cpuid_policy *p;
	struct regs r;

	/* The policy offers none... */
	cfg.xcr0_allowed = 0;
	p = build_with(&intel, &cfg);
	r = q(p, 1, 0, &g);
	assert_false(r.c & (CPUID_1_ECX_XSAVE | CPUID_1_ECX_AVX));
	for (uint32_t s = 0; s < 64; s++)
		expect_regs(q(p, 0xD, s, &g), 0, 0, 0, 0);
	assert_false(q(p, 7, 0, &g).c & CPUID_7_0_ECX_PKU);

	/* ...or the host has none (leaf 1 ECX[26] clear: leaf 0xD is not even read). */
	static const struct fake_leaf old[] = {
		{ 0x0, ANY, { 0xD, INTEL_VENDOR } },
		{ 0x1, ANY, { 0, 0, 0x1, 0 } },
		{ 0xD, ANY, { 0xBAD, 0xBAD, 0xBAD, 0xBAD } },
	};
	struct fake_cpu cpu = FAKE(old);

	p = build(&cpu);
	expect_regs(q(p, 0xD, 0, &g), 0, 0, 0, 0);
	expect_regs(q(p, 0xD, 2, &g), 0, 0, 0, 0);
	assert_false(was_queried(&cpu, 0xD, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_osxsave_ospke_follow_guest),
		cmocka_unit_test(test_xsave_intel),
		cmocka_unit_test(test_xsave_amd),
		cmocka_unit_test(test_xsave_restricted),
		cmocka_unit_test(test_xss),
		cmocka_unit_test(test_no_xsave),
	};

	return cmocka_run_group_tests_name("cpuid_policy_xsave", tests, NULL, NULL);
}
