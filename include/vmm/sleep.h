/*
 * Sleep states through the hypervisor (vmm/sleep.c): the guest's writes to the sleep registers
 * (PM1 control, and the hardware-reduced sleep control register; I/O or memory space) are the only
 * thing intercepted; a write that enters S1-S3 suspends the hypervisor with the machine and resumes
 * the guest at its waking vector, S4/S5 leave virtualization first.
 */
#ifndef HV_VMM_SLEEP_H
#define HV_VMM_SLEEP_H

#include "types.h"
#include "vmm/exit.h"

struct partition;

/* At boot: intercepts the sleep registers the FADT names (ports, or their pages) and prepares the wake page. */
void sleep_intercept_ports(struct partition *p);
/* Whether `port` belongs to an intercepted sleep register in I/O space. */
bool sleep_port(uint16_t port);
/* A guest OUT to a sleep register port: passes through, or suspends (returns after the resume). */
enum exit_verdict sleep_io_write(struct vcpu *v, uint16_t port, uint8_t size, uint32_t value);
/*
 * A guest write of `size` bytes at `address` (port or physical address) touching sleep register
 * `reg` (index from sleep_mmio_reg or the port lookup): performed when it is no sleep request, else
 * the sleep path. Completes the instruction by v->exit.insn_len.
 */
enum exit_verdict sleep_write(struct vcpu *v, int reg, uint64_t address, uint8_t size, uint64_t value);
/* The memory-space sleep register a write of `size` bytes at `gpa` touches, or -1. */
int sleep_mmio_reg(uint64_t gpa, uint8_t size);

/* vmm/sleep_mmio.c: the pages of memory-space sleep registers. */
/* Makes the page(s) of the register at `address` write-trapped in the nested tables. */
void sleep_mmio_trap(struct partition *p, uint64_t address, uint8_t len);
/* Whether `gpa` lies on a write-trapped sleep register page. */
bool sleep_is_mmio(uint64_t gpa);
/* Performs a write on such a page on the guest's behalf. */
void sleep_mmio_perform(uint64_t gpa, uint8_t size, uint64_t value);
/* A nested page fault on such a page: decodes and completes the guest's write. */
enum exit_verdict sleep_mmio(struct vcpu *v);

#endif
