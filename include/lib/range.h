/*
 * Sets of half-open physical address ranges [start, end).
 *
 * A set is kept sorted, with no two ranges overlapping or touching (touching ranges are merged),
 * in a fixed array inside the struct, so it needs no allocator and can live on the stack of boot
 * code or in .bss. This is the arithmetic behind the boot memory map: usable RAM minus firmware
 * reservations, the image, the modules and the boot information, and then the choice of where the
 * hypervisor's own memory goes.
 *
 * Every operation that can fail leaves the set unchanged when it fails.
 */
#ifndef HV_LIB_RANGE_H
#define HV_LIB_RANGE_H

#include "types.h"

#define RANGE_SET_CAPACITY 256

struct range {
	uint64_t start; /* first byte */
	uint64_t end;   /* one past the last byte */
};

struct range_set {
	unsigned int nr;                        /* ranges in use, r[0 .. nr) */
	struct range r[RANGE_SET_CAPACITY];     /* sorted by start, disjoint, not touching */
};

/* Empty the set. */
void range_set_init(struct range_set *s);

/*
 * Add [start, end), merging with every range it overlaps or touches. An empty range is a no-op.
 * Returns 0, -E_INVAL if start > end, or -E_NOMEM if a new entry is needed and the set is full.
 */
int range_set_add(struct range_set *s, uint64_t start, uint64_t end);

/*
 * Remove [start, end) from the set, trimming or splitting ranges as needed. Removing what is not
 * in the set is not an error. Returns 0, -E_INVAL if start > end, or -E_NOMEM if a range would be
 * split in two and the set is full.
 */
int range_set_remove(struct range_set *s, uint64_t start, uint64_t end);

/* True if all of [start, end) lies inside one range of the set. False for an empty range. */
bool range_set_contains(const struct range_set *s, uint64_t start, uint64_t end);

/* True if any byte of [start, end) is in the set. False for an empty range. */
bool range_set_overlaps(const struct range_set *s, uint64_t start, uint64_t end);

/* Sum of the lengths of all ranges, in bytes. */
uint64_t range_set_total(const struct range_set *s);

/*
 * Shrink every range inward to multiples of page (a power of two), dropping ranges left empty.
 * Returns 0, or -E_INVAL if page is not a power of two.
 */
int range_set_align_pages(struct range_set *s, uint64_t page);

/*
 * Find the highest address a, aligned to align (a power of two), such that [a, a + size) lies
 * inside one range of the set and a + size <= limit. Stores it in *out and returns 0; returns
 * -E_NOENT if no range has such a block, -E_INVAL if size is 0 or align is not a power of two.
 */
int range_set_find_top(const struct range_set *s, uint64_t size, uint64_t align, uint64_t limit,
		       uint64_t *out);

#endif
