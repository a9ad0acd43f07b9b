/* Host tests of the exit dispatcher: the table routes each reason, and nothing unknown runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmm/exit.c"

static enum exit_reason last_handled;
static int handled_calls, dumps, log_lines;

/* Every handler double records which reason reached it. */
#define HANDLER(name, expected)                                                                   \
	enum exit_verdict name(struct vcpu *v)                                                    \
	{                                                                                         \
		assert_int_equal(v->exit.reason, expected);                                       \
		last_handled = expected;                                                          \
		handled_calls++;                                                                  \
		return EXIT_RESUME;                                                               \
	}
HANDLER(handle_cpuid, EXIT_CPUID)
HANDLER(handle_msr_read, EXIT_MSR_READ)
HANDLER(handle_msr_write, EXIT_MSR_WRITE)
HANDLER(handle_npf, EXIT_NPF)
HANDLER(handle_nmi, EXIT_NMI)
HANDLER(handle_xsetbv, EXIT_XSETBV)
HANDLER(handle_io, EXIT_IO)
HANDLER(handle_init, EXIT_INIT)
HANDLER(handle_sipi, EXIT_SIPI)
HANDLER(handle_shutdown, EXIT_SHUTDOWN)
HANDLER(handle_hypercall, EXIT_HYPERCALL)
HANDLER(handle_exception, EXIT_EXCEPTION)
HANDLER(handle_virt_insn, EXIT_VIRT_INSN)
HANDLER(handle_failed_entry, EXIT_FAILED_ENTRY)
HANDLER(handle_extint, EXIT_EXTINT)
HANDLER(handle_invd, EXIT_INVD)
HANDLER(handle_smi, EXIT_SMI)
HANDLER(handle_timer, EXIT_TIMER)
HANDLER(handle_task_switch, EXIT_TASK_SWITCH)

/* Both window reasons share one handler: it must see one of them. */
enum exit_verdict handle_event_window(struct vcpu *v)
{
	assert_true(v->exit.reason == EXIT_IRQ_WINDOW || v->exit.reason == EXIT_NMI_WINDOW);
	last_handled = v->exit.reason;
	handled_calls++;
	return EXIT_RESUME;
}

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
	log_lines++;
}

/* The debug keys' poll: never due here (exit_account() compares against it on every exit). */
volatile uint64_t housekeeping_next_poll = ~0ULL;
void housekeeping_poll(struct vcpu *v)
{
	(void)v;
	fail();
}

void vcpu_dump(struct vcpu *v)
{
	(void)v;
	dumps++;
}

static int setup(void **state __unused)
{
	last_handled = EXIT_UNKNOWN;
	handled_calls = dumps = log_lines = 0;
	return 0;
}

static void test_every_handled_reason_reaches_its_handler(void **state __unused)
{
	static const enum exit_reason handled[] = {
		EXIT_CPUID, EXIT_MSR_READ, EXIT_MSR_WRITE, EXIT_NPF,	  EXIT_NMI,	  EXIT_XSETBV,	  EXIT_IO,
		EXIT_INIT,  EXIT_SIPI,	   EXIT_SHUTDOWN,  EXIT_HYPERCALL, EXIT_EXCEPTION, EXIT_VIRT_INSN, EXIT_FAILED_ENTRY,
		EXIT_EXTINT, EXIT_IRQ_WINDOW, EXIT_NMI_WINDOW, EXIT_INVD, EXIT_SMI, EXIT_TIMER, EXIT_TASK_SWITCH,
	};
	struct vcpu v = { 0 };

	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		v.exit.reason = handled[i];
		assert_int_equal(exit_dispatch(&v), EXIT_RESUME);
		assert_int_equal(last_handled, handled[i]);
	}
	assert_int_equal(handled_calls, (int)(sizeof(handled) / sizeof(handled[0])));
	assert_int_equal(dumps, 0);
}

static void test_unknown_reason_dumps_and_stops(void **state __unused)
{
	struct vcpu v = { 0 };

	v.exit.reason = EXIT_UNKNOWN;
	v.exit.raw_reason = 0x6E;
	assert_int_equal(exit_dispatch(&v), EXIT_STOP);
	assert_int_equal(handled_calls, 0);
	assert_int_equal(dumps, 1);
	assert_true(log_lines >= 1);
}

static void test_out_of_range_reason_stops(void **state __unused)
{
	struct vcpu v = { 0 };

	v.exit.reason = EXIT_NR;
	assert_int_equal(exit_dispatch(&v), EXIT_STOP);
	v.exit.reason = (enum exit_reason)0x7FFFFFFF;
	assert_int_equal(exit_dispatch(&v), EXIT_STOP);
	assert_int_equal(handled_calls, 0);
	assert_int_equal(dumps, 2);
}

static void test_reason_names(void **state __unused)
{
	assert_string_equal(exit_reason_name(EXIT_CPUID), "cpuid");
	assert_string_equal(exit_reason_name(EXIT_UNKNOWN), "unknown");
	assert_string_equal(exit_reason_name(EXIT_NR), "out-of-range");
	for (unsigned int r = 0; r < EXIT_NR; r++)
		assert_string_not_equal(exit_reason_name(r), "out-of-range");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_handled_reason_reaches_its_handler, setup),
		cmocka_unit_test_setup(test_unknown_reason_dumps_and_stops, setup),
		cmocka_unit_test_setup(test_out_of_range_reason_stops, setup),
		cmocka_unit_test_setup(test_reason_names, setup),
	};

	return cmocka_run_group_tests_name("exit", tests, NULL, NULL);
}
