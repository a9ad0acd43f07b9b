/* Host tests for lib/string.c; libc's functions are the oracle where they exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

/*
 * Take libc's versions before lib/string.h renames the names to hv_*
 * (from here on, memcpy means hv_memcpy).
 */
static void *(*const libc_memmove)(void *, const void *, size_t) = memmove;
static int (*const libc_memcmp)(const void *, const void *, size_t) = memcmp;
static int (*const libc_strcmp)(const char *, const char *) = strcmp;
static int (*const libc_strncmp)(const char *, const char *, size_t) = strncmp;

#include "../../lib/string.c"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 1);
}

static void test_memcpy_memset(void **state __unused)
{
	unsigned char a[64], b[64];

	fill(a, sizeof(a));
	for (size_t n = 0; n <= sizeof(a); n++) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = 0xee;
		assert_ptr_equal(memcpy(b, a, n), b);
		assert_int_equal(libc_memcmp(a, b, n), 0);
		for (size_t i = n; i < sizeof(b); i++)
			assert_int_equal(b[i], 0xee);
	}
	assert_ptr_equal(memset(b, 0x1ab, 10), b); /* only the low byte counts */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(b[i], 0xab);
	assert_int_equal(b[10], a[10]);
	memset(b, 0, 0);
	assert_int_equal(b[0], 0xab);
}

/* Every (src, dst, len) inside a small buffer, overlapping both ways, against libc. */
static void test_memmove(void **state __unused)
{
	enum { N = 24 };
	unsigned char ours[N], ref[N];

	for (size_t src = 0; src < N; src++) {
		for (size_t dst = 0; dst < N; dst++) {
			size_t max = N - (src > dst ? src : dst);

			for (size_t n = 0; n <= max; n++) {
				fill(ours, N);
				fill(ref, N);
				assert_ptr_equal(memmove(ours + dst, ours + src, n), ours + dst);
				libc_memmove(ref + dst, ref + src, n);
				assert_memory_equal(ours, ref, N);
			}
		}
	}
}

static void test_memcmp(void **state __unused)
{
	unsigned char a[8] = { 1, 2, 3, 4, 5, 6, 7, 0x80 };
	unsigned char b[8] = { 1, 2, 3, 4, 5, 6, 7, 0x7f };

	assert_int_equal(memcmp(a, b, 0), 0);
	assert_int_equal(memcmp(a, b, 7), 0);
	assert_true(memcmp(a, b, 8) > 0); /* bytes compare as unsigned */
	assert_true(memcmp(b, a, 8) < 0);
	assert_int_equal(sign(memcmp(a, b, 8)), sign(libc_memcmp(a, b, 8)));
}

static void test_strlen(void **state __unused)
{
	assert_int_equal(strlen(""), 0);
	assert_int_equal(strlen("a"), 1);
	assert_int_equal(strlen("hello world"), 11);
	assert_int_equal(strnlen("hello", 0), 0);
	assert_int_equal(strnlen("hello", 3), 3);
	assert_int_equal(strnlen("hello", 5), 5);
	assert_int_equal(strnlen("hello", 100), 5);

	/* strnlen must not read past max: the buffer has no terminator. */
	char raw[4] = { 'a', 'b', 'c', 'd' };
	assert_int_equal(strnlen(raw, sizeof(raw)), 4);
}

static void test_strcmp(void **state __unused)
{
	static const char *const words[] = {
		"", "a", "b", "ab", "abc", "abd", "abcd", "B", "\x80", "\x7f", "a\x80",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		for (size_t j = 0; j < sizeof(words) / sizeof(words[0]); j++) {
			const char *x = words[i], *y = words[j];

			assert_int_equal(sign(strcmp(x, y)), sign(libc_strcmp(x, y)));
			for (size_t n = 0; n < 6; n++)
				assert_int_equal(sign(strncmp(x, y, n)), sign(libc_strncmp(x, y, n)));
		}
	}
	/* strncmp stops at n even without a terminator. */
	char p[3] = { 'x', 'y', 'z' }, q[3] = { 'x', 'y', 'q' };
	assert_int_equal(strncmp(p, q, 2), 0);
}

static void test_strchr(void **state __unused)
{
	const char *s = "hello";

	assert_ptr_equal(strchr(s, 'h'), s);
	assert_ptr_equal(strchr(s, 'l'), s + 2);
	assert_ptr_equal(strchr(s, 'o'), s + 4);
	assert_null(strchr(s, 'z'));
	assert_ptr_equal(strchr(s, '\0'), s + 5); /* the terminator counts */
	assert_ptr_equal(strchr("a\xe9", 0xe9), strchr("a\xe9", (char)0xe9));
	assert_non_null(strchr("a\xe9", 0xe9));
}

static void test_strlcpy(void **state __unused)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");

	assert_int_equal(strlcpy(buf, "abcdefghij", sizeof(buf)), 10);
	assert_string_equal(buf, "abcdefg");

	assert_int_equal(strlcpy(buf, "abcdefg", sizeof(buf)), 7); /* fits exactly */
	assert_string_equal(buf, "abcdefg");

	assert_int_equal(strlcpy(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy(buf, "abc", 1), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	assert_int_equal(strlcpy(buf, "abc", 0), 3); /* size 0 writes nothing */
	assert_int_equal(buf[0], '\0');
	assert_int_equal(strlcpy(NULL, "abcd", 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_memset),
		cmocka_unit_test(test_memmove),
		cmocka_unit_test(test_memcmp),
		cmocka_unit_test(test_strlen),
		cmocka_unit_test(test_strcmp),
		cmocka_unit_test(test_strchr),
		cmocka_unit_test(test_strlcpy),
	};

	return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
