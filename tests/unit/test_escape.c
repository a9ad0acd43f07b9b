/* Host unit tests for lib/escape.c: what the guest's console text may contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/escape.c"

static void check(const char *src, size_t len, size_t cap, const char *want, size_t want_used)
{
	char out[128];
	size_t used;

	memset(out, '#', sizeof(out));
	used = escape_text(out, cap, src, len);
	assert_string_equal(out, want);
	assert_int_equal(used, want_used);
}

static void test_escape(void **state __unused)
{
	check("plain text", 10, 64, "plain text", 10);
	check("tab\there", 8, 64, "tab\there", 8);
	check("\x1b[2J", 4, 64, "\\x1b[2J", 4);
	check("bel\a bs\b cr\r", 12, 64, "bel\\x07 bs\\x08 cr\\x0d", 12);
	check("nul\0end", 7, 64, "nul\\x00end", 7);
	check("\x7f\x9b\xff", 3, 64, "\\x7f\\x9b\\xff", 3);
	check("new\nline", 8, 64, "new\\x0aline", 8); /* the caller splits lines; one that gets here is escaped */
}

static void test_never_cut(void **state __unused)
{
	/* Room for "ab" and not for a whole escape: the escape is left out, not cut. */
	check("ab\x1b", 3, 5, "ab", 2);
	check("ab\x1b", 3, 7, "ab\\x1b", 3);
	check("abc", 3, 1, "", 0);
	assert_int_equal(escape_text(NULL, 0, "abc", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_never_cut),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
