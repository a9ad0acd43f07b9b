/* Host unit tests for vmm/xcr0.c: the XSETBV rules, one row per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../vmm/xcr0.c"

/* Everything a recent Intel server CPU has: x87 SSE AVX AVX-512 PKRU AMX, no MPX. */
#define HOST_INTEL (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | XCR0_PKRU | XCR0_AMX)
#define ALL_DEFINED XCR0_DEFINED

struct xcr0_case {
	uint64_t value, allowed;
	int expect;
	const char *why;
};

static const struct xcr0_case cases[] = {
	/* x87 */
	{ XCR0_X87, HOST_INTEL, 0, "x87 only (reset value)" },
	{ 0, HOST_INTEL, -E_INVAL, "zero: x87 clear" },
	{ XCR0_SSE, HOST_INTEL, -E_INVAL, "SSE without x87" },
	{ XCR0_SSE | XCR0_AVX, HOST_INTEL, -E_INVAL, "AVX+SSE without x87" },
	{ XCR0_X87 | XCR0_SSE, HOST_INTEL, 0, "x87+SSE" },
	/* AVX needs SSE */
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX, HOST_INTEL, 0, "x87+SSE+AVX" },
	{ XCR0_X87 | XCR0_AVX, HOST_INTEL, -E_INVAL, "AVX without SSE" },
	/* AVX-512: all or none, and only with AVX */
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512, HOST_INTEL, 0, "AVX-512 complete" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK, HOST_INTEL, -E_INVAL, "opmask alone" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_ZMM_HI256, HOST_INTEL, -E_INVAL, "ZMM_Hi256 alone" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_HI16_ZMM, HOST_INTEL, -E_INVAL, "Hi16_ZMM alone" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256, HOST_INTEL, -E_INVAL,
	  "AVX-512 missing Hi16_ZMM" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_ZMM_HI256 | XCR0_HI16_ZMM, HOST_INTEL, -E_INVAL,
	  "AVX-512 missing opmask" },
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX512, HOST_INTEL, -E_INVAL, "AVX-512 without AVX" },
	{ XCR0_X87 | XCR0_AVX512, HOST_INTEL, -E_INVAL, "AVX-512 without SSE and AVX" },
	/* MPX: both or neither */
	{ XCR0_X87 | XCR0_SSE | XCR0_MPX, ALL_DEFINED, 0, "MPX complete" },
	{ XCR0_X87 | XCR0_SSE | XCR0_BNDREGS, ALL_DEFINED, -E_INVAL, "BNDREGS alone" },
	{ XCR0_X87 | XCR0_SSE | XCR0_BNDCSR, ALL_DEFINED, -E_INVAL, "BNDCSR alone" },
	/* AMX: both or neither */
	{ XCR0_X87 | XCR0_SSE | XCR0_AMX, HOST_INTEL, 0, "AMX complete" },
	{ XCR0_X87 | XCR0_SSE | XCR0_XTILECFG, HOST_INTEL, -E_INVAL, "XTILECFG alone" },
	{ XCR0_X87 | XCR0_SSE | XCR0_XTILEDATA, HOST_INTEL, -E_INVAL, "XTILEDATA alone" },
	/* PKRU on its own is fine */
	{ XCR0_X87 | XCR0_PKRU, HOST_INTEL, 0, "PKRU" },
	{ HOST_INTEL, HOST_INTEL, 0, "everything the host has" },
	/* Outside allowed */
	{ XCR0_X87 | XCR0_SSE | XCR0_AVX, XCR0_X87 | XCR0_SSE, -E_INVAL, "AVX not allowed" },
	{ XCR0_X87 | XCR0_SSE | XCR0_MPX, HOST_INTEL, -E_INVAL, "MPX not allowed" },
	{ XCR0_X87 | XCR0_PKRU, XCR0_X87 | XCR0_SSE | XCR0_AVX, -E_INVAL, "PKRU not allowed" },
	{ XCR0_X87, 0, -E_INVAL, "nothing allowed" },
	/* Reserved, even when "allowed" says otherwise */
	{ XCR0_X87 | (1ULL << 63), ~0ULL, -E_INVAL, "bit 63" },
	{ XCR0_X87 | (1ULL << 8), ~0ULL, -E_INVAL, "bit 8 (PT, supervisor)" },
	{ XCR0_X87 | (1ULL << 11), ~0ULL, -E_INVAL, "bit 11 (CET_U, supervisor)" },
	{ XCR0_X87 | (1ULL << 12), ~0ULL, -E_INVAL, "bit 12 (CET_S, supervisor)" },
	{ XCR0_X87 | (1ULL << 16), ~0ULL, -E_INVAL, "bit 16 (HWP, supervisor)" },
	{ XCR0_X87 | (1ULL << 20), ~0ULL, -E_INVAL, "bit 20" },
	{ XCR0_X87 | (1ULL << 32), ~0ULL, -E_INVAL, "bit 32" },
	{ XCR0_X87 | (1ULL << 61), ~0ULL, -E_INVAL, "bit 61" },
	/* Defined bits outside the guest policy pass the rules when the caller allows them. */
	{ XCR0_X87 | XCR0_APX, ~0ULL, 0, "APX when allowed" },
	{ XCR0_X87 | XCR0_LWP, ~0ULL, 0, "LWP when allowed" },
};

static void test_check_table(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = xcr0_check(cases[i].value, cases[i].allowed);

		if (got != cases[i].expect)
			fail_msg("case %zu (%s): value %#llx allowed %#llx: got %d, want %d", i,
				 cases[i].why, (unsigned long long)cases[i].value,
				 (unsigned long long)cases[i].allowed, got, cases[i].expect);
	}
}

static void test_guest_allowed(void **state __unused)
{
	const uint64_t amd_zen4 = XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | XCR0_PKRU;
	const uint64_t old_intel = XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX | XCR0_AVX512;

	assert_int_equal(xcr0_guest_allowed(HOST_INTEL), HOST_INTEL);
	assert_int_equal(xcr0_guest_allowed(amd_zen4), amd_zen4);
	/* MPX, APX, LWP and supervisor bits are never offered. */
	assert_int_equal(xcr0_guest_allowed(old_intel), old_intel & ~XCR0_MPX);
	assert_int_equal(xcr0_guest_allowed(HOST_INTEL | XCR0_APX | XCR0_LWP | (0x1FFULL << 8)),
			 HOST_INTEL);
	assert_int_equal(xcr0_guest_allowed(~0ULL), XCR0_GUEST_POLICY);
	/* No usable XSAVE. */
	assert_int_equal(xcr0_guest_allowed(0), 0);
	assert_int_equal(xcr0_guest_allowed(XCR0_X87), 0);
	assert_int_equal(xcr0_guest_allowed(XCR0_SSE | XCR0_AVX), 0);
	/* Incomplete groups are dropped rather than offered in part. */
	assert_int_equal(xcr0_guest_allowed(XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK),
			 XCR0_X87 | XCR0_SSE | XCR0_AVX);
	assert_int_equal(xcr0_guest_allowed(XCR0_X87 | XCR0_SSE | XCR0_AVX512),
			 XCR0_X87 | XCR0_SSE);
	assert_int_equal(xcr0_guest_allowed(XCR0_X87 | XCR0_SSE | XCR0_XTILEDATA),
			 XCR0_X87 | XCR0_SSE);
}

/* Whatever xcr0_guest_allowed() returns is itself an XCR0 the guest may load. */
static void test_allowed_is_valid(void **state __unused)
{
	/* Every combination of the low 20 bits (all components up to APX). */
	for (uint64_t host = 0; host < (1u << 20); host++) {
		uint64_t m = xcr0_guest_allowed(host);

		assert_true((m & ~host) == 0);
		assert_true((m & ~XCR0_GUEST_POLICY) == 0);
		if (m)
			assert_int_equal(xcr0_check(m, m), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_guest_allowed),
		cmocka_unit_test(test_allowed_is_valid),
	};

	return cmocka_run_group_tests_name("xcr0", tests, NULL, NULL);
}
