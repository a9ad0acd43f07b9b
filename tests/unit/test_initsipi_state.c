/* Host tests of the vcpu.startup transitions: the INIT/SIPI orders a guest can produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmm/initsipi.h"

/* Takes whatever is pending, as the vCPU does before an entry: returns the vector started, or -1. */
static int take(uint32_t *word, bool *was_init)
{
	bool init, sipi;
	uint32_t old = *word;

	*word = startup_take(old, &init, &sipi);
	*was_init = init;
	return sipi ? (int)(old & VCPU_SIPI_VECTOR_MASK) : -1;
}

static void test_init_sipi_sipi(void **state)
{
	uint32_t w = VCPU_WAITING;
	bool init;

	(void)state;
	w = startup_post_init(w);
	w = startup_post_sipi(w, 0x9a);
	assert_int_equal(startup_post_sipi(w, 0x9b), w); /* the repeated SIPI changes nothing */
	assert_int_equal(take(&w, &init), 0x9a);
	assert_true(init);
	assert_int_equal(w, 0); /* running */
	assert_int_equal(startup_post_sipi(w, 0x9a), w); /* a SIPI to a running vCPU is ignored */
}

static void test_init_taken_before_sipi(void **state)
{
	uint32_t w = 0; /* running */
	bool init;

	(void)state;
	w = startup_post_init(w);
	assert_int_equal(take(&w, &init), -1);
	assert_true(init);
	assert_int_equal(w, VCPU_WAITING);
	w = startup_post_sipi(w, 0x10);
	assert_int_equal(take(&w, &init), 0x10);
	assert_false(init);
	assert_int_equal(w, 0);
}

static void test_init_cancels_pending_sipi(void **state)
{
	uint32_t w = VCPU_WAITING;
	bool init;

	(void)state;
	w = startup_post_sipi(w, 0x20);
	w = startup_post_init(w); /* the INIT comes after: the vCPU ends up waiting */
	assert_int_equal(take(&w, &init), -1);
	assert_true(init);
	assert_int_equal(w, VCPU_WAITING);
}

static void test_nothing_pending(void **state)
{
	uint32_t w = VCPU_WAITING;
	bool init;

	(void)state;
	assert_int_equal(take(&w, &init), -1);
	assert_false(init);
	assert_int_equal(w, VCPU_WAITING);
	w = 0;
	assert_int_equal(take(&w, &init), -1);
	assert_int_equal(w, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sipi_sipi),
		cmocka_unit_test(test_init_taken_before_sipi),
		cmocka_unit_test(test_init_cancels_pending_sipi),
		cmocka_unit_test(test_nothing_pending),
	};

	return cmocka_run_group_tests_name("initsipi_state", tests, NULL, NULL);
}
