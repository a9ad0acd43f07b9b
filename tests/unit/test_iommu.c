/*
 * Host tests for the IOMMU code's pure parts: the DMA domain's ranges, the units' register ranges
 * read from a DMAR or IVRS, the fault log's dedupe and rate limit, and the guest's root tables
 * without the DMAR/IVRS entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "put_le.h"

#include "../../drivers/acpi_view.c"
#include "../../drivers/iommu_policy.c"
#include "../../lib/range.c"
#include "../../lib/string.c"

/* ---- the domain ---- */

static void test_domain_holes(void **state __unused)
{
	static struct range_set dma;
	const struct range holes[] = {
		{ 0x1ee00000, 0x1fe6f000 }, /* hypervisor */
		{ 0xe000, 0xf000 },         /* wake page */
		{ 0xfed90000, 0xfed90800 }, /* a unit's registers, not page-sized: widened */
		{ 0x5000, 0x5000 },         /* empty: ignored */
	};

	assert_int_equal(iommu_domain_ranges(&dma, 1ULL << 40, holes, 4), 0);
	assert_int_equal(dma.nr, 4);
	assert_int_equal(dma.r[0].start, 0);
	assert_int_equal(dma.r[0].end, 0xe000);
	assert_int_equal(dma.r[1].start, 0xf000);
	assert_int_equal(dma.r[1].end, 0x1ee00000);
	assert_int_equal(dma.r[2].start, 0x1fe6f000);
	assert_int_equal(dma.r[2].end, 0xfed90000);
	assert_int_equal(dma.r[3].start, 0xfed91000);
	assert_int_equal(dma.r[3].end, 1ULL << 40);
	assert_false(range_set_overlaps(&dma, 0x1ee00000, 0x1fe6f000));
}

static void test_domain_unaligned_hole_edges(void **state __unused)
{
	static struct range_set dma;
	const struct range hole = { 0x1234, 0x2001 }; /* covers parts of pages 1 and 2: both go */

	assert_int_equal(iommu_domain_ranges(&dma, 0x10000, &hole, 1), 0);
	assert_int_equal(dma.nr, 2);
	assert_int_equal(dma.r[0].end, 0x1000);
	assert_int_equal(dma.r[1].start, 0x3000);
}

/* ---- register ranges from the tables ---- */

static uint32_t dmar_with(uint8_t *t, uint64_t base1, uint8_t size1, uint64_t base2)
{
	uint32_t off = 48;

	memset(t, 0, 256);
	memcpy(t, "DMAR", 4);
	/* DRHD 1: flags INCLUDE_PCI_ALL, size 2^size1 pages. */
	put16(t + off, 0);
	put16(t + off + 2, 16);
	t[off + 4] = 1;
	t[off + 5] = size1;
	put64(t + off + 8, base1);
	off += 16;
	/* An RMRR (type 1) in between: skipped. */
	put16(t + off, 1);
	put16(t + off + 2, 24);
	put64(t + off + 8, 0xdead0000);
	off += 24;
	put16(t + off, 0);
	put16(t + off + 2, 24); /* with one device scope's worth of room */
	put64(t + off + 8, base2);
	off += 24;
	put32(t + 4, off);
	return off;
}

static void test_dmar_mmio(void **state __unused)
{
	uint8_t t[256];
	struct range r[4];
	uint32_t len = dmar_with(t, 0xfed90000, 0, 0xfed91000);

	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 4), 2);
	assert_int_equal(r[0].start, 0xfed90000);
	assert_int_equal(r[0].end, 0xfed91000);
	assert_int_equal(r[1].start, 0xfed91000);

	/* Size field 2: four pages. */
	len = dmar_with(t, 0xfed90000, 2, 0xfed98000);
	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 4), 2);
	assert_int_equal(r[0].end, 0xfed94000);

	/* Room for one range only. */
	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 1), 1);
}

static void test_dmar_damaged(void **state __unused)
{
	uint8_t t[256];
	struct range r[4];
	uint32_t len = dmar_with(t, 0xfed90000, 0, 0xfed91000);

	/* Cut inside the second DRHD: only the first counts. */
	assert_int_equal(iommu_table_mmio("DMAR", t, len - 4, r, 4), 1);
	/* A structure of length 0 ends the walk instead of looping. */
	put16(t + 48 + 2, 0);
	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 4), 0);
	/* A length past the table's end, too. */
	put16(t + 48 + 2, 0x1000);
	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 4), 0);
	/* A DRHD too short to hold its base. */
	len = dmar_with(t, 0xfed90000, 0, 0xfed91000);
	put16(t + 48 + 2, 8);
	assert_int_equal(iommu_table_mmio("DMAR", t, len, r, 4), 0);
	/* Header only, and an unknown signature. */
	assert_int_equal(iommu_table_mmio("DMAR", t, 48, r, 4), 0);
	assert_int_equal(iommu_table_mmio("MCFG", t, len, r, 4), 0);
}

static void test_ivrs_mmio(void **state __unused)
{
	uint8_t t[256] = { 0 };
	uint32_t off = 48;
	struct range r[4];

	memcpy(t, "IVRS", 4);
	/* IVHD type 10h, then an IVMD (20h, skipped), then IVHD type 40h with a zero base (skipped). */
	t[off] = 0x10;
	put16(t + off + 2, 24);
	put64(t + off + 8, 0xfed80000);
	off += 24;
	t[off] = 0x20;
	put16(t + off + 2, 32);
	put64(t + off + 8, 0x12345000);
	off += 32;
	t[off] = 0x40;
	put16(t + off + 2, 40);
	off += 40;
	t[off] = 0x11;
	put16(t + off + 2, 40);
	put64(t + off + 8, 0xfd000000);
	off += 40;
	assert_int_equal(iommu_table_mmio("IVRS", t, off, r, 4), 2);
	assert_int_equal(r[0].start, 0xfed80000);
	assert_int_equal(r[0].end, 0xfed80000 + IOMMU_AMDVI_MMIO_SIZE);
	assert_int_equal(r[1].start, 0xfd000000);
	/* An IVHD shorter than its fixed part is not read. */
	put16(t + 48 + 2, 4);
	assert_int_equal(iommu_table_mmio("IVRS", t, off, r, 4), 0);
}

/* ---- the fault log ---- */

#define SEC 1000u
static const char vtd[] = "VT-d", amdvi[] = "AMD-Vi";

static void test_fault_dedupe(void **state __unused)
{
	static struct iommu_fault_log log;

	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, true, 0x1ee10000, 0, SEC), IOMMU_FAULT_LOG);
	/* Same device, direction and 2 MiB range: counted, not printed. */
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, true, 0x1ee1f000, 1, SEC), IOMMU_FAULT_DUPLICATE);
	/* Another range, direction, device, segment or unit kind: new. */
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, true, 0x1f000000, 2, SEC), IOMMU_FAULT_LOG);
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, false, 0x1ee10000, 3, SEC), IOMMU_FAULT_LOG);
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x21, true, 0x1ee10000, 4, SEC), IOMMU_FAULT_LOG);
	assert_int_equal(iommu_fault_log_check(&log, vtd, 1, 0x20, true, 0x1ee10000, 5, SEC), IOMMU_FAULT_LOG);
	assert_int_equal(iommu_fault_log_check(&log, amdvi, 0, 0x20, true, 0x1ee10000, 6, SEC), IOMMU_FAULT_LOG);
	assert_int_equal(log.total, 7);
	assert_int_equal(log.nr_seen, 6);
}

static void test_fault_rate_limit(void **state __unused)
{
	static struct iommu_fault_log log;
	unsigned int logged = 0;

	/* A device sweeping memory: every fault is new, only a burst per second is printed. */
	for (unsigned int i = 0; i < 100; i++)
		logged += iommu_fault_log_check(&log, vtd, 0, 0x20, true, (uint64_t)i << 21, 10 + i, SEC) ==
			  IOMMU_FAULT_LOG;
	assert_int_equal(logged, IOMMU_FAULT_BURST);
	assert_int_equal(log.unlogged, 100 - IOMMU_FAULT_BURST);
	assert_int_equal(log.nr_seen, IOMMU_FAULT_SLOTS); /* bounded */
	/* A second later the budget is back; a key remembered before is still a duplicate. */
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, true, 0, 10 + SEC + 200, SEC), IOMMU_FAULT_DUPLICATE);
	assert_int_equal(iommu_fault_log_check(&log, vtd, 0, 0x20, true, 200ULL << 21, 10 + SEC + 201, SEC),
			 IOMMU_FAULT_LOG);
	/* Past the table's capacity, new keys are not remembered: the rate limit alone bounds them. */
	assert_int_equal(log.nr_seen, IOMMU_FAULT_SLOTS);
}

/* ---- the guest's root tables ---- */

#define MEM_BASE 0x7fe0000ULL
#define MEM_SIZE 0x2000
static uint8_t mem[MEM_SIZE];

static const void *fake_map(const struct phys_view *view __unused, paddr_t pa, uint64_t len)
{
	if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
		return NULL;
	return mem + (pa - MEM_BASE);
}

static const struct phys_view view = { .map = fake_map };
static const char *const hidden[] = { "DMAR", "IVRS" };

static uint8_t sum(const uint8_t *t, uint32_t len)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	return s;
}

/* Tables FACP, DMAR, APIC, IVRS at MEM_BASE + 0x100 * (i + 1); a root listing them and 0xdead000. */
static uint32_t make_root(uint8_t *root, bool xsdt)
{
	static const char *const sigs[] = { "FACP", "DMAR", "APIC", "IVRS" };
	unsigned int entry = xsdt ? 8 : 4;
	uint32_t len = 36 + 5 * entry;

	memset(mem, 0, sizeof(mem));
	for (unsigned int i = 0; i < 4; i++)
		memcpy(mem + 0x100 * (i + 1), sigs[i], 4);
	memset(root, 0, 128);
	memcpy(root, xsdt ? "XSDT" : "RSDT", 4);
	put32(root + 4, len);
	for (unsigned int i = 0; i < 5; i++) {
		uint64_t pa = i < 4 ? MEM_BASE + 0x100 * (i + 1) : 0xdead000; /* the last: unreadable, kept */

		if (xsdt)
			put64(root + 36 + 8 * i, pa);
		else
			put32(root + 36 + 4 * i, (uint32_t)pa);
	}
	root[9] = acpi_view_checksum(root, len);
	assert_int_equal(sum(root, len), 0);
	return len;
}

static void check_filtered(bool xsdt)
{
	uint8_t root[128], out[128];
	unsigned int entry = xsdt ? 8 : 4;
	uint32_t len = make_root(root, xsdt), new_len;
	uint8_t before[128];

	memcpy(before, root, sizeof(before));
	memset(out, 0xab, sizeof(out));
	assert_int_equal(acpi_root_filter(&view, root, len, xsdt, hidden, 2, out), 2);
	new_len = out[4] | out[5] << 8;
	assert_int_equal(new_len, 36 + 3 * entry);
	assert_int_equal(sum(out, new_len), 0);
	assert_memory_equal(out + 10, root + 10, 26); /* the rest of the header as it was */
	assert_memory_equal(out + 36, root + 36, entry);                  /* FACP */
	assert_memory_equal(out + 36 + entry, root + 36 + 2 * entry, entry); /* APIC */
	assert_memory_equal(out + 36 + 2 * entry, root + 36 + 4 * entry, entry); /* the unreadable one */
	for (uint32_t i = new_len; i < len; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[len], 0xab); /* nothing written past the table */
	assert_memory_equal(root, before, sizeof(before)); /* the original untouched */
}

static void test_root_filter_rsdt(void **state __unused)
{
	check_filtered(false);
}

static void test_root_filter_xsdt(void **state __unused)
{
	check_filtered(true);
}

static void test_root_filter_nothing_to_drop(void **state __unused)
{
	uint8_t root[128], out[128];
	uint32_t len = make_root(root, false);

	memcpy(mem + 0x200, "SSDT", 4);
	memcpy(mem + 0x400, "HPET", 4);
	assert_int_equal(acpi_root_filter(&view, root, len, false, hidden, 2, out), 0);
	assert_memory_equal(out, root, len);
}

static void test_root_filter_malformed(void **state __unused)
{
	uint8_t root[128], out[128];
	uint32_t len = make_root(root, false);

	memset(out, 0x77, sizeof(out));
	/* Length in the header and the length given disagree, a partial entry, wrong signature, too short. */
	assert_int_equal(acpi_root_filter(&view, root, len - 4, false, hidden, 2, out), -E_INVAL);
	put32(root + 4, len - 2);
	assert_int_equal(acpi_root_filter(&view, root, len - 2, false, hidden, 2, out), -E_INVAL);
	put32(root + 4, len);
	assert_int_equal(acpi_root_filter(&view, root, len, true, hidden, 2, out), -E_INVAL);
	assert_int_equal(acpi_root_filter(&view, root, 20, false, hidden, 2, out), -E_INVAL);
	assert_int_equal(out[0], 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_holes),
		cmocka_unit_test(test_domain_unaligned_hole_edges),
		cmocka_unit_test(test_dmar_mmio),
		cmocka_unit_test(test_dmar_damaged),
		cmocka_unit_test(test_ivrs_mmio),
		cmocka_unit_test(test_fault_dedupe),
		cmocka_unit_test(test_fault_rate_limit),
		cmocka_unit_test(test_root_filter_rsdt),
		cmocka_unit_test(test_root_filter_xsdt),
		cmocka_unit_test(test_root_filter_nothing_to_drop),
		cmocka_unit_test(test_root_filter_malformed),
	};

	return cmocka_run_group_tests_name("iommu", tests, NULL, NULL);
}
