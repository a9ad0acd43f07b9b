/* Host tests for boot/cmdline.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../boot/cmdline.c"
#include "../../lib/printf.c"
#include "../../lib/string.c"

static struct hv_options opts;
static char err[128];

static int parse(const char *cmdline)
{
	memset(&opts, 0xa5, sizeof(opts)); /* stale state must not leak through */
	memset(err, 'X', sizeof(err));
	return cmdline_parse(cmdline, &opts, err, sizeof(err));
}

/* cmdline must parse cleanly. */
static void ok(const char *cmdline)
{
	if (parse(cmdline) != 0) {
		print_error("\"%s\" rejected: %s\n", cmdline, err);
		fail();
	}
	assert_string_equal(err, "");
}

/* cmdline must be rejected, with an error message containing want. */
static void bad(const char *cmdline, const char *want)
{
	int ret = parse(cmdline);

	if (ret != -E_INVAL || !strstr(err, want)) {
		print_error("\"%s\": ret %d, err \"%s\", wanted \"%s\"\n", cmdline, ret, err, want);
		fail();
	}
}

static void assert_defaults(const struct hv_options *o)
{
	assert_int_equal(o->console_port, 0x3f8);
	assert_int_equal(o->baud, 115200);
	assert_int_equal(o->loglevel, 6);
	assert_int_equal(o->selftest, 0);
	assert_int_equal(o->panic, HV_PANIC_REBOOT);
	assert_int_equal(o->hvmem_mib, 16);
	assert_false(o->help);
	assert_int_equal(o->nr_unknown, 0);
	assert_int_equal(o->nr_unknown_dropped, 0);
}

static void test_defaults(void **state __unused)
{
	struct hv_options d;

	memset(&d, 0xa5, sizeof(d));
	cmdline_defaults(&d);
	assert_defaults(&d);

	ok(NULL);
	assert_defaults(&opts);
	ok("");
	assert_defaults(&opts);
	ok("   \t  ");
	assert_defaults(&opts);
	ok("/boot/hv.elf");
	assert_defaults(&opts);

	/* A NULL err buffer is fine when errlen is 0. */
	assert_int_equal(cmdline_parse("hvmem=1", &d, NULL, 0), -E_INVAL);
	assert_int_equal(cmdline_parse("hvmem=8", &d, NULL, 0), 0);
	assert_int_equal(d.hvmem_mib, 8);
}

static void test_console(void **state __unused)
{
	ok("console=com1");
	assert_int_equal(opts.console_port, 0x3f8);
	ok("console=com2");
	assert_int_equal(opts.console_port, 0x2f8);
	ok("console=com3");
	assert_int_equal(opts.console_port, 0x3e8);
	ok("console=com4");
	assert_int_equal(opts.console_port, 0x2e8);
	ok("console=0x2f8");
	assert_int_equal(opts.console_port, 0x2f8);
	ok("console=0XE000");
	assert_int_equal(opts.console_port, 0xe000);
	ok("console=0x1");
	assert_int_equal(opts.console_port, 1);
	ok("console=0xffff");
	assert_int_equal(opts.console_port, 0xffff);
	ok("console=0x0000000000000000000003f8"); /* leading zeros are harmless */
	assert_int_equal(opts.console_port, 0x3f8);

	bad("console=com9", "bad value for console=: \"com9\" (expected com1..com4 or 0xPORT)");
	bad("console=com", "\"com\"");
	bad("console=com10", "\"com10\"");
	bad("console=COM1", "\"COM1\"");
	bad("console=0x", "\"0x\"");
	bad("console=0x0", "\"0x0\"");
	bad("console=0x10000", "\"0x10000\"");
	bad("console=0xfffffffffffffffffff8", "console=");
	bad("console=0x3g8", "\"0x3g8\"");
	bad("console=0x-1", "\"0x-1\"");
	bad("console=1016", "\"1016\"");
	bad("console=ttyS0", "\"ttyS0\"");
	bad("console=", "missing value for console= (expected com1..com4 or 0xPORT)");
	bad("console", "missing value for console=");
}

static void test_baud(void **state __unused)
{
	static const uint32_t good[] = {
		2, 3, 300, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200,
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char line[32];

		snprintf(line, sizeof(line), "baud=%u", good[i]);
		ok(line);
		assert_int_equal(opts.baud, good[i]);
	}
	bad("baud=0", "bad value for baud=: \"0\"");
	bad("baud=1", "\"1\""); /* divisor 115200 does not fit 16 bits */
	bad("baud=7", "\"7\"");
	bad("baud=56000", "\"56000\"");
	bad("baud=14401", "\"14401\"");
	bad("baud=230400", "\"230400\"");
	bad("baud=-9600", "\"-9600\"");
	bad("baud=9600x", "\"9600x\"");
	bad("baud=0x2580", "\"0x2580\"");
	bad("baud=18446744073709551616", "baud=");
	bad("baud=", "missing value for baud=");
}

static void test_loglevel(void **state __unused)
{
	static const struct { const char *arg; int level; } good[] = {
		{ "0", 0 }, { "3", 3 }, { "7", 7 }, { "emerg", 0 }, { "alert", 1 }, { "crit", 2 },
		{ "err", 3 }, { "warning", 4 }, { "warn", 4 }, { "notice", 5 }, { "info", 6 },
		{ "debug", 7 }, { "007", 7 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char line[32];

		snprintf(line, sizeof(line), "loglevel=%s", good[i].arg);
		ok(line);
		assert_int_equal(opts.loglevel, good[i].level);
	}
	bad("loglevel=8", "bad value for loglevel=: \"8\" (expected 0..7 or a level name)");
	bad("loglevel=-1", "\"-1\"");
	bad("loglevel=error", "\"error\"");
	bad("loglevel=DEBUG", "\"DEBUG\"");
	bad("loglevel=4294967302", "loglevel="); /* 2^32 + 6 must not wrap to 6 */
	bad("loglevel", "missing value for loglevel=");
}

static void test_selftest(void **state __unused)
{
	ok("selftest=ud");
	assert_int_equal(opts.selftest, SELFTEST_BIT(SELFTEST_UD));
	ok("selftest=gp,pf,msr");
	assert_int_equal(opts.selftest, SELFTEST_BIT(SELFTEST_GP) | SELFTEST_BIT(SELFTEST_PF) |
						SELFTEST_BIT(SELFTEST_MSR));
	ok("selftest=ud,gp,pf,de,bp,df,msr,panic,leavefault,hcpanic");
	assert_int_equal(opts.selftest, (1u << SELFTEST_NR) - 1);
	ok("selftest=de,de");
	assert_int_equal(opts.selftest, SELFTEST_BIT(SELFTEST_DE));
	ok("selftest=ud selftest=bp"); /* last wins, no merging */
	assert_int_equal(opts.selftest, SELFTEST_BIT(SELFTEST_BP));

	bad("selftest=nmi", "bad value for selftest=: \"nmi\"");
	bad("selftest=ud,", "\"ud,\"");
	bad("selftest=,ud", "\",ud\"");
	bad("selftest=ud,,gp", "\"ud,,gp\"");
	bad("selftest=u", "\"u\"");
	bad("selftest=udx", "\"udx\"");
	bad("selftest=UD", "\"UD\"");
	bad("selftest=", "missing value for selftest=");
}

static void test_selftest_names(void **state __unused)
{
	char line[64];

	for (unsigned int f = 0; f < SELFTEST_NR; f++) {
		const char *name = cmdline_selftest_name(f);

		assert_non_null(name);
		snprintf(line, sizeof(line), "selftest=%s", name); /* names round-trip */
		ok(line);
		assert_int_equal(opts.selftest, SELFTEST_BIT(f));
	}
	assert_string_equal(cmdline_selftest_name(SELFTEST_MSR), "msr");
	assert_null(cmdline_selftest_name(SELFTEST_NR));
	assert_null(cmdline_selftest_name(~0u));
}

static void test_panic_hvmem(void **state __unused)
{
	ok("panic=halt");
	assert_int_equal(opts.panic, HV_PANIC_HALT);
	ok("panic=halt panic=reboot");
	assert_int_equal(opts.panic, HV_PANIC_REBOOT);
	bad("panic=hang", "bad value for panic=: \"hang\" (expected reboot or halt)");
	bad("panic=", "missing value for panic=");

	ok("hvmem=4");
	assert_int_equal(opts.hvmem_mib, 4);
	ok("hvmem=1024");
	assert_int_equal(opts.hvmem_mib, 1024);
	ok("hvmem=64");
	assert_int_equal(opts.hvmem_mib, 64);
	bad("hvmem=3", "bad value for hvmem=: \"3\" (expected 4..1024)");
	bad("hvmem=0", "\"0\"");
	bad("hvmem=1025", "\"1025\"");
	bad("hvmem=99999999999999999999", "\"99999999999999999999\"");
	bad("hvmem=18446744073709551632", "hvmem="); /* 2^64 + 16 must not wrap to 16 */
	bad("hvmem=16M", "\"16M\"");
	bad("hvmem=+16", "\"+16\"");
	bad("hvmem= 16", "missing value for hvmem=");
}

static void test_help_flag(void **state __unused)
{
	ok("help");
	assert_true(opts.help);
	ok("loglevel=7 help console=com2");
	assert_true(opts.help);
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.console_port, 0x2f8);
	bad("help=1", "help takes no value");
	bad("help=", "help takes no value");
}

static void test_unknown(void **state __unused)
{
	ok("foo=bar loglevel=7 quiet nosmp=1");
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.nr_unknown, 3);
	assert_string_equal(opts.unknown[0], "foo");
	assert_string_equal(opts.unknown[1], "quiet");
	assert_string_equal(opts.unknown[2], "nosmp");

	/* Near misses are unknown keys, not bad values of known ones. */
	ok("Console=com2 consolex=1 con=com2 help2 baud_rate=9600");
	assert_int_equal(opts.console_port, 0x3f8);
	assert_false(opts.help);
	assert_int_equal(opts.nr_unknown, 5);
	assert_string_equal(opts.unknown[4], "baud_rate");

	/* An unknown key's value is never parsed, whatever it holds. */
	ok("x==y=z");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "x");
	ok("=oops");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "=oops");

	/* Names are cut to 31 characters. */
	ok("a234567890123456789012345678901234567890=1 b2345678901234567890123456789012");
	assert_int_equal(opts.nr_unknown, 2);
	assert_string_equal(opts.unknown[0], "a234567890123456789012345678901");
	assert_string_equal(opts.unknown[1], "b234567890123456789012345678901");
	ok("c234567890123456789012345678901");
	assert_string_equal(opts.unknown[0], "c234567890123456789012345678901");

	/* At most 8 are kept; the rest are counted. */
	ok("u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 hvmem=32");
	assert_int_equal(opts.nr_unknown, CMDLINE_MAX_UNKNOWN);
	assert_int_equal(opts.nr_unknown_dropped, 2);
	assert_string_equal(opts.unknown[7], "u8");
	assert_int_equal(opts.hvmem_mib, 32);
}

static void test_ghost_cpu(void **state __unused)
{
	ok("");
	assert_int_equal(opts.ghost_cpu, CMDLINE_NO_GHOST_CPU);
	ok("ghost_cpu=7");
	assert_int_equal(opts.ghost_cpu, 7);
	ok("ghost_cpu=4294967294");
	assert_int_equal(opts.ghost_cpu, 4294967294u);
	bad("ghost_cpu=4294967295", "ghost_cpu");
	bad("ghost_cpu=x", "ghost_cpu");
	bad("ghost_cpu", "ghost_cpu");
}

static void test_exception_options(void **state __unused)
{
	ok("");
	assert_int_equal(opts.force_intercept_exceptions, 0);
	assert_false(opts.test_unhandled_exit);
	ok("force_intercept_exceptions=0x6049 test_unhandled_exit");
	assert_int_equal(opts.force_intercept_exceptions, 0x6049);
	assert_true(opts.test_unhandled_exit);
	ok("force_intercept_exceptions=64");
	assert_int_equal(opts.force_intercept_exceptions, 64);
	ok("force_intercept_exceptions=0xFFFFFFFF");
	assert_int_equal(opts.force_intercept_exceptions, 0xFFFFFFFFu);
	bad("force_intercept_exceptions=0x100000000", "force_intercept_exceptions");
	bad("force_intercept_exceptions=0x", "force_intercept_exceptions");
	bad("force_intercept_exceptions=zz", "force_intercept_exceptions");
	bad("test_unhandled_exit=1", "test_unhandled_exit");
}

static void test_path_and_spacing(void **state __unused)
{
	ok("/boot/hv.elf loglevel=7");
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.nr_unknown, 0);

	ok("  \t/boot/hv.elf\t\tloglevel=debug   panic=halt  \n");
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.panic, HV_PANIC_HALT);
	assert_int_equal(opts.nr_unknown, 0);

	/* QEMU -kernel passes the path as given, relative ones too; a word with '=' is an option. */
	ok("build/hv.elf loglevel=5");
	assert_int_equal(opts.loglevel, 5);
	assert_int_equal(opts.nr_unknown, 0);
	ok("hv.elf loglevel=5");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "hv.elf");
	ok("path=/x/y");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "path");

	/* Only the first word may be the path. */
	ok("loglevel=3 /boot/hv.elf");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "/boot/hv.elf");
	ok("/a /b");
	assert_int_equal(opts.nr_unknown, 1);
	assert_string_equal(opts.unknown[0], "/b");

	/* A word ends at a space: the value does not continue into the next word. */
	bad("hvmem =32", "missing value for hvmem=");
	ok("hvmem=32 =32");
	assert_int_equal(opts.hvmem_mib, 32);
}

static void test_repeat_and_errors(void **state __unused)
{
	ok("loglevel=3 loglevel=5 loglevel=info");
	assert_int_equal(opts.loglevel, 6);
	ok("hvmem=8 console=com3 baud=9600 loglevel=err selftest=pf panic=halt help");
	assert_int_equal(opts.hvmem_mib, 8);
	assert_int_equal(opts.console_port, 0x3e8);
	assert_int_equal(opts.baud, 9600);
	assert_int_equal(opts.loglevel, 3);
	assert_int_equal(opts.selftest, SELFTEST_BIT(SELFTEST_PF));
	assert_int_equal(opts.panic, HV_PANIC_HALT);
	assert_true(opts.help);

	/* Parsing stops at the first bad word: earlier words applied, later ones not. */
	bad("loglevel=7 baud=1234 hvmem=64", "baud=");
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.baud, 115200);
	assert_int_equal(opts.hvmem_mib, 16);

	/* A bad value keeps the earlier good one. */
	bad("hvmem=64 hvmem=2", "hvmem=");
	assert_int_equal(opts.hvmem_mib, 64);
}

static void test_long_words(void **state __unused)
{
	static char line[8192];
	char small[16];

	/* A huge value is quoted shortened, and the message fits the buffer. */
	strcpy(line, "console=");
	memset(line + 8, 'z', 5000);
	line[5008] = '\0';
	bad(line, "bad value for console=: \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\"");
	assert_true(strlen(err) < sizeof(err));

	/* A huge number is just a bad value. */
	strcpy(line, "hvmem=");
	memset(line + 6, '9', 5000);
	line[5006] = '\0';
	bad(line, "hvmem=");

	/* A huge unknown key is cut. */
	memset(line, 'k', 6000);
	strcpy(line + 6000, "=v loglevel=1");
	ok(line);
	assert_int_equal(strlen(opts.unknown[0]), CMDLINE_NAME_LEN - 1);
	assert_int_equal(opts.loglevel, 1);

	/* A tiny error buffer truncates the message but stays terminated. */
	memset(small, 'X', sizeof(small));
	assert_int_equal(cmdline_parse("console=com9", &opts, small, sizeof(small)), -E_INVAL);
	assert_string_equal(small, "bad value for c");
}

/* The number parser at its limits, where wrapping would hide an overflow. */
static void test_parse_uint(void **state __unused)
{
	uint64_t v;

	assert_int_equal(parse_uint("18446744073709551615", 20, 10, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint("18446744073709551616", 20, 10, UINT64_MAX, &v), -E_INVAL);
	assert_int_equal(parse_uint("ffffffffffffffff", 16, 16, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint("10000000000000000", 17, 16, UINT64_MAX, &v), -E_INVAL);
	assert_int_equal(parse_uint("1024", 4, 10, 1024, &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(parse_uint("1025", 4, 10, 1024, &v), -E_INVAL);
	assert_int_equal(parse_uint("9", 1, 10, 7, &v), -E_INVAL);
	assert_int_equal(parse_uint("12", 1, 10, 7, &v), 0); /* only len characters count */
	assert_int_equal(v, 1);
	assert_int_equal(parse_uint("", 0, 10, 7, &v), -E_INVAL);
	assert_int_equal(parse_uint("A", 1, 10, 100, &v), -E_INVAL);
}

struct help_lines {
	unsigned int n;
	char text[16][200];
};

static void collect_line(const char *line, void *ctx)
{
	struct help_lines *h = ctx;

	assert_true(h->n < 16);
	assert_true(strlen(line) < sizeof(h->text[0]));
	assert_null(strchr(line, '\n'));
	strcpy(h->text[h->n++], line);
}

static void test_print_help(void **state __unused)
{
	struct help_lines h = { .n = 0 };

	cmdline_print_help(collect_line, &h);
	assert_int_equal(h.n, ARRAY_SIZE(options));
	for (unsigned int i = 0; i < h.n; i++) {
		/* Each option's line shows its name and help text, and is not truncated. */
		assert_non_null(strstr(h.text[i], options[i].name));
		assert_non_null(strstr(h.text[i], options[i].help));
	}
	assert_non_null(strstr(h.text[0], "console=<com1..com4 or 0xPORT>"));
	assert_non_null(strstr(h.text[h.n - 1], "help"));
	/* Help texts start in the same column. */
	size_t col = strstr(h.text[0], options[0].help) - h.text[0];
	for (unsigned int i = 1; i < h.n; i++)
		assert_int_equal(strstr(h.text[i], options[i].help) - h.text[i], col);
}

/* debugkeys=: default (keys only on a UART of the hypervisor's own), on (a shared COM1 too), off. */
static void test_debugkeys_option(void **state __unused)
{
	ok("console=com1");
	assert_int_equal(opts.debugkeys, HV_DEBUGKEYS_DEFAULT);
	ok("debugkeys=on");
	assert_int_equal(opts.debugkeys, HV_DEBUGKEYS_ON);
	ok("console=com2 debugkeys=off");
	assert_int_equal(opts.debugkeys, HV_DEBUGKEYS_OFF);
	bad("debugkeys=yes", "bad value for debugkeys=: \"yes\" (expected on or off)");
	bad("debugkeys", "missing value for debugkeys=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_baud),
		cmocka_unit_test(test_loglevel),
		cmocka_unit_test(test_selftest),
		cmocka_unit_test(test_selftest_names),
		cmocka_unit_test(test_panic_hvmem),
		cmocka_unit_test(test_help_flag),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_path_and_spacing),
		cmocka_unit_test(test_ghost_cpu),
		cmocka_unit_test(test_exception_options),
		cmocka_unit_test(test_debugkeys_option),
		cmocka_unit_test(test_repeat_and_errors),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_print_help),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
