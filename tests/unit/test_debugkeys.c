/* Host tests of the debug console's pure parts: key dispatch, vCPU state names, the statistics table's rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/printf.c"
#include "../../lib/string.c"
#include "../../vmm/debugkeys_table.c"

static void test_each_key_has_its_action(void **state __unused)
{
	assert_int_equal(debug_key_action('h'), DK_HELP);
	assert_int_equal(debug_key_action('?'), DK_HELP);
	assert_int_equal(debug_key_action('e'), DK_STATS);
	assert_int_equal(debug_key_action('v'), DK_VCPUS);
	assert_int_equal(debug_key_action('r'), DK_RINGS);
	assert_int_equal(debug_key_action('m'), DK_MEMORY);
	assert_int_equal(debug_key_action('+'), DK_LOG_UP);
	assert_int_equal(debug_key_action('-'), DK_LOG_DOWN);
	assert_int_equal(debug_key_action('R'), DK_REBOOT);
}

static void test_other_bytes_do_nothing(void **state __unused)
{
	/* Reboot is the capital only: a stray lower-case r prints rings, never resets the machine. */
	for (int c = 0; c < 256; c++)
		if (!strchr("h?evrm+-R", c) || c == 0)
			assert_int_equal(debug_key_action(c), DK_NONE);
	assert_int_equal(debug_key_action(-1), DK_NONE);
}

static void test_help_names_every_key(void **state __unused)
{
	const char *keys = "hevrm+-R";
	size_t n = 0;

	while (debug_key_help[n])
		n++;
	assert_int_equal(n, strlen(keys));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(debug_key_help[i][0], keys[i]);
}

static void test_vcpu_states(void **state __unused)
{
	/* A stopped partition and a vCPU waiting for its SIPI say so, whatever else is known. */
	assert_string_equal(debug_vcpu_state(true, true, true, true), "stopped");
	assert_string_equal(debug_vcpu_state(false, true, false, true), "waiting for SIPI");
	assert_string_equal(debug_vcpu_state(false, false, true, false), "in the hypervisor (answering this key)");
	assert_string_equal(debug_vcpu_state(false, false, true, true), "halted (in the hypervisor answering this key)");
	assert_string_equal(debug_vcpu_state(false, false, false, false), "running (registers as at its last exit)");
	assert_string_equal(debug_vcpu_state(false, false, false, true),
			    "halted (registers as at its last exit, the timer's)");
}

static void test_row_has_count_average_and_max(void **state __unused)
{
	char row[128];

	exit_stats_row(row, sizeof(row), 1, "cpuid", 4, 1000, 400);
	assert_string_equal(row, "stats:   1 cpuid                   4          250          400");
	/* The columns line up under the header. */
	assert_int_equal(strlen(row), strlen(exit_stats_header));
}

static void test_row_without_exits_divides_by_nothing(void **state __unused)
{
	char row[128];

	exit_stats_row(row, sizeof(row), 0, "npf", 0, 0, 0);
	assert_string_equal(row, "stats:   0 npf                     0            0            0");
}

static void test_row_with_large_sums(void **state __unused)
{
	char row[128];

	exit_stats_row(row, sizeof(row), 255, "irq-window", 3, 0xFFFFFFFFFFFFFFFFULL, 99);
	assert_string_equal(row, "stats: 255 irq-window              3 6148914691236517205           99");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_key_has_its_action),
		cmocka_unit_test(test_other_bytes_do_nothing),
		cmocka_unit_test(test_help_names_every_key),
		cmocka_unit_test(test_vcpu_states),
		cmocka_unit_test(test_row_has_count_average_and_max),
		cmocka_unit_test(test_row_without_exits_divides_by_nothing),
		cmocka_unit_test(test_row_with_large_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
