/*
 * Multiboot 1 boot information -> struct boot_info; see boot/multiboot.c for the rules every
 * read follows. Reference: Multiboot Specification 0.6.96, section 3.3.
 */
#include "multiboot_internal.h"

/* ---- Multiboot 1 information structure ---- */

#define MB1_FLAG_MEM (1u << 0)
#define MB1_FLAG_CMDLINE (1u << 2)
#define MB1_FLAG_MODS (1u << 3)
#define MB1_FLAG_MMAP (1u << 6)
#define MB1_FLAG_LOADER_NAME (1u << 9)
#define MB1_FLAG_FRAMEBUFFER (1u << 12)

#define MB1_INFO_FLAGS 0
#define MB1_INFO_MEM_LOWER 4
#define MB1_INFO_MEM_UPPER 8
#define MB1_INFO_CMDLINE 16
#define MB1_INFO_MODS_COUNT 20
#define MB1_INFO_MODS_ADDR 24
#define MB1_INFO_MMAP_LENGTH 44
#define MB1_INFO_MMAP_ADDR 48
#define MB1_INFO_LOADER_NAME 64
#define MB1_INFO_FB_ADDR 88
#define MB1_INFO_FB_PITCH 96
#define MB1_INFO_FB_WIDTH 100
#define MB1_INFO_FB_HEIGHT 104
#define MB1_INFO_FB_BPP 108
#define MB1_INFO_FB_TYPE 109
#define MB1_INFO_FB_COLORS 110 /* RGB: red position, red size, green ..., blue ... */
#define MB1_INFO_READ_SIZE 68 /* the fields up to boot_loader_name: all we read without flag 12 */
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

/* Flag 12, the framebuffer (given when the loader set a graphics mode, or by GRUB in text mode). */
static int mb1_parse_framebuffer(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa)
{
	const uint8_t *info = phys_map(mem, info_pa, MB1_INFO_SIZE);
	struct boot_framebuffer *fb = &bi->fb;

	if (!info)
		return mb_fail(bi, -E_RANGE, "multiboot1: framebuffer fields at 0x%lx are not readable",
			       info_pa + MB1_INFO_FB_ADDR);
	fb->addr = mb_rd64(info + MB1_INFO_FB_ADDR);
	fb->pitch = mb_rd32(info + MB1_INFO_FB_PITCH);
	fb->width = mb_rd32(info + MB1_INFO_FB_WIDTH);
	fb->height = mb_rd32(info + MB1_INFO_FB_HEIGHT);
	fb->bpp = info[MB1_INFO_FB_BPP];
	fb->type = info[MB1_INFO_FB_TYPE];
	if (fb->type == BOOT_FB_RGB)
		for (unsigned int i = 0; i < 6; i++)
			fb->rgb[i] = info[MB1_INFO_FB_COLORS + i];
	bi->has_fb = true;
	return 0;
}

int mb1_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa)
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
	if (flags & MB1_FLAG_FRAMEBUFFER) {
		err = mb1_parse_framebuffer(bi, mem, info_pa);
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
