/*
 * AMD-Vi driver: every unit the IVRS describes translates every device ID through one set of
 * I/O page tables that map the DMA domain 1:1 (include/iommu.h), in the AMD-Vi host page-table
 * format. One device table (all 65536 entries), and per unit a command buffer and an event log.
 * References are to the AMD IOMMU specification, doc 48882.
 */
#include "acpi_ivrs.h"
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "iommu.h"
#include "iommu_amdvi.h"
#include "lib/string.h"
#include "mm.h"
#include "timer.h"
#include "x86/cpu.h"

#define AMDVI_DOMAIN_ID 1
#define AMDVI_WAIT_MS 100
#define AMDVI_EVENT_LOG_LIMIT 16 /* non-device events (command errors) logged at most this often */

struct amdvi_unit {
	struct iommu_unit iommu;
	const struct ivrs_unit *desc;
	volatile uint8_t *mmio;
	uint64_t efr;
	uint8_t *cmdbuf, *evtlog;
	paddr_t cmdbuf_pa, evtlog_pa;
	uint32_t cmd_tail;
	volatile uint64_t *wait_word;
	paddr_t wait_pa;
	uint64_t wait_seq;
};

static struct ivrs_info ivrs;
static struct amdvi_unit amdvi_units[IVRS_MAX_UNITS];
static struct pt_ctx pt;
static paddr_t pt_root;
static paddr_t devtab_pa;
static unsigned int other_events;

/* ---- register access ---- */

static uint64_t rd(const struct amdvi_unit *u, uint32_t reg)
{
	return *(volatile uint64_t *)(u->mmio + reg);
}

static void wr(const struct amdvi_unit *u, uint32_t reg, uint64_t v)
{
	*(volatile uint64_t *)(u->mmio + reg) = v;
}

/* ---- tables ---- */

static paddr_t alloc_table(void *opaque)
{
	paddr_t pa = frame_alloc();

	if (pa)
		memset(phys_to_virt(pa), 0, FRAME_SIZE);
	return pa;
}

static void *table_virt(paddr_t pa, void *opaque)
{
	return phys_to_virt(pa);
}

static bool in_hypervisor(uint64_t start, uint64_t end)
{
	return start < hv_layout.hv_end && end > hv_layout.hv_base;
}

/* The IVMD ranges firmware asks to keep reachable (unity and exclusion ranges), mapped 1:1 for all. */
static void map_unity_ranges(void)
{
	for (uint32_t i = 0; i < ivrs.nr_unity; i++) {
		const struct ivrs_unity *r = &ivrs.unity[i];
		uint64_t start = ALIGN_DOWN(r->start, FRAME_SIZE);
		uint64_t end = ALIGN_UP(r->start + r->length, FRAME_SIZE);
		bool excl = r->flags & IVMD_FLAG_EXCLUSION;
		bool read = excl || (r->flags & IVMD_FLAG_IR), write = excl || (r->flags & IVMD_FLAG_IW);
		int rc;

		if (!(r->flags & (IVMD_FLAG_UNITY | IVMD_FLAG_EXCLUSION)) || !(read || write))
			continue;
		if (in_hypervisor(start, end) || iommu_owns_mmio(start)) {
			pr_err("amdvi: IVMD range %#llx-%#llx overlaps hypervisor memory: not mapped",
			       (unsigned long long)start, (unsigned long long)end - 1);
			continue;
		}
		rc = pt_map(&pt, pt_root, start, start, end - start, amdvi_leaf_flags(read, write));
		if (rc)
			pr_err("amdvi: IVMD range %#llx-%#llx: cannot map (error %d)", (unsigned long long)start,
			       (unsigned long long)end - 1, rc);
		else
			pr_info("amdvi: IVMD range %#llx-%#llx mapped 1:1 (%s%s) for devices %04x-%04x",
				(unsigned long long)start, (unsigned long long)end - 1, read ? "r" : "",
				write ? "w" : "", r->first_devid, r->last_devid);
	}
}

static int build_page_tables(const struct iommu_domain *dom)
{
	amdvi_pt_ctx_init(&pt, alloc_table, table_virt, NULL);
	pt_root = alloc_table(NULL);
	if (!pt_root)
		return -E_NOMEM;
	for (unsigned int i = 0; i < dom->dma.nr; i++) {
		const struct range *r = &dom->dma.r[i];
		int rc = pt_map(&pt, pt_root, r->start, r->start, r->end - r->start, amdvi_leaf_flags(true, true));

		if (rc)
			return rc;
	}
	map_unity_ranges();
	return 0;
}

#define PCI_VENDOR_AMD 0x1022
#define PCI_VENDOR_QEMU 0x1AF4 /* Red Hat / Qumranet: the subsystem vendor of QEMU's devices */
#define PCI_CFG_ID 0x00
#define PCI_CFG_SUBSYSTEM_ID 0x2C

/* A register of a segment-0 function, through configuration mechanism 1 (boot time only). */
static uint32_t pci_read32(uint16_t bdf, uint8_t reg)
{
	out_sized(0xCF8, 4, 0x80000000u | ((uint32_t)bdf << 8) | reg);
	return in_sized(0xCFC, 4);
}

static bool is_qemu_model(const struct ivrs_unit *d)
{
	return !d->segment && (pci_read32(d->devid, PCI_CFG_ID) & 0xFFFF) == PCI_VENDOR_AMD &&
	       (pci_read32(d->devid, PCI_CFG_SUBSYSTEM_ID) & 0xFFFF) == PCI_VENDOR_QEMU;
}

/*
 * Interrupt control (IV=1) on every DTE, unless the unit is QEMU's model (AMD vendor, QEMU's
 * subsystem vendor). QEMU 7.2 (hw/i386/amd_iommu.c, amdvi_int_remap_msi) fails every interrupt of an IV=1 device
 * without intremap=on, and with it rewrites a forwarded fixed interrupt (IntCtl 01b) from an
 * empty remapping result: the I/O APIC's timer interrupt never arrives (irq_timer guest, test 10).
 */
static bool interrupt_filter_usable(void)
{
	bool ioapic = false;

	for (uint32_t i = 0; i < ivrs.nr_specials; i++)
		ioapic |= ivrs.specials[i].variety == IVRS_SPECIAL_IOAPIC;
	if (!ioapic) {
		pr_warn("amdvi: the IVRS names no I/O APIC: interrupt control left off, a device's INIT message is not blocked");
		return false;
	}
	for (uint32_t i = 0; i < ivrs.nr_units; i++) {
		if (is_qemu_model(&ivrs.units[i])) {
			pr_warn("amdvi: QEMU's model forwards no fixed interrupt with interrupt control on: left off, "
				"a device's INIT message is not blocked by the IOMMU");
			return false;
		}
	}
	return true;
}

static int build_device_table(bool filter_interrupts)
{
	uint64_t dte[AMDVI_DTE_QWORDS];
	uint64_t *table;

	devtab_pa = frame_alloc_contig(AMDVI_DEVTAB_BYTES / FRAME_SIZE, FRAME_SIZE);
	if (!devtab_pa)
		return -E_NOMEM;
	table = phys_to_virt(devtab_pa);
	amdvi_dte_encode(dte, pt_root, AMDVI_DOMAIN_ID, filter_interrupts);
	for (uint32_t id = 0; id < AMDVI_DEVICE_IDS; id++)
		memcpy(&table[id * AMDVI_DTE_QWORDS], dte, sizeof(dte));
	return 0;
}

/* ---- commands ---- */

static bool wait_until(volatile const uint64_t *p, uint64_t want, const struct amdvi_unit *u, uint32_t reg)
{
	uint64_t deadline = rdtsc() + tsc_khz() * AMDVI_WAIT_MS;

	for (;;) {
		if (p ? *p == want : (rd(u, reg) & AMDVI_RING_PTR_MASK) != want)
			return true;
		if (rdtsc() > deadline)
			return false;
		cpu_relax();
	}
}

static int cmd_queue(struct amdvi_unit *u, const uint64_t cmd[2])
{
	uint32_t next = (u->cmd_tail + AMDVI_ENTRY_SIZE) % AMDVI_RING_BYTES;
	uint64_t *slot = (uint64_t *)(u->cmdbuf + u->cmd_tail);

	/* The ring is full while the next tail would equal the head. */
	if (!wait_until(NULL, next, u, AMDVI_MMIO_CMD_HEAD)) {
		pr_err("amdvi %#llx: command buffer stuck", (unsigned long long)u->iommu.mmio_base);
		return -E_TIMEOUT;
	}
	slot[0] = cmd[0];
	slot[1] = cmd[1];
	u->cmd_tail = next;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(u, AMDVI_MMIO_CMD_TAIL, next);
	return 0;
}

/* Everything queued so far is done once the unit stores the sequence number we poll for. */
static int cmd_sync(struct amdvi_unit *u)
{
	uint64_t cmd[2];
	int rc;

	u->wait_seq++;
	amdvi_cmd_completion_wait(cmd, u->wait_pa, u->wait_seq);
	rc = cmd_queue(u, cmd);
	if (!rc && !wait_until(u->wait_word, u->wait_seq, u, 0)) {
		pr_err("amdvi %#llx: COMPLETION_WAIT not answered", (unsigned long long)u->iommu.mmio_base);
		rc = -E_TIMEOUT;
	}
	return rc;
}

/* Drops whatever the unit cached of device table entries and page tables. */
static int invalidate_all(struct amdvi_unit *u)
{
	uint64_t cmd[2];
	int rc = 0;

	if (u->efr & AMDVI_EFR_IA_SUP) {
		amdvi_cmd_inv_all(cmd);
		rc = cmd_queue(u, cmd);
	} else {
		for (uint32_t i = 0; i < ivrs.nr_devranges && !rc; i++) {
			if (ivrs.devranges[i].unit != u - amdvi_units)
				continue;
			for (uint32_t id = ivrs.devranges[i].first; id <= ivrs.devranges[i].last && !rc; id++) {
				amdvi_cmd_inv_devtab_entry(cmd, (uint16_t)id);
				rc = cmd_queue(u, cmd);
			}
		}
		amdvi_cmd_inv_pages_all(cmd, AMDVI_DOMAIN_ID);
		if (!rc)
			rc = cmd_queue(u, cmd);
	}
	return rc ? rc : cmd_sync(u);
}

/* ---- faults ---- */

static void amdvi_poll_faults(struct iommu_unit *iu)
{
	struct amdvi_unit *u = iu->priv;
	uint32_t head = rd(u, AMDVI_MMIO_EVT_HEAD) & AMDVI_RING_PTR_MASK;
	uint32_t tail = rd(u, AMDVI_MMIO_EVT_TAIL) & AMDVI_RING_PTR_MASK;
	bool moved = head != tail;

	while (head != tail && head < AMDVI_RING_BYTES) {
		const uint64_t *ev = (const uint64_t *)(u->evtlog + head);
		struct iommu_fault f;
		unsigned int code;

		if (amdvi_event_decode(ev, &f, &code))
			iommu_report_fault(iu, &f);
		else if (other_events++ < AMDVI_EVENT_LOG_LIMIT)
			pr_warn("amdvi %#llx: event %s (%#x): %#llx %#llx", (unsigned long long)iu->mmio_base,
				amdvi_event_name(code), code, (unsigned long long)ev[0], (unsigned long long)ev[1]);
		head = (head + AMDVI_ENTRY_SIZE) % AMDVI_RING_BYTES;
	}
	if (moved)
		wr(u, AMDVI_MMIO_EVT_HEAD, head);
	if (rd(u, AMDVI_MMIO_STATUS) & AMDVI_STATUS_EVT_OVERFLOW) {
		/* The unit stopped logging: restart the log empty (48882 section 3.4.8, EventOverflow). */
		uint64_t ctrl = rd(u, AMDVI_MMIO_CONTROL);

		pr_warn("amdvi %#llx: event log overflowed, some faults were not reported",
			(unsigned long long)iu->mmio_base);
		wr(u, AMDVI_MMIO_CONTROL, ctrl & ~AMDVI_CTRL_EVTLOG_EN);
		wr(u, AMDVI_MMIO_STATUS, AMDVI_STATUS_EVT_OVERFLOW);
		wr(u, AMDVI_MMIO_EVT_HEAD, 0);
		wr(u, AMDVI_MMIO_EVT_TAIL, 0);
		wr(u, AMDVI_MMIO_CONTROL, ctrl);
	}
}

/* ---- enable / disable ---- */

static void amdvi_disable(struct iommu_unit *iu)
{
	struct amdvi_unit *u = iu->priv;

	/* The reset default: translation, command buffer and event log off (48882 section 3.4.3). */
	wr(u, AMDVI_MMIO_CONTROL, rd(u, AMDVI_MMIO_CONTROL) &
	   ~(AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMDBUF_EN | AMDVI_CTRL_EVTLOG_EN | AMDVI_CTRL_EVT_INT_EN |
	     AMDVI_CTRL_COMWAIT_INT_EN | AMDVI_CTRL_PPRLOG_EN | AMDVI_CTRL_PPR_EN | AMDVI_CTRL_GT_EN));
}

static int amdvi_enable(struct iommu_unit *iu)
{
	struct amdvi_unit *u = iu->priv;
	uint64_t ctrl;
	int rc;

	amdvi_disable(iu); /* firmware (or the previous boot) may have left it running */
	ctrl = rd(u, AMDVI_MMIO_CONTROL);
	wr(u, AMDVI_MMIO_DEVTAB_BASE, devtab_pa | AMDVI_DEVTAB_SIZE_FIELD);
	wr(u, AMDVI_MMIO_CMDBUF_BASE, u->cmdbuf_pa | ((uint64_t)AMDVI_RING_LOG2 << AMDVI_RING_LEN_SHIFT));
	wr(u, AMDVI_MMIO_CMD_HEAD, 0);
	wr(u, AMDVI_MMIO_CMD_TAIL, 0);
	u->cmd_tail = 0;
	wr(u, AMDVI_MMIO_EVTLOG_BASE, u->evtlog_pa | ((uint64_t)AMDVI_RING_LOG2 << AMDVI_RING_LEN_SHIFT));
	wr(u, AMDVI_MMIO_EVT_HEAD, 0);
	wr(u, AMDVI_MMIO_EVT_TAIL, 0);
	/* No exclusion range: it would let devices bypass translation. */
	wr(u, AMDVI_MMIO_EXCL_BASE, 0);
	wr(u, AMDVI_MMIO_EXCL_LIMIT, 0);
	wr(u, AMDVI_MMIO_STATUS, AMDVI_STATUS_EVT_OVERFLOW | AMDVI_STATUS_EVT_INT | AMDVI_STATUS_COMWAIT_INT);
	ctrl |= AMDVI_CTRL_EVTLOG_EN;
	wr(u, AMDVI_MMIO_CONTROL, ctrl);
	ctrl |= AMDVI_CTRL_CMDBUF_EN;
	wr(u, AMDVI_MMIO_CONTROL, ctrl);
	ctrl |= AMDVI_CTRL_IOMMU_EN;
	wr(u, AMDVI_MMIO_CONTROL, ctrl);
	/*
	 * Caches are flushed only now: QEMU runs the command buffer only while IommuEn is set (as
	 * Linux's order assumes). The tables are complete already, so nothing stale was usable.
	 */
	rc = invalidate_all(u);
	if (rc)
		amdvi_disable(iu);
	return rc;
}

/* ---- probe ---- */

static void ivrs_log(int level, const char *msg, void *ctx)
{
	printk(level <= ACPI_LOG_ERR ? LOG_ERR : level == ACPI_LOG_WARN ? LOG_WARN : LOG_INFO, "%s", msg);
}

static int unit_setup(struct amdvi_unit *u, const struct ivrs_unit *desc)
{
	uint8_t *page;

	u->desc = desc;
	u->mmio = ioremap(desc->mmio_base, AMDVI_MMIO_SIZE);
	if (!u->mmio)
		return -E_NOMEM;
	u->efr = rd(u, AMDVI_MMIO_EFR);
	u->iommu.kind = "AMD-Vi";
	u->iommu.mmio_base = desc->mmio_base;
	u->iommu.mmio_size = (u->efr & AMDVI_EFR_PC_SUP) ? AMDVI_MMIO_SIZE_PC : AMDVI_MMIO_SIZE;
	u->iommu.poll_faults = amdvi_poll_faults;
	u->iommu.disable = amdvi_disable;
	u->iommu.resume = amdvi_enable;
	u->iommu.priv = u;
	/* Command buffer, event log and the completion-wait word: three zeroed pages. */
	u->cmdbuf_pa = alloc_table(NULL);
	u->evtlog_pa = alloc_table(NULL);
	u->wait_pa = alloc_table(NULL);
	if (!u->cmdbuf_pa || !u->evtlog_pa || !u->wait_pa)
		return -E_NOMEM;
	u->cmdbuf = phys_to_virt(u->cmdbuf_pa);
	u->evtlog = phys_to_virt(u->evtlog_pa);
	page = phys_to_virt(u->wait_pa);
	u->wait_word = (volatile uint64_t *)page;
	return 0;
}

/* What the IVRS says, for loglevel=7 on real hardware. */
static void log_ivrs(void)
{
	pr_debug("amdvi: IVRS: IVinfo %#x, IVHD type %#x, %u unit(s), %u IVMD range(s), %u broken entries",
		 ivrs.ivinfo, ivrs.ivhd_type, ivrs.nr_units, ivrs.nr_unity, ivrs.errors);
	for (uint32_t i = 0; i < ivrs.nr_devranges; i++)
		pr_debug("amdvi: IVRS: device IDs %04x-%04x on unit %u (DTE setting %#x)", ivrs.devranges[i].first,
			 ivrs.devranges[i].last, ivrs.devranges[i].unit, ivrs.devranges[i].dte_setting);
	for (uint32_t i = 0; i < ivrs.nr_specials; i++)
		pr_debug("amdvi: IVRS: %s %u is device ID %04x", ivrs.specials[i].variety == IVRS_SPECIAL_IOAPIC ?
			 "I/O APIC" : "HPET", ivrs.specials[i].handle, ivrs.specials[i].devid);
}

int amdvi_probe(const struct acpi_table_ref *ref, const struct iommu_domain *dom)
{
	bool filter;
	int rc, enabled = 0;

	if (pt_root) {
		pr_err("amdvi: a second IVRS at %#llx: ignored", (unsigned long long)ref->pa);
		return -E_BUSY;
	}
	rc = ivrs_parse(physmap_view(), ref->pa, &ivrs, ivrs_log, NULL);
	if (rc)
		return rc;
	if (!ivrs.nr_units)
		return -E_NOENT;
	rc = build_page_tables(dom);
	if (rc) {
		pr_err("amdvi: cannot build the I/O page tables (error %d)", rc);
		return rc;
	}
	log_ivrs();
	filter = interrupt_filter_usable();
	rc = build_device_table(filter);
	if (rc) {
		pr_err("amdvi: no 2 MiB of contiguous memory for the device table");
		return rc;
	}
	for (uint32_t i = 0; i < ivrs.nr_units; i++) {
		struct amdvi_unit *u = &amdvi_units[i];
		const struct ivrs_unit *d = &ivrs.units[i];

		rc = unit_setup(u, d);
		if (!rc)
			rc = amdvi_enable(&u->iommu);
		if (!rc)
			rc = iommu_register(&u->iommu);
		if (rc) {
			pr_err("amdvi: unit %04x:%02x:%02x.%x at %#llx not enabled (error %d)", d->segment,
			       PCI_BDF_BUS(d->devid), PCI_BDF_DEV(d->devid), PCI_BDF_FN(d->devid),
			       (unsigned long long)d->mmio_base, rc);
			continue;
		}
		enabled++;
		pr_info("amdvi: unit %04x:%02x:%02x.%x (cap %#x) at %#llx, EFR %#llx, %u device IDs: translating, "
			"%u-level tables, domain %u%s", d->segment, PCI_BDF_BUS(d->devid), PCI_BDF_DEV(d->devid),
			PCI_BDF_FN(d->devid), d->cap_offset, (unsigned long long)d->mmio_base,
			(unsigned long long)u->efr, d->nr_device_ids, AMDVI_PT_LEVELS, AMDVI_DOMAIN_ID,
			filter ? ", INIT/SMI messages blocked" : "");
	}
	return enabled ? enabled : rc;
}

bool amdvi_function(unsigned int i, uint16_t *segment, uint16_t *bdf, uint16_t *cap_offset)
{
	if (i >= ivrs.nr_units)
		return false;
	*segment = ivrs.units[i].segment;
	*bdf = ivrs.units[i].devid;
	*cap_offset = ivrs.units[i].cap_offset;
	return true;
}
