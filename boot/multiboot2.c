/*
 * Multiboot 2 boot information -> struct boot_info: the tag walk, and the conversion of the EFI
 * memory map; see boot/multiboot.c for the rules every read follows. References: Multiboot2
 * Specification 2.0, section 3.6; UEFI 2.10 section 7.2 (EFI_MEMORY_DESCRIPTOR).
 */
#include "multiboot_internal.h"

/* ---- Multiboot 2 information: {u32 total_size; u32 reserved} then 8-aligned tags ---- */

#define MB2_INFO_HEADER 8
#define MB2_INFO_MIN (MB2_INFO_HEADER + MB2_TAG_HEADER) /* header and end tag */
#define MB2_TAG_HEADER 8                                /* {u32 type; u32 size} */
#define MB2_TAG_ALIGN 8

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_EFI32_ST = 11,
	MB2_TAG_EFI64_ST = 12,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_NR = 22,
};

/* Names for messages, and the smallest size a tag we read must have to hold its fields. */
static const struct {
	const char *name;
	uint32_t min_size;
} mb2_tags[MB2_TAG_NR] = {
	[0] = { "end", MB2_TAG_HEADER },
	[MB2_TAG_CMDLINE] = { "command line", 9 },           /* at least the NUL */
	[MB2_TAG_LOADER_NAME] = { "boot loader name", 9 },
	[MB2_TAG_MODULE] = { "module", 17 },                 /* start, end, NUL */
	[MB2_TAG_BASIC_MEMINFO] = { "basic memory info", 16 },
	[5] = { "BIOS boot device", 0 },
	[MB2_TAG_MMAP] = { "memory map", 16 },
	[7] = { "VBE info", 0 },
	[MB2_TAG_FRAMEBUFFER] = { "framebuffer info", 32 }, /* the common part */
	[9] = { "ELF symbols", 0 },
	[10] = { "APM table", 0 },
	[MB2_TAG_EFI32_ST] = { "EFI 32-bit system table", 12 },
	[MB2_TAG_EFI64_ST] = { "EFI 64-bit system table", 16 },
	[13] = { "SMBIOS tables", 0 },
	[MB2_TAG_ACPI_OLD] = { "ACPI old RSDP", 28 },        /* 20-byte ACPI 1.0 RSDP */
	[MB2_TAG_ACPI_NEW] = { "ACPI new RSDP", 28 },        /* at least the ACPI 1.0 part */
	[16] = { "networking info", 0 },
	[MB2_TAG_EFI_MMAP] = { "EFI memory map", 16 },
	[18] = { "EFI boot services not terminated", 0 },
	[19] = { "EFI 32-bit image handle", 0 },
	[20] = { "EFI 64-bit image handle", 0 },
	[21] = { "image load base", 0 },
};

#define MB2_MMAP_ENTRY_SIZE 8 /* {u32 entry_size; u32 entry_version} after the tag header */
#define MB2_MMAP_ENTRY_MIN 24 /* {u64 base_addr; u64 length; u32 type; u32 reserved} */
#define MB2_MMAP_ENTRY_VERSION 0
#define MB2_MODULE_START 8 /* module tag: {u32 mod_start; u32 mod_end; char string[]} */
#define MB2_MODULE_END 12
#define MB2_MODULE_STRING 16
#define MB2_MEMINFO_LOWER 8 /* basic memory info tag: {u32 mem_lower; u32 mem_upper} */
#define MB2_MEMINFO_UPPER 12
#define MB2_EFI_ST_POINTER 8 /* EFI system table tags: u32 or u64 pointer */
/* Framebuffer info: {u64 addr; u32 pitch, width, height; u8 bpp, type; u16 reserved} then colours. */
#define MB2_FB_ADDR 8
#define MB2_FB_PITCH 16
#define MB2_FB_WIDTH 20
#define MB2_FB_HEIGHT 24
#define MB2_FB_BPP 28
#define MB2_FB_TYPE 29
#define MB2_FB_COLORS 32 /* RGB: {u8 position, mask size} for red, green, blue */
#define MB2_FB_RGB_SIZE (MB2_FB_COLORS + 6)
#define ACPI_RSDP_V1_SIZE 20

#define EFI_DESC_TYPE 0
#define EFI_DESC_PHYS_START 8
#define EFI_DESC_NR_PAGES 24
#define EFI_DESC_MIN 40 /* UEFI 2.x EFI_MEMORY_DESCRIPTOR; firmware may use a larger stride */
#define EFI_DESC_VERSION 1
#define EFI_PAGE_SHIFT 12

enum efi_memory_type {
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
};

static uint32_t mb_norm_efi_type(uint32_t type)
{
	switch (type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MEM_USABLE;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MEM_ACPI_RECLAIM;
	case EFI_ACPI_MEMORY_NVS:
		return MEM_ACPI_NVS;
	case EFI_UNUSABLE_MEMORY:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

/* ---- Multiboot 2 ---- */

struct mb2_tag {
	const uint8_t *p; /* the tag, size bytes mapped */
	uint32_t type;
	uint32_t size;
	uint64_t off; /* from the start of the info, for messages */
};

static const char *mb2_tag_name(uint32_t type)
{
	return type < MB2_TAG_NR && mb2_tags[type].name ? mb2_tags[type].name : "unknown";
}

static int __printf(3, 4) mb2_tag_fail(struct boot_info *bi, const struct mb2_tag *t, const char *fmt, ...)
{
	char detail[BOOT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	mb_vformat(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return mb_fail(bi, -E_INVAL, "multiboot2: tag %u (%s) at offset 0x%lx %s", t->type,
		       mb2_tag_name(t->type), t->off, detail);
}

/* Copy the string that fills the tag from offset start; its NUL must lie inside the tag. */
static int mb2_copy_string(struct boot_info *bi, const struct mb2_tag *t, uint32_t start, char *dst,
			   size_t cap, bool truncate)
{
	uint32_t len;

	for (len = 0; start + len < t->size && t->p[start + len]; len++)
		;
	if (start + len == t->size)
		return mb2_tag_fail(bi, t, "has a string that is not NUL-terminated inside the tag (size %u)",
				    t->size);
	if (len >= cap && !truncate) {
		mb2_tag_fail(bi, t, "has a string of %u bytes, longer than the limit of %lu", len,
			     (unsigned long)cap - 1);
		return -E_NOMEM;
	}
	if (len >= cap)
		len = cap - 1;
	dst[len] = '\0';
	while (len--)
		dst[len] = (char)t->p[start + len];
	return 0;
}

static int mb2_parse_module(struct boot_info *bi, const struct mb2_tag *t)
{
	struct boot_module *mod;

	if (bi->nr_mods == BOOT_MODS_MAX) {
		mb2_tag_fail(bi, t, "is one module too many: at most %u are supported", BOOT_MODS_MAX);
		return -E_NOMEM;
	}
	mod = &bi->mods[bi->nr_mods];
	mod->start = mb_rd32(t->p + MB2_MODULE_START);
	mod->end = mb_rd32(t->p + MB2_MODULE_END);
	if (mod->start > mod->end)
		return mb2_tag_fail(bi, t, "has module start 0x%lx above its end 0x%lx", mod->start, mod->end);
	bi->nr_mods++;
	return mb2_copy_string(bi, t, MB2_MODULE_STRING, mod->cmdline, sizeof(mod->cmdline), false);
}

/* Check the {entry_size, entry_version} header of tags 6 and 17; returns the entry count or < 0. */
static int mb2_entries(struct boot_info *bi, const struct mb2_tag *t, uint32_t min_size, uint32_t version,
		       uint32_t *count)
{
	uint32_t entry_size = mb_rd32(t->p + MB2_TAG_HEADER);
	uint32_t entry_version = mb_rd32(t->p + MB2_TAG_HEADER + 4);
	uint32_t bytes = t->size - MB2_TAG_HEADER - MB2_MMAP_ENTRY_SIZE;

	if (entry_size < min_size || !IS_ALIGNED(entry_size, 8))
		return mb2_tag_fail(bi, t, "has entry size %u (must be a multiple of 8 and at least %u)",
				    entry_size, min_size);
	if (entry_version != version)
		return mb2_tag_fail(bi, t, "has entry version %u (expected %u)", entry_version, version);
	if (bytes % entry_size)
		return mb2_tag_fail(bi, t, "has size %u, which is not the header plus whole %u-byte entries",
				    t->size, entry_size);
	*count = bytes / entry_size;
	return 0;
}

static int mb2_parse_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
	uint32_t count, i;
	uint32_t entry_size = mb_rd32(t->p + MB2_TAG_HEADER);
	int err;

	if (bi->mmap_source == BOOT_MMAP_MB2_MMAP)
		return mb2_tag_fail(bi, t, "is a second memory map tag");
	err = mb2_entries(bi, t, MB2_MMAP_ENTRY_MIN, MB2_MMAP_ENTRY_VERSION, &count);
	if (err)
		return err;
	bi->mmap_source = BOOT_MMAP_MB2_MMAP;
	for (i = 0; i < count; i++) {
		const uint8_t *e = t->p + MB2_TAG_HEADER + MB2_MMAP_ENTRY_SIZE + (uint64_t)i * entry_size;

		err = mb_add_mem(bi, "multiboot2: memory map entry", i, mb_rd64(e), mb_rd64(e + 8),
				 mb_norm_type(mb_rd32(e + 16)), false);
		if (err)
			return err;
	}
	return 0;
}

/* Keep [start, end) as boot services memory, merged with the previous range where they touch. */
static void mb2_add_efi_bs(struct boot_info *bi, paddr_t start, paddr_t end)
{
	struct boot_range *last = bi->nr_efi_bs ? &bi->efi_bs[bi->nr_efi_bs - 1] : NULL;

	if (last && start <= last->end && end >= last->start) {
		last->start = MIN(last->start, start);
		last->end = MAX(last->end, end);
	} else if (bi->nr_efi_bs < BOOT_EFI_BS_MAX) {
		bi->efi_bs[bi->nr_efi_bs++] = (struct boot_range){ start, end };
	} else {
		bi->efi_bs_overflow = true;
	}
}

/* Tag 17 is checked and counted during the walk, converted only if there is no tag 6. */
static int mb2_check_efi_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
	int err;
	uint32_t i;

	if (bi->has_efi_mmap)
		return mb2_tag_fail(bi, t, "is a second EFI memory map tag");
	err = mb2_entries(bi, t, EFI_DESC_MIN, EFI_DESC_VERSION, &bi->efi_mmap_count);
	if (err)
		return err;
	bi->has_efi_mmap = true;
	bi->efi_desc_size = mb_rd32(t->p + MB2_TAG_HEADER);
	bi->efi_desc_version = mb_rd32(t->p + MB2_TAG_HEADER + 4);
	for (i = 0; i < bi->efi_mmap_count; i++) {
		const uint8_t *d = t->p + MB2_TAG_HEADER + MB2_MMAP_ENTRY_SIZE + (uint64_t)i * bi->efi_desc_size;
		uint32_t type = mb_rd32(d + EFI_DESC_TYPE);
		uint64_t start = mb_rd64(d + EFI_DESC_PHYS_START), pages = mb_rd64(d + EFI_DESC_NR_PAGES);

		if ((type == EFI_BOOT_SERVICES_CODE || type == EFI_BOOT_SERVICES_DATA) &&
		    pages <= (UINT64_MAX - start) >> EFI_PAGE_SHIFT)
			mb2_add_efi_bs(bi, start, start + (pages << EFI_PAGE_SHIFT));
	}
	return 0;
}

static int mb2_convert_efi_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
	uint32_t i;
	int err;

	for (i = 0; i < bi->efi_mmap_count; i++) {
		const uint8_t *d = t->p + MB2_TAG_HEADER + MB2_MMAP_ENTRY_SIZE + (uint64_t)i * bi->efi_desc_size;
		uint64_t pages = mb_rd64(d + EFI_DESC_NR_PAGES);

		if (pages > UINT64_MAX >> EFI_PAGE_SHIFT)
			return mb2_tag_fail(bi, t, "has descriptor %u with 0x%lx pages, more than 64 bits can hold",
					    i, pages);
		err = mb_add_mem(bi, "multiboot2: EFI memory descriptor", i, mb_rd64(d + EFI_DESC_PHYS_START),
				 pages << EFI_PAGE_SHIFT, mb_norm_efi_type(mb_rd32(d + EFI_DESC_TYPE)), true);
		if (err)
			return err;
	}
	if (bi->nr_mmap)
		bi->mmap_source = BOOT_MMAP_MB2_EFI_MMAP;
	return 0;
}

static int mb2_parse_framebuffer(struct boot_info *bi, const struct mb2_tag *t)
{
	struct boot_framebuffer *fb = &bi->fb;

	fb->addr = mb_rd64(t->p + MB2_FB_ADDR);
	fb->pitch = mb_rd32(t->p + MB2_FB_PITCH);
	fb->width = mb_rd32(t->p + MB2_FB_WIDTH);
	fb->height = mb_rd32(t->p + MB2_FB_HEIGHT);
	fb->bpp = t->p[MB2_FB_BPP];
	fb->type = t->p[MB2_FB_TYPE];
	if (fb->type == BOOT_FB_RGB) {
		if (t->size < MB2_FB_RGB_SIZE)
			return mb2_tag_fail(bi, t, "has size %u, too small for its RGB fields (minimum %u)", t->size,
					    MB2_FB_RGB_SIZE);
		for (unsigned int i = 0; i < 6; i++)
			fb->rgb[i] = t->p[MB2_FB_COLORS + i];
	}
	bi->has_fb = true;
	return 0;
}

static void mb2_copy_rsdp(struct boot_info *bi, const struct mb2_tag *t, uint32_t kind, uint32_t len)
{
	uint32_t i;

	bi->rsdp_kind = kind;
	bi->rsdp_len = len;
	for (i = 0; i < len; i++)
		bi->rsdp[i] = t->p[MB2_TAG_HEADER + i];
}

static int mb2_parse_tag(struct boot_info *bi, const struct mb2_tag *t)
{
	if (t->type < MB2_TAG_NR && t->size < mb2_tags[t->type].min_size)
		return mb2_tag_fail(bi, t, "has size %u, too small for its fields (minimum %u)", t->size,
				    mb2_tags[t->type].min_size);

	switch (t->type) {
	case MB2_TAG_CMDLINE:
		return mb2_copy_string(bi, t, MB2_TAG_HEADER, bi->cmdline, sizeof(bi->cmdline), false);
	case MB2_TAG_LOADER_NAME:
		return mb2_copy_string(bi, t, MB2_TAG_HEADER, bi->loader_name, sizeof(bi->loader_name), true);
	case MB2_TAG_MODULE:
		return mb2_parse_module(bi, t);
	case MB2_TAG_BASIC_MEMINFO:
		bi->has_mem_lower_upper = true;
		bi->mem_lower = mb_rd32(t->p + MB2_MEMINFO_LOWER);
		bi->mem_upper = mb_rd32(t->p + MB2_MEMINFO_UPPER);
		return 0;
	case MB2_TAG_MMAP:
		return mb2_parse_mmap(bi, t);
	case MB2_TAG_FRAMEBUFFER:
		return mb2_parse_framebuffer(bi, t);
	case MB2_TAG_EFI32_ST:
		bi->has_efi32_system_table = true;
		bi->efi32_system_table = mb_rd32(t->p + MB2_EFI_ST_POINTER);
		return 0;
	case MB2_TAG_EFI64_ST:
		bi->has_efi64_system_table = true;
		bi->efi64_system_table = mb_rd64(t->p + MB2_EFI_ST_POINTER);
		return 0;
	case MB2_TAG_ACPI_OLD:
		if (bi->rsdp_kind != BOOT_RSDP_V2)
			mb2_copy_rsdp(bi, t, BOOT_RSDP_V1, ACPI_RSDP_V1_SIZE);
		return 0;
	case MB2_TAG_ACPI_NEW:
		mb2_copy_rsdp(bi, t, BOOT_RSDP_V2, MIN(t->size - MB2_TAG_HEADER, (uint32_t)BOOT_RSDP_MAX));
		return 0;
	case MB2_TAG_EFI_MMAP:
		return mb2_check_efi_mmap(bi, t);
	default:
		return 0; /* tags we do not use, and unknown ones, are skipped */
	}
}

int mb2_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa)
{
	const uint8_t *info;
	struct mb2_tag t, efi = { 0 };
	uint32_t total;
	uint64_t off;
	bool ended = false;
	int err;

	bi->protocol = BOOT_PROTO_MB2;
	if (!IS_ALIGNED(info_pa, MB2_TAG_ALIGN))
		return mb_fail(bi, -E_INVAL, "multiboot2: info at 0x%lx is not 8-byte aligned", info_pa);
	info = phys_map(mem, info_pa, MB2_INFO_HEADER);
	if (!info)
		return mb_fail(bi, -E_RANGE, "multiboot2: info header at 0x%lx is not readable", info_pa);
	total = mb_rd32(info);
	if (total < MB2_INFO_MIN)
		return mb_fail(bi, -E_INVAL, "multiboot2: total_size %u is below the minimum %u", total,
			       MB2_INFO_MIN);
	info = phys_map(mem, info_pa, total);
	if (!info)
		return mb_fail(bi, -E_RANGE, "multiboot2: info at 0x%lx with total_size %u is not readable",
			       info_pa, total);
	err = mb_add_used(bi, info_pa, total);
	if (err)
		return err;

	for (off = MB2_INFO_HEADER; off < total; off = ALIGN_UP(off + t.size, MB2_TAG_ALIGN)) {
		if (total - off < MB2_TAG_HEADER)
			return mb_fail(bi, -E_INVAL,
				       "multiboot2: tag header at offset 0x%lx runs past the info's total size %u",
				       off, total);
		t.p = info + off;
		t.type = mb_rd32(t.p);
		t.size = mb_rd32(t.p + 4);
		t.off = off;
		if (t.size < MB2_TAG_HEADER)
			return mb2_tag_fail(bi, &t, "has size %u, below the minimum %u", t.size, MB2_TAG_HEADER);
		if (t.size > total - off)
			return mb2_tag_fail(bi, &t, "has size %u beyond the info's total size %u", t.size, total);
		if (t.type == MB2_TAG_END) {
			if (t.size != MB2_TAG_HEADER)
				return mb2_tag_fail(bi, &t, "has size %u, expected %u", t.size, MB2_TAG_HEADER);
			ended = true;
			break;
		}
		err = mb2_parse_tag(bi, &t);
		if (err)
			return err;
		if (t.type == MB2_TAG_EFI_MMAP) {
			efi = t;
			bi->efi_mmap_pa = info_pa + off + MB2_TAG_HEADER + MB2_MMAP_ENTRY_SIZE;
		}
	}
	if (!ended)
		return mb_fail(bi, -E_INVAL, "multiboot2: no end tag (type 0) within the info's total size %u",
			       total);

	if (bi->mmap_source == BOOT_MMAP_NONE && bi->has_efi_mmap) {
		err = mb2_convert_efi_mmap(bi, &efi);
		if (err)
			return err;
	}
	if (bi->nr_mmap == 0 && bi->has_mem_lower_upper) {
		err = mb_synthesize_mmap(bi);
		if (err)
			return err;
	}
	if (bi->nr_mmap == 0)
		return mb_fail(bi, -E_INVAL,
			       "multiboot2: no memory map (no non-empty tag 6 memory map, tag 17 EFI memory map or tag 4 basic memory info)");
	return 0;
}
