/* The periodic poll on exits (include/vmm/housekeeping.h). */
#include "iommu.h"
#include "timer.h"
#include "vmm/debugkeys.h"
#include "vmm/housekeeping.h"
#include "x86/cpu.h"

volatile uint64_t housekeeping_next_poll = ~0ULL;
static uint64_t poll_period; /* 0: nothing to poll */

void housekeeping_start(void)
{
	poll_period = tsc_khz() * HOUSEKEEPING_POLL_MS;
	housekeeping_next_poll = rdtsc() + poll_period;
}

void housekeeping_rearm(void)
{
	if (poll_period)
		housekeeping_next_poll = rdtsc() + poll_period;
}

void housekeeping_poll(struct vcpu *v)
{
	uint64_t due = housekeeping_next_poll, now = rdtsc();

	/* One CPU per period: the one that moves the deadline does the work. */
	if (now < due || !__atomic_compare_exchange_n(&housekeeping_next_poll, &due, now + poll_period, false,
						      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	if (debugkeys_enabled())
		debugkeys_poll(v); /* a key on the hypervisor's UART */
	iommu_poll_faults(true); /* already rate-limited here */
}
