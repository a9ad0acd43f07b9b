/*
 * Intel VT-d driver: finds the remapping units in the DMAR, builds the one domain's second-level
 * tables, and programs every unit to translate through them (legacy mode, see iommu_vtd.h).
 * Units are programmed and enabled once at boot and again after S3; the tables never change
 * after that, so the only invalidations are the global ones before translation is turned on.
 * Fault reporting and the queued-invalidation interface are in iommu_vtd_regs.c.
 */
#include "acpi_dmar.h"
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "iommu_vtd.h"
#include "iommu_vtd_internal.h"
#include "lib/range.h"
#include "lib/string.h"
#include "mm.h"

#define CANONICAL_LOW_LIMIT (1ULL << 47) /* the page-table builder maps the lower half only */
#define CACHE_LINE 64
/* Without 1 GiB leaves, 512 GiB of 2 MiB leaves take 256 tables (1 MiB): the domain stops there. */
#define NO_1G_LIMIT (1ULL << 39)

static struct dmar_info dmar;
static struct vtd_unit vtd_units[DMAR_MAX_UNITS];
static struct pt_ctx sl_ctx;
static paddr_t sl_root4;
static bool sl_2m; /* every unit takes 2 MiB leaves */
static struct range_set rmrr_map; /* the RMRR ranges minus what the domain must never reach */

static void dmar_log(int level, const char *msg, void *ctx)
{
	printk(level, "%s", msg);
}

static paddr_t sl_alloc_table(void *opaque)
{
	paddr_t pa = frame_alloc();

	if (pa)
		memset(phys_to_virt(pa), 0, FRAME_SIZE);
	return pa;
}

static void *sl_phys_to_virt(paddr_t pa, void *opaque)
{
	return phys_to_virt(pa);
}

static void clflush_page(paddr_t pa)
{
	uint8_t *p = phys_to_virt(pa);

	for (unsigned int off = 0; off < FRAME_SIZE; off += CACHE_LINE)
		asm volatile("clflush (%0)" : : "r"(p + off) : "memory");
}

/* A unit that does not snoop (ECAP.C = 0) reads the tables from memory: write them back. */
static void clflush_tree(paddr_t table, unsigned int level)
{
	const uint64_t *t = phys_to_virt(table);

	clflush_page(table);
	if (level == PT_LEVEL_4K)
		return;
	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		if ((t[i] & sl_ctx.present_mask) && !(level <= PT_LEVEL_1G && (t[i] & VTD_SL_PS)))
			clflush_tree(t[i] & sl_ctx.addr_mask, level - 1);
	}
}

static void describe_dmar(void)
{
	pr_info("vt-d: DMAR at %#llx: host address width %u, %u remapping unit(s), %u RMRR(s)%s%s",
		(unsigned long long)dmar.pa, dmar.host_addr_width, dmar.nr_units, dmar.nr_rmrrs,
		dmar.flags & DMAR_FLAG_INTR_REMAP ? ", interrupt remapping offered (left off)" : "",
		dmar.flags & DMAR_FLAG_DMA_CTRL_OPT_IN ? ", platform opted in to DMA protection" : "");
	for (uint32_t i = 0; i < dmar.nr_rmrrs; i++)
		pr_info("vt-d: RMRR %#llx-%#llx (segment %u, %u device(s)): mapped 1:1",
			(unsigned long long)dmar.rmrrs[i].base, (unsigned long long)dmar.rmrrs[i].end - 1,
			dmar.rmrrs[i].segment, dmar.rmrrs[i].nr_scopes);
	for (uint32_t i = 0; i < dmar.nr_scopes; i++) {
		const struct dmar_scope *s = &dmar.scopes[i];

		pr_debug("vt-d: device scope %u: type %u, bus %#x, %02x.%x (%u hop(s)), id %u", i, s->type,
			 s->bus, s->path[s->path_len - 1].dev, s->path[s->path_len - 1].fn, s->path_len,
			 s->enum_id);
	}
}

/* Map a unit's registers and read what it can do. False: the unit cannot be used (logged). */
static bool unit_discover(struct vtd_unit *u, const struct dmar_drhd *d, unsigned int index)
{
	uint64_t span;

	u->index = index;
	u->segment = d->segment;
	u->regs = ioremap(d->reg_base, FRAME_SIZE);
	if (!u->regs) {
		pr_err("vt-d: unit %u at %#llx: cannot map its registers", index,
		       (unsigned long long)d->reg_base);
		return false;
	}
	vtd_caps_decode(vtd_read64(u, VTD_REG_CAP), vtd_read64(u, VTD_REG_ECAP), &u->caps);
	if (u->caps.cap == ~0ULL || !u->caps.cap) {
		pr_err("vt-d: unit %u at %#llx: capability register reads %#llx: no unit there, not used", index,
		       (unsigned long long)d->reg_base, (unsigned long long)u->caps.cap);
		return false;
	}
	span = MAX(u->caps.reg_span, d->reg_size);
	if (span > FRAME_SIZE && !(u->regs = ioremap(d->reg_base, span))) {
		pr_err("vt-d: unit %u: cannot map %#llx bytes of registers", index, (unsigned long long)span);
		return false;
	}
	u->reg_base = d->reg_base;
	u->reg_size = span;
	u->levels = vtd_pick_levels(&u->caps);
	pr_info("vt-d: unit %u at %#llx: version %u.%u, segment %u%s, %u-level tables (SAGAW %#x, MGAW %u), "
		"2M/1G pages %s/%s, %s invalidation, %s, %u fault records, %u domains%s",
		index, (unsigned long long)d->reg_base, (vtd_read32(u, VTD_REG_VER) >> 4) & 0xF,
		vtd_read32(u, VTD_REG_VER) & 0xF, d->segment, d->include_pci_all ? " (all devices)" : "",
		u->levels, u->caps.sagaw, u->caps.mgaw, u->caps.sp_2m ? "yes" : "no",
		u->caps.sp_1g ? "yes" : "no", u->caps.qi ? "queued" : "register-based",
		u->caps.coherent ? "coherent" : "non-coherent walks", u->caps.nr_faults,
		u->caps.nr_domains, u->caps.caching_mode ? ", caching mode" : "");
	if (!u->levels) {
		pr_err("vt-d: unit %u: supports neither 3- nor 4-level tables (SAGAW %#x), not used", index,
		       u->caps.sagaw);
		return false;
	}
	return true;
}

/* The RMRR ranges, without hypervisor memory or any unit's registers (logged if they overlap). */
static int rmrr_ranges(unsigned int nr_units)
{
	range_set_init(&rmrr_map);
	for (uint32_t i = 0; i < dmar.nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &dmar.rmrrs[i];

		if (r->base < hv_layout.hv_end && hv_layout.hv_base < r->end)
			pr_warn("vt-d: RMRR %#llx-%#llx overlaps hypervisor memory: that part is not mapped",
				(unsigned long long)r->base, (unsigned long long)r->end - 1);
		if (range_set_add(&rmrr_map, r->base, r->end))
			return -E_NOMEM;
	}
	if (range_set_remove(&rmrr_map, hv_layout.hv_base, hv_layout.hv_end))
		return -E_NOMEM;
	for (unsigned int i = 0; i < nr_units; i++) {
		if (range_set_remove(&rmrr_map, vtd_units[i].reg_base,
				     vtd_units[i].reg_base + vtd_units[i].reg_size))
			return -E_NOMEM;
	}
	return 0;
}

/*
 * One range of the domain. Where the units have no 2 MiB pages, mapping all of the address space
 * 4 KiB at a time would take more tables than the hypervisor has: only guest RAM is mapped then.
 */
static int map_dma_range(const struct iommu_domain *dom, const struct range *r, uint64_t limit, bool sp_2m)
{
	if (sp_2m)
		return vtd_sl_map(&sl_ctx, sl_root4, r->start, r->end, limit, true);
	for (unsigned int i = 0; i < dom->ram->nr; i++) {
		uint64_t start = MAX(r->start, dom->ram->r[i].start), end = MIN(r->end, dom->ram->r[i].end);
		int ret = start < end ? vtd_sl_map(&sl_ctx, sl_root4, start, end, limit, false) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The domain's second-level tables, shared by every unit: one 4-level tree; a 3-level unit starts
 * at its first-level-3 table, which covers the first 512 GiB. Large pages only where every unit
 * supports them, addresses only up to what the platform and every unit can address.
 */
static int build_domain(const struct iommu_domain *dom, unsigned int nr_units, uint64_t *limit_out)
{
	bool sp_2m = true, sp_1g = true;
	uint64_t limit = MIN(dom->limit, CANONICAL_LOW_LIMIT);
	int ret;

	if (dmar.host_addr_width < 64)
		limit = MIN(limit, 1ULL << dmar.host_addr_width);
	for (unsigned int i = 0; i < nr_units; i++) {
		sp_2m &= vtd_units[i].caps.sp_2m;
		sp_1g &= vtd_units[i].caps.sp_1g;
		limit = MIN(limit, 1ULL << vtd_units[i].caps.mgaw);
	}
	if (!sp_1g)
		limit = MIN(limit, NO_1G_LIMIT);
	sl_2m = sp_2m;
	vtd_sl_ctx_init(&sl_ctx, sp_1g);
	sl_ctx.alloc_table = sl_alloc_table;
	sl_ctx.phys_to_virt = sl_phys_to_virt;
	sl_root4 = sl_alloc_table(NULL);
	if (!sl_root4)
		return -E_NOMEM;
	for (unsigned int i = 0; i < dom->dma.nr; i++) {
		ret = map_dma_range(dom, &dom->dma.r[i], limit, sp_2m);
		if (ret)
			return ret;
	}
	if (!sp_2m)
		pr_warn("vt-d: a unit without 2 MiB pages: only guest RAM and the RMRRs are DMA targets, in 4 KiB pages");
	ret = rmrr_ranges(nr_units);
	for (unsigned int i = 0; !ret && i < rmrr_map.nr; i++)
		ret = vtd_sl_map(&sl_ctx, sl_root4, rmrr_map.r[i].start, rmrr_map.r[i].end, limit, sp_2m);
	if (dom->limit > limit)
		pr_info("vt-d: the domain ends at %#llx (the units' address width%s), not %#llx: DMA above faults",
			(unsigned long long)limit, sp_1g ? "" : ", or no 1 GiB pages", (unsigned long long)dom->limit);
	*limit_out = limit;
	return ret;
}

/* Root and context tables of one unit, pointing every bus and devfn at the domain. */
static int unit_tables(struct vtd_unit *u)
{
	paddr_t sl_root = vtd_sl_root(&sl_ctx, sl_root4, u->levels);

	u->root_table = sl_alloc_table(NULL);
	u->context_table = sl_alloc_table(NULL);
	if (!sl_root || !u->root_table || !u->context_table)
		return -E_NOMEM;
	vtd_fill_context_table(phys_to_virt(u->context_table), sl_root, u->levels, VTD_DOMAIN_ID);
	vtd_fill_root_table(phys_to_virt(u->root_table), u->context_table);
	if (u->caps.qi) {
		u->qi_queue = sl_alloc_table(NULL);
		if (!u->qi_queue)
			return -E_NOMEM;
	}
	if (!u->caps.coherent) {
		clflush_page(u->root_table);
		clflush_page(u->context_table);
		clflush_tree(sl_root4, PT_LEVELS);
	}
	return 0;
}

static void unit_poll_faults(struct iommu_unit *iu)
{
	vtd_poll_faults(iu->priv);
}

static void unit_disable(struct iommu_unit *iu)
{
	vtd_disable(iu->priv);
}

static int unit_resume(struct iommu_unit *iu)
{
	return vtd_enable(iu->priv);
}

int vtd_probe(const struct acpi_table_ref *ref, const struct iommu_domain *dom)
{
	unsigned int nr = 0, enabled = 0;
	uint64_t limit = 0;
	int ret;

	if (dmar.valid) {
		pr_err("vt-d: a second DMAR at %#llx ignored", (unsigned long long)ref->pa);
		return -E_BUSY;
	}
	if (!ref->valid || acpi_dmar_parse(physmap_view(), ref->pa, &dmar, dmar_log, NULL))
		return -E_INVAL;
	describe_dmar();
	for (uint32_t i = 0; i < dmar.nr_units; i++) {
		if (unit_discover(&vtd_units[nr], &dmar.units[i], i))
			nr++;
	}
	if (!nr) {
		pr_err("vt-d: no usable remapping unit");
		return -E_NOSUPP;
	}
	ret = build_domain(dom, nr, &limit);
	for (unsigned int i = 0; !ret && i < nr; i++)
		ret = unit_tables(&vtd_units[i]);
	if (ret) {
		pr_err("vt-d: out of hypervisor memory for the DMA tables (error %d): raise hvmem=", ret);
		return ret;
	}
	pr_info("vt-d: domain %u: %u range(s) and %u RMRR range(s) mapped 1:1 below %#llx, %s pages",
		VTD_DOMAIN_ID, dom->dma.nr, rmrr_map.nr, (unsigned long long)limit,
		sl_ctx.allow_1g ? "1G/2M/4K" : sl_2m ? "2M/4K" : "4K");
	for (unsigned int i = 0; i < nr; i++) {
		struct vtd_unit *u = &vtd_units[i];

		u->iu = (struct iommu_unit){
			.kind = "VT-d",
			.mmio_base = u->reg_base,
			.mmio_size = u->reg_size,
			.poll_faults = unit_poll_faults,
			.disable = unit_disable,
			.resume = unit_resume,
			.priv = u,
		};
		if (vtd_enable(u)) {
			pr_err("vt-d: unit %u not translating: DMA of the devices behind it is not confined",
			       u->index);
			continue;
		}
		if (iommu_register(&u->iu)) {
			vtd_disable(u); /* a unit nobody turns off before a reset or S3 must not translate */
			continue;
		}
		enabled++;
	}
	return enabled ? (int)enabled : -E_TIMEOUT;
}
