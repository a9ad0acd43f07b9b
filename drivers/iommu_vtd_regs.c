/*
 * A VT-d unit's registers: turning translation on and off, the global invalidations (queued when
 * the unit has the invalidation queue, register-based otherwise), and the primary fault log.
 * Section numbers are the VT-d specification's.
 */
#include "console.h"
#include "errno.h"
#include "iommu_vtd_internal.h"
#include "mm.h"
#include "timer.h"
#include "x86/cpu.h"

#define VTD_TIMEOUT_US 1000000 /* hardware answers in microseconds; emulators under load are slower */
#define CAP_DWD (1ULL << 54)
#define CAP_DRD (1ULL << 55)
#define RTADDR_TTM_LEGACY 0 /* bits 11:10 */
#define IQA_QS_ONE_PAGE 0   /* 2^0 pages of descriptors, 128-bit (IQA.DW = 0) */

/* Wait until (reg & mask) == want, or time out. */
static int wait_reg32(struct vtd_unit *u, unsigned int off, uint32_t mask, uint32_t want)
{
	uint64_t deadline = tsc_deadline_us(VTD_TIMEOUT_US);

	while ((vtd_read32(u, off) & mask) != want) {
		if (rdtsc() > deadline)
			return -E_TIMEOUT;
		cpu_relax();
	}
	return 0;
}

static int wait_reg64_clear(struct vtd_unit *u, unsigned int off, uint64_t bit)
{
	uint64_t deadline = tsc_deadline_us(VTD_TIMEOUT_US);

	while (vtd_read64(u, off) & bit) {
		if (rdtsc() > deadline)
			return -E_TIMEOUT;
		cpu_relax();
	}
	return 0;
}

static int timed_out(struct vtd_unit *u, const char *what)
{
	pr_err("vt-d: unit %u: %s timed out", u->index, what);
	return -E_TIMEOUT;
}

/*
 * GCMD has no read-modify-write semantics of its own: the persistent enables are written from
 * GSTS each time, without its one-shot status bits (10.4.4).
 */
static uint32_t gcmd_base(struct vtd_unit *u)
{
	return vtd_read32(u, VTD_REG_GSTS) & ~VTD_GSTS_ONE_SHOT_MASK;
}

/* Set or clear a persistent enable (TE, QIE) and wait for its status bit to follow. */
static int gcmd_switch(struct vtd_unit *u, uint32_t bit, bool on, const char *what)
{
	uint32_t v = gcmd_base(u);

	vtd_write32(u, VTD_REG_GCMD, on ? v | bit : v & ~bit);
	if (wait_reg32(u, VTD_REG_GSTS, bit, on ? bit : 0))
		return timed_out(u, what);
	return 0;
}

/* ---- queued invalidation (6.5.2) ---- */

static int qi_start(struct vtd_unit *u)
{
	vtd_write64(u, VTD_REG_IQT, 0);
	vtd_write64(u, VTD_REG_IQA, u->qi_queue | IQA_QS_ONE_PAGE);
	vtd_write32(u, VTD_REG_IECTL, VTD_IECTL_IM); /* completion is polled, never signalled */
	u->qi_tail = 0;
	return gcmd_switch(u, VTD_GCMD_QIE, true, "enabling the invalidation queue");
}

static void qi_stop(struct vtd_unit *u)
{
	if (wait_reg32(u, VTD_REG_IQH, 0xFFFFFFFF, vtd_read32(u, VTD_REG_IQT)))
		timed_out(u, "draining the invalidation queue");
	gcmd_switch(u, VTD_GCMD_QIE, false, "disabling the invalidation queue");
}

static void qi_push(struct vtd_unit *u, const uint64_t desc[2])
{
	uint64_t *slot = (uint64_t *)phys_to_virt(u->qi_queue) + 2 * u->qi_tail;

	slot[0] = desc[0];
	slot[1] = desc[1];
	if (!u->caps.coherent)
		asm volatile("clflush (%0)" : : "r"(slot) : "memory");
	u->qi_tail = (u->qi_tail + 1) % VTD_QI_ENTRIES;
}

/* Global context-cache and IOTLB invalidation, then a wait descriptor whose status write we poll. */
static int qi_invalidate_all(struct vtd_unit *u)
{
	uint64_t desc[2];
	uint64_t deadline;

	vtd_qi_context_global(desc);
	qi_push(u, desc);
	vtd_qi_iotlb_global(desc, u->caps.cap & CAP_DRD, u->caps.cap & CAP_DWD);
	qi_push(u, desc);
	u->qi_seq++;
	u->qi_status = 0;
	vtd_qi_wait(desc, virt_to_phys((const void *)&u->qi_status), u->qi_seq);
	qi_push(u, desc);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* descriptors in memory before the tail moves */
	vtd_write64(u, VTD_REG_IQT, (uint64_t)u->qi_tail * VTD_QI_DESC_LEN);

	deadline = tsc_deadline_us(VTD_TIMEOUT_US);
	while (__atomic_load_n(&u->qi_status, __ATOMIC_ACQUIRE) != u->qi_seq) {
		uint32_t fsts = vtd_read32(u, VTD_REG_FSTS);

		if (fsts & (VTD_FSTS_IQE | VTD_FSTS_ITE | VTD_FSTS_ICE)) {
			pr_err("vt-d: unit %u: invalidation queue error (FSTS %#x, head %#llx)", u->index, fsts,
			       (unsigned long long)vtd_read64(u, VTD_REG_IQH));
			vtd_write32(u, VTD_REG_FSTS, fsts & (VTD_FSTS_IQE | VTD_FSTS_ITE | VTD_FSTS_ICE));
			return -E_INVAL;
		}
		if (rdtsc() > deadline)
			return timed_out(u, "queued invalidation");
		cpu_relax();
	}
	return 0;
}

/* A unit with CAP.RWBF may hold table writes in its own buffer until told to flush it (6.8). */
static int write_buffer_flush(struct vtd_unit *u)
{
	if (!u->caps.rwbf)
		return 0;
	vtd_write32(u, VTD_REG_GCMD, gcmd_base(u) | VTD_GCMD_WBF);
	if (wait_reg32(u, VTD_REG_GSTS, VTD_GSTS_WBFS, 0))
		return timed_out(u, "write-buffer flush");
	return 0;
}

/* ---- register-based invalidation (10.4.7, 10.4.8) ---- */

static int reg_invalidate_all(struct vtd_unit *u)
{
	unsigned int iotlb = u->caps.iotlb_offset + VTD_IOTLB_REG_OFF;
	uint64_t drain = (u->caps.cap & CAP_DRD ? VTD_IOTLB_DR : 0) |
			 (u->caps.cap & CAP_DWD ? VTD_IOTLB_DW : 0);

	vtd_write64(u, VTD_REG_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
	if (wait_reg64_clear(u, VTD_REG_CCMD, VTD_CCMD_ICC))
		return timed_out(u, "context-cache invalidation");
	vtd_write64(u, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL | drain);
	if (wait_reg64_clear(u, iotlb, VTD_IOTLB_IVT))
		return timed_out(u, "IOTLB invalidation");
	return 0;
}

/* ---- faults (7.2.1, 10.4.14) ---- */

static unsigned int frcd_off(const struct vtd_unit *u, unsigned int i)
{
	return u->caps.fault_offset + i * VTD_FRCD_LEN;
}

/* Clear the records and flags of faults from before we owned the unit; returns how many. */
static unsigned int faults_discard(struct vtd_unit *u)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < u->caps.nr_faults; i++) {
		if (vtd_read64(u, frcd_off(u, i) + 8) & VTD_FRCD_F) {
			vtd_write32(u, frcd_off(u, i) + 12, (uint32_t)(VTD_FRCD_F >> 32));
			n++;
		}
	}
	vtd_write32(u, VTD_REG_FSTS, vtd_read32(u, VTD_REG_FSTS));
	return n;
}

void vtd_poll_faults(struct vtd_unit *u)
{
	uint32_t fsts = vtd_read32(u, VTD_REG_FSTS);
	uint32_t flags = fsts & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE);

	if (fsts & VTD_FSTS_PPF) {
		unsigned int n = u->caps.nr_faults, i = VTD_FSTS_FRI(fsts) % n;

		/* From the first pending record, round the ring once: later ones may follow gaps. */
		for (unsigned int k = 0; k < n; k++, i = (i + 1) % n) {
			uint64_t hi = vtd_read64(u, frcd_off(u, i) + 8);
			struct iommu_fault f;

			if (!vtd_fault_decode(vtd_read64(u, frcd_off(u, i)), hi, u->segment, &f))
				continue;
			vtd_write32(u, frcd_off(u, i) + 12, (uint32_t)(VTD_FRCD_F >> 32));
			iommu_report_fault(&u->iu, &f);
		}
	}
	if (flags) {
		if (flags & VTD_FSTS_PFO)
			pr_warn("vt-d: unit %u: fault records overflowed, some faults were not recorded",
				u->index);
		if (flags & ~VTD_FSTS_PFO)
			pr_err("vt-d: unit %u: invalidation error (FSTS %#x)", u->index, fsts);
		vtd_write32(u, VTD_REG_FSTS, flags); /* write 1 to clear */
	}
}

/* ---- enable / disable ---- */

/* Undo what firmware (or a previous OS) left on, so the unit can be programmed from scratch. */
static int take_over(struct vtd_unit *u)
{
	uint32_t gsts = vtd_read32(u, VTD_REG_GSTS);
	unsigned int stale;

	if ((gsts & VTD_GSTS_TES) && gcmd_switch(u, VTD_GCMD_TE, false, "turning firmware's translation off"))
		return -E_TIMEOUT;
	if (gsts & VTD_GSTS_QIES)
		qi_stop(u);
	/* Its table is firmware's; turning it off could cut the interrupts firmware set up for x2APIC. */
	if (gsts & VTD_GSTS_IRES)
		pr_warn("vt-d: unit %u: firmware left interrupt remapping on: it stays on, with firmware's table",
			u->index);
	/* Protected memory regions block DMA to their ranges; translation takes their place. */
	if ((u->caps.plmr || u->caps.phmr) && (vtd_read32(u, VTD_REG_PMEN) & VTD_PMEN_EPM)) {
		vtd_write32(u, VTD_REG_PMEN, 0);
		if (wait_reg32(u, VTD_REG_PMEN, VTD_PMEN_PRS, 0))
			return timed_out(u, "disabling protected memory regions");
	}
	vtd_write32(u, VTD_REG_FECTL, VTD_FECTL_IM); /* faults are polled, never signalled */
	stale = faults_discard(u);
	if (stale)
		pr_info("vt-d: unit %u: %u fault record(s) from before the hypervisor cleared", u->index, stale);
	return 0;
}

int vtd_enable(struct vtd_unit *u)
{
	int ret = take_over(u);

	if (ret)
		return ret;
	vtd_write64(u, VTD_REG_RTADDR, u->root_table | RTADDR_TTM_LEGACY);
	vtd_write32(u, VTD_REG_GCMD, gcmd_base(u) | VTD_GCMD_SRTP);
	if (wait_reg32(u, VTD_REG_GSTS, VTD_GSTS_RTPS, VTD_GSTS_RTPS))
		return timed_out(u, "setting the root table");
	/*
	 * Nothing may stay cached from before, and with CAP.CM even not-present entries may be: the
	 * global invalidations cover both (we never change the tables after this).
	 */
	ret = write_buffer_flush(u);
	if (!ret && u->caps.qi)
		ret = qi_start(u);
	if (!ret)
		ret = u->caps.qi ? qi_invalidate_all(u) : reg_invalidate_all(u);
	if (!ret)
		ret = gcmd_switch(u, VTD_GCMD_TE, true, "enabling translation");
	if (ret) {
		vtd_disable(u);
		return ret;
	}
	pr_info("vt-d: unit %u: translating (GSTS %#x)", u->index, vtd_read32(u, VTD_REG_GSTS));
	return 0;
}

void vtd_disable(struct vtd_unit *u)
{
	if (vtd_read32(u, VTD_REG_GSTS) & VTD_GSTS_TES)
		gcmd_switch(u, VTD_GCMD_TE, false, "disabling translation");
	if (vtd_read32(u, VTD_REG_GSTS) & VTD_GSTS_QIES)
		qi_stop(u);
}
