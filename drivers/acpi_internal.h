/*
 * Shared between the ACPI parser files: drivers/acpi.c (RSDP, root table walk, table validation,
 * log messages), drivers/acpi_madt.c and drivers/acpi_fadt.c. Not part of the driver's API.
 */
#ifndef HV_DRIVERS_ACPI_INTERNAL_H
#define HV_DRIVERS_ACPI_INTERNAL_H

#include "acpi.h"

/* System Description Table Header (5.2.6). */
#define HDR_SIGNATURE 0
#define HDR_LENGTH 4
#define HDR_REVISION 8
#define HDR_LEN 36

#define MSG_MAX 160

struct acpi_parser {
	const struct phys_view *mem;
	struct acpi_info *out;
	acpi_log_fn log;
	void *log_ctx;
};

struct msg {
	char buf[MSG_MAX];
	size_t len;
};

/* Little-endian reads of packed, possibly unaligned table fields (acpi.c). */
uint16_t acpi_rd16(const uint8_t *p);
uint32_t acpi_rd32(const uint8_t *p);
uint64_t acpi_rd64(const uint8_t *p);

/* Log messages, built without printf (acpi.c). */
void acpi_msg_str(struct msg *m, const char *s);
void acpi_msg_num(struct msg *m, uint64_t v, unsigned int base);
void acpi_msg_table(struct msg *m, const char *sig, paddr_t pa);
void acpi_msg_emit(struct acpi_parser *p, int level, struct msg *m);
void acpi_log_table_len(struct acpi_parser *p, const char *sig, paddr_t pa, uint32_t len,
			const char *what);

/* Table parsers, given a validated table of len bytes at physical address pa. */
void acpi_madt_parse(struct acpi_parser *p, paddr_t pa, const uint8_t *t, uint32_t len);
void acpi_fadt_parse(struct acpi_parser *p, paddr_t pa, const uint8_t *t, uint32_t len);
/* After the FADT: its FACS and the DSDT's sleep types (acpi_fadt.c). */
void acpi_sleep_parse(struct acpi_parser *p);

#endif
