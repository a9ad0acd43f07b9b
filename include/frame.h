/*
 * The physical frame allocator.
 *
 * The hypervisor owns one contiguous pool [base, base + size) of 4 KiB frames, carved at boot from
 * the free memory set (see lib/range.h). Its page tables, per-CPU blocks, VMCBs/VMCSs, MSR bitmaps
 * and second-level tables all come from here. The state is a bitmap sized for the largest pool
 * (FRAME_POOL_MAX), so the allocator needs no memory of its own.
 *
 * The allocator never touches the frames it hands out and does NOT zero them: it has no mapping
 * of them (and on the host, in unit tests, they do not exist). Callers zero a frame through their
 * own mapping before use.
 *
 * Physical address 0 is never a pool address (the pool must lie at or above 1 MiB), so 0 means
 * "no frame". All calls take an internal lock and may be used from any CPU, but not from NMI or
 * exception context (the lock is not reentrant).
 */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include "types.h"

#define FRAME_SHIFT 12
#define FRAME_SIZE (1ULL << FRAME_SHIFT)
#define FRAME_POOL_MAX (1ULL * GiB)
#define FRAME_POOL_MAX_FRAMES (FRAME_POOL_MAX / FRAME_SIZE)
#define FRAME_POOL_MIN_BASE (1ULL * MiB) /* the pool never covers low memory, so 0 is free */

/*
 * (Re)initialise the allocator over [base, base + size), every frame free. base must be
 * FRAME_SIZE aligned and >= FRAME_POOL_MIN_BASE; size a non-zero multiple of FRAME_SIZE, at most
 * FRAME_POOL_MAX, and the range must not wrap. Returns 0 or -E_INVAL (the old pool stays).
 */
int frame_pool_init(paddr_t base, uint64_t size);

/* One frame (not zeroed), or 0 if the pool is exhausted or not initialised. */
paddr_t frame_alloc(void);

/*
 * nr_frames physically contiguous frames (not zeroed) whose first address is a multiple of align
 * (a power of two, at least FRAME_SIZE). Returns the first address, or 0 if no such run is free
 * or the arguments are invalid.
 */
paddr_t frame_alloc_contig(uint64_t nr_frames, uint64_t align);

/*
 * Return a frame, or a run of nr_frames frames, to the pool. A misaligned address, a frame outside
 * the pool or one that is already free is a caller bug: the call changes nothing and returns
 * -E_INVAL. Otherwise returns 0.
 */
int frame_free(paddr_t pa);
int frame_free_contig(paddr_t pa, uint64_t nr_frames);

/* Number of free frames. */
uint64_t frame_free_count(void);

/* The pool as [*base, *end); both 0 before frame_pool_init. Either pointer may be NULL. */
void frame_pool_range(paddr_t *base, paddr_t *end);

#endif
