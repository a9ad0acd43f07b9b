/*
 * An exit the hypervisor has no handler for. Booted with the hypervisor option
 * test_unhandled_exit, RDTSC is intercepted without a handler: the hypervisor must dump the
 * vCPU and stop the partition instead of crashing or skipping the instruction. So the RDTSC
 * below never returns there; if it does, the check fails.
 */
#include "guest.h"

const char guest_name[] = "unhandled_exit";

void guest_main(void)
{
	uint32_t lo, hi;

	printf("# executing RDTSC: the hypervisor should stop this partition now\n");
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	ok(false, "RDTSC returned 0x%08x%08x: the partition was not stopped", hi, lo);
}
