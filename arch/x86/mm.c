/*
 * Boot memory layout: find the RAM nobody else uses, move the image to the top of it below 4 GiB
 * with the frame pool right after, and switch to page tables of our own (W^X image, NX direct map).
 */
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "lib/range.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/paging.h"

#define LOW_MEMORY_END (1 * MiB)          /* real-mode area, BIOS data, trampolines: never the pool's */
/*
 * The AP trampoline page is hidden from the guest while an AP may run from it: it goes below
 * 64 KiB, which Linux keeps for the BIOS and never reads (it scans the top of base memory, where an
 * EBDA or MP table might be). Real-mode code does use it (a stack at 0:FFFE): once every AP is up,
 * smp_init() gives the page back (mm_return_trampoline).
 */
#define TRAMPOLINE_LIMIT 0x10000
#define HV_REGION_ALIGN (2 * MiB)         /* lets the guest's nested tables use large pages around us */
#define IOREMAP_BASE 0xFFFFC00000000000ULL
#define IOREMAP_SIZE (1 * GiB)

extern char __image_start[], __load_end_phys[], __image_end_phys[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __bss_end[];

/* Copies the image and switches CR3 without touching the stack in between (mm_relocate.asm). */
void relocate_image(void *dst, const void *src, uint64_t len, uint64_t new_cr3);

struct hv_layout hv_layout = { .physmap_limit = 4 * GiB }; /* the early tables map 0-4 GiB */

static struct range_set free_ram;
static struct range_set ram_ranges; /* RAM-typed firmware ranges (usable, ACPI, NVS) */
static struct pt_ctx host_pt;
static paddr_t host_root;
static uint64_t nx_bit;
static uint64_t ioremap_next = IOREMAP_BASE;

static const void *physmap_map(const struct phys_view *view, paddr_t pa, uint64_t len)
{
	if (pa >= hv_layout.physmap_limit || len > hv_layout.physmap_limit - pa)
		return NULL;
	return phys_to_virt(pa);
}

static const struct phys_view physmap = { .map = physmap_map };

const struct phys_view *physmap_view(void)
{
	return &physmap;
}

paddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= HV_VIRT_BASE)
		return hv_layout.image_base + (v - HV_VIRT_BASE - hv_layout.loaded_base);
	BUG_ON(v < PHYSMAP_BASE || v - PHYSMAP_BASE >= hv_layout.physmap_limit);
	return v - PHYSMAP_BASE;
}

void *alloc_zeroed_frames(uint64_t bytes, paddr_t *pa)
{
	uint64_t size = ALIGN_UP(bytes, FRAME_SIZE);
	paddr_t frames = frame_alloc_contig(size / FRAME_SIZE, FRAME_SIZE);

	if (!frames)
		panic("out of hypervisor memory for %llu KiB (raise hvmem=, now %llu MiB)",
		      (unsigned long long)(size / KiB),
		      (unsigned long long)((hv_layout.pool_end - hv_layout.pool_base) / MiB));
	memset(phys_to_virt(frames), 0, size);
	if (pa)
		*pa = frames;
	return phys_to_virt(frames);
}

paddr_t frame_alloc_zeroed(void)
{
	paddr_t pa;

	alloc_zeroed_frames(FRAME_SIZE, &pa);
	return pa;
}

static paddr_t alloc_table(void *opaque)
{
	return frame_alloc_zeroed();
}

static void *table_virt(paddr_t pa, void *opaque)
{
	return phys_to_virt(pa);
}

static void must(int rc, const char *what)
{
	if (rc)
		panic("memory setup: %s failed (error %d)", what, rc);
}

static uint64_t range_end(uint64_t base, uint64_t len)
{
	return base + len < base ? UINT64_MAX : base + len;
}

static struct range_set guest_ram;

/* Usable RAM as firmware reports it; where entries overlap, the non-usable type wins. */
static void usable_ram(struct range_set *s, const struct boot_info *bi)
{
	range_set_init(s);
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type == MEM_USABLE)
			must(range_set_add(s, bi->mmap[i].base, range_end(bi->mmap[i].base, bi->mmap[i].len)),
			     "listing usable RAM");
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type != MEM_USABLE)
			must(range_set_remove(s, bi->mmap[i].base, range_end(bi->mmap[i].base, bi->mmap[i].len)),
			     "listing usable RAM");
}

/* The loader's data: modules and the boot information. */
static void remove_loader_data(struct range_set *s, const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_mods; i++)
		must(range_set_remove(s, bi->mods[i].start, bi->mods[i].end), "removing a module");
	for (uint32_t i = 0; i < bi->nr_used; i++)
		must(range_set_remove(s, bi->used[i].start, bi->used[i].end), "removing the boot info");
}

/*
 * Booted through UEFI, configuration tables the guest reads may lie in boot services memory: the
 * hypervisor takes none of it (it stays usable for the guest).
 */
static void remove_efi_boot_services(struct range_set *s, const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_efi_bs; i++)
		must(range_set_remove(s, bi->efi_bs[i].start, bi->efi_bs[i].end), "removing EFI boot services memory");
	if (bi->efi_bs_overflow)
		pr_warn("mm: more than %u EFI boot services ranges: the hypervisor may take one the guest needs",
			BOOT_EFI_BS_MAX);
}

/*
 * Free RAM = usable - everything else firmware reports - low memory - image, modules, boot info
 * - EFI boot services memory.
 */
static void build_free_ram(const struct boot_info *bi)
{
	usable_ram(&free_ram, bi);
	usable_ram(&guest_ram, bi); /* the hypervisor region is taken out once it is placed */
	range_set_init(&ram_ranges);
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type != MEM_RESERVED && bi->mmap[i].type != MEM_BAD)
			must(range_set_add(&ram_ranges, bi->mmap[i].base, range_end(bi->mmap[i].base, bi->mmap[i].len)),
			     "listing RAM");
	must(range_set_remove(&free_ram, 0, LOW_MEMORY_END), "removing low memory");
	must(range_set_remove(&free_ram, hv_layout.loaded_base, hv_layout.loaded_end), "removing the image");
	remove_loader_data(&free_ram, bi);
	remove_efi_boot_services(&free_ram, bi);
	must(range_set_align_pages(&free_ram, FRAME_SIZE), "aligning free RAM");
}

static void place_hypervisor(uint64_t pool_size)
{
	uint64_t image_size = ALIGN_UP(hv_layout.loaded_end - hv_layout.loaded_base, FRAME_SIZE);
	uint64_t total = image_size + pool_size;
	uint64_t base;

	if (range_set_find_top(&free_ram, total, HV_REGION_ALIGN, 4 * GiB, &base) &&
	    range_set_find_top(&free_ram, total, FRAME_SIZE, 4 * GiB, &base))
		panic("no free block of %llu KiB below 4 GiB for the hypervisor (image %llu KiB + hvmem=%llu MiB)",
		      (unsigned long long)(total / KiB), (unsigned long long)(image_size / KiB),
		      (unsigned long long)(pool_size / MiB));
	hv_layout.hv_base = base;
	hv_layout.hv_end = base + total;
	hv_layout.image_base = base;
	hv_layout.image_end = base + image_size;
	hv_layout.pool_base = base + image_size;
	hv_layout.pool_end = base + total;
	must(range_set_remove(&free_ram, base, base + total), "reserving the hypervisor region");
	/* The loader's copy of the image becomes free once we run from the new one. */
	must(range_set_add(&free_ram, ALIGN_UP(hv_layout.loaded_base, FRAME_SIZE),
			   ALIGN_DOWN(hv_layout.loaded_end, FRAME_SIZE)),
	     "freeing the loaded image");
	must(frame_pool_init(hv_layout.pool_base, pool_size), "initialising the frame pool");
}

/* Above 4 GiB only RAM and ACPI ranges count: firmware may report huge reserved windows there. */
/* The AP start page: usable, below 1 MiB (real mode), not page 0 and not the loader's data. */
static void reserve_trampoline_page(const struct boot_info *bi)
{
	static struct range_set low;
	uint64_t page;

	usable_ram(&low, bi);
	remove_loader_data(&low, bi);
	must(range_set_remove(&low, 0, FRAME_SIZE), "listing low memory");
	if (range_set_find_top(&low, FRAME_SIZE, FRAME_SIZE, TRAMPOLINE_LIMIT, &page))
		panic("no free page below %#x for the AP start trampoline", TRAMPOLINE_LIMIT);
	hv_layout.trampoline = page;
	/* The wake page (vmm/sleep.c): the next one down, hidden for good; none means no sleep states. */
	must(range_set_remove(&low, page, page + FRAME_SIZE), "listing low memory");
	if (!range_set_find_top(&low, FRAME_SIZE, FRAME_SIZE, TRAMPOLINE_LIMIT, &page))
		hv_layout.wake_page = page;
}

static uint64_t top_of_memory(const struct boot_info *bi)
{
	uint64_t top = 4 * GiB;

	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type != MEM_RESERVED && bi->mmap[i].type != MEM_BAD)
			top = MAX(top, range_end(bi->mmap[i].base, bi->mmap[i].len));
	return ALIGN_UP(top, GiB);
}

static void map_image_section(const char *start, const char *end, uint64_t flags, const char *what)
{
	uintptr_t va = (uintptr_t)start;
	paddr_t pa = hv_layout.image_base + (va - HV_VIRT_BASE - hv_layout.loaded_base);

	if (end > start)
		must(pt_map(&host_pt, host_root, va, pa, ALIGN_UP((uintptr_t)end - va, FRAME_SIZE), flags), what);
}

static void build_host_tables(const struct boot_info *bi)
{
	pt_ctx_init_x86(&host_pt, alloc_table, table_virt, NULL);
	host_pt.allow_1g = boot_cpu.pages_1g;
	host_pt.table_flags = PTE_P | PTE_W; /* no user mappings in the hypervisor */
	nx_bit = boot_cpu.nx ? PTE_NX : 0;
	host_root = frame_alloc_zeroed();

	/* W^X: code is read-only, everything writable or read-only data is not executable. */
	map_image_section(__text_start, __text_end, PTE_P, "mapping .text");
	map_image_section(__rodata_start, __rodata_end, PTE_P | nx_bit, "mapping .rodata");
	map_image_section(__data_start, __bss_end, PTE_P | PTE_W | nx_bit, "mapping .data/.bss");

	/*
	 * The direct map covers all of the first 4 GiB (firmware tables, MMIO holes) and all RAM above.
	 * It is write-back in the page tables; MMIO in it is uncached through the firmware's MTRRs,
	 * and drivers that own a device map it with ioremap() instead.
	 */
	hv_layout.physmap_limit = top_of_memory(bi);
	must(pt_map(&host_pt, host_root, PHYSMAP_BASE, 0, hv_layout.physmap_limit, PTE_P | PTE_W | nx_bit),
	     "mapping the direct map");
}

void *ioremap(paddr_t pa, uint64_t size)
{
	paddr_t first = ALIGN_DOWN(pa, FRAME_SIZE);
	uint64_t len = ALIGN_UP(pa + size, FRAME_SIZE) - first;
	uint64_t va = ioremap_next;

	if (!size || len > IOREMAP_BASE + IOREMAP_SIZE - va)
		return NULL;
	if (pt_map(&host_pt, host_root, va, first, len, PTE_P | PTE_W | PTE_PCD | PTE_PWT | nx_bit))
		return NULL;
	ioremap_next += len;
	for (uint64_t off = 0; off < len; off += FRAME_SIZE)
		invlpg(va + off);
	return (void *)(va + (pa - first));
}

void mm_init(const struct boot_info *bi, uint64_t pool_size)
{
	hv_layout.loaded_base = (paddr_t)__image_start;
	hv_layout.loaded_end = (paddr_t)__image_end_phys;
	build_free_ram(bi);
	reserve_trampoline_page(bi);
	place_hypervisor(pool_size);
	must(range_set_remove(&guest_ram, hv_layout.hv_base, hv_layout.hv_end), "hiding the hypervisor");
	must(range_set_remove(&guest_ram, hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE),
	     "hiding the AP trampoline");
	hv_layout.trampoline_hidden = true;
	if (hv_layout.wake_page)
		must(range_set_remove(&guest_ram, hv_layout.wake_page, hv_layout.wake_page + FRAME_SIZE),
		     "hiding the wake page");
	must(range_set_align_pages(&guest_ram, FRAME_SIZE), "aligning guest RAM");
	hv_layout.free_total = range_set_total(&free_ram);
	hv_layout.free_below_4g = hv_layout.free_total;
	for (unsigned int i = 0; i < free_ram.nr; i++)
		if (free_ram.r[i].end > 4 * GiB)
			hv_layout.free_below_4g -= free_ram.r[i].end - MAX(free_ram.r[i].start, 4 * GiB);
	build_host_tables(bi);

	/* From here on the stack and every static variable live in the new copy. */
	relocate_image(phys_to_virt(hv_layout.image_base), phys_to_virt(hv_layout.loaded_base),
		       hv_layout.loaded_end - hv_layout.loaded_base, host_root);

	pr_info("mm: hypervisor at %#llx-%#llx (%llu KiB): image %#llx-%#llx, frame pool %#llx-%#llx",
		(unsigned long long)hv_layout.hv_base, (unsigned long long)hv_layout.hv_end - 1,
		(unsigned long long)((hv_layout.hv_end - hv_layout.hv_base) / KiB),
		(unsigned long long)hv_layout.image_base, (unsigned long long)hv_layout.image_end - 1,
		(unsigned long long)hv_layout.pool_base, (unsigned long long)hv_layout.pool_end - 1);
	pr_info("mm: moved from %#llx-%#llx; free RAM for the guest: %llu MiB (%llu MiB below 4 GiB) in %u ranges",
		(unsigned long long)hv_layout.loaded_base, (unsigned long long)hv_layout.loaded_end - 1,
		(unsigned long long)(hv_layout.free_total / MiB), (unsigned long long)(hv_layout.free_below_4g / MiB),
		free_ram.nr);
	pr_info("mm: AP trampoline page at %#llx, wake page at %#llx", (unsigned long long)hv_layout.trampoline,
		(unsigned long long)hv_layout.wake_page);
	pr_info("mm: own page tables at %#llx: text RX, rodata R, data RW+NX%s, direct map of %llu GiB",
		(unsigned long long)host_root, boot_cpu.nx ? "" : " (no NX on this CPU)",
		(unsigned long long)(hv_layout.physmap_limit / GiB));
}

paddr_t mm_host_root(void)
{
	return host_root;
}

paddr_t mm_make_identity_cr3(paddr_t page)
{
	paddr_t root = frame_alloc_zeroed();
	uint64_t *entries = phys_to_virt(root);
	const uint64_t *host = phys_to_virt(host_root);

	/* The upper half (image, direct map, ioremap) is shared: copy the top-level entries. */
	for (unsigned int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		entries[i] = host[i];
	must(pt_map(&host_pt, root, page, page, FRAME_SIZE, PTE_P), "identity-mapping the AP trampoline");
	return root;
}

void mm_return_trampoline(void)
{
	must(range_set_add(&guest_ram, hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE),
	     "returning the AP trampoline page");
	hv_layout.trampoline_hidden = false;
	pr_info("mm: AP trampoline page %#llx returned to the guest: every CPU has left it",
		(unsigned long long)hv_layout.trampoline);
}

const struct range_set *mm_guest_ram(void)
{
	return &guest_ram;
}

const struct range_set *mm_ram_ranges(void)
{
	return &ram_ranges;
}
