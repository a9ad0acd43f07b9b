/*
 * The guest's I/O APICs (vmm/ioapic.c). Their register pages are read-only in the nested tables and
 * every write is performed on the real I/O APIC by the hypervisor, so that no redirection entry
 * the guest programs can send a CPU a hardware INIT.
 */
#ifndef HV_VMM_IOAPIC_H
#define HV_VMM_IOAPIC_H

#include "vmm/partition.h"
#include "x86/irq.h"

/* Redirection entry, low dword (82093AA datasheet 3.2.4). */
#define RTE_VECTOR 0xFFU
#define RTE_MODE (7U << 8)
#define RTE_MODE_FIXED (0U << 8)
#define RTE_MODE_INIT (5U << 8)
#define RTE_LEVEL (1U << 15)

/* Makes the I/O APIC pages the MADT lists read-only in p's nested tables. */
void ioapic_trap_all(struct partition *p);

/* True if gpa lies in one of the trapped I/O APIC pages. */
bool ioapic_is_mmio(uint64_t gpa);

/* Emulates the access that caused v's nested page fault at an I/O APIC page. */
enum exit_verdict ioapic_mmio(struct vcpu *v);

/*
 * Redirection entry rule, pure: what the hardware is given for the low dword `guest` the guest
 * wrote. An entry with delivery mode INIT is sent as a fixed, edge-triggered interrupt on
 * HV_INIT_PROXY_VECTOR to the same destination; the CPU that takes it hands its vCPU an INIT.
 */
static inline uint32_t ioapic_hw_entry(uint32_t guest)
{
	if ((guest & RTE_MODE) != RTE_MODE_INIT)
		return guest;
	return (guest & ~(RTE_MODE | RTE_VECTOR | RTE_LEVEL)) | RTE_MODE_FIXED | HV_INIT_PROXY_VECTOR;
}

#endif
