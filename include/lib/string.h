/*
 * Freestanding string and memory functions.
 *
 * GCC may emit calls to memcpy, memmove, memset and memcmp on its own (struct copies, large
 * initializers), so those must exist under their standard names in the hypervisor image.
 */
#ifndef HV_LIB_STRING_H
#define HV_LIB_STRING_H

#include "types.h"

/*
 * Host unit tests link against libc, whose functions have the same names. There, ours are
 * renamed to hv_*: a test includes libc's <string.h> first, then this header, so libc's
 * declarations stay intact and every later use (ours and the test's) means the hv_ version.
 */
#ifdef HOST_TEST
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memset hv_memset
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strchr hv_strchr
#define strlcpy hv_strlcpy
#endif

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/*
 * Copy src into dst[size], truncating and always NUL-terminating when size > 0.
 * Returns strlen(src): a result >= size means the copy was truncated.
 */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
