/* What every guest loader needs: the guest's memory map, and room for its boot data. */
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "mm.h"
#include "panic.h"
#include "vmm/guest.h"

static void add_entry(struct guest_mem_entry *map, unsigned int *n, unsigned int max, uint64_t base, uint64_t end,
		      uint32_t type)
{
	unsigned int i = *n;

	if (end <= base || *n == max)
		return;
	/* Insertion keeps the map sorted by base, as guests expect. */
	while (i > 0 && map[i - 1].base > base) {
		map[i] = map[i - 1];
		i--;
	}
	map[i] = (struct guest_mem_entry){ base, end - base, type };
	(*n)++;
}

unsigned int guest_memory_map(const struct partition *p, const struct boot_info *bi, struct guest_mem_entry *map,
			      unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->ram.nr; i++)
		add_entry(map, &n, max, p->ram.r[i].start, p->ram.r[i].end, MEM_USABLE);
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type != MEM_USABLE)
			add_entry(map, &n, max, bi->mmap[i].base, bi->mmap[i].base + bi->mmap[i].len, bi->mmap[i].type);
	add_entry(map, &n, max, hv_layout.hv_base, hv_layout.hv_end, MEM_RESERVED);
	if (hv_layout.trampoline_hidden)
		add_entry(map, &n, max, hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE, MEM_RESERVED);
	return n;
}

int guest_place_low(const struct partition *p, const struct range_set *busy, uint64_t size, uint64_t *gpa)
{
	static struct range_set low;

	range_set_init(&low);
	for (unsigned int i = 0; i < p->ram.nr; i++)
		if (p->ram.r[i].start < GUEST_LOW_MEMORY_LIMIT)
			BUG_ON(range_set_add(&low, MAX(p->ram.r[i].start, FRAME_SIZE),
					     MIN(p->ram.r[i].end, GUEST_LOW_MEMORY_LIMIT)));
	for (unsigned int i = 0; i < busy->nr; i++)
		BUG_ON(range_set_remove(&low, busy->r[i].start, busy->r[i].end));
	if (range_set_align_pages(&low, FRAME_SIZE) ||
	    range_set_find_top(&low, ALIGN_UP(size, FRAME_SIZE), FRAME_SIZE, GUEST_LOW_MEMORY_LIMIT, gpa)) {
		pr_err("guest: no room below 640 KiB for %llu bytes of the guest's boot data", (unsigned long long)size);
		return -E_NOMEM;
	}
	return 0;
}
