/*
 * ACPI IVRS (I/O Virtualization Reporting Structure): the AMD-Vi IOMMUs, the device IDs each one
 * serves, and the memory ranges devices need mapped 1:1 (AMD IOMMU specification, doc 48882,
 * section 5.2).
 *
 * Like drivers/acpi.c, the parser reads only through a struct phys_view, checks the checksum and
 * every length before it trusts a byte, reports what it ignores through the log callback, and
 * never writes to firmware memory.
 */
#ifndef HV_ACPI_IVRS_H
#define HV_ACPI_IVRS_H

#include "acpi.h"
#include "types.h"

/* IVHD block types: the same IOMMU may be described by several; the highest one known is used. */
#define IVHD_TYPE_LEGACY 0x10 /* feature reporting only */
#define IVHD_TYPE_EFR 0x11    /* adds the EFR register image */
#define IVHD_TYPE_ACPI 0x40   /* as 0x11, with ACPI HID device entries */

/* IVMD block types and flags. */
#define IVMD_TYPE_ALL 0x20
#define IVMD_TYPE_SELECT 0x21
#define IVMD_TYPE_RANGE 0x22
#define IVMD_FLAG_UNITY (1u << 0)
#define IVMD_FLAG_IR (1u << 1)
#define IVMD_FLAG_IW (1u << 2)
#define IVMD_FLAG_EXCLUSION (1u << 3)

/* Special device varieties (device entry 0x48). */
#define IVRS_SPECIAL_IOAPIC 1
#define IVRS_SPECIAL_HPET 2

#define IVRS_MAX_UNITS 8
#define IVRS_MAX_DEVRANGES 128
#define IVRS_MAX_SPECIALS 16
#define IVRS_MAX_UNITY 16

struct ivrs_unit {
	uint8_t type;         /* IVHD_TYPE_* of the block used */
	uint8_t flags;        /* IVHD flags byte (coherent, IOTLB, ...) */
	uint16_t devid;       /* the IOMMU's own PCI function (requester ID) */
	uint16_t cap_offset;  /* its IOMMU capability block in that function's config space */
	uint16_t segment;     /* PCI segment group */
	paddr_t mmio_base;
	uint16_t iommu_info;  /* MSI number, unit ID */
	uint32_t features;    /* type 0x10: IOMMU feature reporting; 0x11/0x40: IOMMU attributes */
	uint64_t efr;         /* EFR register image (0x11/0x40 only, else 0) */
	uint32_t nr_device_ids; /* device IDs its entries name (ranges counted whole) */
};

/* Device IDs [first, last] that a unit translates (select entries give first == last). */
struct ivrs_devrange {
	uint16_t first, last;
	uint8_t unit;        /* index into units[] */
	uint8_t dte_setting; /* the entry's DTE setting byte (INITPass, EIntPass, ... as firmware wants) */
};

struct ivrs_special {
	uint8_t variety; /* IVRS_SPECIAL_* */
	uint8_t handle;  /* I/O APIC ID or HPET number */
	uint16_t devid;
	uint8_t unit;
};

/* An IVMD block: a memory range that the devices [first_devid, last_devid] need (or may) reach. */
struct ivrs_unity {
	uint8_t type;  /* IVMD_TYPE_* */
	uint8_t flags; /* IVMD_FLAG_* */
	uint16_t first_devid, last_devid; /* 0..0xFFFF for IVMD_TYPE_ALL */
	paddr_t start;
	uint64_t length;
};

struct ivrs_info {
	bool valid;      /* header, length and checksum good (blocks may still have been dropped) */
	uint32_t ivinfo; /* IVinfo: EFRSup, DMA remap support, VA/PA/GVA sizes */
	uint8_t ivhd_type; /* IVHD type used (highest known type present), 0 when none */

	struct ivrs_unit units[IVRS_MAX_UNITS];
	uint32_t nr_units, nr_units_dropped;

	struct ivrs_devrange devranges[IVRS_MAX_DEVRANGES];
	uint32_t nr_devranges, nr_devranges_dropped;

	struct ivrs_special specials[IVRS_MAX_SPECIALS];
	uint32_t nr_specials, nr_specials_dropped;

	struct ivrs_unity unity[IVRS_MAX_UNITY];
	uint32_t nr_unity, nr_unity_dropped;

	uint32_t errors; /* blocks or entries found broken (each reported) */
};

/* IVinfo fields (48882 table 19). */
#define IVINFO_EFR_SUP (1u << 0)
#define IVINFO_PASIZE(iv) (((iv) >> 8) & 0x7F)
#define IVINFO_VASIZE(iv) (((iv) >> 15) & 0x7F)

/*
 * Parse the IVRS at pa into *out (always fully initialized). Returns 0 when the table is valid
 * (out->nr_units may still be 0), -E_INVAL for a table that cannot be trusted at all (unreadable,
 * impossible length, bad checksum, wrong signature). A broken block is reported, counted in
 * out->errors and ends the walk; what came before it is kept.
 */
int ivrs_parse(const struct phys_view *mem, paddr_t pa, struct ivrs_info *out, acpi_log_fn log,
	       void *log_ctx);

/* The unit that translates device ID devid, or -1 when no IVHD entry names it. */
int ivrs_unit_of(const struct ivrs_info *info, uint16_t devid);

#endif
