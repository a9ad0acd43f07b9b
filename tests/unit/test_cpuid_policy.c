/* Host unit tests for vmm/cpuid_policy.c against hand-written Intel-like and AMD-like CPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/string.c"
#include "../../vmm/xcr0.c"
#include "../../vmm/cpuid_policy.c"

/* ---- fake CPUs ---- */

#define ANY 0xFFFFFFFFu /* the entry answers every subleaf */

struct fake_leaf {
	uint32_t leaf, subleaf;
	uint32_t r[4];
};

struct fake_cpu {
	const struct fake_leaf *t;
	size_t n;
	/* Every (leaf, subleaf) the policy asked for, in order. */
	unsigned int nr_calls;
	uint32_t calls[2048][2];
};

static void fake_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4], void *ctx)
{
	struct fake_cpu *cpu = ctx;
	const struct fake_leaf *wild = NULL;

	if (cpu->nr_calls < ARRAY_SIZE(cpu->calls)) {
		cpu->calls[cpu->nr_calls][0] = leaf;
		cpu->calls[cpu->nr_calls][1] = subleaf;
	}
	cpu->nr_calls++;
	for (size_t i = 0; i < cpu->n; i++) {
		if (cpu->t[i].leaf != leaf)
			continue;
		if (cpu->t[i].subleaf == subleaf) {
			memcpy(out, cpu->t[i].r, 16);
			return;
		}
		if (cpu->t[i].subleaf == ANY)
			wild = &cpu->t[i];
	}
	if (wild)
		memcpy(out, wild->r, 16);
	else
		memset(out, 0, 16);
}

static bool was_queried(const struct fake_cpu *cpu, uint32_t leaf, uint32_t subleaf)
{
	for (unsigned int i = 0; i < MIN(cpu->nr_calls, ARRAY_SIZE(cpu->calls)); i++)
		if (cpu->calls[i][0] == leaf && cpu->calls[i][1] == subleaf)
			return true;
	return false;
}

#define BIT(n) (1u << (n))

/* "GenuineIntel" / "AuthenticAMD" in EBX, ECX, EDX order as leaf 0 returns them. */
#define INTEL_VENDOR 0x756E6547, 0x6C65746E, 0x49656E69
#define AMD_VENDOR 0x68747541, 0x444D4163, 0x69746E65

/* Leaf 1 ECX: SSE3..RDRAND with VMX (5) and OSXSAVE (27), hypervisor (31) clear. */
#define INTEL_1_ECX 0x7FFEFBFFu
#define INTEL_1_EBX 0x07800800u /* APIC ID 7, 128 logical, CLFLUSH 64 bytes */
#define INTEL_7_EBX                                                                           \
	(BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) | BIT(10) | BIT(16) | BIT(17) |      \
	 BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(23) | BIT(24) | BIT(25) | BIT(28) | BIT(29) | \
	 BIT(30) | BIT(31))
/* PKU (3) and OSPKE (4): the host runs with CR4.PKE. */
#define INTEL_7_ECX                                                                           \
	(BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) |         \
	 BIT(10) | BIT(11) | BIT(12) | BIT(14) | BIT(16) | BIT(22))
#define INTEL_7_EDX                                                                           \
	(BIT(4) | BIT(14) | BIT(22) | BIT(23) | BIT(24) | BIT(25) | BIT(26) | BIT(27) | BIT(29))
#define INTEL_7_1_EAX (BIT(4) | BIT(5))

/* Sapphire Rapids-like: x87 SSE AVX AVX-512 PKRU AMX, no MPX; supervisor PT CET LBR HWP. */
#define INTEL_XCR0 0x000602E7u
#define INTEL_XSS 0x00019900u

static const struct fake_leaf intel_leaves[] = {
	{ 0x0, ANY, { 0x20, INTEL_VENDOR } },
	{ 0x1, ANY, { 0x000806F8, INTEL_1_EBX, INTEL_1_ECX, 0xBFEBFBFF } },
	{ 0x4, 0, { 0x1C004121, 0x02C0003F, 0x3F, 0 } },
	{ 0x4, 1, { 0x1C004122, 0x01C0003F, 0x3F, 0 } },
	{ 0x4, 2, { 0x1C004143, 0x03C0003F, 0x7FF, 0 } },
	{ 0x4, 3, { 0x1C03C163, 0x03C0003F, 0xDFFF, 4 } },
	{ 0x4, 5, { 0x1C004121, 0xBAD, 0xBAD, 0xBAD } }, /* past the terminator: never used */
	{ 0x6, ANY, { 0x4, 0, 0, 0 } },
	{ 0x7, 0, { 2, INTEL_7_EBX, INTEL_7_ECX, INTEL_7_EDX } },
	{ 0x7, 1, { INTEL_7_1_EAX, 0, 0, 0 } },
	{ 0x7, 2, { 0, 0, 0, 0x17 } },
	{ 0x7, 3, { 0xBAD, 0xBAD, 0xBAD, 0xBAD } }, /* above 7.0 EAX: never used */
	{ 0xB, 0, { 1, 2, 0x100, 7 } },
	{ 0xB, 1, { 7, 0x60, 0x201, 7 } },
	{ 0xB, 2, { 0, 0, 2, 7 } },
	{ 0xB, 3, { 0xBAD, 0xBAD, 0xBAD, 0xBAD } },
	{ 0xD, 0, { INTEL_XCR0, 0xA88, 0x2B00, 0 } },
	{ 0xD, 1, { 0x1F, 0xA98, INTEL_XSS, 0 } },
	{ 0xD, 2, { 256, 576, 0, 0 } },     /* AVX */
	{ 0xD, 5, { 64, 1088, 0, 0 } },     /* opmask */
	{ 0xD, 6, { 512, 1152, 0, 0 } },    /* ZMM_Hi256 */
	{ 0xD, 7, { 1024, 1664, 0, 0 } },   /* Hi16_ZMM */
	{ 0xD, 8, { 128, 0, 1, 0 } },       /* PT (supervisor) */
	{ 0xD, 9, { 8, 2688, 0, 0 } },      /* PKRU */
	{ 0xD, 11, { 16, 0, 1, 0 } },       /* CET_U (supervisor) */
	{ 0xD, 12, { 24, 0, 1, 0 } },       /* CET_S (supervisor) */
	{ 0xD, 15, { 808, 0, 1, 0 } },      /* LBR (supervisor) */
	{ 0xD, 16, { 8, 0, 1, 0 } },        /* HWP (supervisor) */
	{ 0xD, 17, { 64, 2752, 2, 0 } },    /* XTILECFG, 64-byte aligned when compacted */
	{ 0xD, 18, { 8192, 2816, 6, 0 } },  /* XTILEDATA, aligned, XFD */
	{ 0x10, 0, { 0, 0xA, 0, 0 } },      /* resource IDs 1 and 3 */
	{ 0x10, 1, { 0xA, 0x600, 4, 0xF } },
	{ 0x10, 2, { 0xBAD, 0xBAD, 0xBAD, 0xBAD } },
	{ 0x10, 3, { 0x77, 0, 4, 7 } },
	{ 0x14, 0, { 1, 0x5F, 7, 0 } },
	{ 0x14, 1, { 0x02490002, 0x003F3FFF, 0, 0 } },
	{ 0x1F, 0, { 1, 2, 0x100, 7 } },
	{ 0x1F, 1, { 7, 0x60, 0x201, 7 } },
	{ 0x1F, 2, { 0, 0, 2, 7 } },
	{ 0x20, ANY, { 0, 0x1, 0, 0 } },
	{ 0x80000000, ANY, { 0x80000008, 0, 0, 0 } },
	{ 0x80000001, ANY, { 0, 0, 0x121, 0x2C100800 } },
	{ 0x80000006, ANY, { 0, 0, 0x08007040, 0 } },
	{ 0x80000008, ANY, { 0x3934, 0x200, 0, 0 } },
};

#define AMD_1_ECX 0x7EF8320Bu /* no VMX; XSAVE, OSXSAVE, AVX, F16C */
#define AMD_1_EBX 0x0A200800u /* APIC ID 0x0A */
#define AMD_7_EBX (BIT(0) | BIT(3) | BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(28) | BIT(30) | BIT(31))
#define AMD_7_ECX (BIT(1) | BIT(3) | BIT(6) | BIT(9) | BIT(10) | BIT(11) | BIT(12) | BIT(14)) /* PKU, not OSPKE */
#define AMD_80000001_ECX 0x75C237FFu /* SVM (2) among others */
#define AMD_XCR0 0x000002E7u
#define AMD_XSS 0x00001800u

/* Zen 4-like. */
static const struct fake_leaf amd_leaves[] = {
	{ 0x0, ANY, { 0x10, AMD_VENDOR } },
	{ 0x1, ANY, { 0x00A10F11, AMD_1_EBX, AMD_1_ECX, 0x178BFBFF } },
	{ 0x7, 0, { 1, AMD_7_EBX, AMD_7_ECX, BIT(4) } },
	{ 0x7, 1, { BIT(4) | BIT(5), 0, 0, 0 } },
	{ 0xB, 0, { 1, 2, 0x100, 0x0A } },
	{ 0xB, 1, { 7, 0x20, 0x201, 0x0A } },
	{ 0xB, 2, { 0, 0, 2, 0x0A } },
	{ 0xD, 0, { AMD_XCR0, 0x340, 0x988, 0 } },
	{ 0xD, 1, { 0xF, 0x358, AMD_XSS, 0 } },
	{ 0xD, 2, { 256, 576, 0, 0 } },
	{ 0xD, 5, { 64, 832, 0, 0 } },
	{ 0xD, 6, { 512, 896, 0, 0 } },
	{ 0xD, 7, { 1024, 1408, 0, 0 } },
	{ 0xD, 9, { 8, 2432, 0, 0 } },
	{ 0xD, 11, { 16, 0, 1, 0 } },
	{ 0xD, 12, { 24, 0, 1, 0 } },
	{ 0x80000000, ANY, { 0x80000028, AMD_VENDOR } },
	{ 0x80000001, ANY, { 0x00A10F11, 0x40000000, AMD_80000001_ECX, 0x2FD3FBFF } },
	{ 0x80000008, ANY, { 0x3030, 0x791EF257, 0x400F, 0x10000 } },
	{ 0x8000000A, ANY, { 1, 0x8000, 0, 0x1EBFBCFF } },
	{ 0x8000001D, 0, { 0x4121, 0x01C0003F, 0x3F, 0 } },
	{ 0x8000001D, 1, { 0x4122, 0x01C0003F, 0x3F, 0 } },
	{ 0x8000001D, 2, { 0x4143, 0x01C0003F, 0x7FF, 2 } },
	{ 0x8000001D, 3, { 0x3C163, 0x03C0003F, 0x7FFF, 1 } },
	{ 0x8000001D, 5, { 0x4121, 0xBAD, 0xBAD, 0xBAD } },
	{ 0x8000001E, ANY, { 0x0A, 0x105, 0, 0 } },
	{ 0x8000001F, ANY, { 0x7, 0x16F, 0xF, 0 } }, /* SME, SEV, page flush (Bochs ryzen) */
	{ 0x80000020, 0, { 0, 0x2, 0, 0 } },
	{ 0x80000020, 1, { 0xB, 0, 0, 0 } },
	{ 0x80000021, ANY, { 0x62FCF, 0x15C, 0, 0 } },
	{ 0x80000022, ANY, { 7, 0x1234, 0, 0 } }, /* beyond the cap: never served */
};

#define FAKE(tbl) { .t = (tbl), .n = ARRAY_SIZE(tbl) }

static struct fake_cpu intel = FAKE(intel_leaves);
static struct fake_cpu amd = FAKE(amd_leaves);
static struct cpuid_policy pol;

static struct cpuid_policy_config base_cfg(void)
{
	struct cpuid_policy_config c = {
		.hv_version = 0x00010002,
		.hv_features = 0x5,
		.xcr0_allowed = XCR0_GUEST_POLICY,
	};

	memcpy(c.hv_signature, "hvHVhv01hv02", sizeof(c.hv_signature));
	return c;
}

static const struct cpuid_policy *build_with(struct fake_cpu *cpu,
					     const struct cpuid_policy_config *cfg)
{
	cpu->nr_calls = 0;
	assert_int_equal(cpuid_policy_build(&pol, fake_cpuid, cpu, cfg), 0);
	return &pol;
}

static const struct cpuid_policy *build(struct fake_cpu *cpu)
{
	struct cpuid_policy_config cfg = base_cfg();

	return build_with(cpu, &cfg);
}

/* The guest's answer as a compound literal-friendly struct. */
struct regs {
	uint32_t a, b, c, d;
};

static struct regs q(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
		     const struct cpuid_guest_state *g)
{
	uint32_t out[4] = { 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD };

	cpuid_policy_lookup(p, leaf, subleaf, g, out);
	return (struct regs){ out[0], out[1], out[2], out[3] };
}

static void expect_regs(struct regs got, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	assert_int_equal(got.a, a);
	assert_int_equal(got.b, b);
	assert_int_equal(got.c, c);
	assert_int_equal(got.d, d);
}

static const struct cpuid_guest_state g_reset = { .cr4 = 0, .xcr0 = XCR0_X87, .apic_id = 0 };

/* ---- tests ---- */

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
		cmocka_unit_test(test_osxsave_ospke_follow_guest),
		cmocka_unit_test(test_apic_id),
		cmocka_unit_test(test_topology_leaf_absent),
		cmocka_unit_test(test_xsave_intel),
		cmocka_unit_test(test_xsave_amd),
		cmocka_unit_test(test_xsave_restricted),
		cmocka_unit_test(test_xss),
		cmocka_unit_test(test_no_xsave),
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
