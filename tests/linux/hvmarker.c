/*
 * Prints the hypervisor's CPUID signature (leaf 0x40000000), or "none" without one.
 * (Hypercalls are ring 0 only: the hypervisor prints its exit counters itself at power-off.)
 */
#include <stdio.h>
#include <string.h>
#include <cpuid.h>

int main(void)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 31))) {
		puts("none");
		return 0;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	puts(sig);
	return 0;
}
