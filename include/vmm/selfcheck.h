/*
 * The hypervisor's self-check: a checksum of its code and read-only data, taken once at boot
 * (before the guest runs) and compared on request, so a test can prove that nothing a guest did
 * changed them. Both ranges are mapped read-only in the hypervisor's own page tables; the check
 * is for what those cannot stop (DMA, SMM, a write through another mapping, a bare CPU).
 */
#ifndef HV_VMM_SELFCHECK_H
#define HV_VMM_SELFCHECK_H

#include "types.h"

/* Records the boot-time checksum; call once, before the guest starts. */
void selfcheck_init(void);
/* Computes the checksum again: true when it matches the boot-time one (*now gets the new value). */
bool selfcheck_verify(uint64_t *now);

#endif
