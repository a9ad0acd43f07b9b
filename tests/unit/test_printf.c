/*
 * Host tests for lib/printf.c. For everything C defines, the host libc's vsnprintf is the oracle:
 * a cross product of conversions, flags, widths, precisions, length modifiers and values must
 * format identically. Our deliberate differences (NULL %s, %p, unknown conversions) are checked
 * against fixed strings.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

/* libc's formatter, taken before lib/printf.h renames vsnprintf to hv_vsnprintf. */
static int ref_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(buf, size, fmt, ap);
}

#include "../../lib/printf.c"
#include "../../lib/string.c"

/* Unchecked wrappers, so formats can come from tables or be deliberately odd. */
static int ours(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

static int ref(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ref_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

static unsigned long nr_compared;

static void report(const char *fmt, const char *what, const char *got, int got_ret,
		   const char *want, int want_ret)
{
	print_error("format \"%s\" with %s: got \"%s\" (%d), libc \"%s\" (%d)\n", fmt, what,
		    got, got_ret, want, want_ret);
	fail();
}

#define COMPARE(fmt, what, ...)                                                    \
	do {                                                                       \
		char got_[256], want_[256];                                        \
		int gr_ = ours(got_, sizeof(got_), fmt, __VA_ARGS__);              \
		int wr_ = ref(want_, sizeof(want_), fmt, __VA_ARGS__);             \
		nr_compared++;                                                     \
		if (gr_ != wr_ || strcmp(got_, want_))                             \
			report(fmt, what, got_, gr_, want_, wr_);                  \
	} while (0)

static const int64_t values[] = {
	0, 1, -1, 7, 8, 9, 10, 15, 16, 42, -42, 99, 100, 127, 128, -128, -129, 255, 256,
	1000, -1000, 32767, 32768, -32768, -32769, 65535, 65536, 123456, -123456,
	INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX, (int64_t)UINT32_MAX + 1,
	0x123456789abcdefLL, -0x123456789abcdefLL, 1000000000000LL, INT64_MAX, INT64_MIN,
};

static const char *const lengths[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };

/* Pass v converted to the argument type the length modifier names. */
static void compare_one(const char *fmt, const char *len, bool is_signed, int64_t v)
{
	char what[64];

	snprintf(what, sizeof(what), "%lld", (long long)v);
	if (!strcmp(len, "l") || !strcmp(len, "ll") || !strcmp(len, "j") ||
	    !strcmp(len, "z") || !strcmp(len, "t")) {
		/* All 64-bit on x86-64; the signedness still has to match. */
		if (is_signed)
			COMPARE(fmt, what, (long long)v);
		else
			COMPARE(fmt, what, (unsigned long long)v);
	} else if (is_signed) {
		COMPARE(fmt, what, (int)v);
	} else {
		COMPARE(fmt, what, (unsigned int)v);
	}
}

/* The cross product: every flag subset x widths x precisions x lengths x values. */
static void test_integers_vs_libc(void **state __unused)
{
	static const char convs[] = "diuxXo";
	static const char flagchars[] = "-0+ #";
	static const char *const widths[] = { "", "1", "6", "24" };
	static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".22" };

	for (const char *c = convs; *c; c++) {
		bool is_signed = *c == 'd' || *c == 'i';

		for (unsigned int fl = 0; fl < 32; fl++) {
			char flags[8];
			int nf = 0;

			for (int i = 0; i < 5; i++)
				if (fl & (1u << i))
					flags[nf++] = flagchars[i];
			flags[nf] = '\0';
			for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
				for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
					for (size_t l = 0; l < ARRAY_SIZE(lengths); l++)
						for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
							char fmt[32];

							snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flags,
								 widths[w], precs[p], lengths[l], *c);
							compare_one(fmt, lengths[l], is_signed, values[v]);
						}
		}
	}
	assert_true(nr_compared > 500000);
}

static void test_star_vs_libc(void **state __unused)
{
	static const int stars[] = { -30, -5, -1, 0, 1, 3, 8, 30 };
	static const char *const fmts[] = { "%*d|", "%-*d|", "%0*d|", "%*x|", "%*s|", "%-*s|", "%*c|" };
	static const char *const pfmts[] = { "%.*d|", "%.*x|", "%.*s|", "%8.*d|", "%08.*u|" };

	for (size_t i = 0; i < ARRAY_SIZE(stars); i++) {
		int s = stars[i];

		for (size_t f = 0; f < ARRAY_SIZE(fmts); f++) {
			if (strstr(fmts[f], "s|"))
				COMPARE(fmts[f], "star", s, "hello");
			else
				COMPARE(fmts[f], "star", s, 'c' == fmts[f][strlen(fmts[f]) - 2] ? 'q' : -1234);
		}
		for (size_t f = 0; f < ARRAY_SIZE(pfmts); f++) {
			if (strstr(pfmts[f], "s|"))
				COMPARE(pfmts[f], "star prec", s, "hello world");
			else
				COMPARE(pfmts[f], "star prec", s, 4321);
		}
		for (size_t j = 0; j < ARRAY_SIZE(stars); j++) {
			COMPARE("%*.*d|", "star star", s, stars[j], -77);
			COMPARE("%-*.*s|", "star star", s, stars[j], "abcdef");
		}
	}
}

static void test_strings_vs_libc(void **state __unused)
{
	static const char *const strs[] = { "", "a", "hello", "a much longer string than any width" };
	static const char *const fmts[] = {
		"%s", "[%s]", "%10s", "%-10s", "%.0s", "%.3s", "%10.3s", "%-10.3s", "%.100s",
		"%1s", "%-1s", "%s%s", "x%sy%sz",
	};

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
			COMPARE(fmts[f], strs[i], strs[i], strs[i]);

	static const char *const cfmts[] = { "%c", "[%c]", "%3c", "%-3c", "%c%c" };
	static const int chars[] = { 'a', 'Z', ' ', '%', 0x7f, 0x1234 + 'b' };

	for (size_t i = 0; i < ARRAY_SIZE(chars); i++)
		for (size_t f = 0; f < ARRAY_SIZE(cfmts); f++)
			COMPARE(cfmts[f], "char", chars[i], 'x');
}

static void test_mixed_vs_libc(void **state __unused)
{
	COMPARE("plain text, no conversions", "none", 0);
	COMPARE("100%% sure %d%%", "pct", 5);
	COMPARE("%s=%d (%#x) [%-6s] %c%c %lu %lld %hhd %hu %zu %td %jd", "mix", "key", -3, 255u,
		"ab", 'o', 'k', 123456789UL, -99LL, 300, 70000, (size_t)77, (ptrdiff_t)-5,
		(intmax_t)INT64_MIN);
	COMPARE("%5d|%-5d|%05d|%+d|% d|%+ d", "repeat", 42, 42, 42, 42, 42, 42);
	COMPARE("%0-8d|%-08d|%--8d|%008d|%++d", "doubled flags", 1, 2, 3, 4, 5);
	COMPARE("%#o|%#.0o|%#5o|%#05o|%#.3o", "alt octal", 0u, 0u, 8u, 8u, 8u);
	COMPARE("%#x|%#X|%#.0x|%#08x|%#-8x|", "alt hex", 0u, 0xabu, 0u, 0x1fu, 0x1fu);
}

static void test_null_string(void **state __unused)
{
	char buf[64];

	assert_int_equal(ours(buf, sizeof(buf), "%s", (char *)NULL), 6);
	assert_string_equal(buf, "(null)");
	ours(buf, sizeof(buf), "[%8s]", (char *)NULL);
	assert_string_equal(buf, "[  (null)]");
	ours(buf, sizeof(buf), "[%-8s]", (char *)NULL);
	assert_string_equal(buf, "[(null)  ]");
	ours(buf, sizeof(buf), "[%.3s]", (char *)NULL);
	assert_string_equal(buf, "[(nu]");
}

static void test_pointer(void **state __unused)
{
	char buf[64];

	assert_int_equal(ours(buf, sizeof(buf), "%p", (void *)0x1234), 18);
	assert_string_equal(buf, "0x0000000000001234");
	ours(buf, sizeof(buf), "%p", NULL);
	assert_string_equal(buf, "0x0000000000000000");
	ours(buf, sizeof(buf), "%p", (void *)0xffff8000deadbeefULL);
	assert_string_equal(buf, "0xffff8000deadbeef");
	ours(buf, sizeof(buf), "[%20p]", (void *)0xab);
	assert_string_equal(buf, "[  0x00000000000000ab]");
	ours(buf, sizeof(buf), "[%-20p]", (void *)0xab);
	assert_string_equal(buf, "[0x00000000000000ab  ]");
	ours(buf, sizeof(buf), "[%4p]", (void *)0xab);
	assert_string_equal(buf, "[0x00000000000000ab]");
}

static void test_odd_formats(void **state __unused)
{
	char buf[64];

	/* Unknown conversions print as written and consume no argument. */
	assert_int_equal(ours(buf, sizeof(buf), "a%yb%d", 7), 5);
	assert_string_equal(buf, "a%yb7");
	ours(buf, sizeof(buf), "%-5.2lly|%d", 3);
	assert_string_equal(buf, "%-5.2lly|3");
	ours(buf, sizeof(buf), "%Lf|%d", 4);
	assert_string_equal(buf, "%Lf|4");
	/* A '%' at the very end must not read past the terminator. */
	assert_int_equal(ours(buf, sizeof(buf), "abc%"), 4);
	assert_string_equal(buf, "abc%");
	ours(buf, sizeof(buf), "abc%-08");
	assert_string_equal(buf, "abc%-08");
	assert_int_equal(ours(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
}

/* Spec parsing directly: formatting these for real would emit gigabytes of padding. */
static void parse_spec_of(const char *fmt, struct spec *sp, ...)
{
	va_list ap, args;

	va_start(ap, sp);
	va_copy(args, ap);
	parse_spec(&fmt, sp, &args);
	va_end(args);
	va_end(ap);
	assert_int_equal(*fmt, 'd');
}

static void test_huge_width(void **state __unused)
{
	struct spec sp;

	/* Digit strings saturate at INT_MAX instead of overflowing (UBSan would report it). */
	parse_spec_of("99999999999999999999.99999999999999999999d", &sp);
	assert_int_equal(sp.width, INT_MAX);
	assert_int_equal(sp.prec, INT_MAX);
	parse_spec_of("2147483647.2147483646d", &sp);
	assert_int_equal(sp.width, INT_MAX);
	assert_int_equal(sp.prec, INT_MAX - 1);
	parse_spec_of("*.*d", &sp, INT_MIN, INT_MIN);
	assert_int_equal(sp.width, INT_MAX);
	assert_true(sp.flags & F_LEFT);
	assert_int_equal(sp.prec, -1);
}

static void test_truncation(void **state __unused)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ours(buf, 8, "%s", "hello world"), 11);
	assert_string_equal(buf, "hello w");
	assert_int_equal(buf[8], 'X'); /* nothing written past size */

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ours(buf, 1, "%d", 12345), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ours(buf, 0, "%d", 12345), 5);
	assert_int_equal(buf[0], 'X'); /* size 0 writes nothing */
	assert_int_equal(ours(NULL, 0, "%s-%d", "abc", -1), 6);

	/* Exactly fitting and one short. */
	assert_int_equal(ours(buf, 6, "%05d", 42), 5);
	assert_string_equal(buf, "00042");
	assert_int_equal(ours(buf, 5, "%05d", 42), 5);
	assert_string_equal(buf, "0004");

	/* snprintf itself (the annotated entry point). */
	assert_int_equal(snprintf(buf, sizeof(buf), "%s:%u", "n", 7u), 3);
	assert_string_equal(buf, "n:7");
	assert_int_equal(snprintf(buf, 3, "%x", 0xabcdefu), 6);
	assert_string_equal(buf, "ab");

	/* Every size against libc for one long format. */
	for (size_t n = 0; n <= sizeof(buf); n++) {
		char a[16], b[16];

		memset(a, 'X', sizeof(a));
		memset(b, 'X', sizeof(b));
		assert_int_equal(ours(a, n, "%-4d|%#x|%s", -1, 255u, "tail"),
				 ref(b, n, "%-4d|%#x|%s", -1, 255u, "tail"));
		assert_memory_equal(a, b, sizeof(a));
	}
}

struct collect {
	char buf[64];
	size_t n;
};

static void collect_emit(char c, void *ctx)
{
	struct collect *col = ctx;

	assert_true(col->n < sizeof(col->buf) - 1);
	col->buf[col->n++] = c;
}

static int cbprintf(struct collect *col, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcbprintf(collect_emit, col, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_callback(void **state __unused)
{
	struct collect col = { .n = 0 };

	assert_int_equal(cbprintf(&col, "cpu%u: %s %08lx", 3u, "up", 0xbeefUL), 17);
	assert_int_equal(col.n, 17);
	col.buf[col.n] = '\0';
	assert_string_equal(col.buf, "cpu3: up 0000beef");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_vs_libc),
		cmocka_unit_test(test_star_vs_libc),
		cmocka_unit_test(test_strings_vs_libc),
		cmocka_unit_test(test_mixed_vs_libc),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_odd_formats),
		cmocka_unit_test(test_huge_width),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_callback),
	};

	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
