/* Shared by the fidelity guest's files: where it runs, and the checks each file holds. */
#ifndef GUEST_FIDELITY_H
#define GUEST_FIDELITY_H

#include "types.h"

enum emulator { EMU_UNKNOWN, EMU_QEMU, EMU_BOCHS };
#define ON_QEMU (1U << EMU_QEMU)
#define ON_BOCHS (1U << EMU_BOCHS)

extern enum emulator emulator;
extern bool under_hv; /* inside the microhypervisor's partition (CPUID 0x40000000) */
extern uint32_t max_leaf, max_ext_leaf;

/*
 * An emulator's own gap, proven on that emulator without the hypervisor (see the comment at each
 * call): without the hypervisor on one of `emulators`, the check is reported as skipped, never as
 * passed. Under the hypervisor every check runs: what the guest's CPUID promises is the
 * hypervisor's to keep, whatever the emulator below it lacks.
 */
bool bare_gap(unsigned int emulators);
/*
 * The rare gap that shows through the hypervisor as well, because it forwards that part of the
 * machine to the CPU unchanged, as it must on hardware: skipped on `emulators`, bare or not.
 */
bool emulator_gap(unsigned int emulators);

#define MSR_X2APIC_BASE 0x800
/* x2APIC registers (SDM 10.12.1.2, table 10-6): MSR 0x800 + xAPIC offset / 16. */
#define X2(reg) (MSR_X2APIC_BASE + (reg) / 0x10)

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

/* fidelity_msr.c: the MSRs the guest's CPUID advertises, hidden ones, a counter, the TSC. */
void check_cpuid_msrs(void);
void check_tsc(void);
/* fidelity_realmode.c: down to real mode and back (fidelity_realmode16.S). */
void check_real_mode(void);

#endif
