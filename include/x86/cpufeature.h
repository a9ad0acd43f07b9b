/* CPU identification and the features the hypervisor looks at, read once on the boot CPU. */
#ifndef HV_X86_CPUFEATURE_H
#define HV_X86_CPUFEATURE_H

#include "types.h"

enum cpu_vendor { VENDOR_UNKNOWN, VENDOR_INTEL, VENDOR_AMD };

struct cpu_features {
	enum cpu_vendor vendor;
	char vendor_string[13];
	char brand[49];
	uint32_t family, model, stepping;
	uint32_t max_leaf, max_ext_leaf;
	bool nx;       /* CPUID 0x80000001 EDX[20] */
	bool pages_1g; /* CPUID 0x80000001 EDX[26] */
	bool x2apic;   /* CPUID 1 ECX[21] */
	bool vmx;      /* CPUID 1 ECX[5] */
	bool svm;      /* CPUID 0x80000001 ECX[2] */
	bool xsave;    /* CPUID 1 ECX[26] */
	bool hypervisor; /* CPUID 1 ECX[31]: we run nested */
	bool invariant_tsc; /* CPUID 0x80000007 EDX[8] */
	unsigned int phys_bits; /* MAXPHYADDR: CPUID 0x80000008 EAX[7:0], else 36 */
};

extern struct cpu_features boot_cpu;

void cpu_features_init(void);
void cpu_features_print(void);

#endif
