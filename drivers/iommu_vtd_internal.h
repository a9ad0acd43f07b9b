/*
 * Shared between drivers/iommu_vtd.c (probe, tables) and drivers/iommu_vtd_regs.c (the unit's
 * registers: enable, disable, invalidation, faults). Not part of the driver's API.
 */
#ifndef HV_DRIVERS_IOMMU_VTD_INTERNAL_H
#define HV_DRIVERS_IOMMU_VTD_INTERNAL_H

#include "iommu.h"
#include "iommu_vtd.h"

struct vtd_unit {
	struct iommu_unit iu;
	unsigned int index; /* DRHD order in the DMAR, for messages */
	volatile uint8_t *regs;
	paddr_t reg_base;
	uint64_t reg_size;
	uint16_t segment;
	struct vtd_caps caps;
	unsigned int levels;    /* 3 or 4 */
	paddr_t root_table;     /* 256 root entries, all -> context_table */
	paddr_t context_table;  /* 256 context entries, all -> the domain */
	paddr_t qi_queue;       /* one page of descriptors, when caps.qi */
	uint32_t qi_tail;       /* next free descriptor */
	uint32_t qi_seq;        /* last status value a wait descriptor asked for */
	volatile uint32_t qi_status __aligned(8); /* written by the unit (status write) */
};

static inline uint32_t vtd_read32(const struct vtd_unit *u, unsigned int off)
{
	return *(volatile const uint32_t *)(u->regs + off);
}

static inline uint64_t vtd_read64(const struct vtd_unit *u, unsigned int off)
{
	return *(volatile const uint64_t *)(u->regs + off);
}

static inline void vtd_write32(struct vtd_unit *u, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(u->regs + off) = v;
}

static inline void vtd_write64(struct vtd_unit *u, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(u->regs + off) = v;
}

/*
 * Program the unit from scratch (root table, invalidation, translation on). The tables must be
 * ready. On failure translation is left off. Returns 0 or -E_TIMEOUT / -E_INVAL (logged).
 */
int vtd_enable(struct vtd_unit *u);
/* Translation off (waited for), queued invalidation off: the state firmware left us. */
void vtd_disable(struct vtd_unit *u);
/* Report and clear every recorded fault, and the overflow flag. */
void vtd_poll_faults(struct vtd_unit *u);

#endif
