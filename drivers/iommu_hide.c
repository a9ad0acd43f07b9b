/*
 * The DMAR and IVRS out of the guest's sight (issue 14): with them, Linux would start its own IOMMU
 * driver on units whose registers it cannot reach. The firmware's tables stay untouched (the
 * firmware follows them again on an S3 wake, vmm/sleep.c checks them); the guest sees copies.
 *
 * How every guest finds the copies: whatever way it finds the RSDP (the BIOS area, boot_params,
 * the EFI configuration table, a multiboot tag), the RSDP names the firmware's RSDT/XSDT by
 * address. So the nested tables map the guest-physical pages holding those root tables to
 * hypervisor copies of the same pages, in which the root tables lack the DMAR/IVRS entries: the
 * only pages where guest-physical differs from host-physical. The copies are writable, as the
 * firmware's pages were: an OS that reuses ACPI memory after parsing it gets RAM that behaves as
 * RAM, and its writes never reach the firmware's tables. The DMA domain keeps those pages 1:1
 * (a device reads the firmware's bytes there, which is harmless). The pages leave the partition's
 * RAM set, so no hypervisor path (partition_gpa_to_hva: hypercalls, loaders) reads the originals
 * believing them the guest's. Other tables sharing a page are copied unchanged.
 */
#include "acpi_view.h"
#include "console.h"
#include "frame.h"
#include "iommu_internal.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "vmm/partition.h"

#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_XSDT 24
#define RSDP_V2_LEN 36
#define HDR_LEN 36
#define ROOT_MAX_LEN (64 * KiB)

static const char *const hidden_sigs[] = { "DMAR", "IVRS" };

struct root {
	paddr_t pa;
	uint32_t len;
	bool xsdt;
};

struct window {
	paddr_t start, end; /* page-aligned, guest-physical */
	paddr_t copy;
};

static bool any_hidden_table(void)
{
	for (unsigned int i = 0; i < platform_acpi.nr_tables; i++)
		for (unsigned int j = 0; j < ARRAY_SIZE(hidden_sigs); j++)
			if (!memcmp(platform_acpi.tables[i].sig, hidden_sigs[j], 4))
				return true;
	return false;
}

static uint64_t rd(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static unsigned int add_root(struct root *roots, unsigned int n, paddr_t pa, bool xsdt)
{
	const uint8_t *hdr = pa ? phys_map(physmap_view(), pa, HDR_LEN) : NULL;
	uint32_t len = hdr ? (uint32_t)rd(hdr + 4, 4) : 0;

	if (!hdr || len < HDR_LEN || len > ROOT_MAX_LEN)
		return n;
	for (unsigned int i = 0; i < n; i++)
		if (roots[i].pa == pa)
			return n;
	roots[n] = (struct root){ pa, len, xsdt };
	return n + 1;
}

/*
 * Both roots the RSDP names, since a guest may use either. Without an RSDP in memory (booted
 * through UEFI, the loader's copy was used) only the root the hypervisor parsed is known.
 */
static unsigned int find_roots(struct root roots[2])
{
	paddr_t rsdp_pa = platform_acpi.rsdp_from_copy ? 0 : platform_acpi.rsdp_pa;
	const uint8_t *rsdp;
	unsigned int n = 0;

	if (!rsdp_pa && acpi_find_rsdp(physmap_view(), &rsdp_pa))
		rsdp_pa = 0;
	rsdp = rsdp_pa ? phys_map(physmap_view(), rsdp_pa, RSDP_V2_LEN) : NULL;
	if (rsdp) {
		n = add_root(roots, n, (paddr_t)rd(rsdp + RSDP_RSDT, 4), false);
		if (rsdp[RSDP_REVISION] >= 2)
			n = add_root(roots, n, (paddr_t)rd(rsdp + RSDP_XSDT, 8), true);
	}
	if (!n && platform_acpi.root_valid) {
		pr_warn("iommu: no RSDP in memory: only the %s the hypervisor parsed is given to the guest without "
			"DMAR/IVRS", platform_acpi.root_is_xsdt ? "XSDT" : "RSDT");
		n = add_root(roots, n, platform_acpi.root_pa, platform_acpi.root_is_xsdt);
	}
	return n;
}

/* The roots' pages, merged where they share one (the RSDT and XSDT often do). */
static unsigned int windows_of(const struct root *roots, unsigned int nr, struct window w[2])
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr; i++) {
		paddr_t start = ALIGN_DOWN(roots[i].pa, FRAME_SIZE), end = ALIGN_UP(roots[i].pa + roots[i].len, FRAME_SIZE);
		unsigned int j;

		for (j = 0; j < n && (end < w[j].start || start > w[j].end); j++)
			;
		if (j < n) {
			w[j].start = MIN(w[j].start, start);
			w[j].end = MAX(w[j].end, end);
		} else {
			w[n++] = (struct window){ start, end, 0 };
		}
	}
	return n;
}

static struct window *window_of(struct window *w, unsigned int n, paddr_t pa)
{
	for (unsigned int i = 0; i < n; i++)
		if (pa >= w[i].start && pa < w[i].end)
			return &w[i];
	return NULL;
}

static void install_window(struct partition *p, struct window *w)
{
	uint64_t size = w->end - w->start;
	const void *orig = phys_map(physmap_view(), w->start, size);
	uint8_t *copy;

	if (!orig)
		panic("iommu: the root tables' pages at %#llx are outside the direct map", (unsigned long long)w->start);
	copy = alloc_zeroed_frames(size, &w->copy);
	memcpy(copy, orig, size);
	if (platform_acpi.facs_valid && platform_acpi.facs_pa < w->end &&
	    platform_acpi.facs_pa + platform_acpi.facs_length > w->start)
		pr_warn("iommu: the FACS at %#llx shares a page with a root table: the guest's waking vector lands in "
			"the copy, which the firmware does not read",
			(unsigned long long)platform_acpi.facs_pa);
	if (range_set_remove(&p->ram, w->start, w->end))
		panic("iommu: cannot take the root tables' pages out of the guest's RAM set");
	if (pt_map(&p->npt, p->npt_root, w->start, w->copy, size, PTE_P | PTE_W | PTE_U))
		panic("iommu: cannot map the guest's copy of the root tables at %#llx", (unsigned long long)w->start);
}

void iommu_hide_acpi_tables(struct partition *p)
{
	struct root roots[2];
	struct window w[2];
	unsigned int nr_roots, nr_windows;

	if (!any_hidden_table())
		return;
	nr_roots = find_roots(roots);
	nr_windows = windows_of(roots, nr_roots, w);
	for (unsigned int i = 0; i < nr_windows; i++)
		install_window(p, &w[i]);
	for (unsigned int i = 0; i < nr_roots; i++) {
		struct window *win = window_of(w, nr_windows, roots[i].pa);
		uint8_t *out = (uint8_t *)phys_to_virt(win->copy) + (roots[i].pa - win->start);
		const uint8_t *orig = phys_map(physmap_view(), roots[i].pa, roots[i].len);
		int dropped = acpi_root_filter(physmap_view(), orig, roots[i].len, roots[i].xsdt, hidden_sigs,
					       ARRAY_SIZE(hidden_sigs), out);

		if (dropped < 0)
			pr_warn("iommu: the %s at %#llx is malformed: the guest sees it unchanged",
				roots[i].xsdt ? "XSDT" : "RSDT", (unsigned long long)roots[i].pa);
		else
			pr_info("iommu: the guest's %s at %#llx lacks %d DMAR/IVRS entr%s (a copy at %#llx; the "
				"firmware's table is untouched)",
				roots[i].xsdt ? "XSDT" : "RSDT", (unsigned long long)roots[i].pa, dropped,
				dropped == 1 ? "y" : "ies",
				(unsigned long long)win->copy + (roots[i].pa - win->start));
	}
}
