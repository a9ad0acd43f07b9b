/*
 * The hypervisor's memory: where it lives, its page tables, and the direct map.
 *
 * mm_init() moves the image to the top of RAM below 4 GiB, followed by the frame pool, so the
 * guest later gets all low memory in one block; [hv_base, hv_end) is everything the hypervisor
 * keeps. After it, every physical address below physmap_limit is reachable at PHYSMAP_BASE + pa.
 */
#ifndef HV_MM_H
#define HV_MM_H

#include "bootinfo.h"
#include "physmem.h"
#include "types.h"
#include "x86/boot.h"

struct hv_layout {
	paddr_t hv_base, hv_end;       /* all hypervisor memory: image, then frame pool */
	paddr_t image_base, image_end; /* the running image (after the move) */
	paddr_t pool_base, pool_end;   /* the frame pool */
	paddr_t loaded_base, loaded_end; /* where the loader put the image (free after the move) */
	paddr_t physmap_limit;         /* the direct map covers [0, physmap_limit) */
	uint64_t free_below_4g;        /* free RAM left for the guest below 4 GiB */
	uint64_t free_total;           /* free RAM left for the guest */
	paddr_t trampoline;            /* the AP start page below 1 MiB */
	bool trampoline_hidden;        /* kept from the guest: until every AP is up, or for good */
	paddr_t wake_page;             /* below 1 MiB, kept from the guest for good: the S3 resume entry (0: none) */
};

extern struct hv_layout hv_layout;

void mm_init(const struct boot_info *bi, uint64_t pool_size);

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(PHYSMAP_BASE + pa);
}

paddr_t virt_to_phys(const void *va);

/* Reads physical memory through the direct map (bounded by what it covers). */
const struct phys_view *physmap_view(void);

/*
 * The one allocator of zeroed hypervisor memory: `bytes` rounded up to whole frames, physically
 * contiguous and page-aligned, zeroed through the direct map. Returns its address there, and the
 * physical one in *pa unless pa is NULL. Panics when the pool is exhausted: it serves structures
 * the hypervisor cannot go on without (tables, bitmaps, per-CPU and per-vCPU state).
 */
void *alloc_zeroed_frames(uint64_t bytes, paddr_t *pa);

/* One zeroed frame (alloc_zeroed_frames()), by physical address. */
paddr_t frame_alloc_zeroed(void);

/* The hypervisor's page tables. */
paddr_t mm_host_root(void);
/* Tables that share the hypervisor half with mm_host_root() and identity-map one low page (AP start). */
paddr_t mm_make_identity_cr3(paddr_t page);

struct range_set;
/* Usable RAM minus the hypervisor region (and the AP trampoline page while hidden): the guest's. */
const struct range_set *mm_guest_ram(void);
/*
 * Every AP that will ever run from the trampoline page has left it: the page becomes guest RAM
 * again, as on a machine without a hypervisor (real-mode code puts its stack at 0:FFFE).
 */
void mm_return_trampoline(void);
/* Every RAM-typed firmware range (usable, ACPI, NVS): cacheable in the guest's nested tables. */
const struct range_set *mm_ram_ranges(void);

/* Maps MMIO [pa, pa + size) uncached; returns its virtual address or NULL. */
void *ioremap(paddr_t pa, uint64_t size);

#endif
