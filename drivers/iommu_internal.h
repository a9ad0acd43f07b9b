/*
 * The pure parts of drivers/iommu.c, kept apart so the host unit tests can run them: the domain's
 * ranges, the units' register ranges read from a DMAR or IVRS before any driver runs, and the
 * bookkeeping that logs each DMA fault once. Not part of the IOMMU API (include/iommu.h).
 */
#ifndef HV_DRIVERS_IOMMU_INTERNAL_H
#define HV_DRIVERS_IOMMU_INTERNAL_H

#include "lib/range.h"
#include "types.h"

/*
 * The DMA domain's ranges: [0, limit) minus each hole (widened outward to whole pages), then
 * shrunk to whole pages. Returns 0 or the range_set error.
 */
int iommu_domain_ranges(struct range_set *dma, uint64_t limit, const struct range *holes, unsigned int nr_holes);

/*
 * The register ranges of the units a DMAR ("DMAR": DRHD structures) or IVRS ("IVRS": IVHD
 * blocks of types 10h, 11h and 40h) describes, read straight from the table's bytes so that they
 * are out of the domain before any driver builds its tables. Structures that do not fit the table
 * end the walk. Returns how many ranges were stored in out[0 .. max).
 */
#define IOMMU_VTD_MMIO_MIN (4 * KiB)
#define IOMMU_AMDVI_MMIO_SIZE (16 * KiB) /* the architected registers; a driver may hide more */
unsigned int iommu_table_mmio(const char *sig, const uint8_t *tbl, uint32_t len, struct range *out, unsigned int max);

/*
 * Fault logging: one line per (unit kind, requester ID, direction, 2 MiB range) for the first
 * IOMMU_FAULT_SLOTS such keys; at most IOMMU_FAULT_BURST new lines per second after that.
 */
#define IOMMU_FAULT_SLOTS 64
#define IOMMU_FAULT_BURST 8
#define IOMMU_FAULT_RANGE_SHIFT 21

struct iommu_fault_key {
	const char *kind;
	uint16_t segment;
	uint16_t bdf;
	bool write;
	uint64_t range; /* address >> IOMMU_FAULT_RANGE_SHIFT */
};

struct iommu_fault_log {
	struct iommu_fault_key seen[IOMMU_FAULT_SLOTS];
	unsigned int nr_seen;
	uint64_t total;       /* every fault reported */
	uint64_t unlogged;    /* new ones not printed (rate limit or table full) since the last line */
	unsigned int budget;  /* lines left in this second */
	uint64_t window_end;  /* TSC at which the budget refills */
};

enum iommu_fault_verdict {
	IOMMU_FAULT_LOG,        /* print it (and log->unlogged, then reset it) */
	IOMMU_FAULT_DUPLICATE,  /* seen before: counted only */
	IOMMU_FAULT_SUPPRESSED, /* new, but over the rate limit: counted in unlogged */
};

enum iommu_fault_verdict iommu_fault_log_check(struct iommu_fault_log *log, const char *kind, uint16_t segment,
					       uint16_t bdf, bool write, uint64_t addr, uint64_t now_tsc,
					       uint64_t tsc_per_sec);

struct partition;
/* The guest's RSDT/XSDT without the DMAR/IVRS entries (drivers/iommu_hide.c; not host-tested). */
void iommu_hide_acpi_tables(struct partition *p);

#endif
