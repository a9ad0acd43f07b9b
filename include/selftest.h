/* Test-only faults chosen with `selftest=`, so the boot tests can prove the dump and recovery paths. */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include "types.h"

/* Runs the recoverable checks first, then triggers the first fatal fault in the mask (if any). */
void selftest_run(uint32_t mask);

#endif
