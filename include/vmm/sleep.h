/*
 * Sleep states through the hypervisor (vmm/sleep.c): the guest's writes to the PM1 control
 * registers are the only thing intercepted; a write that enters S1-S3 suspends the hypervisor with
 * the machine and resumes the guest at its waking vector, S4/S5 leave virtualization first.
 */
#ifndef HV_VMM_SLEEP_H
#define HV_VMM_SLEEP_H

#include "types.h"
#include "vmm/exit.h"

struct partition;

/* At boot: intercepts the PM1 control ports the FADT names and prepares the wake page. */
void sleep_intercept_ports(struct partition *p);
/* Whether `port` belongs to an intercepted PM1 control register. */
bool sleep_port(uint16_t port);
/* A guest OUT to a PM1 control port: passes through, or suspends (returns after the resume). */
enum exit_verdict sleep_io_write(struct vcpu *v, uint16_t port, uint8_t size, uint32_t value);

#endif
