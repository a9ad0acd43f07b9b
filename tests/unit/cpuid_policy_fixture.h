/*
 * What the CPUID policy host tests share (test_cpuid_policy.c, test_cpuid_policy_xsave.c): the
 * sources under test and hand-written Intel-like and AMD-like CPUs.
 */
#ifndef TEST_CPUID_POLICY_FIXTURE_H
#define TEST_CPUID_POLICY_FIXTURE_H

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

#endif
