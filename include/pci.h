/* PCI configuration space through the legacy ports 0xCF8/0xCFC (mechanism #1). */
#ifndef HV_PCI_H
#define HV_PCI_H

#include "types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_BAR_COUNT 6 /* header type 0 */

struct pci_addr {
	uint8_t bus, dev, fn;
};

uint32_t pci_read32(struct pci_addr a, uint8_t off);

#endif
