/* Time from the TSC, calibrated once against the PIT. */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include "types.h"

void tsc_calibrate(void);
uint64_t tsc_khz(void);
void udelay(uint64_t us);
void mdelay(uint64_t ms);
/* TSC value `us` microseconds from now, for polling loops with a deadline. */
uint64_t tsc_deadline_us(uint64_t us);

#endif
