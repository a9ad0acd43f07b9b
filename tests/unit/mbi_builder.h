/*
 * Host test helpers: a fake physical memory and builders for crafted Multiboot 1 and 2 boot
 * information. The layouts are written out here from the specifications, independently of the
 * parser's own constants, so a wrong offset in the parser shows up as a failing test.
 *
 * The phys_view over the fake memory is a real bounds check: map() fails for any range not wholly
 * inside the buffer, and a successful map returns a fresh heap copy of exactly the bytes asked
 * for, so AddressSanitizer reports any read past what the parser mapped.
 */
#ifndef TEST_MBI_BUILDER_H
#define TEST_MBI_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmem.h"

#define FAKE_BASE 0x10000ULL /* physical address of the first fake byte */
#define FAKE_SIZE 0x20000ULL
#define FAKE_END (FAKE_BASE + FAKE_SIZE)
#define FAKE_UNMAPPED 0x900000ULL /* an address well outside the fake memory */

struct fake_mem {
	uint8_t bytes[FAKE_SIZE];
	paddr_t next;      /* bump allocator for builders */
	void **maps;       /* copies handed out by map(), freed by fake_mem_release_maps() */
	size_t nr_maps, cap_maps;
	size_t zero_maps;  /* map() calls with len 0: the parser should never need them */
	struct phys_view view;
};

static const void *fake_map(const struct phys_view *view, paddr_t pa, uint64_t len)
{
	struct fake_mem *fm = view->ctx;
	void *copy;

	if (len == 0) {
		fm->zero_maps++;
		return NULL;
	}
	if (pa < FAKE_BASE || pa >= FAKE_END || len > FAKE_END - pa)
		return NULL;
	if (fm->nr_maps == fm->cap_maps) {
		fm->cap_maps = fm->cap_maps ? fm->cap_maps * 2 : 64;
		fm->maps = realloc(fm->maps, fm->cap_maps * sizeof(*fm->maps));
		if (!fm->maps)
			abort();
	}
	copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, fm->bytes + (pa - FAKE_BASE), len);
	fm->maps[fm->nr_maps++] = copy;
	return copy;
}

static void fake_mem_release_maps(struct fake_mem *fm)
{
	size_t i;

	for (i = 0; i < fm->nr_maps; i++)
		free(fm->maps[i]);
	fm->nr_maps = 0;
}

static struct fake_mem *fake_mem_new(void)
{
	struct fake_mem *fm = calloc(1, sizeof(*fm));

	if (!fm)
		abort();
	fm->next = FAKE_BASE;
	fm->view.map = fake_map;
	fm->view.ctx = fm;
	return fm;
}

static void fake_mem_free(struct fake_mem *fm)
{
	fake_mem_release_maps(fm);
	free(fm->maps);
	free(fm);
}

static uint8_t *fm_ptr(struct fake_mem *fm, paddr_t pa)
{
	if (pa < FAKE_BASE || pa >= FAKE_END)
		abort();
	return fm->bytes + (pa - FAKE_BASE);
}

static void fm_w8(struct fake_mem *fm, paddr_t pa, uint8_t v)
{
	*fm_ptr(fm, pa) = v;
}

static void fm_w32(struct fake_mem *fm, paddr_t pa, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		fm_w8(fm, pa + i, (uint8_t)(v >> (8 * i)));
}

static void fm_w64(struct fake_mem *fm, paddr_t pa, uint64_t v)
{
	fm_w32(fm, pa, (uint32_t)v);
	fm_w32(fm, pa + 4, (uint32_t)(v >> 32));
}

static uint32_t fm_r32(struct fake_mem *fm, paddr_t pa)
{
	const uint8_t *p = fm_ptr(fm, pa);

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static paddr_t fm_alloc(struct fake_mem *fm, size_t size, size_t align)
{
	paddr_t pa = (fm->next + align - 1) & ~(paddr_t)(align - 1);

	if (pa + size > FAKE_END) {
		fprintf(stderr, "fake memory exhausted: a test builds too much\n");
		abort();
	}
	fm->next = pa + size;
	return pa;
}

static void fm_write(struct fake_mem *fm, paddr_t pa, const void *src, size_t len)
{
	if (len)
		memcpy(fm_ptr(fm, pa), src, len);
}

static paddr_t fm_put_str(struct fake_mem *fm, const char *s)
{
	size_t len = strlen(s) + 1;
	paddr_t pa = fm_alloc(fm, len, 1);

	fm_write(fm, pa, s, len);
	return pa;
}

/* ---- Multiboot 1 (Multiboot Specification 0.6.96, 3.3) ---- */

#define T_MB1_FLAGS 0
#define T_MB1_MEM_LOWER 4
#define T_MB1_MEM_UPPER 8
#define T_MB1_CMDLINE 16
#define T_MB1_MODS_COUNT 20
#define T_MB1_MODS_ADDR 24
#define T_MB1_MMAP_LENGTH 44
#define T_MB1_MMAP_ADDR 48
#define T_MB1_LOADER_NAME 64
#define T_MB1_FB_ADDR 88   /* u64, then pitch, width, height (u32), bpp and type (u8), colour info */
#define T_MB1_FB_PITCH 96
#define T_MB1_FB_WIDTH 100
#define T_MB1_FB_HEIGHT 104
#define T_MB1_FB_BPP 108
#define T_MB1_FB_TYPE 109
#define T_MB1_FB_COLOR 110
#define T_MB1_INFO_SIZE 116

/* Bit numbers in the flags word, each saying which fields are valid. */
#define T_MB1_FLAG_MEM 0
#define T_MB1_FLAG_CMDLINE 2
#define T_MB1_FLAG_MODS 3
#define T_MB1_FLAG_MMAP 6
#define T_MB1_FLAG_LOADER_NAME 9
#define T_MB1_FLAG_FRAMEBUFFER 12

#define T_MB1_MOD_SIZE 16       /* {u32 mod_start; u32 mod_end; u32 string; u32 reserved} */
#define T_MB1_MOD_STRING 8
#define T_MB1_MMAP_ENTRY_SIZE 20 /* the size field's usual value: base, length, type */

struct t_mod {
	uint32_t start, end;
	const char *str; /* NULL: string pointer 0 */
};

struct t_mem {
	uint64_t base, len;
	uint32_t type;
};

static void mb1_set_flag(struct fake_mem *fm, paddr_t info, uint32_t bit)
{
	fm_w32(fm, info + T_MB1_FLAGS, fm_r32(fm, info + T_MB1_FLAGS) | 1u << bit);
}

static paddr_t mb1_new(struct fake_mem *fm)
{
	return fm_alloc(fm, T_MB1_INFO_SIZE, 4); /* the buffer starts zeroed: flags 0 */
}

static void mb1_set_mem(struct fake_mem *fm, paddr_t info, uint32_t lower, uint32_t upper)
{
	mb1_set_flag(fm, info, T_MB1_FLAG_MEM);
	fm_w32(fm, info + T_MB1_MEM_LOWER, lower);
	fm_w32(fm, info + T_MB1_MEM_UPPER, upper);
}

static paddr_t mb1_set_cmdline(struct fake_mem *fm, paddr_t info, const char *s)
{
	paddr_t pa = fm_put_str(fm, s);

	mb1_set_flag(fm, info, T_MB1_FLAG_CMDLINE);
	fm_w32(fm, info + T_MB1_CMDLINE, (uint32_t)pa);
	return pa;
}

static paddr_t mb1_set_loader_name(struct fake_mem *fm, paddr_t info, const char *s)
{
	paddr_t pa = fm_put_str(fm, s);

	mb1_set_flag(fm, info, T_MB1_FLAG_LOADER_NAME);
	fm_w32(fm, info + T_MB1_LOADER_NAME, (uint32_t)pa);
	return pa;
}

/* Returns the address of the module array. */
static paddr_t mb1_set_mods(struct fake_mem *fm, paddr_t info, const struct t_mod *mods, uint32_t n)
{
	paddr_t arr = fm_alloc(fm, T_MB1_MOD_SIZE * (size_t)n + 1, 4); /* +1: never a zero-size allocation */
	uint32_t i;

	for (i = 0; i < n; i++) {
		paddr_t e = arr + T_MB1_MOD_SIZE * i;

		fm_w32(fm, e + 0, mods[i].start);
		fm_w32(fm, e + 4, mods[i].end);
		fm_w32(fm, e + T_MB1_MOD_STRING, mods[i].str ? (uint32_t)fm_put_str(fm, mods[i].str) : 0);
		fm_w32(fm, e + 12, 0);
	}
	mb1_set_flag(fm, info, T_MB1_FLAG_MODS);
	fm_w32(fm, info + T_MB1_MODS_COUNT, n);
	fm_w32(fm, info + T_MB1_MODS_ADDR, (uint32_t)arr);
	return arr;
}

/* entry_size is the "size" field: 20 normally, larger to test the stride. Returns the buffer. */
static paddr_t mb1_set_mmap(struct fake_mem *fm, paddr_t info, const struct t_mem *e, uint32_t n,
			    uint32_t entry_size)
{
	uint32_t length = (4 + entry_size) * n;
	paddr_t buf = fm_alloc(fm, length + 1, 4);
	uint32_t i;

	for (i = 0; i < n; i++) {
		paddr_t p = buf + (4 + entry_size) * i;

		fm_w32(fm, p, entry_size);
		fm_w64(fm, p + 4, e[i].base);
		fm_w64(fm, p + 12, e[i].len);
		fm_w32(fm, p + 20, e[i].type);
	}
	mb1_set_flag(fm, info, T_MB1_FLAG_MMAP);
	fm_w32(fm, info + T_MB1_MMAP_LENGTH, length);
	fm_w32(fm, info + T_MB1_MMAP_ADDR, (uint32_t)buf);
	return buf;
}

/* ---- Multiboot 2 (Multiboot2 Specification, 3.6) ---- */

#define MB2_BUILDER_ROOM 0x2000 /* bytes reserved for each info a test builds */

/* Tag types (3.6.1 onwards). */
#define T_MB2_TAG_END 0
#define T_MB2_TAG_CMDLINE 1
#define T_MB2_TAG_LOADER_NAME 2
#define T_MB2_TAG_MODULE 3
#define T_MB2_TAG_BASIC_MEMINFO 4
#define T_MB2_TAG_MMAP 6
#define T_MB2_TAG_FRAMEBUFFER 8
#define T_MB2_TAG_ELF_SECTIONS 9
#define T_MB2_TAG_EFI32_ST 11
#define T_MB2_TAG_EFI64_ST 12
#define T_MB2_TAG_ACPI_OLD 14
#define T_MB2_TAG_ACPI_NEW 15
#define T_MB2_TAG_EFI_MMAP 17
#define T_MB2_TAG_FIRST_UNKNOWN 22 /* the first type the specification does not define */

#define T_MB2_TAG_HEADER 8       /* {u32 type; u32 size} */
#define T_MB2_TAG_SIZE_FIELD 4
#define T_MB2_MMAP_ENTRY_SIZE 24 /* {u64 base_addr; u64 length; u32 type; u32 reserved} */
#define T_MB2_MMAP_VERSION 0
#define T_EFI_DESC_SIZE 40       /* UEFI 2.x EFI_MEMORY_DESCRIPTOR */
#define T_EFI_DESC_VERSION 1
#define T_EFI_DESC_PAGES 24      /* NumberOfPages within a descriptor */

struct mb2_builder {
	struct fake_mem *fm;
	paddr_t start;
	paddr_t pos;
};

static struct mb2_builder mb2_begin(struct fake_mem *fm)
{
	struct mb2_builder b = { fm, 0, 0 };

	b.start = fm_alloc(fm, MB2_BUILDER_ROOM, 8);
	b.pos = b.start + 8;
	return b;
}

/* Start a tag whose size field is 8 + payload; returns the payload address. */
static paddr_t mb2_tag(struct mb2_builder *b, uint32_t type, uint32_t payload)
{
	paddr_t tag = b->pos;

	if (tag + 8 + payload > b->start + MB2_BUILDER_ROOM) {
		fprintf(stderr, "mb2 builder: info larger than %#x bytes\n", MB2_BUILDER_ROOM);
		abort();
	}
	fm_w32(b->fm, tag, type);
	fm_w32(b->fm, tag + 4, 8 + payload);
	b->pos = (tag + 8 + payload + 7) & ~7ULL;
	return tag + 8;
}

static paddr_t mb2_tag_str(struct mb2_builder *b, uint32_t type, const char *s)
{
	size_t len = strlen(s) + 1;
	paddr_t p = mb2_tag(b, type, (uint32_t)len);

	fm_write(b->fm, p, s, len);
	return p - 8;
}

static void mb2_tag_module(struct mb2_builder *b, uint32_t start, uint32_t end, const char *s)
{
	size_t len = strlen(s) + 1;
	paddr_t p = mb2_tag(b, T_MB2_TAG_MODULE, 8 + (uint32_t)len);

	fm_w32(b->fm, p, start);
	fm_w32(b->fm, p + 4, end);
	fm_write(b->fm, p + 8, s, len);
}

static void mb2_tag_meminfo(struct mb2_builder *b, uint32_t lower, uint32_t upper)
{
	paddr_t p = mb2_tag(b, T_MB2_TAG_BASIC_MEMINFO, 8);

	fm_w32(b->fm, p, lower);
	fm_w32(b->fm, p + 4, upper);
}

/* Returns the tag address. */
static paddr_t mb2_tag_mmap_raw(struct mb2_builder *b, uint32_t entry_size, uint32_t version,
				const struct t_mem *e, uint32_t n)
{
	paddr_t p = mb2_tag(b, T_MB2_TAG_MMAP, 8 + entry_size * n);
	uint32_t i;

	fm_w32(b->fm, p, entry_size);
	fm_w32(b->fm, p + 4, version);
	for (i = 0; i < n; i++) {
		paddr_t q = p + 8 + entry_size * i;

		fm_w64(b->fm, q, e[i].base);
		fm_w64(b->fm, q + 8, e[i].len);
		fm_w32(b->fm, q + 16, e[i].type);
		fm_w32(b->fm, q + 20, 0);
	}
	return p - 8;
}

static paddr_t mb2_tag_mmap(struct mb2_builder *b, const struct t_mem *e, uint32_t n)
{
	return mb2_tag_mmap_raw(b, T_MB2_MMAP_ENTRY_SIZE, T_MB2_MMAP_VERSION, e, n);
}

/* UEFI EFI_MEMORY_DESCRIPTOR: {u32 Type; u32 pad; u64 PhysicalStart; u64 VirtualStart;
 * u64 NumberOfPages; u64 Attribute}, 40 bytes, at a stride of desc_size. */
struct t_efi {
	uint32_t type;
	uint64_t phys;
	uint64_t pages;
};

static paddr_t mb2_tag_efi_mmap(struct mb2_builder *b, uint32_t desc_size, uint32_t version,
				const struct t_efi *d, uint32_t n)
{
	paddr_t p = mb2_tag(b, T_MB2_TAG_EFI_MMAP, 8 + desc_size * n);
	uint32_t i;

	fm_w32(b->fm, p, desc_size);
	fm_w32(b->fm, p + 4, version);
	for (i = 0; i < n; i++) {
		paddr_t q = p + 8 + desc_size * i;

		fm_w32(b->fm, q, d[i].type);
		fm_w64(b->fm, q + 8, d[i].phys);
		fm_w64(b->fm, q + 16, 0xdead000000000000ULL); /* VirtualStart: ignored */
		fm_w64(b->fm, q + T_EFI_DESC_PAGES, d[i].pages);
		fm_w64(b->fm, q + 32, 0xf);
	}
	return p - 8;
}

static void mb2_tag_bytes(struct mb2_builder *b, uint32_t type, const void *bytes, uint32_t len)
{
	fm_write(b->fm, mb2_tag(b, type, len), bytes, len);
}

/* Append the end tag and set total_size; returns the info address. */
static paddr_t mb2_finish(struct mb2_builder *b)
{
	mb2_tag(b, T_MB2_TAG_END, 0);
	fm_w32(b->fm, b->start, (uint32_t)(b->pos - b->start));
	return b->start;
}

/* Set total_size to the tags so far without an end tag. */
static paddr_t mb2_finish_without_end(struct mb2_builder *b)
{
	fm_w32(b->fm, b->start, (uint32_t)(b->pos - b->start));
	return b->start;
}

/*
 * A tag described as data, for tables of crafted infos: the kind picks the builder above, then
 * `size` (when nonzero) overwrites the tag's size field and `poke` writes one value of 1, 4 or 8
 * bytes at an offset from the tag's start.
 */
enum t_tag_kind { T_TAG_NONE, T_TAG_STRING, T_TAG_MODULE, T_TAG_MEMINFO, T_TAG_MMAP, T_TAG_EFI_MMAP, T_TAG_BYTES };

struct t_tag {
	enum t_tag_kind kind;
	uint32_t type;                   /* T_TAG_STRING, T_TAG_BYTES */
	const char *str;                 /* T_TAG_STRING, T_TAG_MODULE */
	uint32_t start, end;             /* T_TAG_MODULE */
	uint32_t lower, upper;           /* T_TAG_MEMINFO */
	uint32_t entry_size, version;    /* T_TAG_MMAP, T_TAG_EFI_MMAP */
	const struct t_mem *mem;         /* T_TAG_MMAP */
	const struct t_efi *efi;         /* T_TAG_EFI_MMAP */
	const void *bytes;               /* T_TAG_BYTES */
	uint32_t n;                      /* entries, or bytes for T_TAG_BYTES */
	uint32_t size;
	struct { uint32_t at, width; uint64_t value; } poke;
};

/* Extra designated initializers may follow, e.g. `.size = 12` or `.poke = { at, width, value }`. */
#define T_TAG_STR(type_, s, ...) { .kind = T_TAG_STRING, .type = (type_), .str = (s), __VA_ARGS__ }
#define T_TAG_MOD(start_, end_, s, ...) \
	{ .kind = T_TAG_MODULE, .start = (start_), .end = (end_), .str = (s), __VA_ARGS__ }
#define T_TAG_MEMINFO(lower_, upper_) { .kind = T_TAG_MEMINFO, .lower = (lower_), .upper = (upper_) }
#define T_TAG_MMAP_RAW(esize, ver, map, n_, ...) \
	{ .kind = T_TAG_MMAP, .entry_size = (esize), .version = (ver), .mem = (map), .n = (n_), __VA_ARGS__ }
#define T_TAG_MMAP(map, n_, ...) T_TAG_MMAP_RAW(T_MB2_MMAP_ENTRY_SIZE, T_MB2_MMAP_VERSION, map, n_, __VA_ARGS__)
#define T_TAG_EFI(esize, ver, d, n_, ...) \
	{ .kind = T_TAG_EFI_MMAP, .entry_size = (esize), .version = (ver), .efi = (d), .n = (n_), __VA_ARGS__ }
#define T_TAG_RAW(type_, p, len) { .kind = T_TAG_BYTES, .type = (type_), .bytes = (p), .n = (len) }

/* Appends one described tag; returns its address. */
static paddr_t mb2_tag_from(struct mb2_builder *b, const struct t_tag *t)
{
	paddr_t tag = b->pos;

	switch (t->kind) {
	case T_TAG_STRING:
		mb2_tag_str(b, t->type, t->str);
		break;
	case T_TAG_MODULE:
		mb2_tag_module(b, t->start, t->end, t->str);
		break;
	case T_TAG_MEMINFO:
		mb2_tag_meminfo(b, t->lower, t->upper);
		break;
	case T_TAG_MMAP:
		mb2_tag_mmap_raw(b, t->entry_size, t->version, t->mem, t->n);
		break;
	case T_TAG_EFI_MMAP:
		mb2_tag_efi_mmap(b, t->entry_size, t->version, t->efi, t->n);
		break;
	case T_TAG_BYTES:
		mb2_tag_bytes(b, t->type, t->bytes, t->n);
		break;
	case T_TAG_NONE:
		abort();
	}
	if (t->size)
		fm_w32(b->fm, tag + T_MB2_TAG_SIZE_FIELD, t->size);
	if (t->poke.width == 1)
		fm_w8(b->fm, tag + t->poke.at, (uint8_t)t->poke.value);
	else if (t->poke.width == 4)
		fm_w32(b->fm, tag + t->poke.at, (uint32_t)t->poke.value);
	else if (t->poke.width == 8)
		fm_w64(b->fm, tag + t->poke.at, t->poke.value);
	return tag;
}

#endif
