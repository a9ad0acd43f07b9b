/*
 * Host tests of the exits the backends complete in their run functions (include/vmm/fastpath.h)
 * and of the attention word that lets them (include/vmm/vcpu.h): each fast answer is the one the
 * general handlers give, anything else is refused with nothing changed, and the word's rules
 * (set by queuers, taken whole by the vCPU) never lose a request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/fastpath.h"

const struct vcpu_ops *vcpu_ops;

static struct partition part;
static struct vcpu vcpu;

static int setup(void **state)
{
	(void)state;
	memset(&part, 0, sizeof(part));
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.part = &part;
	/* Leaf 0 fixed, leaf 1 not (it depends on the vCPU), leaf 2 fixed; max basic leaf 2. */
	part.cpuid.max_basic = 2;
	part.cpuid.basic_fixed_mask = (1ULL << 0) | (1ULL << 2);
	memcpy(part.cpuid.basic_fixed[0], (uint32_t[4]){ 2, 0x756E6547, 0x6C65746E, 0x49656E69 }, 16);
	memcpy(part.cpuid.basic_fixed[2], (uint32_t[4]){ 0x11, 0x22, 0x33, 0x44 }, 16);
	return 0;
}

static void expect_untouched(uint64_t rax, uint64_t rax_before)
{
	assert_int_equal(rax, rax_before);
	assert_int_equal(vcpu.regs.rbx, 0xBBBB);
	assert_int_equal(vcpu.regs.rdx, 0xDDDD);
	assert_int_equal(vcpu.total_exits, 0);
}

static void test_cpuid_fixed_leaf_answered(void **state)
{
	uint64_t rax = 2;

	(void)state;
	vcpu.regs.rcx = 7; /* the subleaf does not matter to a fixed leaf */
	assert_true(vcpu_fast_cpuid(&vcpu, &rax));
	assert_int_equal(rax, 0x11);
	assert_int_equal(vcpu.regs.rbx, 0x22);
	assert_int_equal(vcpu.regs.rcx, 0x33);
	assert_int_equal(vcpu.regs.rdx, 0x44);
}

static void test_cpuid_other_leaves_declined(void **state)
{
	static const uint32_t leaves[] = { 1, 3, 63, 64, 0x40000000, 0x80000000, 0xFFFFFFFF };

	(void)state;
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		uint64_t rax = leaves[i] | 0x1234500000000ULL; /* only EAX selects the leaf */

		vcpu.regs.rbx = 0xBBBB;
		vcpu.regs.rdx = 0xDDDD;
		assert_false(vcpu_fast_cpuid(&vcpu, &rax));
		expect_untouched(rax, leaves[i] | 0x1234500000000ULL);
	}
}

static void test_msr_only_efer(void **state)
{
	(void)state;
	vcpu.regs.rcx = MSR_EFER;
	assert_true(vcpu_fast_msr(&vcpu));
	vcpu.regs.rcx = 0xFFFFFFFF00000000ULL | MSR_EFER; /* ECX only */
	assert_true(vcpu_fast_msr(&vcpu));
	vcpu.regs.rcx = 0xC0000081; /* STAR */
	assert_false(vcpu_fast_msr(&vcpu));
	vcpu.regs.rcx = 0x10; /* TSC */
	assert_false(vcpu_fast_msr(&vcpu));
}

static void test_efer_read_hides_svme(void **state)
{
	uint64_t rax = 0xFFFF;

	(void)state;
	vcpu.regs.rcx = MSR_EFER;
	assert_true(vcpu_fast_msr_read(&vcpu, &rax, EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE));
	assert_int_equal(rax, EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE);
	assert_int_equal(vcpu.regs.rdx, 0);
}

/* Only a write that changes nothing is completed; the checks of any change stay with the handler. */
static void test_efer_write_only_unchanged(void **state)
{
	uint64_t efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_SCE;
	uint64_t rax = EFER_LME | EFER_LMA | EFER_SCE;

	(void)state;
	vcpu.regs.rcx = MSR_EFER;
	vcpu.regs.rdx = 0xFFFFFFFF00000000ULL; /* EDX:EAX only */
	assert_true(vcpu_fast_msr_write(&vcpu, &rax, efer));
	rax |= EFER_NXE;
	assert_false(vcpu_fast_msr_write(&vcpu, &rax, efer));
	rax = EFER_LME | EFER_LMA | EFER_SCE | EFER_SVME; /* the guest may never set SVME */
	assert_false(vcpu_fast_msr_write(&vcpu, &rax, efer));
	rax = EFER_LME | EFER_LMA | EFER_SCE;
	vcpu.regs.rdx = 1; /* a reserved high bit */
	assert_false(vcpu_fast_msr_write(&vcpu, &rax, efer));
}

static void test_hypercall_version_ring0_only(void **state)
{
	uint64_t rax = HC_VERSION;

	(void)state;
	vcpu.regs.rbx = 0xBBBB;
	vcpu.regs.rdx = 0xDDDD;
	assert_false(vcpu_fast_hypercall(&vcpu, &rax, 3)); /* #UD: the general path raises it */
	expect_untouched(rax, HC_VERSION);
	rax = HC_EXIT_COUNT;
	assert_false(vcpu_fast_hypercall_nr(rax));
	assert_false(vcpu_fast_hypercall(&vcpu, &rax, 0));
	expect_untouched(rax, HC_EXIT_COUNT);
	rax = HC_VERSION;
	assert_true(vcpu_fast_hypercall_nr(rax));
	assert_true(vcpu_fast_hypercall(&vcpu, &rax, 0));
	assert_int_equal(rax, HV_API_VERSION);
	assert_int_equal(vcpu.regs.rbx, HV_HYPERCALL_MAGIC);
}

/* The debug keys' poll: never due here (exit_account() compares against it on every exit). */
volatile uint64_t housekeeping_next_poll = ~0ULL;
void housekeeping_poll(struct vcpu *v)
{
	(void)v;
	fail();
}

static void test_exit_account_ring(void **state)
{
	(void)state;
	for (uint64_t i = 0; i < EXIT_HISTORY + 3; i++)
		exit_account(&vcpu, EXIT_CPUID, 0x72, 0x1000 + i, 0);
	vcpu.exit_tsc = 12345;
	exit_account(&vcpu, EXIT_MSR_READ, 0x7C, 0x2000, 0xABC);
	assert_int_equal(vcpu.total_exits, EXIT_HISTORY + 4);
	assert_int_equal(vcpu.exits[EXIT_CPUID], EXIT_HISTORY + 3);
	assert_int_equal(vcpu.exits[EXIT_MSR_READ], 1);
	/* The newest entry sits at (total - 1) mod EXIT_HISTORY, the oldest kept right after it. */
	assert_int_equal(vcpu.history[(EXIT_HISTORY + 3) % EXIT_HISTORY].raw_reason, 0x7C);
	assert_int_equal(vcpu.history[(EXIT_HISTORY + 3) % EXIT_HISTORY].rip, 0x2000);
	/* The qualification and the exit's TSC go with it; its cycles go to MSR_READ at the entry. */
	assert_int_equal(vcpu.history[(EXIT_HISTORY + 3) % EXIT_HISTORY].qualification, 0xABC);
	assert_int_equal(vcpu.history[(EXIT_HISTORY + 3) % EXIT_HISTORY].tsc, 12345);
	assert_int_equal(vcpu.last_reason, EXIT_MSR_READ);
	assert_int_equal(vcpu.history[(EXIT_HISTORY + 4) % EXIT_HISTORY].rip, 0x1000 + 4);
}

/* The word's rules: a set is seen until taken; taking returns every reason and clears them all. */
static void test_attention_rules(void **state)
{
	(void)state;
	assert_false(vcpu_needs_attention(&vcpu));
	vcpu_request_attention(&vcpu, VCPU_ATTN_EVENT);
	vcpu_request_attention(&vcpu, VCPU_ATTN_STARTUP);
	assert_true(vcpu_needs_attention(&vcpu));
	assert_int_equal(vcpu_take_attention(&vcpu), VCPU_ATTN_EVENT | VCPU_ATTN_STARTUP);
	assert_false(vcpu_needs_attention(&vcpu));
	/* A request made after the take (while the vCPU looks) is there at the next check. */
	vcpu_request_attention(&vcpu, VCPU_ATTN_STOP);
	assert_true(vcpu_needs_attention(&vcpu));
	assert_int_equal(vcpu_take_attention(&vcpu), VCPU_ATTN_STOP);
	assert_int_equal(vcpu_take_attention(&vcpu), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cpuid_fixed_leaf_answered, setup),
		cmocka_unit_test_setup(test_cpuid_other_leaves_declined, setup),
		cmocka_unit_test_setup(test_msr_only_efer, setup),
		cmocka_unit_test_setup(test_efer_read_hides_svme, setup),
		cmocka_unit_test_setup(test_efer_write_only_unchanged, setup),
		cmocka_unit_test_setup(test_hypercall_version_ring0_only, setup),
		cmocka_unit_test_setup(test_exit_account_ring, setup),
		cmocka_unit_test_setup(test_attention_rules, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
