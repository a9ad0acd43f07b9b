/* The IOMMU code's pure decisions (drivers/iommu_internal.h): no hardware, host-tested. */
#include "iommu_internal.h"
#include "lib/string.h"

#define PAGE_4K (4 * KiB)

int iommu_domain_ranges(struct range_set *dma, uint64_t limit, const struct range *holes, unsigned int nr_holes)
{
	int rc;

	range_set_init(dma);
	rc = range_set_add(dma, 0, ALIGN_DOWN(limit, PAGE_4K));
	for (unsigned int i = 0; !rc && i < nr_holes; i++)
		if (holes[i].end > holes[i].start)
			rc = range_set_remove(dma, ALIGN_DOWN(holes[i].start, PAGE_4K), ALIGN_UP(holes[i].end, PAGE_4K));
	return rc ? rc : range_set_align_pages(dma, PAGE_4K);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* VT-d 3.x section 8.1 (DMAR header) and 8.3 (DRHD): Size is 2^N 4 KiB pages in bits 3:0. */
#define DMAR_FIRST_STRUCT 48
#define DMAR_TYPE_DRHD 0
#define DRHD_SIZE 5
#define DRHD_BASE 8
#define DRHD_MIN_LEN 16

/* AMD IOMMU spec 3.x section 5.2: IVRS header, then IVHD blocks (type, flags, length, ..., base). */
#define IVRS_FIRST_BLOCK 48
#define IVHD_BASE 8
#define IVHD_MIN_LEN 24

static bool is_ivhd(uint8_t type)
{
	return type == 0x10 || type == 0x11 || type == 0x40;
}

static unsigned int put(struct range *out, unsigned int n, unsigned int max, uint64_t base, uint64_t size)
{
	if (n >= max || !base || base + size < base)
		return n;
	out[n] = (struct range){ base, base + size };
	return n + 1;
}

unsigned int iommu_table_mmio(const char *sig, const uint8_t *tbl, uint32_t len, struct range *out, unsigned int max)
{
	bool dmar = !memcmp(sig, "DMAR", 4);
	uint32_t off = dmar ? DMAR_FIRST_STRUCT : IVRS_FIRST_BLOCK;
	unsigned int n = 0;

	if (!dmar && memcmp(sig, "IVRS", 4))
		return 0;
	while (off + 4 <= len) {
		const uint8_t *s = tbl + off;
		uint32_t slen = rd16(s + 2); /* both: a 16-bit length at offset 2 */

		if (slen < 4 || slen > len - off)
			break;
		if (dmar && rd16(s) == DMAR_TYPE_DRHD && slen >= DRHD_MIN_LEN) {
			unsigned int order = s[DRHD_SIZE] & 0xF;

			n = put(out, n, max, rd64(s + DRHD_BASE), MAX(IOMMU_VTD_MMIO_MIN, PAGE_4K << order));
		} else if (!dmar && is_ivhd(s[0]) && slen >= IVHD_MIN_LEN) {
			n = put(out, n, max, rd64(s + IVHD_BASE), IOMMU_AMDVI_MMIO_SIZE);
		}
		off += slen;
	}
	return n;
}

static bool same_key(const struct iommu_fault_key *k, const struct iommu_fault_key *l)
{
	return k->kind == l->kind && k->segment == l->segment && k->bdf == l->bdf && k->write == l->write &&
	       k->range == l->range;
}

enum iommu_fault_verdict iommu_fault_log_check(struct iommu_fault_log *log, const char *kind, uint16_t segment,
					       uint16_t bdf, bool write, uint64_t addr, uint64_t now_tsc,
					       uint64_t tsc_per_sec)
{
	struct iommu_fault_key key = { kind, segment, bdf, write, addr >> IOMMU_FAULT_RANGE_SHIFT };

	log->total++;
	for (unsigned int i = 0; i < log->nr_seen; i++)
		if (same_key(&log->seen[i], &key))
			return IOMMU_FAULT_DUPLICATE;
	/* New: remembered while there is room; past that, every new key counts against the budget alone. */
	if (log->nr_seen < IOMMU_FAULT_SLOTS)
		log->seen[log->nr_seen++] = key;
	if (now_tsc >= log->window_end) {
		log->window_end = now_tsc + tsc_per_sec;
		log->budget = IOMMU_FAULT_BURST;
	}
	if (!log->budget) {
		log->unlogged++;
		return IOMMU_FAULT_SUPPRESSED;
	}
	log->budget--;
	return IOMMU_FAULT_LOG;
}
