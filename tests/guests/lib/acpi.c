/* ACPI table lookup for test guests (ACPI 6.x, 5.2.5 RSDP, 5.2.6 header, 5.2.7 RSDT, 5.2.8 XSDT). */
#include "acpi.h"
#include "lib/string.h"

#define TABLE_MAX_LENGTH 0x100000u
#define BDA_EBDA_SEGMENT 0x40e

static bool checksum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

static const struct acpi_rsdp *rsdp_scan(uint32_t start, uint32_t end)
{
	for (uint32_t p = start; p + sizeof(struct acpi_rsdp) <= end; p += 16) {
		const struct acpi_rsdp *r = (const struct acpi_rsdp *)(uintptr_t)p;

		if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20))
			return r;
	}
	return NULL;
}

/* A constant pointer below the page size would make GCC see a null dereference. */
static uint16_t bda_read16(uint32_t addr)
{
	uint16_t v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static const struct acpi_header *table_at(uint64_t addr, const char *sig)
{
	const struct acpi_header *h;

	if (!addr || addr >= 0x100000000ULL - sizeof(*h))
		return NULL;
	h = (const struct acpi_header *)(uintptr_t)addr;
	if (memcmp(h->signature, sig, 4))
		return NULL;
	if (h->length < sizeof(*h) || h->length > TABLE_MAX_LENGTH || !checksum_ok(h, h->length))
		return NULL;
	return h;
}

const struct acpi_rsdp *acpi_find_rsdp(void)
{
	uint32_t ebda = (uint32_t)bda_read16(BDA_EBDA_SEGMENT) << 4;
	const struct acpi_rsdp *r = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = rsdp_scan(ebda, ebda + 1024);
	return r ? r : rsdp_scan(ACPI_BIOS_AREA_START, ACPI_BIOS_AREA_END);
}

bool acpi_rsdp_uses_xsdt(const struct acpi_rsdp *r)
{
	return r->revision >= 2 && r->xsdt && r->xsdt < 0x100000000ULL;
}

const struct acpi_header *acpi_find_table(const char *sig)
{
	const struct acpi_rsdp *r = acpi_find_rsdp();
	const struct acpi_header *root;
	unsigned int entry;
	bool xsdt;

	if (!r)
		return NULL;
	xsdt = acpi_rsdp_uses_xsdt(r);
	entry = xsdt ? 8 : 4;
	root = table_at(xsdt ? r->xsdt : r->rsdt, xsdt ? "XSDT" : "RSDT");
	if (!root)
		return NULL;
	for (uint32_t off = sizeof(*root); off + entry <= root->length; off += entry) {
		uint64_t addr = 0;

		memcpy(&addr, (const uint8_t *)root + off, entry);
		if (table_at(addr, sig))
			return table_at(addr, sig);
	}
	return NULL;
}
