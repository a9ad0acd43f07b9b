/* What the firmware told us about this machine (ACPI), read once at boot. */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include "acpi.h"
#include "bootinfo.h"

extern struct acpi_info platform_acpi;

/* Parses the ACPI tables (RSDP from the loader, else the BIOS areas) and logs what was found. */
void platform_acpi_init(const struct boot_info *bi);

#endif
