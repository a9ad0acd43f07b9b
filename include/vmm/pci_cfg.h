/*
 * PCI configuration filter (vmm/pci_cfg.c): the guest owns PCI configuration space, except the
 * AMD-Vi units' capability blocks (base address, range, misc), which would let it move or
 * reconfigure the IOMMU. Through ECAM, writes to them are dropped; through ports 0xCF8/0xCFC the
 * units' functions are absent. Nothing is intercepted on a machine without an AMD-Vi unit.
 */
#ifndef HV_VMM_PCI_CFG_H
#define HV_VMM_PCI_CFG_H

#include "types.h"
#include "vmm/exit.h"

struct partition;
struct vcpu;

/* After iommu_init: traps the units' ECAM pages and intercepts the configuration address port. */
void pci_cfg_intercept(struct partition *p);

/* A 32-bit access to 0xCF8 while filtered: true when handled here. */
bool pci_cfg_port_out(uint16_t port, uint8_t size, uint32_t value);
bool pci_cfg_port_in(uint16_t port, uint8_t size, uint32_t *value);

/* A nested fault on a trapped ECAM page (a write): emulated, capability block writes dropped. */
bool pci_cfg_is_ecam_trap(uint64_t gpa);
enum exit_verdict pci_cfg_ecam_access(struct vcpu *v);

#endif
