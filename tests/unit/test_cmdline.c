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
	assert_int_equal(o->ghost_cpu, CMDLINE_NO_GHOST_CPU);
	assert_int_equal(o->force_intercept_exceptions, 0);
	assert_false(o->test_unhandled_exit);
}

/* ---- one word accepted: the option's field afterwards ---- */

#define FIELD_GETTER(field)                                                                        \
	static uint64_t get_##field(const struct hv_options *o)                                    \
	{                                                                                          \
		return (uint64_t)o->field;                                                         \
	}
FIELD_GETTER(console_port)
FIELD_GETTER(baud)
FIELD_GETTER(loglevel)
FIELD_GETTER(selftest)
FIELD_GETTER(panic)
FIELD_GETTER(hvmem_mib)
FIELD_GETTER(help)
FIELD_GETTER(ghost_cpu)
FIELD_GETTER(force_intercept_exceptions)
FIELD_GETTER(test_unhandled_exit)

struct accepted {
	const char *what; /* the command line, which names the test */
	uint64_t (*get)(const struct hv_options *);
	uint64_t value;
};

#define SELFTEST_ALL ((1u << SELFTEST_NR) - 1)

static const struct accepted accepted[] = {
	{ "console=com1", get_console_port, 0x3f8 },
	{ "console=com2", get_console_port, 0x2f8 },
	{ "console=com3", get_console_port, 0x3e8 },
	{ "console=com4", get_console_port, 0x2e8 },
	{ "console=0x2f8", get_console_port, 0x2f8 },
	{ "console=0XE000", get_console_port, 0xe000 },
	{ "console=0x1", get_console_port, 1 },
	{ "console=0xffff", get_console_port, 0xffff },
	{ "console=0x0000000000000000000003f8", get_console_port, 0x3f8 }, /* leading zeros are harmless */

	{ "baud=2", get_baud, 2 },
	{ "baud=3", get_baud, 3 },
	{ "baud=300", get_baud, 300 },
	{ "baud=1200", get_baud, 1200 },
	{ "baud=2400", get_baud, 2400 },
	{ "baud=4800", get_baud, 4800 },
	{ "baud=9600", get_baud, 9600 },
	{ "baud=14400", get_baud, 14400 },
	{ "baud=19200", get_baud, 19200 },
	{ "baud=38400", get_baud, 38400 },
	{ "baud=57600", get_baud, 57600 },
	{ "baud=115200", get_baud, 115200 },

	{ "loglevel=0", get_loglevel, 0 },
	{ "loglevel=3", get_loglevel, 3 },
	{ "loglevel=7", get_loglevel, 7 },
	{ "loglevel=emerg", get_loglevel, 0 },
	{ "loglevel=alert", get_loglevel, 1 },
	{ "loglevel=crit", get_loglevel, 2 },
	{ "loglevel=err", get_loglevel, 3 },
	{ "loglevel=warning", get_loglevel, 4 },
	{ "loglevel=warn", get_loglevel, 4 },
	{ "loglevel=notice", get_loglevel, 5 },
	{ "loglevel=info", get_loglevel, 6 },
	{ "loglevel=debug", get_loglevel, 7 },
	{ "loglevel=007", get_loglevel, 7 },
	{ "loglevel=3 loglevel=5 loglevel=info", get_loglevel, 6 }, /* the last one wins */

	{ "selftest=ud", get_selftest, SELFTEST_BIT(SELFTEST_UD) },
	{ "selftest=gp,pf,msr", get_selftest,
	  SELFTEST_BIT(SELFTEST_GP) | SELFTEST_BIT(SELFTEST_PF) | SELFTEST_BIT(SELFTEST_MSR) },
	{ "selftest=ud,gp,pf,de,bp,df,msr,panic,leavefault,hcpanic", get_selftest, SELFTEST_ALL },
	{ "selftest=de,de", get_selftest, SELFTEST_BIT(SELFTEST_DE) },
	{ "selftest=ud selftest=bp", get_selftest, SELFTEST_BIT(SELFTEST_BP) }, /* last wins, no merging */

	{ "panic=halt", get_panic, HV_PANIC_HALT },
	{ "panic=halt panic=reboot", get_panic, HV_PANIC_REBOOT },

	{ "hvmem=4", get_hvmem_mib, 4 },
	{ "hvmem=1024", get_hvmem_mib, 1024 },
	{ "hvmem=64", get_hvmem_mib, 64 },

	{ "help", get_help, true },

	{ "ghost_cpu=7", get_ghost_cpu, 7 },
	{ "ghost_cpu=4294967294", get_ghost_cpu, 4294967294u },

	{ "force_intercept_exceptions=64", get_force_intercept_exceptions, 64 },
	{ "force_intercept_exceptions=0xFFFFFFFF", get_force_intercept_exceptions, 0xFFFFFFFFu },
	{ "force_intercept_exceptions=0x6049", get_force_intercept_exceptions, 0x6049 },
	{ "test_unhandled_exit", get_test_unhandled_exit, true },
};

static void test_accepted(void **state)
{
	const struct accepted *a = *state;

	ok(a->what);
	assert_int_equal(a->get(&opts), a->value);
}

/* ---- refused: -E_INVAL and a message naming the word ---- */

struct refused {
	const char *what; /* the command line, which names the test */
	const char *error;
};

static const struct refused refused[] = {
	{ "console=com9", "bad value for console=: \"com9\" (expected com1..com4, 0xPORT, fb, vga, screen, none)" },
	{ "console=com", "\"com\"" },
	{ "console=com10", "\"com10\"" },
	{ "console=COM1", "\"COM1\"" },
	{ "console=0x", "\"0x\"" },
	{ "console=0x0", "\"0x0\"" },
	{ "console=0x10000", "\"0x10000\"" },
	{ "console=0xfffffffffffffffffff8", "console=" },
	{ "console=0x3g8", "\"0x3g8\"" },
	{ "console=0x-1", "\"0x-1\"" },
	{ "console=1016", "\"1016\"" },
	{ "console=ttyS0", "\"ttyS0\"" },
	{ "console=", "missing value for console= (expected com1..com4, 0xPORT, fb, vga, screen, none)" },
	{ "console", "missing value for console=" },

	{ "baud=0", "bad value for baud=: \"0\"" },
	{ "baud=1", "\"1\"" }, /* divisor 115200 does not fit 16 bits */
	{ "baud=7", "\"7\"" },
	{ "baud=56000", "\"56000\"" },
	{ "baud=14401", "\"14401\"" },
	{ "baud=230400", "\"230400\"" },
	{ "baud=-9600", "\"-9600\"" },
	{ "baud=9600x", "\"9600x\"" },
	{ "baud=0x2580", "\"0x2580\"" },
	{ "baud=18446744073709551616", "baud=" },
	{ "baud=", "missing value for baud=" },

	{ "loglevel=8", "bad value for loglevel=: \"8\" (expected 0..7 or a level name)" },
	{ "loglevel=-1", "\"-1\"" },
	{ "loglevel=error", "\"error\"" },
	{ "loglevel=DEBUG", "\"DEBUG\"" },
	{ "loglevel=4294967302", "loglevel=" }, /* 2^32 + 6 must not wrap to 6 */
	{ "loglevel", "missing value for loglevel=" },

	{ "selftest=nmi", "bad value for selftest=: \"nmi\"" },
	{ "selftest=ud,", "\"ud,\"" },
	{ "selftest=,ud", "\",ud\"" },
	{ "selftest=ud,,gp", "\"ud,,gp\"" },
	{ "selftest=u", "\"u\"" },
	{ "selftest=udx", "\"udx\"" },
	{ "selftest=UD", "\"UD\"" },
	{ "selftest=", "missing value for selftest=" },

	{ "panic=hang", "bad value for panic=: \"hang\" (expected reboot or halt)" },
	{ "panic=", "missing value for panic=" },

	{ "hvmem=3", "bad value for hvmem=: \"3\" (expected 4..1024)" },
	{ "hvmem=0", "\"0\"" },
	{ "hvmem=1025", "\"1025\"" },
	{ "hvmem=99999999999999999999", "\"99999999999999999999\"" },
	{ "hvmem=18446744073709551632", "hvmem=" }, /* 2^64 + 16 must not wrap to 16 */
	{ "hvmem=16M", "\"16M\"" },
	{ "hvmem=+16", "\"+16\"" },
	{ "hvmem= 16", "missing value for hvmem=" },
	/* A word ends at a space: the value does not continue into the next word. */
	{ "hvmem =32", "missing value for hvmem=" },

	{ "help=1", "help takes no value" },
	{ "help=", "help takes no value" },

	{ "ghost_cpu=4294967295", "ghost_cpu" },
	{ "ghost_cpu=x", "ghost_cpu" },
	{ "ghost_cpu", "ghost_cpu" },

	{ "force_intercept_exceptions=0x100000000", "force_intercept_exceptions" },
	{ "force_intercept_exceptions=0x", "force_intercept_exceptions" },
	{ "force_intercept_exceptions=zz", "force_intercept_exceptions" },
	{ "test_unhandled_exit=1", "test_unhandled_exit" },
};

static void test_refused(void **state)
{
	const struct refused *r = *state;

	bad(r->what, r->error);
}

/* ---- whole lines ---- */

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

static void test_help_among_others(void **state __unused)
{
	ok("loglevel=7 help console=com2");
	assert_true(opts.help);
	assert_int_equal(opts.loglevel, 7);
	assert_int_equal(opts.console_port, 0x2f8);
}

/* The number parser at its limits, where wrapping would hide an overflow. */
static const struct {
	const char *text;
	size_t len;
	unsigned int base;
	uint64_t max;
	int rc;
	uint64_t value; /* when rc is 0 */
} parse_uint_cases[] = {
	{ "18446744073709551615", 20, 10, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 20, 10, UINT64_MAX, -E_INVAL, 0 },
	{ "ffffffffffffffff", 16, 16, UINT64_MAX, 0, UINT64_MAX },
	{ "10000000000000000", 17, 16, UINT64_MAX, -E_INVAL, 0 },
	{ "1024", 4, 10, 1024, 0, 1024 },
	{ "1025", 4, 10, 1024, -E_INVAL, 0 },
	{ "9", 1, 10, 7, -E_INVAL, 0 },
	{ "12", 1, 10, 7, 0, 1 }, /* only len characters count */
	{ "", 0, 10, 7, -E_INVAL, 0 },
	{ "A", 1, 10, 100, -E_INVAL, 0 },
};

static void test_parse_uint(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_uint_cases); i++) {
		typeof(parse_uint_cases[0]) *c = &parse_uint_cases[i];
		uint64_t v = 0xdeadbeef;
		int rc = parse_uint(c->text, c->len, c->base, c->max, &v);

		if (rc != c->rc || (rc == 0 && v != c->value))
			fail_msg("parse_uint(\"%s\", %zu, base %u, max %llu): rc %d value %llu, expected rc %d value %llu",
				 c->text, c->len, c->base, (unsigned long long)c->max, rc, (unsigned long long)v, c->rc,
				 (unsigned long long)c->value);
	}
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
	assert_non_null(strstr(h.text[0], "console=<com1..com4, 0xPORT, fb, vga, screen, none>"));
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
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_selftest_names),
		cmocka_unit_test(test_help_among_others),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_path_and_spacing),
		cmocka_unit_test(test_debugkeys_option),
		cmocka_unit_test(test_repeat_and_errors),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_print_help),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(accepted) + ARRAY_SIZE(refused)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	/* One test per row, named after its command line. */
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++)
		tests[n++] = (struct CMUnitTest){ accepted[i].what, test_accepted, NULL, NULL, (void *)&accepted[i] };
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		tests[n++] = (struct CMUnitTest){ refused[i].what, test_refused, NULL, NULL, (void *)&refused[i] };
	return _cmocka_run_group_tests("cmdline", tests, n, NULL, NULL);
}
