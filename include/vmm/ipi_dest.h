/*
 * Which local APICs an IPI reaches (SDM vol. 3A, 11.6.2 "Determining IPI Destination" and
 * 11.12.9 for x2APIC). Pure logic, so the hypervisor can deliver INIT and STARTUP in software
 * to exactly the vCPUs the hardware would have chosen; unit-tested on the host.
 */
#ifndef HV_VMM_IPI_DEST_H
#define HV_VMM_IPI_DEST_H

#include "types.h"

#define IPI_ICR_LOGICAL (1U << 11)        /* destination mode */
#define IPI_ICR_SHORTHAND(icr) (((icr) >> 18) & 3)
#define IPI_SHORTHAND_NONE 0
#define IPI_SHORTHAND_SELF 1
#define IPI_SHORTHAND_ALL 2               /* all including self */
#define IPI_SHORTHAND_ALL_BUT_SELF 3
#define IPI_XAPIC_BROADCAST 0xFFU
#define IPI_X2APIC_BROADCAST 0xFFFFFFFFU
#define IPI_DFR_FLAT 0xFU                 /* DFR bits 31:28; 0 is the cluster model */

/* One possible receiver as the sender's IPI sees it. */
struct ipi_target {
	uint32_t apic_id;  /* xAPIC: 8 bits; x2APIC: 32 bits */
	uint32_t ldr;      /* xAPIC LDR register value (logical ID in bits 31:24); unused in x2APIC mode */
	uint32_t dfr;      /* xAPIC DFR register value (model in bits 31:28) */
	bool self;         /* the target is the sender */
};

/*
 * Whether an IPI with ICR low word `icr_low` and destination `dest` (xAPIC: ICR bits 63:56, so
 * 8 bits; x2APIC: ICR bits 63:32) sent in `x2apic` mode reaches `t`. In x2APIC mode the logical
 * ID is the one the hardware derives from the APIC ID (cluster in 31:16, one bit of 15:0).
 */
bool ipi_reaches(uint32_t icr_low, uint32_t dest, bool x2apic, const struct ipi_target *t);

/* The x2APIC logical ID the hardware derives from an x2APIC ID (SDM 11.12.10.2). */
static inline uint32_t ipi_x2apic_ldr(uint32_t apic_id)
{
	return ((apic_id >> 4) << 16) | (1U << (apic_id & 0xF));
}

#endif
