/* INIT and SIPI in software (vmm/initsipi.c). */
#ifndef HV_VMM_INITSIPI_H
#define HV_VMM_INITSIPI_H

#include "vmm/vcpu.h"

/*
 * The vcpu.startup transitions, pure so they can be tested on the host. A sender's INIT or
 * SIPI turns `old` into the returned word (a SIPI that would be ignored returns `old` itself);
 * the vCPU taking what is pending returns the word after, with what to do in *init / *sipi.
 */
static inline uint32_t startup_post_init(uint32_t old)
{
	/* INIT resets the CPU: a SIPI sent before it and not yet taken would have found it running. */
	return (old | VCPU_INIT_PENDING) & ~(VCPU_SIPI_PENDING | VCPU_SIPI_VECTOR_MASK);
}

static inline uint32_t startup_post_sipi(uint32_t old, uint8_t vector)
{
	/* One SIPI already starts it; a vCPU neither waiting nor about to wait runs and ignores SIPIs. */
	if ((old & VCPU_SIPI_PENDING) || !(old & (VCPU_WAITING | VCPU_INIT_PENDING)))
		return old;
	return old | VCPU_SIPI_PENDING | vector;
}

static inline uint32_t startup_take(uint32_t old, bool *init, bool *sipi)
{
	*init = old & VCPU_INIT_PENDING;
	*sipi = old & VCPU_SIPI_PENDING; /* posted only to a waiting or INIT-pending vCPU */
	if (*sipi)
		return 0;
	return *init || (old & VCPU_WAITING) ? VCPU_WAITING : 0;
}

/*
 * The guest on `v` wrote an INIT or STARTUP command (ICR low word, destination as the ICR holds
 * it in the sender's APIC mode): it reaches the targets' vCPUs, never the hardware.
 */
void initsipi_send(struct vcpu *v, uint32_t icr_low, uint32_t dest, bool x2apic);
/*
 * A hardware INIT reached this CPU (an INIT exit, or #SX from VM_CR.R_INIT): posted to its vCPU
 * like a software INIT. Safe in an exception handler: one compare-exchange, no lock, no log.
 */
void initsipi_hardware_init(struct vcpu *v);
/* On the vCPU's own CPU, before each entry: takes a pending INIT and/or SIPI. */
void initsipi_process(struct vcpu *v);

#endif
