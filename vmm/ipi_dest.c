/* IPI destination decoding (SDM vol. 3A, 11.6.2.1-11.6.2.3 and 11.12.9). */
#include "vmm/ipi_dest.h"

static bool xapic_logical(uint32_t dest, const struct ipi_target *t)
{
	uint32_t logical = t->ldr >> 24;

	if (dest == IPI_XAPIC_BROADCAST)
		return true;
	if ((t->dfr >> 28) == IPI_DFR_FLAT)
		return (logical & dest) != 0;
	/* Cluster model: cluster in bits 7:4 (15 reaches every cluster), member bits in 3:0. */
	if ((dest >> 4) != 0xF && (dest >> 4) != (logical >> 4))
		return false;
	return (logical & dest & 0xF) != 0;
}

static bool x2apic_logical(uint32_t dest, uint32_t apic_id)
{
	uint32_t ldr = ipi_x2apic_ldr(apic_id);

	if (dest == IPI_X2APIC_BROADCAST)
		return true;
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF) != 0;
}

bool ipi_reaches(uint32_t icr_low, uint32_t dest, bool x2apic, const struct ipi_target *t)
{
	switch (IPI_ICR_SHORTHAND(icr_low)) {
	case IPI_SHORTHAND_SELF:
		return t->self;
	case IPI_SHORTHAND_ALL:
		return true;
	case IPI_SHORTHAND_ALL_BUT_SELF:
		return !t->self;
	default:
		break;
	}
	if (!x2apic)
		dest &= 0xFF;
	if (icr_low & IPI_ICR_LOGICAL)
		return x2apic ? x2apic_logical(dest, t->apic_id) : xapic_logical(dest, t);
	if (dest == (x2apic ? IPI_X2APIC_BROADCAST : IPI_XAPIC_BROADCAST))
		return true;
	return dest == (x2apic ? t->apic_id : (t->apic_id & 0xFF));
}
