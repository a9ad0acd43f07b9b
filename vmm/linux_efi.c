/*
 * The guest's EFI memory map and boot_params.efi_info (see include/vmm/linux_efi.h).
 */
#include "errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vmm/linux_boot.h"
#include "vmm/linux_efi.h"

#define BP_EFI_INFO 0x1C0 /* struct efi_info in boot_params */
#define EFI_INFO_LOADER_SIGNATURE 0x00
#define EFI_INFO_SYSTAB 0x04
#define EFI_INFO_MEMDESC_SIZE 0x08
#define EFI_INFO_MEMDESC_VERSION 0x0C
#define EFI_INFO_MEMMAP 0x10
#define EFI_INFO_MEMMAP_SIZE 0x14
#define EFI_INFO_SYSTAB_HI 0x18
#define EFI_INFO_MEMMAP_HI 0x1C
#define EFI64_LOADER_SIGNATURE 0x34364C45 /* "EL64": the kernel was handed a 64-bit firmware */

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t linux_efi_mmap_bytes_max(uint32_t count, uint32_t desc_size, const struct range_set *hidden)
{
	return ((uint64_t)count + 2ULL * hidden->nr) * desc_size;
}

/* Where one output descriptor is written, and how much room is left. */
struct efi_out {
	uint8_t *p;
	uint64_t left;
	uint32_t desc_size;
};

/* One piece [start, end) of descriptor d; reserved pieces lose their type and the runtime bit. */
static int efi_emit(struct efi_out *o, const uint8_t *d, uint64_t start, uint64_t end, bool reserved)
{
	uint64_t base = rd64(d + EFI_MD_PHYS_START), virt = rd64(d + EFI_MD_VIRT_START);

	if (start >= end)
		return 0;
	if (o->left < o->desc_size)
		return -E_NOMEM;
	memcpy(o->p, d, o->desc_size);
	wr64(o->p + EFI_MD_PHYS_START, start);
	wr64(o->p + EFI_MD_VIRT_START, virt ? virt + (start - base) : 0);
	wr64(o->p + EFI_MD_NR_PAGES, (end - start) / EFI_MD_PAGE_SIZE);
	if (reserved) {
		wr32(o->p + EFI_MD_TYPE, EFI_RESERVED_MEMORY_TYPE);
		wr64(o->p + EFI_MD_ATTRIBUTE, rd64(d + EFI_MD_ATTRIBUTE) & ~EFI_MEMORY_RUNTIME);
	}
	o->p += o->desc_size;
	o->left -= o->desc_size;
	return 0;
}

/* Descriptor d cut along the hidden ranges (sorted, disjoint), each cut page-aligned outwards. */
static int split_descriptor(struct efi_out *o, const uint8_t *d, const struct range_set *hidden)
{
	uint64_t start = rd64(d + EFI_MD_PHYS_START);
	uint64_t end = start + rd64(d + EFI_MD_NR_PAGES) * EFI_MD_PAGE_SIZE, at = start;

	for (unsigned int i = 0; i < hidden->nr && at < end; i++) {
		uint64_t h_start = ALIGN_DOWN(hidden->r[i].start, EFI_MD_PAGE_SIZE);
		uint64_t h_end = ALIGN_UP(hidden->r[i].end, EFI_MD_PAGE_SIZE);

		if (h_end <= at || h_start >= end)
			continue;
		if (efi_emit(o, d, at, MAX(h_start, at), false) || efi_emit(o, d, MAX(h_start, at), MIN(h_end, end), true))
			return -E_NOMEM;
		at = MIN(h_end, end);
	}
	return efi_emit(o, d, at, end, false);
}

int linux_efi_build_mmap(const uint8_t *src, uint32_t count, uint32_t desc_size, const struct range_set *hidden,
			 uint8_t *dst, uint64_t dst_size, uint64_t *out_bytes, char *why, size_t len)
{
	struct efi_out o = { dst, dst_size, desc_size };

	if (desc_size < EFI_MD_MIN_SIZE || desc_size % 8)
		return linux_refuse(-E_INVAL, why, len, "EFI descriptor size %u (must be a multiple of 8, at least 40)",
			      desc_size);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *d = src + (uint64_t)i * desc_size;
		uint64_t start = rd64(d + EFI_MD_PHYS_START), pages = rd64(d + EFI_MD_NR_PAGES);

		if (pages > (UINT64_MAX - start) / EFI_MD_PAGE_SIZE)
			return linux_refuse(-E_INVAL, why, len, "EFI descriptor %u wraps past the end of memory", i);
		if (split_descriptor(&o, d, hidden))
			return linux_refuse(-E_NOMEM, why, len, "no room for the guest's EFI memory map (%llu bytes)",
				      (unsigned long long)dst_size);
	}
	*out_bytes = dst_size - o.left;
	return 0;
}

void linux_efi_fill_boot_params(uint8_t *bp, const struct linux_efi_args *a)
{
	uint8_t *info = bp + BP_EFI_INFO;

	wr32(info + EFI_INFO_LOADER_SIGNATURE, EFI64_LOADER_SIGNATURE);
	wr32(info + EFI_INFO_SYSTAB, (uint32_t)a->systab);
	wr32(info + EFI_INFO_SYSTAB_HI, (uint32_t)(a->systab >> 32));
	wr32(info + EFI_INFO_MEMDESC_SIZE, a->desc_size);
	wr32(info + EFI_INFO_MEMDESC_VERSION, a->desc_version);
	wr32(info + EFI_INFO_MEMMAP, (uint32_t)a->memmap);
	wr32(info + EFI_INFO_MEMMAP_HI, (uint32_t)(a->memmap >> 32));
	wr32(info + EFI_INFO_MEMMAP_SIZE, a->memmap_size);
}
