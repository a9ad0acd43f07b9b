/* Finding ACPI tables from a guest (paging off: physical addresses are pointers, below 4 GiB only). */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_BIOS_AREA_START 0xe0000u
#define ACPI_BIOS_AREA_END 0x100000u

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* The RSDP in the EBDA's first KiB or the BIOS area (ACPI 6.x, 5.2.5.1), or NULL. */
const struct acpi_rsdp *acpi_find_rsdp(void);
/* Whether the RSDP points at an XSDT this code can read (else the RSDT is used). */
bool acpi_rsdp_uses_xsdt(const struct acpi_rsdp *r);
/* The table with this signature listed in the XSDT or RSDT, checksum and length checked, or NULL. */
const struct acpi_header *acpi_find_table(const char *sig);

#endif
