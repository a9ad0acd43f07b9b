/* Per-CPU blocks. */
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/percpu.h"

struct percpu bsp_percpu;

void percpu_install(struct percpu *cpu)
{
	cpu->self = cpu;
	wrmsr(MSR_GS_BASE, (uintptr_t)cpu);
}
