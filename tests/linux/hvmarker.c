/*
 * Prints the hypervisor's CPUID signature (leaf 0x40000000), or "none" without one.
 * `hvmarker stats` instead asks the hypervisor to print this vCPU's exit counters (hypercall
 * HC_EXIT_STATS, include/vmm/hypercall.h): VMCALL on Intel, VMMCALL on AMD.
 */
#include <stdio.h>
#include <string.h>
#include <cpuid.h>

#define HC_EXIT_STATS 4

static int exit_stats(void)
{
	unsigned int a, b, c, d;
	long rax = HC_EXIT_STATS;

	__cpuid(0, a, b, c, d);
	if (b == 0x756e6547) /* "Genu"ineIntel */
		asm volatile("vmcall" : "+a"(rax) : : "rbx", "rcx", "rdx", "memory");
	else
		asm volatile("vmmcall" : "+a"(rax) : : "rbx", "rcx", "rdx", "memory");
	return rax == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 31))) {
		puts("none");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "stats"))
		return exit_stats();
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	puts(sig);
	return 0;
}
