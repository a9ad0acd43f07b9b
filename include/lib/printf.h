/*
 * printf-style formatting without libc.
 *
 * Supported: %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, width and precision as digits
 * or '*', length modifiers hh h l ll z t j. No floating point and no %n. Differences from C:
 *  - %s with NULL prints "(null)", cut by the precision like any string;
 *  - %p always prints "0x" and 16 hex digits (NULL too); only width and '-' apply to it;
 *  - an unknown conversion is printed as is, e.g. "%y" stays "%y".
 * Return values follow C99: the length the full output has (capped at INT_MAX), whatever
 * the buffer size.
 */
#ifndef HV_LIB_PRINTF_H
#define HV_LIB_PRINTF_H

#include "types.h"

/*
 * Host unit tests also link libc's snprintf: there ours are renamed to hv_*. A test includes
 * libc's <stdio.h> first, then this header, so both can coexist (see lib/string.h).
 */
#ifdef HOST_TEST
#define vsnprintf hv_vsnprintf
#define snprintf hv_snprintf
#endif

/* Output sink for vcbprintf: called once per character, in order. */
typedef void (*printf_emit_t)(char c, void *ctx);

/* Format into emit() with no buffer (used by the console). Returns the characters emitted. */
int vcbprintf(printf_emit_t emit, void *ctx, const char *fmt, va_list ap) __printf(3, 0);

/*
 * Format into buf[size]. Always NUL-terminates when size > 0; buf may be NULL when size is 0.
 * Returns the length the whole output would have: a result >= size means it was truncated.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
