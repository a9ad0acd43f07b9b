/*
 * The 64-bit division helpers GCC calls in 32-bit code (lib/printf.c divides uint64_t). The
 * toolchain here has no 32-bit libgcc, and these few lines are simpler than requiring one.
 */
#include "types.h"

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

/* Shift-and-subtract long division; a zero divisor gives 0 rather than a trap. */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;

	if (d == 0) {
		if (rem)
			*rem = 0;
		return 0;
	}
	for (int bit = 63; bit >= 0; bit--) {
		bool carry = r >> 63; /* the shifted-out bit makes r larger than any divisor */

		r = (r << 1) | ((n >> bit) & 1);
		if (carry || r >= d) {
			r -= d;
			q |= 1ULL << bit;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	return __udivmoddi4(n, d, NULL);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	__udivmoddi4(n, d, &r);
	return r;
}
