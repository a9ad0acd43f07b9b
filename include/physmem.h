/*
 * A view of physical memory for parsers of firmware and loader structures (multiboot info, ACPI
 * tables). phys_map() returns a pointer through which [pa, pa + len) can be read, or NULL when the
 * range is not valid memory for this view. The hypervisor maps through its direct map; host unit
 * tests map into a buffer of crafted bytes, so every pointer a parser follows is bounds-checked.
 */
#ifndef HV_PHYSMEM_H
#define HV_PHYSMEM_H

#include "types.h"

struct phys_view {
	const void *(*map)(const struct phys_view *view, paddr_t pa, uint64_t len);
	void *ctx;
};

static inline const void *phys_map(const struct phys_view *view, paddr_t pa, uint64_t len)
{
	if (len && pa + len < pa)
		return NULL; /* wraps around */
	return view->map(view, pa, len);
}

#endif
