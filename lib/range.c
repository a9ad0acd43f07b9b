/* Sets of half-open physical ranges: see include/lib/range.h. */
#include "lib/range.h"
#include "errno.h"

static bool range_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Open a hole at index i (the caller has checked capacity). */
static void insert_at(struct range_set *s, unsigned int i, uint64_t start, uint64_t end)
{
	for (unsigned int k = s->nr; k > i; k--)
		s->r[k] = s->r[k - 1];
	s->r[i].start = start;
	s->r[i].end = end;
	s->nr++;
}

/* Drop the n entries starting at index i. */
static void delete_at(struct range_set *s, unsigned int i, unsigned int n)
{
	for (unsigned int k = i; k + n < s->nr; k++)
		s->r[k] = s->r[k + n];
	s->nr -= n;
}

void range_set_init(struct range_set *s)
{
	s->nr = 0;
}

int range_set_add(struct range_set *s, uint64_t start, uint64_t end)
{
	unsigned int i, j;

	if (start > end)
		return -E_INVAL;
	if (start == end)
		return 0;

	/* i: first range that ends at or after start (so it touches or overlaps or lies above). */
	for (i = 0; i < s->nr && s->r[i].end < start; i++)
		;
	/* j: one past the last range that starts at or before end (touches or overlaps). */
	for (j = i; j < s->nr && s->r[j].start <= end; j++)
		;

	if (i == j) {
		if (s->nr == RANGE_SET_CAPACITY)
			return -E_NOMEM;
		insert_at(s, i, start, end);
		return 0;
	}

	/* Ranges i .. j-1 merge with the new one into entry i. */
	s->r[i].start = MIN(start, s->r[i].start);
	s->r[i].end = MAX(end, s->r[j - 1].end);
	delete_at(s, i + 1, j - i - 1);
	return 0;
}

int range_set_remove(struct range_set *s, uint64_t start, uint64_t end)
{
	unsigned int i;

	if (start > end)
		return -E_INVAL;
	if (start == end)
		return 0;

	/* Skip ranges entirely below the hole. */
	for (i = 0; i < s->nr && s->r[i].end <= start; i++)
		;
	if (i == s->nr || s->r[i].start >= end)
		return 0;

	/* One range strictly around the hole: split it, which needs a free slot. */
	if (s->r[i].start < start && s->r[i].end > end) {
		if (s->nr == RANGE_SET_CAPACITY)
			return -E_NOMEM;
		insert_at(s, i + 1, end, s->r[i].end);
		s->r[i].end = start;
		return 0;
	}

	/* Keep the head of the first range if it starts below the hole. */
	if (s->r[i].start < start) {
		s->r[i].end = start;
		i++;
	}
	/* Drop ranges that lie wholly inside the hole, then trim the tail of the next one. */
	unsigned int n = 0;
	while (i + n < s->nr && s->r[i + n].end <= end)
		n++;
	delete_at(s, i, n);
	if (i < s->nr && s->r[i].start < end)
		s->r[i].start = end;
	return 0;
}

bool range_set_contains(const struct range_set *s, uint64_t start, uint64_t end)
{
	if (start >= end)
		return false;
	for (unsigned int i = 0; i < s->nr; i++) {
		if (s->r[i].end >= end)
			return s->r[i].start <= start;
	}
	return false;
}

bool range_set_overlaps(const struct range_set *s, uint64_t start, uint64_t end)
{
	if (start >= end)
		return false;
	for (unsigned int i = 0; i < s->nr; i++) {
		if (s->r[i].start >= end)
			return false;
		if (s->r[i].end > start)
			return true;
	}
	return false;
}

uint64_t range_set_total(const struct range_set *s)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < s->nr; i++)
		total += s->r[i].end - s->r[i].start;
	return total;
}

int range_set_align_pages(struct range_set *s, uint64_t page)
{
	unsigned int out = 0;

	if (!range_is_pow2(page))
		return -E_INVAL;

	/* Shrinking keeps the order and leaves a gap between neighbours, so no merge is needed. */
	for (unsigned int i = 0; i < s->nr; i++) {
		uint64_t start = s->r[i].start;
		uint64_t end = ALIGN_DOWN(s->r[i].end, page);

		if (start > UINT64_MAX - (page - 1))
			continue; /* rounding up would wrap */
		start = ALIGN_UP(start, page);
		if (start >= end)
			continue;
		s->r[out].start = start;
		s->r[out].end = end;
		out++;
	}
	s->nr = out;
	return 0;
}

int range_set_find_top(const struct range_set *s, uint64_t size, uint64_t align, uint64_t limit,
		       uint64_t *out)
{
	if (!size || !range_is_pow2(align))
		return -E_INVAL;

	for (unsigned int i = s->nr; i-- > 0;) {
		uint64_t lo = s->r[i].start;
		uint64_t hi = MIN(s->r[i].end, limit);

		if (hi <= lo || hi - lo < size)
			continue;
		uint64_t a = ALIGN_DOWN(hi - size, align);
		if (a >= lo) {
			*out = a;
			return 0;
		}
	}
	return -E_NOENT;
}
