/*
 * DMA protection: the IOMMUs the ACPI tables describe (VT-d from the DMAR, AMD-Vi from the IVRS)
 * put every device the guest owns in one DMA domain. The domain maps guest-physical memory 1:1,
 * exactly as the nested tables do, with hypervisor memory (and the IOMMUs' own registers) absent.
 *
 * drivers/iommu.c owns the common part: it finds the tables, computes the domain's ranges, calls
 * each vendor's probe, hides the units' registers from the guest, reports faults once per device
 * and range, and disables the units on the reboot and sleep paths. The vendor drivers
 * (drivers/iommu_vtd*.c, drivers/iommu_amdvi*.c) build their own translation tables in their own
 * format from the domain's ranges and register one struct iommu_unit per hardware unit.
 */
#ifndef HV_IOMMU_H
#define HV_IOMMU_H

#include "acpi.h"
#include "lib/range.h"
#include "types.h"

struct partition;

/* Requester ID of a PCI function. */
#define PCI_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCI_BDF_BUS(bdf) ((unsigned int)(bdf) >> 8)
#define PCI_BDF_DEV(bdf) (((unsigned int)(bdf) >> 3) & 0x1F)
#define PCI_BDF_FN(bdf) ((unsigned int)(bdf) & 7)

/*
 * The one DMA domain: what a device may reach, identity-mapped. `dma` is every range the guest may
 * address (RAM, MMIO, firmware regions, the RMRR / unity ranges a driver adds to its own tables),
 * page-aligned, without hypervisor memory or any unit's registers. `ram` is the guest RAM subset.
 */
struct iommu_domain {
	struct range_set dma;
	const struct range_set *ram;
	uint64_t limit; /* one past the highest address the domain maps */
};

/* A DMA fault decoded by a driver from its fault-recording registers or event log. */
struct iommu_fault {
	uint16_t segment;
	uint16_t bdf;    /* requester ID */
	uint64_t addr;   /* the faulting DMA address (page-aligned where the unit reports only the page) */
	bool write;      /* false: a read */
	uint32_t reason; /* the unit's own fault reason or event code, printed as is */
};

/* One hardware unit, registered by its driver once it translates. */
struct iommu_unit {
	const char *kind;  /* "VT-d" or "AMD-Vi" */
	paddr_t mmio_base; /* its register page(s): hidden from the guest */
	uint64_t mmio_size;
	/* Read new faults and pass each to iommu_report_fault(); clear them in the unit. */
	void (*poll_faults)(struct iommu_unit *u);
	/* Translation off, in a state firmware accepts (before a reset, or before S3). */
	void (*disable)(struct iommu_unit *u);
	/* After S3: program and enable again (the domain's tables are still in memory). */
	int (*resume)(struct iommu_unit *u);
	void *priv;
};

/*
 * Vendor probes, called by iommu_init() with a table the ACPI parser listed: they parse it,
 * program every unit it describes to translate through the domain, and iommu_register() each.
 * Return the number of units now translating, or a negative error (logged) with none enabled.
 */
int vtd_probe(const struct acpi_table_ref *dmar, const struct iommu_domain *dom);
int amdvi_probe(const struct acpi_table_ref *ivrs, const struct iommu_domain *dom);

/* For the drivers. */
int iommu_register(struct iommu_unit *u);
/* Logs a fault once per unit kind, device, direction and 2 MiB range (rate-limited, never fatal). */
void iommu_report_fault(const struct iommu_unit *u, const struct iommu_fault *f);

/*
 * For the rest of the hypervisor. iommu_init runs after partition_init and before the guest starts:
 * it builds the domain, probes, hides the units' registers from the nested tables, and prints one
 * warning line when there is no IOMMU (DMA is then not confined).
 */
void iommu_init(struct partition *p);
unsigned int iommu_count(void);
/* Polls every unit's faults; cheap to call often (rate-limited by the TSC unless forced). */
void iommu_poll_faults(bool force);
/* Reports the faults still recorded, then turns translation off on every unit. */
void iommu_disable_all(void);
/* After iommu_disable_all (S3, or a sleep that did not happen): every unit translates again. */
void iommu_resume_all(void);
/* Whether pa lies in a unit's registers, which the nested tables leave out (vmm/npf.c refuses it). */
bool iommu_owns_mmio(paddr_t pa);

#endif
