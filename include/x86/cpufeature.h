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

/* Where CPUID's four output registers are in an out[4] array. */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* CPUID feature bits by leaf, subleaf and register (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E). */
#define CPUID_1_ECX_PDCM (1U << 15)
#define CPUID_1_ECX_X2APIC (1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_EDX_MCE (1U << 7)
#define CPUID_1_EDX_MTRR (1U << 12)
#define CPUID_1_EDX_MCA (1U << 14)
#define CPUID_6_EAX_PTM (1U << 6)          /* package thermal management */
#define CPUID_6_ECX_APERFMPERF (1U << 0)
#define CPUID_6_ECX_EPB (1U << 3)          /* energy-performance bias */
#define CPUID_7_0_EBX_TSC_ADJUST (1U << 1)
#define CPUID_7_0_ECX_RDPID (1U << 22)
#define CPUID_7_0_EDX_IBRS_IBPB (1U << 26) /* Intel: IA32_SPEC_CTRL and IA32_PRED_CMD */
#define CPUID_80000001_ECX_OSVW (1U << 9)
#define CPUID_80000001_ECX_PERFCTR_CORE (1U << 23)
#define CPUID_80000001_ECX_PERFCTR_NB (1U << 24)
#define CPUID_80000001_ECX_PERFCTR_LLC (1U << 28)
#define CPUID_80000001_EDX_RDTSCP (1U << 27)
#define CPUID_80000008_EBX_IBPB (1U << 12)
#define CPUID_80000008_EBX_IBRS (1U << 14)

/* CPUID 0 vendor strings as EBX, EDX, ECX. */
#define CPUID_VENDOR_INTEL_EBX 0x756E6547 /* "Genu" */
#define CPUID_VENDOR_INTEL_EDX 0x49656E69 /* "ineI" */
#define CPUID_VENDOR_INTEL_ECX 0x6C65746E /* "ntel" */
#define CPUID_VENDOR_AMD_EBX 0x68747541   /* "Auth" */
#define CPUID_VENDOR_AMD_EDX 0x69746E65   /* "enti" */
#define CPUID_VENDOR_AMD_ECX 0x444D4163   /* "cAMD" */

extern struct cpu_features boot_cpu;

void cpu_features_init(void);
void cpu_features_print(void);

#endif
