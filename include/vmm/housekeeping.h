/*
 * Periodic work done on exits the hypervisor takes anyway: the debug keys (vmm/debugkeys.c) and
 * the IOMMUs' fault records (drivers/iommu.c). The exit path tests one global against the exit's
 * TSC; it stays ~0 while nothing needs polling, so a machine without either pays one compare.
 */
#ifndef HV_VMM_HOUSEKEEPING_H
#define HV_VMM_HOUSEKEEPING_H

#include "types.h"

struct vcpu;

#define HOUSEKEEPING_POLL_MS 10

/* TSC value at or after which the next exit calls housekeeping_poll(). */
extern volatile uint64_t housekeeping_next_poll;

/* A user needs polling from now on (after tsc_calibrate): arms the deadline. */
void housekeeping_start(void);
/* A run loop starts (at boot, or after an S3 resume restarted the TSC): the deadline from now. */
void housekeeping_rearm(void);
/* On an exit whose TSC passed the deadline: one CPU claims the period and does the work. */
void housekeeping_poll(struct vcpu *v);

#endif
