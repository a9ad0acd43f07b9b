/* PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, section 3.2.2.3.2). */
#include "pci.h"
#include "x86/cpu.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u

static uint32_t config_address(struct pci_addr a, uint8_t off)
{
	return PCI_CONFIG_ENABLE | (uint32_t)a.bus << 16 | (uint32_t)(a.dev & 0x1F) << 11 |
	       (uint32_t)(a.fn & 0x7) << 8 | (off & 0xFC);
}

uint32_t pci_read32(struct pci_addr a, uint8_t off)
{
	outl(PCI_CONFIG_ADDRESS, config_address(a, off));
	return inl(PCI_CONFIG_DATA);
}

