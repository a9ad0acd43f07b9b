/*
 * DMA protection, the vendor-neutral part (include/iommu.h): the one DMA domain, the probes of the
 * DMAR and IVRS, the units' registers out of the guest's reach, fault reports, and the units'
 * shutdown and restart around a reset or S3.
 */
#include "console.h"
#include "iommu.h"
#include "iommu_internal.h"
#include "errno.h"
#include "frame.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "timer.h"
#include "vmm/housekeeping.h"
#include "vmm/partition.h"
#include "x86/cpu.h"

#define IOMMU_MAX_UNITS 16
#define IOMMU_MAX_HOLES (IOMMU_MAX_UNITS + 4)
#define IOMMU_POLL_MS 10

static struct iommu_domain domain;
static struct iommu_unit *units[IOMMU_MAX_UNITS];
static unsigned int nr_units;
/* The units' register ranges: from the tables before probing, then as each driver registers. */
static struct range mmio[IOMMU_MAX_HOLES];
static unsigned int nr_mmio;
static struct iommu_fault_log fault_log;
static volatile bool poll_lock;
static volatile uint64_t next_poll;
static bool units_off; /* iommu_disable_all ran: iommu_resume_all has work to do */
static uint64_t poll_period;

static void add_mmio(uint64_t start, uint64_t end)
{
	for (unsigned int i = 0; i < nr_mmio; i++)
		if (mmio[i].start <= start && end <= mmio[i].end)
			return;
	if (nr_mmio < ARRAY_SIZE(mmio))
		mmio[nr_mmio++] = (struct range){ start, end };
	else
		pr_warn("iommu: more than %u register ranges: %#llx-%#llx stays visible to the guest",
			(unsigned int)ARRAY_SIZE(mmio), (unsigned long long)start, (unsigned long long)end - 1);
}

bool iommu_owns_mmio(paddr_t pa)
{
	for (unsigned int i = 0; i < nr_mmio; i++)
		if (pa >= mmio[i].start && pa < mmio[i].end)
			return true;
	return false;
}

/* The units' registers, as the tables place them, before any driver builds its tables. */
static void scan_tables_for_mmio(void)
{
	for (unsigned int i = 0; i < platform_acpi.nr_tables; i++) {
		const struct acpi_table_ref *t = &platform_acpi.tables[i];
		struct range found[IOMMU_MAX_UNITS];
		const uint8_t *bytes;
		unsigned int n;

		if (!t->valid || (memcmp(t->sig, "DMAR", 4) && memcmp(t->sig, "IVRS", 4)))
			continue;
		bytes = phys_map(physmap_view(), t->pa, t->length);
		if (!bytes)
			continue;
		n = iommu_table_mmio(t->sig, bytes, t->length, found, ARRAY_SIZE(found));
		for (unsigned int j = 0; j < n; j++)
			add_mmio(ALIGN_DOWN(found[j].start, FRAME_SIZE), ALIGN_UP(found[j].end, FRAME_SIZE));
	}
}

/*
 * The same memory the nested tables show (vmm/partition.c build_nested_tables), minus the IOMMUs'
 * registers. The wake page is out too: it holds the hypervisor's S3 entry code.
 */
static void build_domain(struct partition *p)
{
	struct range holes[IOMMU_MAX_HOLES + 3];
	unsigned int n = 0;
	int rc;

	holes[n++] = (struct range){ hv_layout.hv_base, hv_layout.hv_end };
	if (hv_layout.trampoline_hidden)
		holes[n++] = (struct range){ hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE };
	if (hv_layout.wake_page)
		holes[n++] = (struct range){ hv_layout.wake_page, hv_layout.wake_page + FRAME_SIZE };
	for (unsigned int i = 0; i < nr_mmio; i++)
		holes[n++] = mmio[i];
	rc = iommu_domain_ranges(&domain.dma, p->npt_limit, holes, n);
	if (rc)
		panic("iommu: cannot compute the DMA domain (error %d)", rc);
	domain.ram = &p->ram;
	domain.limit = p->npt_limit;
	pr_debug("iommu: DMA domain: %u ranges up to %#llx, hypervisor %#llx-%#llx absent", domain.dma.nr,
		 (unsigned long long)domain.limit, (unsigned long long)hv_layout.hv_base,
		 (unsigned long long)hv_layout.hv_end - 1);
	for (unsigned int i = 0; i < domain.dma.nr; i++)
		pr_debug("iommu:   %#llx-%#llx", (unsigned long long)domain.dma.r[i].start,
			 (unsigned long long)domain.dma.r[i].end - 1);
}

static void probe(const struct acpi_table_ref *t)
{
	int rc;

	if (!memcmp(t->sig, "DMAR", 4))
		rc = vtd_probe(t, &domain);
	else if (!memcmp(t->sig, "IVRS", 4))
		rc = amdvi_probe(t, &domain);
	else
		return;
	if (rc < 0)
		pr_warn("iommu: %s at %#llx: no unit enabled (error %d)", t->sig, (unsigned long long)t->pa, rc);
}

/* Nobody runs the guest yet: no nested TLB to flush. vmm/npf.c refuses a later access with #GP. */
static void hide_mmio_from_guest(struct partition *p)
{
	for (unsigned int i = 0; i < nr_mmio; i++) {
		if (pt_unmap(&p->npt, p->npt_root, mmio[i].start, mmio[i].end - mmio[i].start))
			panic("iommu: cannot unmap the registers at %#llx from the nested tables",
			      (unsigned long long)mmio[i].start);
		pr_info("iommu: registers %#llx-%#llx hidden from the guest", (unsigned long long)mmio[i].start,
			(unsigned long long)mmio[i].end - 1);
	}
}

void iommu_init(struct partition *p)
{
	scan_tables_for_mmio();
	build_domain(p);
	for (unsigned int i = 0; i < platform_acpi.nr_tables; i++)
		if (platform_acpi.tables[i].valid)
			probe(&platform_acpi.tables[i]);
	hide_mmio_from_guest(p);
	iommu_hide_acpi_tables(p); /* even with no unit enabled: no guest driver for units it cannot reach */
	if (!nr_units) {
		pr_warn("iommu: no IOMMU: DMA by the guest's devices is not confined");
		return;
	}
	poll_period = tsc_khz() * IOMMU_POLL_MS;
	next_poll = rdtsc() + poll_period;
	housekeeping_start();
	pr_info("iommu: %u unit%s translate; the guest's devices reach guest memory only", nr_units,
		nr_units == 1 ? "" : "s");
}

int iommu_register(struct iommu_unit *u)
{
	if (nr_units >= IOMMU_MAX_UNITS) {
		pr_err("iommu: more than %u units: %s at %#llx not registered", IOMMU_MAX_UNITS, u->kind,
		       (unsigned long long)u->mmio_base);
		return -E_NOMEM;
	}
	units[nr_units++] = u;
	if (u->mmio_size)
		add_mmio(ALIGN_DOWN(u->mmio_base, FRAME_SIZE), ALIGN_UP(u->mmio_base + u->mmio_size, FRAME_SIZE));
	pr_info("iommu: %s unit at %#llx translates", u->kind, (unsigned long long)u->mmio_base);
	return 0;
}

unsigned int iommu_count(void)
{
	return nr_units;
}

/* Called with poll_lock held (from a unit's poll_faults). */
void iommu_report_fault(const struct iommu_unit *u, const struct iommu_fault *f)
{
	enum iommu_fault_verdict verdict =
		iommu_fault_log_check(&fault_log, u->kind, f->segment, f->bdf, f->write, f->addr, rdtsc(),
				      tsc_khz() * 1000);
	char seg[8] = "";

	if (verdict != IOMMU_FAULT_LOG)
		return;
	if (f->segment)
		snprintf(seg, sizeof(seg), "%04x:", f->segment);
	pr_warn("iommu: %s DMA fault: device %s%02x:%02x.%x %s at %#llx blocked (reason %#x; %llu faults so far, "
		"%llu new ones not logged)",
		u->kind, seg, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), f->write ? "write" : "read",
		(unsigned long long)f->addr, f->reason, (unsigned long long)fault_log.total,
		(unsigned long long)fault_log.unlogged);
	fault_log.unlogged = 0;
}

void iommu_poll_faults(bool force)
{
	uint64_t now;

	if (!nr_units)
		return;
	now = rdtsc();
	if (!force && now < next_poll)
		return;
	/* One CPU at a time; a CPU that finds another polling leaves it to that one. */
	if (__atomic_exchange_n(&poll_lock, true, __ATOMIC_ACQUIRE))
		return;
	next_poll = now + poll_period;
	for (unsigned int i = 0; i < nr_units; i++)
		if (units[i]->poll_faults)
			units[i]->poll_faults(units[i]);
	__atomic_store_n(&poll_lock, false, __ATOMIC_RELEASE);
}

void iommu_disable_all(void)
{
	iommu_poll_faults(true);
	units_off = true;
	for (unsigned int i = 0; i < nr_units; i++)
		if (units[i]->disable)
			units[i]->disable(units[i]);
	if (nr_units)
		printk(LOG_EMERG, "iommu: translation off on %u unit%s", nr_units, nr_units == 1 ? "" : "s");
}

/* A suspend refused before the units were turned off comes back here too: nothing to do then. */
void iommu_resume_all(void)
{
	if (!units_off)
		return;
	units_off = false;
	for (unsigned int i = 0; i < nr_units; i++) {
		int rc = units[i]->resume ? units[i]->resume(units[i]) : -E_NOSUPP;

		if (rc)
			pr_err("iommu: %s unit at %#llx did not translate again (error %d): DMA is not confined",
			       units[i]->kind, (unsigned long long)units[i]->mmio_base, rc);
		else
			pr_info("iommu: %s unit at %#llx translates again", units[i]->kind,
				(unsigned long long)units[i]->mmio_base);
	}
}
