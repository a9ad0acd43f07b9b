/* The guest's root tables without the hypervisor's own ACPI tables (include/acpi_view.h). */
#include "acpi_view.h"
#include "errno.h"
#include "lib/string.h"

#define HDR_LENGTH 4
#define HDR_CHECKSUM 9
#define HDR_LEN 36

uint8_t acpi_view_checksum(const uint8_t *t, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		if (i != HDR_CHECKSUM)
			sum = (uint8_t)(sum + t[i]);
	return (uint8_t)-sum;
}

static uint64_t entry_at(const uint8_t *p, bool xsdt)
{
	uint64_t v = 0;

	for (int i = xsdt ? 7 : 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool dropped(const struct phys_view *mem, uint64_t pa, const char *const *drop, unsigned int nr_drop)
{
	const char *sig = phys_map(mem, pa, 4);

	if (!sig)
		return false;
	for (unsigned int i = 0; i < nr_drop; i++)
		if (!memcmp(sig, drop[i], 4))
			return true;
	return false;
}

int acpi_root_filter(const struct phys_view *mem, const uint8_t *root, uint32_t len, bool xsdt,
		     const char *const *drop, unsigned int nr_drop, uint8_t *out)
{
	unsigned int entry = xsdt ? 8 : 4;
	uint32_t hdr_len = root[HDR_LENGTH] | root[HDR_LENGTH + 1] << 8 | root[HDR_LENGTH + 2] << 16 |
			   (uint32_t)root[HDR_LENGTH + 3] << 24;
	uint32_t kept = HDR_LEN;
	int nr_dropped = 0;

	if (len < HDR_LEN || hdr_len != len || (len - HDR_LEN) % entry || memcmp(root, xsdt ? "XSDT" : "RSDT", 4))
		return -E_INVAL;
	memcpy(out, root, HDR_LEN);
	for (uint32_t off = HDR_LEN; off < len; off += entry) {
		if (dropped(mem, entry_at(root + off, xsdt), drop, nr_drop)) {
			nr_dropped++;
			continue;
		}
		memcpy(out + kept, root + off, entry);
		kept += entry;
	}
	memset(out + kept, 0, len - kept);
	out[HDR_LENGTH] = (uint8_t)kept;
	out[HDR_LENGTH + 1] = (uint8_t)(kept >> 8);
	out[HDR_LENGTH + 2] = (uint8_t)(kept >> 16);
	out[HDR_LENGTH + 3] = (uint8_t)(kept >> 24);
	out[HDR_CHECKSUM] = acpi_view_checksum(out, kept);
	return nr_dropped;
}
