/*
 * MSR intercept bitmaps for both vendors behind one API.
 *
 * The functions are pure: they work on a buffer the caller provides (and maps for the hardware),
 * so the same code runs in the hypervisor and in host unit tests.
 *
 * VMX MSR bitmap (Intel SDM vol. 3C 25.6.9): one 4 KiB page in four 1 KiB quarters, one bit per
 * MSR, bit set = VM exit:
 *   0x000 read  0x00000000-0x00001FFF     0x400 read  0xC0000000-0xC0001FFF
 *   0x800 write 0x00000000-0x00001FFF     0xC00 write 0xC0000000-0xC0001FFF
 * Any other MSR always exits.
 *
 * SVM MSR permission map (AMD APM vol. 2 15.11): 8 KiB, three 2 KiB vectors, two bits per MSR
 * (even bit = read intercept, odd bit = write intercept):
 *   0x0000 0x00000000-0x00001FFF   0x0800 0xC0000000-0xC0001FFF   0x1000 0xC0010000-0xC0011FFF
 * The last 2 KiB are reserved and left set. Any other MSR is always intercepted.
 */
#ifndef HV_VMM_MSR_BITMAP_H
#define HV_VMM_MSR_BITMAP_H

#include "types.h"

/* Access types; combine with |. */
#define MSR_R 1u
#define MSR_W 2u
#define MSR_RW (MSR_R | MSR_W)

enum msr_bitmap_layout {
	MSR_BITMAP_VMX,
	MSR_BITMAP_SVM,
};

#define MSR_BITMAP_VMX_SIZE 0x1000
#define MSR_BITMAP_SVM_SIZE 0x2000

/* Bytes the layout needs (the buffer must be this large and, for the hardware, page-aligned). */
size_t msr_bitmap_size(enum msr_bitmap_layout layout);

/* Intercept everything: set every bit of the buffer. */
void msr_bitmap_init(enum msr_bitmap_layout layout, void *bitmap);

/*
 * Intercept (intercept = true) or pass through the accesses in type (MSR_R, MSR_W or both) of msr.
 * Returns 0; -E_INVAL for an unknown layout or a type that is 0 or has other bits; -E_RANGE when
 * asked to pass through an MSR the layout always intercepts (the bitmap is then unchanged).
 * Intercepting such an MSR is a successful no-op.
 */
int msr_bitmap_set(enum msr_bitmap_layout layout, void *bitmap, uint32_t msr, unsigned type,
		   bool intercept);

/*
 * True if any access in type to msr exits: always true for an MSR outside the layout's ranges,
 * for an unknown layout and for a type with bits other than MSR_R and MSR_W; false for type 0.
 */
bool msr_bitmap_intercepts(enum msr_bitmap_layout layout, const void *bitmap, uint32_t msr,
			   unsigned type);

#endif
