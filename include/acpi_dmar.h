/*
 * ACPI DMAR table (Intel VT-d specification, chapter 8 "BIOS Considerations"): the DMA remapping
 * hardware units (DRHD) with their device scopes, and the reserved memory regions (RMRR) that
 * devices keep using behind the OS's back (USB legacy emulation, integrated graphics stolen
 * memory) and that must stay mapped 1:1 in every domain those devices translate through.
 *
 * Parsed through a struct phys_view like the rest of the ACPI tables: the header is mapped first,
 * the length checked, then the whole table mapped and its checksum verified; every structure and
 * device scope is bounds-checked before a field is read. ATSR, RHSA, ANDD, SATC and unknown
 * structures are reported and skipped. The parser keeps no state outside struct dmar_info.
 */
#ifndef HV_ACPI_DMAR_H
#define HV_ACPI_DMAR_H

#include "acpi.h"
#include "physmem.h"
#include "types.h"

/* Capacities of struct dmar_info; what does not fit is counted in the *_dropped fields. */
#define DMAR_MAX_UNITS 16
#define DMAR_MAX_RMRRS 32
#define DMAR_MAX_SCOPES 128 /* all units' and RMRRs' device scopes together */
#define DMAR_MAX_PATH 8     /* bridges between the start bus and the device */

/* DMAR header flags (offset 37). */
#define DMAR_FLAG_INTR_REMAP (1u << 0)
#define DMAR_FLAG_X2APIC_OPT_OUT (1u << 1)
#define DMAR_FLAG_DMA_CTRL_OPT_IN (1u << 2)

/* Device scope types (VT-d 8.3.1). */
#define DMAR_SCOPE_PCI_ENDPOINT 1
#define DMAR_SCOPE_PCI_BRIDGE 2
#define DMAR_SCOPE_IOAPIC 3
#define DMAR_SCOPE_HPET 4
#define DMAR_SCOPE_ACPI_NAMESPACE 5

struct dmar_scope {
	uint8_t type;    /* DMAR_SCOPE_* */
	uint8_t enum_id; /* I/O APIC ID, HPET number or ACPI device number (types 3-5) */
	uint8_t bus;     /* start bus of the path */
	uint8_t path_len;
	struct {
		uint8_t dev, fn;
	} path[DMAR_MAX_PATH]; /* the last hop is the device itself */
};

struct dmar_drhd {
	paddr_t reg_base;     /* 4 KiB-aligned register page */
	uint64_t reg_size;    /* Size field: 2^N pages (older tables leave N = 0: one page) */
	uint16_t segment;
	bool include_pci_all; /* every device of the segment not claimed by another unit */
	uint32_t first_scope, nr_scopes; /* in dmar_info.scopes */
};

struct dmar_rmrr {
	uint16_t segment;
	paddr_t base, end; /* [base, end), both 4 KiB-aligned */
	uint32_t first_scope, nr_scopes;
};

struct dmar_info {
	bool valid;         /* header, length and checksum good (entries may still have been skipped) */
	paddr_t pa;
	uint8_t host_addr_width; /* bits of DMA address the platform supports (HAW field + 1) */
	uint8_t flags;           /* DMAR_FLAG_* */

	struct dmar_drhd units[DMAR_MAX_UNITS];
	uint32_t nr_units, nr_units_dropped;
	struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
	uint32_t nr_rmrrs, nr_rmrrs_dropped;
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
	uint32_t nr_scopes, nr_scopes_dropped;

	uint32_t nr_ignored; /* ATSR, RHSA, ANDD, SATC and unknown structures, skipped */
	uint32_t errors;     /* malformed structures or scopes (each reported) */
};

/*
 * Parse the DMAR at pa into *out (always fully initialized). Problems are reported through log
 * (may be NULL). A malformed structure header stops the walk (what came before is kept); a
 * malformed unit, RMRR or scope is skipped alone. Returns 0 when the table itself is usable,
 * -E_INVAL (bad length, checksum or signature) or -E_NOENT (not readable) otherwise.
 */
int acpi_dmar_parse(const struct phys_view *mem, paddr_t pa, struct dmar_info *out, acpi_log_fn log,
		    void *log_ctx);

#endif
