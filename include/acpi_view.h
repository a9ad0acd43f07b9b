/*
 * The guest's view of the ACPI root tables: copies of the RSDT/XSDT without the entries of tables
 * the hypervisor keeps for itself (the DMAR and IVRS, which describe the IOMMUs). Pure: reads the
 * tables through a struct phys_view, writes only the caller's buffer.
 */
#ifndef HV_ACPI_VIEW_H
#define HV_ACPI_VIEW_H

#include "physmem.h"
#include "types.h"

/*
 * Copies the root table (`root`, `len` bytes: an RSDT when xsdt is false, else an XSDT) into out
 * (`len` bytes) without each entry whose table's signature is one of drop[0 .. nr_drop), closing
 * the gap, then sets the new length and checksum and zeroes the bytes freed at its end. An entry
 * whose header cannot be read is kept. Returns the number of entries dropped, or -E_INVAL when
 * the root table's header is not sane (length, signature); out is then untouched.
 */
int acpi_root_filter(const struct phys_view *mem, const uint8_t *root, uint32_t len, bool xsdt,
		     const char *const *drop, unsigned int nr_drop, uint8_t *out);

/* The byte that makes [t, t + len) sum to zero modulo 256 when it is stored in t[9]. */
uint8_t acpi_view_checksum(const uint8_t *t, uint32_t len);

#endif
