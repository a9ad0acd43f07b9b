/* Starting the other CPUs (INIT-SIPI-SIPI through the real-mode trampoline) and finding them. */
#ifndef HV_X86_SMP_H
#define HV_X86_SMP_H

#include "types.h"
#include "x86/percpu.h"

/*
 * Filled by the boot CPU in the low-memory copy of the trampoline before each start; read by the
 * AP in boot/trampoline.asm (offsets come from asm_offsets.c).
 */
struct trampoline_params {
	uint32_t cr3;     /* page tables with the trampoline identity-mapped, below 4 GiB */
	uint32_t efer;    /* the boot CPU's EFER: LME, NXE */
	uint32_t apic_id; /* only this CPU may go on; any other (a late answer) parks itself */
	uint32_t reserved;
	uint64_t stack_top;
	uint64_t percpu;
	uint64_t entry;   /* ap_main() */
};

struct acpi_info;

/* Starts every enabled CPU the MADT lists (plus `ghost_apic_id`, testing only) and waits for them. */
void smp_init(const struct acpi_info *acpi, uint32_t ghost_apic_id);
unsigned int smp_cpu_count(void);
/* Every online AP runs fn once (it may never return). */
void smp_run_on_aps(void (*fn)(void));
struct percpu *smp_cpu(unsigned int cpu_id);
/*
 * Copies the start trampoline to the low page `page` (entered at CS = page >> 4, IP 0) with page
 * tables `cr3` that identity-map it; returns its parameters (entry: ap_main) for the caller to fill.
 */
struct trampoline_params *smp_install_trampoline(paddr_t page, paddr_t cr3);
/*
 * After a resume: starts every AP again through the trampoline at `page`, one at a time, each
 * with its old per-CPU block and stack, and hands it `fn`. Returns how many came back.
 */
unsigned int smp_restart_aps(struct trampoline_params *tp, paddr_t page, void (*fn)(void));

#endif
