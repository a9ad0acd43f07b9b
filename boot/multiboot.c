/*
 * Multiboot 1 and Multiboot 2 boot information -> struct boot_info.
 *
 * The loader's structures are untrusted input: each one is mapped through phys_map() with its
 * full length before any field is read, and every count, size and pointer is checked against
 * what was mapped. Fields are read byte by byte (little-endian) because Multiboot 1 memory map
 * entries are not naturally aligned. No libc: the few string helpers live here.
 *
 * References: Multiboot Specification 0.6.96 (section 3.3, "Boot information format") and
 * Multiboot2 Specification 2.0 (section 3.6, "Boot information"); UEFI 2.10 section 7.2
 * (EFI_MEMORY_DESCRIPTOR).
 */
#include "bootinfo.h"
#include "errno.h"

/* ---- Multiboot 1 information structure ---- */

#define MB1_FLAG_MEM (1u << 0)
#define MB1_FLAG_CMDLINE (1u << 2)
#define MB1_FLAG_MODS (1u << 3)
#define MB1_FLAG_MMAP (1u << 6)
#define MB1_FLAG_LOADER_NAME (1u << 9)

#define MB1_INFO_FLAGS 0
#define MB1_INFO_MEM_LOWER 4
#define MB1_INFO_MEM_UPPER 8
#define MB1_INFO_CMDLINE 16
#define MB1_INFO_MODS_COUNT 20
#define MB1_INFO_MODS_ADDR 24
#define MB1_INFO_MMAP_LENGTH 44
#define MB1_INFO_MMAP_ADDR 48
#define MB1_INFO_LOADER_NAME 64
#define MB1_INFO_READ_SIZE 68 /* the fields up to boot_loader_name: all we read */
#define MB1_INFO_SIZE 116     /* the whole structure, through the framebuffer fields */

#define MB1_MOD_START 0
#define MB1_MOD_END 4
#define MB1_MOD_STRING 8
#define MB1_MOD_SIZE 16

/* An mmap entry is {u32 size; u64 addr; u64 len; u32 type}; size does not count itself. */
#define MB1_MMAP_SIZE_FIELD 4
#define MB1_MMAP_ADDR 4
#define MB1_MMAP_LEN 12
#define MB1_MMAP_TYPE 20
#define MB1_MMAP_ENTRY_MIN 20

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
	[8] = { "framebuffer info", 0 },
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

/* ---- little helpers: byte reads, copying, a tiny formatter for bi->error ---- */

static uint32_t mb_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t mb_rd64(const uint8_t *p)
{
	return (uint64_t)mb_rd32(p) | (uint64_t)mb_rd32(p + 4) << 32;
}

static void mb_zero(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = 0;
}

struct mb_out {
	char *s;
	size_t cap; /* > 0 */
	size_t len;
};

static void mb_putc(struct mb_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->s[o->len++] = c;
	o->s[o->len] = '\0';
}

static void mb_putnum(struct mb_out *o, uint64_t v, unsigned int base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		mb_putc(o, digits[--n]);
}

/* Supports %s %c %d %u %x and %ld %lu %lx: enough for our messages, checked by __printf. */
static void mb_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct mb_out o = { buf, cap, 0 };

	buf[0] = '\0';
	for (; *fmt; fmt++) {
		bool is_long = false;
		const char *s;
		int64_t sv;

		if (*fmt != '%') {
			mb_putc(&o, *fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++)
				mb_putc(&o, *s);
			break;
		case 'c':
			mb_putc(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			sv = is_long ? va_arg(ap, long) : va_arg(ap, int);
			if (sv < 0)
				mb_putc(&o, '-');
			mb_putnum(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10);
			break;
		case 'u':
		case 'x':
			mb_putnum(&o, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int),
				  *fmt == 'u' ? 10 : 16);
			break;
		case '\0':
			return;
		default:
			mb_putc(&o, *fmt);
			break;
		}
	}
}

static void __printf(3, 4) mb_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mb_vformat(buf, cap, fmt, ap);
	va_end(ap);
}

/* Record why parsing failed and return err, so callers can `return mb_fail(...)`. */
static int __printf(3, 4) mb_fail(struct boot_info *bi, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mb_vformat(bi->error, sizeof(bi->error), fmt, ap);
	va_end(ap);
	return err;
}

static int mb_add_used(struct boot_info *bi, paddr_t start, uint64_t len)
{
	if (bi->nr_used == BOOT_USED_MAX)
		return mb_fail(bi, -E_NOMEM, "boot info occupies more than %u ranges", BOOT_USED_MAX);
	bi->used[bi->nr_used].start = start;
	bi->used[bi->nr_used].end = start + len;
	if (bi->nr_used == 0 || start < bi->info_start)
		bi->info_start = start;
	if (bi->nr_used == 0 || start + len > bi->info_end)
		bi->info_end = start + len;
	bi->nr_used++;
	return 0;
}

/*
 * Append [base, base + len) to the memory map; what/index name the source entry in messages.
 * Empty ranges are dropped. With merge, a range that continues the previous one with the same
 * type extends it instead (EFI maps split memory finely by allocation owner).
 */
static int mb_add_mem(struct boot_info *bi, const char *what, uint32_t index, uint64_t base,
		      uint64_t len, uint32_t type, bool merge)
{
	struct boot_mem_range *prev = bi->nr_mmap ? &bi->mmap[bi->nr_mmap - 1] : NULL;

	if (len == 0)
		return 0;
	if (base + len < base)
		return mb_fail(bi, -E_INVAL, "%s %u: base 0x%lx + length 0x%lx wraps past the top of memory",
			       what, index, base, len);
	if (merge && prev && prev->type == type && prev->base + prev->len == base) {
		prev->len += len;
		return 0;
	}
	if (bi->nr_mmap == BOOT_MMAP_MAX)
		return mb_fail(bi, -E_NOMEM, "%s %u: memory map has more than %u entries", what, index,
			       BOOT_MMAP_MAX);
	bi->mmap[bi->nr_mmap].base = base;
	bi->mmap[bi->nr_mmap].len = len;
	bi->mmap[bi->nr_mmap].type = type;
	bi->nr_mmap++;
	return 0;
}

/* Multiboot (E820) memory types 1..5 are ours; anything else is reserved. */
static uint32_t mb_norm_type(uint32_t type)
{
	return type >= MEM_USABLE && type <= MEM_BAD ? type : MEM_RESERVED;
}

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

/* The map that is all a BIOS reports without E820: [0, lower KiB) and [1 MiB, 1 MiB + upper KiB). */
static int mb_synthesize_mmap(struct boot_info *bi)
{
	int err;

	err = mb_add_mem(bi, "mem_lower", 0, 0, (uint64_t)bi->mem_lower * KiB, MEM_USABLE, false);
	if (!err)
		err = mb_add_mem(bi, "mem_upper", 0, 1 * MiB, (uint64_t)bi->mem_upper * KiB, MEM_USABLE, false);
	if (!err && bi->nr_mmap)
		bi->mmap_source = BOOT_MMAP_MEMINFO;
	return err;
}

/* ---- Multiboot 1 ---- */

/*
 * Copy the NUL-terminated string at pa into dst[cap]. Each byte is mapped on its own because the
 * length is unknown until the NUL and the string may end right before unmapped memory. A string
 * that does not fit is an error unless truncate is set. The bytes read join bi->used.
 */
static int mb1_copy_string(struct boot_info *bi, const struct phys_view *mem, paddr_t pa,
			   const char *what, char *dst, size_t cap, bool truncate)
{
	uint64_t n;

	for (n = 0;; n++) {
		const char *c = phys_map(mem, pa + n, 1);

		if (!c)
			return mb_fail(bi, -E_RANGE,
				       "multiboot1: %s at 0x%lx is not readable at 0x%lx (%s)", what, pa,
				       pa + n, n ? "runs into unmapped memory before its NUL" : "bad pointer");
		if (n + 1 == cap && *c) {
			if (!truncate)
				return mb_fail(bi, -E_NOMEM,
					       "multiboot1: %s at 0x%lx is longer than %lu bytes", what, pa,
					       (unsigned long)cap - 1);
			dst[n] = '\0';
			return mb_add_used(bi, pa, n + 1);
		}
		dst[n] = *c;
		if (!*c)
			return mb_add_used(bi, pa, n + 1);
	}
}

static int mb1_parse_mods(struct boot_info *bi, const struct phys_view *mem, const uint8_t *info)
{
	uint32_t count = mb_rd32(info + MB1_INFO_MODS_COUNT);
	uint32_t addr = mb_rd32(info + MB1_INFO_MODS_ADDR);
	const uint8_t *mods;
	uint32_t i;
	int err;

	if (count > BOOT_MODS_MAX)
		return mb_fail(bi, -E_NOMEM, "multiboot1: %u modules, at most %u are supported", count,
			       BOOT_MODS_MAX);
	if (count == 0)
		return 0;
	mods = phys_map(mem, addr, (uint64_t)count * MB1_MOD_SIZE);
	if (!mods)
		return mb_fail(bi, -E_RANGE, "multiboot1: module array at 0x%x (%u entries) is not readable",
			       addr, count);
	err = mb_add_used(bi, addr, (uint64_t)count * MB1_MOD_SIZE);
	if (err)
		return err;

	for (i = 0; i < count; i++) {
		const uint8_t *m = mods + i * MB1_MOD_SIZE;
		struct boot_module *mod = &bi->mods[i];
		uint32_t string = mb_rd32(m + MB1_MOD_STRING);
		char what[32];

		mod->start = mb_rd32(m + MB1_MOD_START);
		mod->end = mb_rd32(m + MB1_MOD_END);
		if (mod->start > mod->end)
			return mb_fail(bi, -E_INVAL, "multiboot1: module %u start 0x%lx is above its end 0x%lx",
				       i, mod->start, mod->end);
		if (string) {
			mb_format(what, sizeof(what), "module %u string", i);
			err = mb1_copy_string(bi, mem, string, what, mod->cmdline, sizeof(mod->cmdline), false);
			if (err)
				return err;
		}
		bi->nr_mods++;
	}
	return 0;
}

static int mb1_parse_mmap(struct boot_info *bi, const struct phys_view *mem, const uint8_t *info)
{
	uint32_t length = mb_rd32(info + MB1_INFO_MMAP_LENGTH);
	uint32_t addr = mb_rd32(info + MB1_INFO_MMAP_ADDR);
	const uint8_t *map;
	uint64_t off;
	uint32_t i, size;
	int err;

	if (length == 0)
		return 0;
	map = phys_map(mem, addr, length);
	if (!map)
		return mb_fail(bi, -E_RANGE, "multiboot1: memory map at 0x%x (mmap_length %u) is not readable",
			       addr, length);
	err = mb_add_used(bi, addr, length);
	if (err)
		return err;

	for (off = 0, i = 0; off < length; off += MB1_MMAP_SIZE_FIELD + size, i++) {
		if (length - off < MB1_MMAP_SIZE_FIELD)
			return mb_fail(bi, -E_INVAL,
				       "multiboot1: memory map entry %u at offset 0x%lx: size field runs past mmap_length %u",
				       i, off, length);
		size = mb_rd32(map + off);
		if (size < MB1_MMAP_ENTRY_MIN)
			return mb_fail(bi, -E_INVAL,
				       "multiboot1: memory map entry %u at offset 0x%lx has size %u, below the minimum %u",
				       i, off, size, MB1_MMAP_ENTRY_MIN);
		if (size > length - off - MB1_MMAP_SIZE_FIELD)
			return mb_fail(bi, -E_INVAL,
				       "multiboot1: memory map entry %u at offset 0x%lx (size %u) runs past mmap_length %u",
				       i, off, size, length);
		err = mb_add_mem(bi, "multiboot1: memory map entry", i, mb_rd64(map + off + MB1_MMAP_ADDR),
				 mb_rd64(map + off + MB1_MMAP_LEN),
				 mb_norm_type(mb_rd32(map + off + MB1_MMAP_TYPE)), false);
		if (err)
			return err;
	}
	if (bi->nr_mmap)
		bi->mmap_source = BOOT_MMAP_MB1_MMAP;
	return 0;
}

static int mb1_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa)
{
	const uint8_t *info = phys_map(mem, info_pa, MB1_INFO_READ_SIZE);
	uint32_t flags;
	int err;

	bi->protocol = BOOT_PROTO_MB1;
	if (!info || info_pa + MB1_INFO_SIZE < info_pa)
		return mb_fail(bi, -E_RANGE, "multiboot1: info structure at 0x%lx is not readable", info_pa);
	/* Reserve the whole structure: the loader filled fields beyond the ones we read. */
	err = mb_add_used(bi, info_pa, MB1_INFO_SIZE);
	if (err)
		return err;
	flags = mb_rd32(info + MB1_INFO_FLAGS);

	if (flags & MB1_FLAG_MEM) {
		bi->has_mem_lower_upper = true;
		bi->mem_lower = mb_rd32(info + MB1_INFO_MEM_LOWER);
		bi->mem_upper = mb_rd32(info + MB1_INFO_MEM_UPPER);
	}
	/* A string pointer of 0 (the real-mode IVT, never a string) counts as no string. */
	if ((flags & MB1_FLAG_CMDLINE) && mb_rd32(info + MB1_INFO_CMDLINE)) {
		err = mb1_copy_string(bi, mem, mb_rd32(info + MB1_INFO_CMDLINE), "command line",
				      bi->cmdline, sizeof(bi->cmdline), false);
		if (err)
			return err;
	}
	if ((flags & MB1_FLAG_LOADER_NAME) && mb_rd32(info + MB1_INFO_LOADER_NAME)) {
		err = mb1_copy_string(bi, mem, mb_rd32(info + MB1_INFO_LOADER_NAME), "boot loader name",
				      bi->loader_name, sizeof(bi->loader_name), true);
		if (err)
			return err;
	}
	if (flags & MB1_FLAG_MODS) {
		err = mb1_parse_mods(bi, mem, info);
		if (err)
			return err;
	}
	if (flags & MB1_FLAG_MMAP) {
		err = mb1_parse_mmap(bi, mem, info);
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
			       "multiboot1: no memory map (flags 0x%x: no usable mmap (bit 6) or mem_lower/mem_upper (bit 0))",
			       flags);
	return 0;
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

/* Tag 17 is checked and counted during the walk, converted only if there is no tag 6. */
static int mb2_check_efi_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
	int err;

	if (bi->has_efi_mmap)
		return mb2_tag_fail(bi, t, "is a second EFI memory map tag");
	err = mb2_entries(bi, t, EFI_DESC_MIN, EFI_DESC_VERSION, &bi->efi_mmap_count);
	if (err)
		return err;
	bi->has_efi_mmap = true;
	bi->efi_desc_size = mb_rd32(t->p + MB2_TAG_HEADER);
	bi->efi_desc_version = mb_rd32(t->p + MB2_TAG_HEADER + 4);
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

static int mb2_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa)
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
		if (t.type == MB2_TAG_EFI_MMAP)
			efi = t;
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

/* ---- interface ---- */

int bootinfo_parse(uint32_t magic, paddr_t info_pa, const struct phys_view *mem, struct boot_info *bi)
{
	if (!bi)
		return -E_INVAL;
	mb_zero(bi, sizeof(*bi));
	if (!mem || !mem->map)
		return mb_fail(bi, -E_INVAL, "no physical memory view to read the boot information through");

	switch (magic) {
	case MB1_BOOTLOADER_MAGIC:
		return mb1_parse(bi, mem, info_pa);
	case MB2_BOOTLOADER_MAGIC:
		return mb2_parse(bi, mem, info_pa);
	default:
		return mb_fail(bi, -E_INVAL,
			       "unknown boot loader magic 0x%x (expected 0x%x for multiboot1 or 0x%x for multiboot2)",
			       magic, MB1_BOOTLOADER_MAGIC, MB2_BOOTLOADER_MAGIC);
	}
}

const char *bootinfo_mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_USABLE:
		return "usable";
	case MEM_RESERVED:
		return "reserved";
	case MEM_ACPI_RECLAIM:
		return "ACPI reclaimable";
	case MEM_ACPI_NVS:
		return "ACPI NVS";
	case MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}
