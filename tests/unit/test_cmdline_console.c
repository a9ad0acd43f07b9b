/* Host tests for console= in boot/cmdline.c: serial ports, the screen, and lists of them. */
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
static char err[160];

static int parse(const char *cmdline)
{
	memset(&opts, 0xa5, sizeof(opts)); /* stale state must not leak through */
	memset(err, 'X', sizeof(err));
	return cmdline_parse(cmdline, &opts, err, sizeof(err));
}

struct console_case {
	const char *cmdline;
	uint16_t port;               /* 0: no serial console */
	enum screen_choice screen;
};

static const struct console_case good[] = {
	{ "", 0x3f8, SCREEN_ANY }, /* the default: COM1 and whichever screen the loader left */
	{ "loglevel=7", 0x3f8, SCREEN_ANY },
	{ "console=com1", 0x3f8, SCREEN_OFF }, /* a list replaces the default */
	{ "console=com2", 0x2f8, SCREEN_OFF },
	{ "console=0x2e8", 0x2e8, SCREEN_OFF },
	{ "console=fb", 0, SCREEN_FB },
	{ "console=vga", 0, SCREEN_VGA },
	{ "console=screen", 0, SCREEN_ANY },
	{ "console=fb,vga", 0, SCREEN_ANY },
	{ "console=vga,fb", 0, SCREEN_ANY },
	{ "console=com1,fb", 0x3f8, SCREEN_FB },
	{ "console=fb,com2", 0x2f8, SCREEN_FB },
	{ "console=com3,vga", 0x3e8, SCREEN_VGA },
	{ "console=0x3f8,screen", 0x3f8, SCREEN_ANY },
	{ "console=fb,fb", 0, SCREEN_FB },
	{ "console=none", 0, SCREEN_OFF },
	{ "console=none console=com2,fb", 0x2f8, SCREEN_FB }, /* the last one wins */
	{ "console=com2,fb console=none", 0, SCREEN_OFF },
	{ "console=com1,vga console=fb", 0, SCREEN_FB },
};

static void test_console_lists(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (parse(good[i].cmdline) != 0) {
			print_error("\"%s\" rejected: %s\n", good[i].cmdline, err);
			fail();
		}
		if (opts.console_port != good[i].port || opts.console_screen != good[i].screen) {
			print_error("\"%s\": port %#x screen %d, wanted %#x %d\n", good[i].cmdline, opts.console_port,
				    opts.console_screen, good[i].port, good[i].screen);
			fail();
		}
	}
}

static const char *const rejected[] = {
	"console=com1,com2",  /* one serial port */
	"console=com1,0x3f8", /* the same one twice is still two */
	"console=none,fb",    /* none stands alone */
	"console=fb,none",
	"console=com1,",      /* empty items */
	"console=,fb",
	"console=com1,,fb",
	"console=,",
	"console=FB",
	"console=fb0",
	"console=vgacon",
	"console=screen,com9",
	"console=com1;fb",
	"console=0x0,fb",
	"console=nonefb",
};

static void test_console_rejected(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(rejected); i++) {
		const char *value = strchr(rejected[i], '=') + 1;
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "bad value for console=: \"%s\"", value);
		if (parse(rejected[i]) != -E_INVAL || !strstr(err, quoted)) {
			print_error("\"%s\": err \"%s\", wanted \"%s\"\n", rejected[i], err, quoted);
			fail();
		}
	}
}

static void collect_help(const char *line, void *ctx)
{
	if (strstr(line, "console="))
		snprintf(ctx, 256, "%s", line);
}

/* The help table names every screen choice and the default. */
static void test_console_help(void **state __unused)
{
	char line[256] = "";

	cmdline_print_help(collect_help, line);
	assert_non_null(strstr(line, "fb"));
	assert_non_null(strstr(line, "vga"));
	assert_non_null(strstr(line, "screen"));
	assert_non_null(strstr(line, "none"));
	assert_non_null(strstr(line, "default com1,screen"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_lists),
		cmocka_unit_test(test_console_rejected),
		cmocka_unit_test(test_console_help),
	};

	return cmocka_run_group_tests_name("cmdline_console", tests, NULL, NULL);
}
