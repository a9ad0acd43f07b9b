/*
 * External interrupts as the hypervisor sees them. The local APIC belongs to the guest, and a
 * Linux guest uses almost every vector, its system vectors 0xEC-0xFF included: the hypervisor
 * keeps one vector for its own IPIs, the one Linux reserves for a hypervisor callback and uses
 * only for hypervisors it recognizes (which this one is not). Everything else is the guest's and
 * is handed on without an EOI (the guest's own EOI completes it at the APIC): vectors 16-31 and
 * 0xFF too. Spurious interrupts (vector 0xFF with no ISR bit) need no EOI and are dropped.
 */
#ifndef HV_X86_IRQ_H
#define HV_X86_IRQ_H

#include "types.h"

#define HV_IPI_VECTOR 0xF3    /* cross-CPU requests of the hypervisor (Linux: HYPERVISOR_CALLBACK_VECTOR) */
#define HV_INIT_PROXY_VECTOR 0xF2 /* an I/O APIC entry the guest set to INIT (vmm/ioapic.c) */
#define SPURIOUS_VECTOR 0xFF  /* the APIC's spurious vector (as firmware and Linux program it) */

/* An interrupt taken by the host IDT (vector >= 32). */
void host_interrupt(unsigned int vector);
/* Whether `vector` is in service at this CPU's APIC (its ISR bit is set). */
bool apic_vector_in_service(unsigned int vector);
/* Moves the guest vectors the host took into `pending` (a 256-bit set); returns whether any. */
bool host_take_latched(uint64_t pending[4]);

#endif
