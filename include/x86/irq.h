/*
 * External interrupts as the hypervisor sees them. The local APIC belongs to the guest; the
 * hypervisor keeps the top priority class (0xF0-0xFF) for itself: its own IPI and the spurious
 * vector. Everything else is the guest's and is handed on without an EOI (the guest's own EOI
 * completes it at the APIC).
 */
#ifndef HV_X86_IRQ_H
#define HV_X86_IRQ_H

#include "types.h"

#define HV_VECTOR_FIRST 0xF0  /* vectors from here up are the hypervisor's */
#define HV_IPI_VECTOR 0xF0    /* cross-CPU requests of the hypervisor */
#define SPURIOUS_VECTOR 0xFF  /* the APIC's spurious vector: never acknowledged */

/* An interrupt taken by the host IDT (vector >= 32). */
void host_interrupt(unsigned int vector);
/* Moves the guest vectors the host took into `pending` (a 256-bit set); returns whether any. */
bool host_take_latched(uint64_t pending[4]);

#endif
