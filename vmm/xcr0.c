/* XCR0 validation for the guest's XSETBV: see include/vmm/xcr0.h. */
#include "vmm/xcr0.h"
#include "errno.h"

/* A group of bits that must be all set or all clear. */
static bool all_or_none(uint64_t value, uint64_t group)
{
	return (value & group) == 0 || (value & group) == group;
}

int xcr0_check(uint64_t value, uint64_t allowed)
{
	if (value & ~XCR0_DEFINED)
		return -E_INVAL;
	if (value & ~allowed)
		return -E_INVAL;
	if (!(value & XCR0_X87))
		return -E_INVAL;
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return -E_INVAL;
	if (!all_or_none(value, XCR0_AVX512))
		return -E_INVAL;
	/* SDM: XCR0[7:5] != 000b requires XCR0[2:1] = 11b. */
	if ((value & XCR0_AVX512) && !(value & XCR0_AVX))
		return -E_INVAL;
	if (!all_or_none(value, XCR0_MPX))
		return -E_INVAL;
	if (!all_or_none(value, XCR0_AMX))
		return -E_INVAL;
	return 0;
}

uint64_t xcr0_guest_allowed(uint64_t host_supported)
{
	uint64_t m = host_supported & XCR0_GUEST_POLICY;

	if ((m & (XCR0_X87 | XCR0_SSE)) != (XCR0_X87 | XCR0_SSE))
		return 0;
	if (!(m & XCR0_AVX) || !all_or_none(m, XCR0_AVX512))
		m &= ~XCR0_AVX512;
	if (!all_or_none(m, XCR0_AMX))
		m &= ~XCR0_AMX;
	if (!all_or_none(m, XCR0_MPX))
		m &= ~XCR0_MPX;
	return m;
}
