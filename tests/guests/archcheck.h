/*
 * The archcheck guest's parts (see archcheck.c): each file checks one concern, and guest_main()
 * runs them in order.
 */
#ifndef GUEST_ARCHCHECK_H
#define GUEST_ARCHCHECK_H

#include "types.h"

/* Where the guest runs: set by guest_main() before any check. */
extern bool under_hv;
extern bool on_qemu;

/* archcheck_ring3.c: hypercalls and XSETBV from ring 3. */
void check_ring3(void);
/* archcheck_cpu.c: CR0/CR4/EFER writes the manuals refuse, INVD, INVLPGA, accesses above 4 GiB. */
void check_control_registers(void);
void check_instructions(void);
void check_paged(void);
/* archcheck_step.c: single-stepping over instructions the hypervisor emulates. */
void check_single_step(void);
/* archcheck_io.c: string I/O, odd-sized local APIC writes, QEMU fw_cfg DMA. */
void check_string_io(void);
void check_apic_odd(void);
void check_fw_cfg(void);

#endif
