/* Host unit tests for vmm/cr.c: the CR0/CR4/EFER write rules, one row per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../vmm/cr.c"

#define GP (-E_INVAL)
#define PROT_FLAT (CR0_PE | CR0_ET | CR0_NE)
#define PAGED (PROT_FLAT | CR0_PG | CR0_WP)
#define LONG_EFER (EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE)
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* A CPU with everything: leaf 1 and leaf 7 all ones but VMX and SMX, as the guest is shown. */
#define L1_ECX (0xFFFFFFFFU & ~(1U << 5) & ~(1U << 6))
#define ALL_BUT_VMX_SMX cr4_guest_valid(&(struct cr4_cpuid){ L1_ECX, ~0U, ~0U, ~0U, ~0U, ~0U })
#define VALID(...) cr4_guest_valid(&(struct cr4_cpuid){ __VA_ARGS__ })

struct cr_case {
	struct cr_state s;
	uint64_t value;
	int expect;
	const char *why;
};

static const struct cr_case cr0_cases[] = {
	{ { .cr0 = PROT_FLAT }, PROT_FLAT | CR0_PG, 0, "paging on, 32-bit" },
	{ { .cr0 = PROT_FLAT }, (PROT_FLAT & ~CR0_PE) | CR0_PG, GP, "PG=1 with PE=0" },
	{ { .cr0 = PROT_FLAT }, PROT_FLAT | CR0_NW, GP, "NW=1 with CD=0" },
	{ { .cr0 = PROT_FLAT }, PROT_FLAT | CR0_NW | CR0_CD, 0, "NW=1 with CD=1" },
	{ { .cr0 = PROT_FLAT }, PROT_FLAT | CR0_CD, 0, "CD=1 alone" },
	{ { .cr0 = PROT_FLAT }, PROT_FLAT | (1ULL << 32), GP, "bit 32" },
	{ { .cr0 = PROT_FLAT }, PROT_FLAT & ~CR0_NE, 0, "NE clear" },
	{ { .cr0 = PROT_FLAT, .efer = EFER_LME }, PROT_FLAT | CR0_PG, GP, "long mode without PAE" },
	{ { .cr0 = PROT_FLAT, .efer = EFER_LME, .cr4 = CR4_PAE }, PROT_FLAT | CR0_PG, 0, "long mode with PAE" },
	{ { .cr0 = PROT_FLAT, .efer = EFER_LME, .cr4 = CR4_PAE, .cs_l = true }, PROT_FLAT | CR0_PG, GP,
	  "long mode from 64-bit code" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE | CR4_PCIDE, .cs_l = true }, PAGED & ~CR0_PG, GP,
	  "paging off with PCIDE" },
	{ { .cr0 = PAGED, .cr4 = CR4_PAE }, PAGED & ~CR0_PG, 0, "paging off, 32-bit" },
	{ { .cr0 = PAGED, .cr4 = CR4_CET }, PAGED & ~CR0_WP, GP, "WP clear with CET" },
	{ { .cr0 = PAGED }, PAGED & ~CR0_WP, 0, "WP clear" },
	{ { .cr0 = 0x60000010 }, 0x60000011, 0, "INIT state to protected mode" },
};

static const struct cr_case cr4_cases[] = {
	{ { .cr0 = PROT_FLAT }, CR4_PAE | CR4_PSE | CR4_OSXSAVE, 0, "offered bits" },
	{ { .cr0 = PROT_FLAT }, CR4_VMXE, GP, "VMXE hidden" },
	{ { .cr0 = PROT_FLAT }, CR4_SMXE, GP, "SMXE hidden" },
	{ { .cr0 = PROT_FLAT }, 1ULL << 15, GP, "reserved bit 15" },
	{ { .cr0 = PROT_FLAT }, 1ULL << 33, GP, "bit 33" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE }, 0, GP, "PAE cleared in long mode" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE }, CR4_PAE | CR4_LA57, GP, "LA57 set in long mode" },
	{ { .cr0 = PROT_FLAT }, CR4_LA57, 0, "LA57 outside long mode" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE }, CR4_PAE | CR4_PCIDE, 0, "PCIDE in long mode, CR3[11:0] 0" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE, .cr3 = 0x1001 }, CR4_PAE | CR4_PCIDE, GP,
	  "PCIDE with CR3[11:0] set" },
	{ { .cr0 = PAGED, .cr4 = CR4_PAE }, CR4_PAE | CR4_PCIDE, GP, "PCIDE outside long mode" },
	{ { .cr0 = PROT_FLAT }, CR4_CET, GP, "CET with WP clear" },
	{ { .cr0 = PAGED }, CR4_CET, 0, "CET with WP set" },
};

static const struct cr_case efer_cases[] = {
	{ { .cr0 = PROT_FLAT }, EFER_LME | EFER_SCE, 0, "LME with paging off" },
	{ { .cr0 = PAGED }, EFER_LME, GP, "LME set with paging on" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE }, LONG_EFER & ~EFER_LME, GP, "LME cleared with paging on" },
	{ { .cr0 = PAGED, .efer = LONG_EFER, .cr4 = CR4_PAE }, LONG_EFER & ~EFER_NXE, 0, "NXE cleared in long mode" },
	{ { .cr0 = PROT_FLAT }, EFER_SVME, GP, "SVME" },
	{ { .cr0 = PROT_FLAT }, 1ULL << 63, GP, "bit 63" },
};

static void run(const struct cr_case *cases, size_t n, const char *what, int (*check)(const struct cr_case *))
{
	for (size_t i = 0; i < n; i++) {
		int got = check(&cases[i]);

		if (got != cases[i].expect)
			fail_msg("%s case %zu (%s): value %#llx: got %d, want %d", what, i, cases[i].why,
				 (unsigned long long)cases[i].value, got, cases[i].expect);
	}
}

static int check_cr0(const struct cr_case *c)
{
	return cr0_write_check(&c->s, c->value);
}

static int check_cr4(const struct cr_case *c)
{
	return cr4_write_check(&c->s, c->value, ALL_BUT_VMX_SMX);
}

static int check_efer(const struct cr_case *c)
{
	return efer_write_check(&c->s, c->value, EFER_WRITABLE);
}

static void test_cr0(void **state __unused)
{
	run(cr0_cases, ARRAY_SIZE(cr0_cases), "CR0", check_cr0);
}

static void test_cr4(void **state __unused)
{
	run(cr4_cases, ARRAY_SIZE(cr4_cases), "CR4", check_cr4);
}

static void test_efer(void **state __unused)
{
	run(efer_cases, ARRAY_SIZE(efer_cases), "EFER", check_efer);
}

/* Each CPUID bit gives its CR4 bit; nothing else is valid. */
static void test_cr4_valid(void **state __unused)
{
	assert_int_equal(VALID(.leaf1_ecx = 0), CR4_TSD | CR4_PCE);
	assert_int_equal(VALID(.leaf1_ecx = 1U << 5), CR4_TSD | CR4_PCE | CR4_VMXE);
	assert_int_equal(VALID(.leaf1_ecx = 1U << 26), CR4_TSD | CR4_PCE | CR4_OSXSAVE);
	assert_int_equal(VALID(.leaf1_edx = 1U << 6), CR4_TSD | CR4_PCE | CR4_PAE);
	assert_int_equal(VALID(.leaf7_ebx = 1U << 7, .leaf7_ecx = 1U << 16), CR4_TSD | CR4_PCE | CR4_SMEP | CR4_LA57);
	assert_int_equal(VALID(.leaf7_edx = 1U << 20), CR4_TSD | CR4_PCE | CR4_CET); /* IBT alone */
	assert_int_equal(VALID(.leaf7_1_eax = (1U << 17) | (1U << 26)), CR4_TSD | CR4_PCE | CR4_FRED | CR4_LAM_SUP);
	assert_false(ALL_BUT_VMX_SMX & (CR4_VMXE | CR4_SMXE | (1ULL << 15) | ~0x1FFFFFFFFULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr0),
		cmocka_unit_test(test_cr4),
		cmocka_unit_test(test_efer),
		cmocka_unit_test(test_cr4_valid),
	};

	return cmocka_run_group_tests_name("cr", tests, NULL, NULL);
}
