/*
 * XCR0 (XFEATURE_ENABLED_MASK) rules for the guest's XSETBV.
 *
 * XCR0 bit i enables XSAVE state component i (Intel SDM vol. 1 13.1 and 13.3, AMD APM vol. 2 11.5).
 * Only user-state components may appear in XCR0; supervisor-state components (8 PT, 10 PASID,
 * 11 CET_U, 12 CET_S, 13 HDC, 14 UINTR, 15 LBR, 16 HWP) live in IA32_XSS, and writing one of them
 * to XCR0 faults like any other reserved bit.
 *
 * The XSETBV exit handler: ECX (the XCR index) other than 0 -> #GP(0); xcr0_check() fails ->
 * #GP(0); otherwise execute XSETBV through the exception table. (#UD for CR4.OSXSAVE = 0 and #GP
 * for CPL > 0 are raised by the processor before any exit.)
 */
#ifndef HV_VMM_XCR0_H
#define HV_VMM_XCR0_H

#include "types.h"

/* User-state components (XCR0 bits). */
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)       /* upper halves of YMM0-15 */
#define XCR0_BNDREGS (1ULL << 3)   /* MPX BND0-3 */
#define XCR0_BNDCSR (1ULL << 4)    /* MPX BNDCFGU, BNDSTATUS */
#define XCR0_OPMASK (1ULL << 5)    /* AVX-512 k0-7 */
#define XCR0_ZMM_HI256 (1ULL << 6) /* AVX-512 upper halves of ZMM0-15 */
#define XCR0_HI16_ZMM (1ULL << 7)  /* AVX-512 ZMM16-31 */
#define XCR0_PKRU (1ULL << 9)
#define XCR0_XTILECFG (1ULL << 17)  /* AMX TILECFG */
#define XCR0_XTILEDATA (1ULL << 18) /* AMX TMM0-7 */
#define XCR0_APX (1ULL << 19)       /* APX R16-R31 */
#define XCR0_LWP (1ULL << 62)       /* AMD lightweight profiling */

#define XCR0_MPX (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_AMX (XCR0_XTILECFG | XCR0_XTILEDATA)

/* Every bit XCR0 can architecturally hold; all others (63 included) are reserved. */
#define XCR0_DEFINED                                                                          \
	(XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX | XCR0_AVX512 | XCR0_PKRU | XCR0_AMX |     \
	 XCR0_APX | XCR0_LWP)

/*
 * The components a guest may enable when the host has them. Left out on purpose:
 *   MPX (3, 4): deprecated, absent on current CPUs and dropped by Linux;
 *   APX (19):   the exit decoders (MMIO emulation) do not understand REX2 / R16-R31 operands;
 *   LWP (62):   discontinued by AMD and needs its own MSRs.
 */
#define XCR0_GUEST_POLICY (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | XCR0_PKRU | XCR0_AMX)

/*
 * Is value a valid XCR0 for a guest that may enable the bits in allowed?
 * Returns 0, or -E_INVAL when any XSETBV rule is broken (SDM vol. 2 XSETBV, vol. 1 13.3):
 *   bit 0 (x87) clear; AVX without SSE; AVX-512 bits (5-7) neither all set nor all clear, or set
 *   without AVX; MPX bits 3 and 4 different; AMX bits 17 and 18 different; a reserved bit
 *   (outside XCR0_DEFINED); a bit outside allowed.
 */
int xcr0_check(uint64_t value, uint64_t allowed);

/*
 * The XCR0 bits the guest may set: host_supported (CPUID 0xD.0 EDX:EAX) & XCR0_GUEST_POLICY,
 * reduced to a mask that is itself a valid XCR0 (a group the host has only in part, e.g. one of
 * the AVX-512 bits, or AVX-512 without AVX, is dropped). 0 when the host lacks x87 or SSE state
 * (no usable XSAVE); then the guest should not see XSAVE at all.
 */
uint64_t xcr0_guest_allowed(uint64_t host_supported);

#endif
