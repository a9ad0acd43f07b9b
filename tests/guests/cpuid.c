/*
 * CPUID as the hypervisor presents it: hypervisor bit and leaves, VMX/SVM hidden, OSXSAVE
 * following the guest's own CR4, and the APIC ID of the CPU the guest runs on.
 */
#include "guest.h"
#include "lib/string.h"
#include "x86.h"

const char guest_name[] = "cpuid";

#define HV_SIGNATURE "MicroHVisor "
#define CPUID_HV_BASE 0x40000000u
#define CPUID_EXT_BASE 0x80000000u
#define APIC_ID_REG 0xfee00020u

static void check_hypervisor_leaves(void)
{
	struct cpuid_regs r = cpuid(CPUID_HV_BASE);
	char sig[13];

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	for (unsigned int i = 0; i < 12; i++) {
		if (sig[i] < 0x20 || sig[i] > 0x7e)
			sig[i] = '.';
	}
	ok(!memcmp(sig, HV_SIGNATURE, 12), "CPUID 0x40000000 signature '%s' is '" HV_SIGNATURE "'", sig);
	if (ok(r.eax >= CPUID_HV_BASE + 1 && r.eax <= CPUID_HV_BASE + 0xff,
	       "CPUID 0x40000000 EAX (max hypervisor leaf) 0x%x >= 0x40000001", r.eax)) {
		r = cpuid(CPUID_HV_BASE + 1);
		printf("# CPUID 0x40000001: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x\n", r.eax, r.ebx, r.ecx, r.edx);
	}
}

static void check_virtualization_hidden(void)
{
	struct cpuid_regs r = cpuid(1);

	ok(r.ecx & CPUID_1_ECX_HYPERVISOR, "CPUID 1 ECX[31] (hypervisor present) is set (ecx 0x%x)", r.ecx);
	ok(!(r.ecx & CPUID_1_ECX_VMX), "CPUID 1 ECX[5] (VMX) is clear (ecx 0x%x)", r.ecx);
	if (cpuid(CPUID_EXT_BASE).eax < CPUID_EXT_BASE + 1) {
		skip("no leaf 0x80000001", "CPUID 0x80000001 ECX[2] (SVM) is clear");
		return;
	}
	r = cpuid(CPUID_EXT_BASE + 1);
	ok(!(r.ecx & CPUID_80000001_ECX_SVM), "CPUID 0x80000001 ECX[2] (SVM) is clear (ecx 0x%x)", r.ecx);
}

/* OSXSAVE is not a CPU feature but a copy of CR4.OSXSAVE (SDM vol. 2, CPUID leaf 1 ECX[27]). */
static void check_osxsave(void)
{
	uint32_t cr4 = read_cr4();
	uint32_t ecx = cpuid(1).ecx;

	if (!(ecx & CPUID_1_ECX_XSAVE)) {
		skip("no XSAVE", "CPUID 1 ECX[27] (OSXSAVE) follows CR4.OSXSAVE");
		return;
	}
	write_cr4(cr4 & ~CR4_OSXSAVE);
	ecx = cpuid(1).ecx;
	ok(!(ecx & CPUID_1_ECX_OSXSAVE), "OSXSAVE clear while CR4.OSXSAVE is clear (ecx 0x%x)", ecx);
	write_cr4(cr4 | CR4_OSXSAVE);
	ecx = cpuid(1).ecx;
	ok(ecx & CPUID_1_ECX_OSXSAVE, "OSXSAVE set after the guest sets CR4.OSXSAVE (ecx 0x%x)", ecx);
	write_cr4(cr4 & ~CR4_OSXSAVE);
	ecx = cpuid(1).ecx;
	ok(!(ecx & CPUID_1_ECX_OSXSAVE), "OSXSAVE clear again after the guest clears it (ecx 0x%x)", ecx);
	write_cr4(cr4);
}

static void check_apic_id(void)
{
	uint32_t id = cpuid(1).ebx >> 24;
	uint64_t base = rdmsr(MSR_APIC_BASE);

	ok(id == 0, "CPUID 1 EBX[31:24] (initial APIC ID) is 0 on the boot CPU (%u)", id);
	/* In xAPIC mode the ID register (bits 31:24) must agree with CPUID. */
	if ((base & APIC_BASE_ENABLE) && !(base & APIC_BASE_X2APIC)) {
		uint32_t reg = mmio_read32(APIC_ID_REG) >> 24;

		ok(reg == id, "CPUID APIC ID %u equals the local APIC ID register %u", id, reg);
	} else {
		skip("local APIC not in xAPIC mode", "CPUID APIC ID equals the local APIC ID register");
	}
}

void guest_main(void)
{
	struct cpuid_regs r = cpuid(0);

	printf("# CPUID 0: max leaf 0x%x, vendor %s; CPUID 1: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x\n", r.eax,
	       cpu_vendor_string(), cpuid(1).eax, cpuid(1).ebx, cpuid(1).ecx, cpuid(1).edx);
	ok(r.eax >= 1, "CPUID 0 reports basic leaf 1 (max 0x%x)", r.eax);
	check_virtualization_hidden();
	check_hypervisor_leaves();
	check_osxsave();
	check_apic_id();
}
