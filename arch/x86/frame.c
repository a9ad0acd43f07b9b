/*
 * Physical frame allocator: one contiguous pool, one bit per 4 KiB frame (1 = in use).
 * First fit from a rotating hint, so a run of allocations continues where the last one stopped
 * instead of rescanning the used prefix each time.
 */
#include "frame.h"
#include "errno.h"

#define BITS_PER_WORD 64
#define BITMAP_WORDS (FRAME_POOL_MAX_FRAMES / BITS_PER_WORD)

static struct frame_pool {
	paddr_t base;
	uint64_t nr_frames;
	uint64_t nr_free;
	uint64_t hint; /* frame index where the next search starts */
	uint64_t bitmap[BITMAP_WORDS];
} pool;

/*
 * A minimal test-and-set lock made of compiler builtins, so this file stays free of inline asm
 * and builds on the host. Allocation happens at boot and vCPU creation, never on a hot path.
 */
static char pool_lock;

static void pool_acquire(void)
{
	while (__atomic_test_and_set(&pool_lock, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void pool_release(void)
{
	__atomic_clear(&pool_lock, __ATOMIC_RELEASE);
}

static bool frame_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static bool frame_used(uint64_t idx)
{
	return pool.bitmap[idx / BITS_PER_WORD] & (1ULL << (idx % BITS_PER_WORD));
}

static void mark_used(uint64_t idx, uint64_t n)
{
	for (uint64_t i = idx; i < idx + n; i++)
		pool.bitmap[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
	pool.nr_free -= n;
}

static void mark_free(uint64_t idx, uint64_t n)
{
	for (uint64_t i = idx; i < idx + n; i++)
		pool.bitmap[i / BITS_PER_WORD] &= ~(1ULL << (i % BITS_PER_WORD));
	pool.nr_free += n;
}

static void advance_hint(uint64_t next)
{
	pool.hint = next < pool.nr_frames ? next : 0;
}

int frame_pool_init(paddr_t base, uint64_t size)
{
	if (!IS_ALIGNED(base, FRAME_SIZE) || base < FRAME_POOL_MIN_BASE)
		return -E_INVAL;
	if (!size || !IS_ALIGNED(size, FRAME_SIZE) || size > FRAME_POOL_MAX)
		return -E_INVAL;
	if (base + size < base)
		return -E_INVAL;

	pool_acquire();
	pool.base = base;
	pool.nr_frames = size / FRAME_SIZE;
	pool.nr_free = pool.nr_frames;
	pool.hint = 0;
	for (uint64_t w = 0; w < BITMAP_WORDS; w++)
		pool.bitmap[w] = 0;
	/* Bits past the end of the pool in the last word are permanently in use. */
	uint64_t tail = pool.nr_frames % BITS_PER_WORD;
	if (tail)
		pool.bitmap[pool.nr_frames / BITS_PER_WORD] = ~0ULL << tail;
	pool_release();
	return 0;
}

static paddr_t alloc_one(void)
{
	uint64_t nr_words = (pool.nr_frames + BITS_PER_WORD - 1) / BITS_PER_WORD;
	uint64_t w0 = pool.hint / BITS_PER_WORD;

	if (!pool.nr_free)
		return 0;
	/* Start at the hint's own bit; the last step revisits its word for the bits below it. */
	for (uint64_t k = 0; k <= nr_words; k++) {
		uint64_t w = (w0 + k) % nr_words;
		uint64_t free_bits = ~pool.bitmap[w];

		if (k == 0)
			free_bits &= ~0ULL << (pool.hint % BITS_PER_WORD);
		if (!free_bits)
			continue;
		uint64_t idx = w * BITS_PER_WORD + (uint64_t)__builtin_ctzll(free_bits);
		mark_used(idx, 1);
		advance_hint(idx + 1);
		return pool.base + idx * FRAME_SIZE;
	}
	return 0; /* not reached while nr_free is consistent */
}

paddr_t frame_alloc(void)
{
	pool_acquire();
	paddr_t pa = alloc_one();
	pool_release();
	return pa;
}

/*
 * First candidate index >= from in the arithmetic sequence off, off + step, ... (the frames
 * whose physical address has the requested alignment).
 */
static uint64_t next_candidate(uint64_t from, uint64_t off, uint64_t step)
{
	if (from <= off)
		return off;
	return off + (from - off + step - 1) / step * step;
}

/*
 * Search candidates in [from, to] for n free frames. The run is checked from its end, so a used
 * frame lets the search jump past it directly.
 */
static bool find_run(uint64_t from, uint64_t to, uint64_t n, uint64_t off, uint64_t step,
		     uint64_t *found)
{
	uint64_t c = next_candidate(from, off, step);

	while (c <= to) {
		uint64_t j = c + n;

		while (j > c && !frame_used(j - 1))
			j--;
		if (j == c) {
			*found = c;
			return true;
		}
		c = next_candidate(j, off, step); /* j - 1 is in use */
	}
	return false;
}

paddr_t frame_alloc_contig(uint64_t nr_frames, uint64_t align)
{
	paddr_t pa = 0;

	if (!nr_frames || !frame_is_pow2(align) || align < FRAME_SIZE)
		return 0;

	pool_acquire();
	if (nr_frames == 1 && align == FRAME_SIZE) {
		pa = alloc_one();
		goto out;
	}
	if (nr_frames > pool.nr_free || pool.base > UINT64_MAX - (align - 1))
		goto out;

	uint64_t first_pa = ALIGN_UP(pool.base, align);
	uint64_t off = (first_pa - pool.base) / FRAME_SIZE;
	uint64_t step = align / FRAME_SIZE;
	uint64_t last = pool.nr_frames - nr_frames; /* highest start index that fits */
	uint64_t idx;

	if (off > last)
		goto out;
	/* From the hint to the end, then wrap around to candidates below the hint. */
	if (!find_run(pool.hint, last, nr_frames, off, step, &idx) &&
	    !(pool.hint && find_run(0, MIN(pool.hint - 1, last), nr_frames, off, step, &idx)))
		goto out;

	mark_used(idx, nr_frames);
	advance_hint(idx + nr_frames);
	pa = pool.base + idx * FRAME_SIZE;
out:
	pool_release();
	return pa;
}

int frame_free_contig(paddr_t pa, uint64_t nr_frames)
{
	int ret = -E_INVAL;

	pool_acquire();
	if (!nr_frames || !IS_ALIGNED(pa, FRAME_SIZE) || pa < pool.base)
		goto out;
	uint64_t idx = (pa - pool.base) / FRAME_SIZE;
	if (idx >= pool.nr_frames || nr_frames > pool.nr_frames - idx)
		goto out;
	/* Check the whole run before changing anything. */
	for (uint64_t i = idx; i < idx + nr_frames; i++) {
		if (!frame_used(i))
			goto out;
	}
	mark_free(idx, nr_frames);
	ret = 0;
out:
	pool_release();
	return ret;
}

int frame_free(paddr_t pa)
{
	return frame_free_contig(pa, 1);
}

uint64_t frame_free_count(void)
{
	pool_acquire();
	uint64_t n = pool.nr_free;
	pool_release();
	return n;
}

void frame_pool_range(paddr_t *base, paddr_t *end)
{
	pool_acquire();
	if (base)
		*base = pool.base;
	if (end)
		*end = pool.base + pool.nr_frames * FRAME_SIZE;
	pool_release();
}
