/* INIT and SIPI in software (vmm/initsipi.c). */
#ifndef HV_VMM_INITSIPI_H
#define HV_VMM_INITSIPI_H

#include "vmm/vcpu.h"

/*
 * The guest on `v` wrote an INIT or STARTUP command (ICR low word, destination as the ICR holds
 * it in the sender's APIC mode): it reaches the targets' vCPUs, never the hardware.
 */
void initsipi_send(struct vcpu *v, uint32_t icr_low, uint32_t dest, bool x2apic);
/* On the vCPU's own CPU, before each entry: takes a pending INIT and/or SIPI. */
void initsipi_process(struct vcpu *v);

#endif
