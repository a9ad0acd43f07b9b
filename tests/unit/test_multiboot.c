/* Unit tests for boot/multiboot.c: crafted Multiboot 1 and 2 information in a fake memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../boot/multiboot.c"
#include "../../boot/multiboot1.c"
#include "../../boot/multiboot2.c"
#include "mbi_builder.h"

struct fixture {
	struct fake_mem *fm;
	struct boot_info *bi;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->fm = fake_mem_new();
	f->bi = calloc(1, sizeof(*f->bi));
	if (!f->bi)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->fm->zero_maps, 0);
	fake_mem_free(f->fm);
	free(f->bi);
	free(f);
	return 0;
}

#define FIX struct fixture *f = *state; struct fake_mem *fm = f->fm; struct boot_info *bi = f->bi

#define assert_fails(rc, expected_rc, substring)                                                    \
	do {                                                                                       \
		int rc_ = (rc);                                                                    \
		if (rc_ != (expected_rc))                                                         \
			fail_msg("rc %d, expected %d; error \"%s\"", rc_, (expected_rc), bi->error); \
		if (!strstr(bi->error, (substring)))                                               \
			fail_msg("error \"%s\" does not contain \"%s\"", bi->error, (substring));     \
	} while (0)

#define assert_ok(rc)                                                                              \
	do {                                                                                       \
		int rc_ = (rc);                                                                    \
		if (rc_ != 0)                                                                      \
			fail_msg("rc %d; error \"%s\"", rc_, bi->error);                          \
		assert_string_equal(bi->error, "");                                                \
	} while (0)

static int parse1(struct fake_mem *fm, paddr_t info, struct boot_info *bi)
{
	return bootinfo_parse(MB1_BOOTLOADER_MAGIC, info, &fm->view, bi);
}

static int parse2(struct fake_mem *fm, paddr_t info, struct boot_info *bi)
{
	return bootinfo_parse(MB2_BOOTLOADER_MAGIC, info, &fm->view, bi);
}

static void assert_mem(const struct boot_info *bi, uint32_t i, uint64_t base, uint64_t len, uint32_t type)
{
	assert_true(i < bi->nr_mmap);
	assert_int_equal(bi->mmap[i].base, base);
	assert_int_equal(bi->mmap[i].len, len);
	assert_int_equal(bi->mmap[i].type, type);
}

static void assert_used(const struct boot_info *bi, paddr_t start, paddr_t end)
{
	uint32_t i;

	for (i = 0; i < bi->nr_used; i++)
		if (bi->used[i].start == start && bi->used[i].end == end)
			return;
	fail_msg("used range [0x%llx, 0x%llx) not recorded", (unsigned long long)start,
		 (unsigned long long)end);
}

/* ---------------- Multiboot 1 ---------------- */

static const struct t_mem pc_map[] = {
	{ 0x0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0xf0000, 0x10000, 2 },
	{ 0x100000, 0x7ee0000, 1 },
	{ 0x7fe0000, 0x10000, 3 },
	{ 0x7ff0000, 0x10000, 4 },
	{ 0x8000000, 0x1000, 5 },
	{ 0xfffc0000, 0x40000, 7 }, /* unknown: reserved */
};

static void mb1_good_all_flags(void **state)
{
	FIX;
	const struct t_mod mods[] = {
		{ 0x200000, 0x280000, "guest.elf mem=64M" },
		{ 0x280000, 0x280000, "empty" },
	};
	paddr_t info = mb1_new(fm), cmd, name, arr, map;
	uint32_t i;

	mb1_set_mem(fm, info, 639, 130048);
	cmd = mb1_set_cmdline(fm, info, "console=com1 loglevel=3");
	name = mb1_set_loader_name(fm, info, "GRUB 2.06");
	arr = mb1_set_mods(fm, info, mods, 2);
	map = mb1_set_mmap(fm, info, pc_map, ARRAY_SIZE(pc_map), 20);

	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->protocol, BOOT_PROTO_MB1);
	assert_string_equal(bi->cmdline, "console=com1 loglevel=3");
	assert_string_equal(bi->loader_name, "GRUB 2.06");
	assert_true(bi->has_mem_lower_upper);
	assert_int_equal(bi->mem_lower, 639);
	assert_int_equal(bi->mem_upper, 130048);

	assert_int_equal(bi->nr_mods, 2);
	assert_int_equal(bi->mods[0].start, 0x200000);
	assert_int_equal(bi->mods[0].end, 0x280000);
	assert_string_equal(bi->mods[0].cmdline, "guest.elf mem=64M");
	assert_int_equal(bi->mods[1].start, 0x280000);
	assert_int_equal(bi->mods[1].end, 0x280000);
	assert_string_equal(bi->mods[1].cmdline, "empty");

	assert_int_equal(bi->mmap_source, BOOT_MMAP_MB1_MMAP);
	assert_int_equal(bi->nr_mmap, ARRAY_SIZE(pc_map));
	for (i = 0; i < ARRAY_SIZE(pc_map) - 1; i++)
		assert_mem(bi, i, pc_map[i].base, pc_map[i].len, pc_map[i].type);
	assert_mem(bi, 7, 0xfffc0000, 0x40000, MEM_RESERVED);

	/* The info struct, its strings, the module array, module strings and the mmap buffer. */
	assert_used(bi, info, info + 116);
	assert_used(bi, cmd, cmd + sizeof("console=com1 loglevel=3"));
	assert_used(bi, name, name + sizeof("GRUB 2.06"));
	assert_used(bi, arr, arr + 32);
	assert_used(bi, map, map + 24 * ARRAY_SIZE(pc_map));
	assert_int_equal(bi->nr_used, 7);
	assert_int_equal(bi->info_start, info);
	assert_int_equal(bi->info_end, map + 24 * ARRAY_SIZE(pc_map));
	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_NONE);
	assert_false(bi->has_efi_mmap);
}

static void mb1_mmap_entry_stride(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mmap(fm, info, pc_map, 4, 28); /* size 28: 8 bytes of padding per entry */
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 4);
	assert_mem(bi, 3, 0x100000, 0x7ee0000, MEM_USABLE);
	assert_false(bi->has_mem_lower_upper);
	assert_string_equal(bi->cmdline, "");
	assert_int_equal(bi->nr_mods, 0);
}

static void mb1_flags_honoured(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	/* Garbage in fields whose flag bits are clear must not be followed. */
	fm_w32(fm, info + T_MB1_CMDLINE, 0xdeadbeef);
	fm_w32(fm, info + T_MB1_MODS_COUNT, 1000);
	fm_w32(fm, info + T_MB1_MODS_ADDR, 0xdeadbeef);
	fm_w32(fm, info + T_MB1_LOADER_NAME, 0xdeadbeef);
	fm_w32(fm, info + T_MB1_MMAP_LENGTH, 0x7fffffff);
	fm_w32(fm, info + T_MB1_MMAP_ADDR, 0xdeadbeef);
	mb1_set_mem(fm, info, 640, 1024);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_used, 1);
}

/* Flag 12: a graphics mode's framebuffer, and GRUB's description of text mode. */
static void mb1_framebuffer(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);
	static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };

	mb1_set_mem(fm, info, 640, 1024);
	assert_ok(parse1(fm, info, bi));
	assert_false(bi->has_fb);

	mb1_set_flag(fm, info, 12);
	fm_w64(fm, info + 88, 0xfd000000);
	fm_w32(fm, info + 96, 4096);
	fm_w32(fm, info + 100, 1024);
	fm_w32(fm, info + 104, 768);
	fm_w8(fm, info + 108, 32);
	fm_w8(fm, info + 109, BOOT_FB_RGB);
	fm_write(fm, info + 110, rgb, sizeof(rgb));
	assert_ok(parse1(fm, info, bi));
	assert_true(bi->has_fb);
	assert_int_equal(bi->fb.addr, 0xfd000000);
	assert_int_equal(bi->fb.pitch, 4096);
	assert_int_equal(bi->fb.width, 1024);
	assert_int_equal(bi->fb.height, 768);
	assert_int_equal(bi->fb.bpp, 32);
	assert_int_equal(bi->fb.type, BOOT_FB_RGB);
	assert_memory_equal(bi->fb.rgb, rgb, 6);

	fm_w64(fm, info + 88, 0xb8000);
	fm_w32(fm, info + 96, 160);
	fm_w32(fm, info + 100, 80);
	fm_w32(fm, info + 104, 25);
	fm_w8(fm, info + 108, 16);
	fm_w8(fm, info + 109, BOOT_FB_EGA_TEXT);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->fb.type, BOOT_FB_EGA_TEXT);
	assert_int_equal(bi->fb.width, 80);
	assert_memory_equal(bi->fb.rgb, ((const uint8_t[6]){ 0 }), 6); /* colour fields only for RGB */

	/* The framebuffer fields run past the end of memory: only the first 68 bytes are readable. */
	info = FAKE_END - 80;
	fm_w32(fm, info, 1u << 12 | 1u);
	fm_w32(fm, info + 8, 1024);
	assert_fails(parse1(fm, info, bi), -E_RANGE, "multiboot1: framebuffer fields");
}

static void mb1_no_mmap_synthesized(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 65536);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_mmap, 2);
	assert_mem(bi, 0, 0, 639 * 1024, MEM_USABLE);
	assert_mem(bi, 1, 0x100000, 65536ULL * 1024, MEM_USABLE);
	assert_int_equal(bi->info_start, info);
	assert_int_equal(bi->info_end, info + 116);
}

static void mb1_empty_mmap_falls_back_to_meminfo(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 0, 2048);
	mb1_set_mmap(fm, info, pc_map, 0, 20);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_mmap, 1); /* mem_lower 0: no empty entry */
	assert_mem(bi, 0, 0x100000, 2048 * 1024, MEM_USABLE);
}

static void mb1_no_memory_info(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_cmdline(fm, info, "x");
	assert_fails(parse1(fm, info, bi), -E_INVAL, "multiboot1: no memory map");
	assert_true(strstr(bi->error, "flags 0x4") != NULL);
}

static void mb1_info_unreadable(void **state)
{
	FIX;

	assert_fails(parse1(fm, FAKE_UNMAPPED, bi), -E_RANGE,
		     "multiboot1: info structure at 0x900000 is not readable");
	/* The fields we read straddle the end of memory. */
	assert_fails(parse1(fm, FAKE_END - 40, bi), -E_RANGE, "info structure");
}

static void mb1_bad_cmdline_pointer(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_flag(fm, info, 2);
	fm_w32(fm, info + T_MB1_CMDLINE, FAKE_UNMAPPED);
	assert_fails(parse1(fm, info, bi), -E_RANGE,
		     "multiboot1: command line at 0x900000 is not readable at 0x900000 (bad pointer)");
}

static void mb1_cmdline_unterminated(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm), s = FAKE_END - 8;

	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_flag(fm, info, 2);
	memset(fm_ptr(fm, s), 'a', 8); /* no NUL before the end of memory */
	fm_w32(fm, info + T_MB1_CMDLINE, (uint32_t)s);
	assert_fails(parse1(fm, info, bi), -E_RANGE, "runs into unmapped memory before its NUL");
	assert_true(strstr(bi->error, "command line at 0x2fff8 is not readable at 0x30000") != NULL);
}

static void mb1_cmdline_length_limit(void **state)
{
	FIX;
	char s[1025];
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 1024);
	memset(s, 'c', 1023);
	s[1023] = '\0';
	mb1_set_cmdline(fm, info, s);
	assert_ok(parse1(fm, info, bi));
	assert_string_equal(bi->cmdline, s);

	s[1023] = 'c';
	s[1024] = '\0';
	mb1_set_cmdline(fm, info, s);
	assert_fails(parse1(fm, info, bi), -E_NOMEM, "multiboot1: command line at 0x");
	assert_true(strstr(bi->error, "is longer than 1023 bytes") != NULL);
}

static void mb1_loader_name_truncated(void **state)
{
	FIX;
	char s[200];
	paddr_t info = mb1_new(fm), name;

	mb1_set_mem(fm, info, 639, 1024);
	memset(s, 'n', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	name = mb1_set_loader_name(fm, info, s);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(strlen(bi->loader_name), 63);
	assert_memory_equal(bi->loader_name, s, 63);
	assert_used(bi, name, name + 64); /* the bytes read */
}

static void mb1_bad_mods_pointer(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_flag(fm, info, 3);
	fm_w32(fm, info + T_MB1_MODS_COUNT, 2);
	fm_w32(fm, info + T_MB1_MODS_ADDR, FAKE_UNMAPPED);
	assert_fails(parse1(fm, info, bi), -E_RANGE,
		     "multiboot1: module array at 0x900000 (2 entries) is not readable");

	/* First entry readable, second past the end of memory. */
	fm_w32(fm, info + T_MB1_MODS_ADDR, FAKE_END - 20);
	assert_fails(parse1(fm, info, bi), -E_RANGE, "module array at 0x2ffec");
}

static void mb1_bad_module_string(void **state)
{
	FIX;
	const struct t_mod mods[] = { { 0x200000, 0x201000, "ok" }, { 0x201000, 0x202000, "x" } };
	paddr_t info = mb1_new(fm), arr;

	mb1_set_mem(fm, info, 639, 1024);
	arr = mb1_set_mods(fm, info, mods, 2);
	fm_w32(fm, arr + 16 + 8, 0xfee00000);
	assert_fails(parse1(fm, info, bi), -E_RANGE,
		     "multiboot1: module 1 string at 0xfee00000 is not readable");
}

static void mb1_module_string_optional_and_too_long(void **state)
{
	FIX;
	char s[1100];
	struct t_mod mods[] = { { 0x200000, 0x201000, NULL }, { 0x201000, 0x202000, s } };
	paddr_t info = mb1_new(fm);

	memset(s, 'm', 1023);
	s[1023] = '\0';
	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_mods(fm, info, mods, 2);
	assert_ok(parse1(fm, info, bi));
	assert_string_equal(bi->mods[0].cmdline, "");
	assert_string_equal(bi->mods[1].cmdline, s);

	memset(s, 'm', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb1_set_mods(fm, info, mods, 2);
	assert_fails(parse1(fm, info, bi), -E_NOMEM, "multiboot1: module 1 string at 0x");
	assert_true(strstr(bi->error, "longer than 1023 bytes") != NULL);
}

static void mb1_module_start_above_end(void **state)
{
	FIX;
	const struct t_mod mods[] = { { 0x200000, 0x201000, "a" }, { 0x203000, 0x202000, "b" } };
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_mods(fm, info, mods, 2);
	assert_fails(parse1(fm, info, bi), -E_INVAL,
		     "multiboot1: module 1 start 0x203000 is above its end 0x202000");
}

static void mb1_module_count_limit(void **state)
{
	FIX;
	struct t_mod mods[17];
	paddr_t info = mb1_new(fm);
	uint32_t i;

	for (i = 0; i < 17; i++)
		mods[i] = (struct t_mod){ 0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "mod" };
	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_mods(fm, info, mods, 16);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mods, 16);
	assert_int_equal(bi->mods[15].start, 0x20f000);
	assert_int_equal(bi->nr_used, 2 + 16); /* info, array, 16 strings */

	mb1_set_mods(fm, info, mods, 17);
	assert_fails(parse1(fm, info, bi), -E_NOMEM, "multiboot1: 17 modules, at most 16 are supported");
}

static void mb1_bad_mmap_pointer(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mmap(fm, info, pc_map, 2, 20);
	fm_w32(fm, info + T_MB1_MMAP_ADDR, FAKE_UNMAPPED);
	assert_fails(parse1(fm, info, bi), -E_RANGE,
		     "multiboot1: memory map at 0x900000 (mmap_length 48) is not readable");

	/* Address fine, length running past the end of memory. */
	mb1_set_mmap(fm, info, pc_map, 2, 20);
	fm_w32(fm, info + T_MB1_MMAP_LENGTH, FAKE_SIZE);
	assert_fails(parse1(fm, info, bi), -E_RANGE, "(mmap_length 131072) is not readable");
}

static void mb1_mmap_entry_too_small(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm), buf;

	buf = mb1_set_mmap(fm, info, pc_map, 3, 20);
	fm_w32(fm, buf + 24, 16); /* entry 1 */
	assert_fails(parse1(fm, info, bi), -E_INVAL,
		     "multiboot1: memory map entry 1 at offset 0x18 has size 16, below the minimum 20");
}

static void mb1_mmap_entry_overruns_length(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm), buf;

	buf = mb1_set_mmap(fm, info, pc_map, 3, 20);
	fm_w32(fm, buf + 48, 100); /* entry 2 claims more than is left */
	assert_fails(parse1(fm, info, bi), -E_INVAL,
		     "multiboot1: memory map entry 2 at offset 0x30 (size 100) runs past mmap_length 72");

	/* Two stray bytes after the last entry: not even a size field. */
	buf = mb1_set_mmap(fm, info, pc_map, 3, 20);
	fm_w32(fm, info + T_MB1_MMAP_LENGTH, 74);
	assert_fails(parse1(fm, info, bi), -E_INVAL,
		     "memory map entry 3 at offset 0x48: size field runs past mmap_length 74");
}

static void mb1_mmap_entry_wraps(void **state)
{
	FIX;
	const struct t_mem e[] = { { 0x0, 0x1000, 1 }, { 0xfffffffffffff000ULL, 0x2000, 2 } };
	paddr_t info = mb1_new(fm);

	mb1_set_mmap(fm, info, e, 2, 20);
	assert_fails(parse1(fm, info, bi), -E_INVAL,
		     "multiboot1: memory map entry 1: base 0xfffffffffffff000 + length 0x2000 wraps");
}

static void mb1_mmap_entry_limit(void **state)
{
	FIX;
	struct t_mem e[129];
	paddr_t info = mb1_new(fm);
	uint32_t i;

	for (i = 0; i < 129; i++)
		e[i] = (struct t_mem){ i * 0x2000ULL, 0x1000, 1 }; /* holes: nothing can merge */
	mb1_set_mmap(fm, info, e, 128, 20);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 128);
	assert_mem(bi, 127, 127 * 0x2000ULL, 0x1000, MEM_USABLE);

	mb1_set_mmap(fm, info, e, 129, 20);
	assert_fails(parse1(fm, info, bi), -E_NOMEM,
		     "multiboot1: memory map entry 128: memory map has more than 128 entries");
}

static void mb1_empty_entries_dropped(void **state)
{
	FIX;
	const struct t_mem e[] = { { 0x0, 0, 1 }, { 0x100000, 0x100000, 1 }, { 0x500000, 0, 2 } };
	paddr_t info = mb1_new(fm);

	mb1_set_mmap(fm, info, e, 3, 20);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 1);
	assert_mem(bi, 0, 0x100000, 0x100000, MEM_USABLE);
}

/* ---------------- Multiboot 2 ---------------- */

static const uint8_t rsdp_v1[20] = "RSD PTR \x11OEMID\x00\x00\x10\x0e\x00";
static const uint8_t rsdp_v2[36] = "RSD PTR \x22OEMID\x02\x00\x10\x0e\x00\x24\x00\x00\x00"
				   "\x00\x20\x0e\x00\x00\x00\x00\x00\x33\x00\x00\x00";

static const struct t_efi efi_map[] = {
	{ 7, 0x0, 0x9f },        /* conventional */
	{ 6, 0x9f000, 0x1 },     /* runtime data: reserved */
	{ 0, 0xa0000, 0x60 },    /* reserved */
	{ 1, 0x100000, 0x100 },  /* loader code  \                     */
	{ 2, 0x200000, 0x100 },  /* loader data   | contiguous usable: */
	{ 3, 0x300000, 0x100 },  /* bs code       | one entry          */
	{ 4, 0x400000, 0x100 },  /* bs data       |                    */
	{ 7, 0x500000, 0x7a00 }, /* conventional /                     */
	{ 9, 0x7f00000, 0x10 },  /* ACPI reclaim */
	{ 10, 0x7f10000, 0x10 }, /* ACPI NVS */
	{ 8, 0x7f20000, 0x10 },  /* unusable: bad */
	{ 11, 0xfec00000, 0x1 }, /* MMIO: reserved */
	{ 5, 0x7f30000, 0xd0 },  /* runtime code: reserved */
	{ 14, 0x100000000ULL, 0x40000 }, /* persistent memory: reserved */
};

static void mb2_good(void **state)
{
	FIX;
	const struct t_mem map[] = {
		{ 0x0, 0x9fc00, 1 }, { 0x100000, 0x7ee0000, 1 }, { 0x7fe0000, 0x20000, 3 },
		{ 0xfee00000, 0x1000, 2 }, { 0x100000000ULL, 0x40000000, 9 },
	};
	const uint8_t junk[13] = "framebuffer!";
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;
	uint8_t efi32[4] = { 0x78, 0x56, 0x34, 0x12 }, efi64[8] = { 0, 0x10, 0, 0, 1, 0, 0, 0 };
	/* Framebuffer info after the tag header: addr, pitch, width, height, bpp, type, reserved, RGB. */
	const uint8_t fb_rgb[30] = { 0, 0, 0, 0xfd, 0, 0, 0, 0, 0x00, 0x14, 0, 0, 0x00, 0x05, 0, 0, 0x20, 0x03, 0, 0,
				     32, 1, 0, 0, 16, 8, 8, 8, 0, 8 };

	mb2_tag_str(&b, 1, "console=com1 guest=linux");
	mb2_tag_str(&b, 2, "GRUB 2.12");
	mb2_tag_bytes(&b, 0x1234, junk, sizeof(junk)); /* unknown tag */
	mb2_tag_module(&b, 0x400000, 0x800000, "bzImage console=ttyS0");
	mb2_tag_meminfo(&b, 639, 130048);
	mb2_tag_bytes(&b, 8, fb_rgb, sizeof(fb_rgb));
	mb2_tag_mmap(&b, map, ARRAY_SIZE(map));
	mb2_tag_module(&b, 0x800000, 0x900000, "");
	mb2_tag_bytes(&b, 14, rsdp_v1, sizeof(rsdp_v1));
	mb2_tag_bytes(&b, 15, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag_bytes(&b, 11, efi32, sizeof(efi32));
	mb2_tag_bytes(&b, 12, efi64, sizeof(efi64));
	mb2_tag_efi_mmap(&b, 48, 1, efi_map, ARRAY_SIZE(efi_map));
	info = mb2_finish(&b);

	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->protocol, BOOT_PROTO_MB2);
	assert_string_equal(bi->cmdline, "console=com1 guest=linux");
	assert_string_equal(bi->loader_name, "GRUB 2.12");
	assert_true(bi->has_mem_lower_upper);
	assert_int_equal(bi->mem_lower, 639);
	assert_int_equal(bi->mem_upper, 130048);
	assert_true(bi->has_fb);
	assert_int_equal(bi->fb.addr, 0xfd000000);
	assert_int_equal(bi->fb.pitch, 5120);
	assert_int_equal(bi->fb.width, 1280);
	assert_int_equal(bi->fb.height, 800);
	assert_int_equal(bi->fb.bpp, 32);
	assert_int_equal(bi->fb.type, BOOT_FB_RGB);
	assert_memory_equal(bi->fb.rgb, ((const uint8_t[]){ 16, 8, 8, 8, 0, 8 }), 6);

	assert_int_equal(bi->nr_mods, 2);
	assert_int_equal(bi->mods[0].start, 0x400000);
	assert_int_equal(bi->mods[0].end, 0x800000);
	assert_string_equal(bi->mods[0].cmdline, "bzImage console=ttyS0");
	assert_int_equal(bi->mods[1].start, 0x800000);
	assert_int_equal(bi->mods[1].end, 0x900000);
	assert_string_equal(bi->mods[1].cmdline, "");

	/* Tag 6 wins over the EFI map, which is only recorded. */
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MB2_MMAP);
	assert_int_equal(bi->nr_mmap, ARRAY_SIZE(map));
	assert_mem(bi, 0, 0x0, 0x9fc00, MEM_USABLE);
	assert_mem(bi, 2, 0x7fe0000, 0x20000, MEM_ACPI_RECLAIM);
	assert_mem(bi, 4, 0x100000000ULL, 0x40000000, MEM_RESERVED);
	assert_true(bi->has_efi_mmap);
	assert_int_equal(bi->efi_mmap_count, ARRAY_SIZE(efi_map));
	assert_int_equal(bi->efi_desc_size, 48);
	assert_int_equal(bi->efi_desc_version, 1);

	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_V2);
	assert_int_equal(bi->rsdp_len, 36);
	assert_memory_equal(bi->rsdp, rsdp_v2, 36);
	assert_true(bi->has_efi32_system_table);
	assert_int_equal(bi->efi32_system_table, 0x12345678);
	assert_true(bi->has_efi64_system_table);
	assert_int_equal(bi->efi64_system_table, 0x100001000ULL);

	assert_int_equal(bi->nr_used, 1);
	assert_int_equal(bi->info_start, info);
	assert_int_equal(bi->info_end, info + fm_r32(fm, info));
}

static void mb2_rsdp_kinds(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	mb2_tag_bytes(&b, 14, rsdp_v1, sizeof(rsdp_v1));
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_V1);
	assert_int_equal(bi->rsdp_len, 20);
	assert_memory_equal(bi->rsdp, rsdp_v1, 20);

	/* The new RSDP is kept even when the old one comes after it. */
	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_bytes(&b, 15, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag_bytes(&b, 14, rsdp_v1, sizeof(rsdp_v1));
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_V2);
	assert_int_equal(bi->rsdp_len, 36);
	assert_memory_equal(bi->rsdp, rsdp_v2, 36);

	/* Too short to be an RSDP. */
	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_bytes(&b, 14, rsdp_v1, 12);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "tag 14 (ACPI old RSDP) at offset 0x30 has size 20, too small for its fields (minimum 28)");
}

static void mb2_efi_mmap_only(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_str(&b, 1, "");
	mb2_tag_efi_mmap(&b, 48, 1, efi_map, ARRAY_SIZE(efi_map));
	info = mb2_finish(&b);

	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MB2_EFI_MMAP);
	assert_true(bi->has_efi_mmap);
	assert_int_equal(bi->efi_mmap_count, ARRAY_SIZE(efi_map));
	assert_int_equal(bi->nr_mmap, 9);
	assert_mem(bi, 0, 0x0, 0x9f000, MEM_USABLE);
	assert_mem(bi, 1, 0x9f000, 0x61000, MEM_RESERVED); /* runtime data + reserved merged */
	assert_mem(bi, 2, 0x100000, 0x7e00000, MEM_USABLE);
	assert_mem(bi, 3, 0x7f00000, 0x10000, MEM_ACPI_RECLAIM);
	assert_mem(bi, 4, 0x7f10000, 0x10000, MEM_ACPI_NVS);
	assert_mem(bi, 5, 0x7f20000, 0x10000, MEM_BAD);
	assert_mem(bi, 6, 0xfec00000, 0x1000, MEM_RESERVED);
	assert_mem(bi, 7, 0x7f30000, 0xd0000, MEM_RESERVED);
	assert_mem(bi, 8, 0x100000000ULL, 0x40000000, MEM_RESERVED);
	assert_false(bi->has_mem_lower_upper);
	/* Boot services code and data, adjacent, are kept as one range the hypervisor avoids. */
	assert_int_equal(bi->nr_efi_bs, 1);
	assert_int_equal(bi->efi_bs[0].start, 0x300000);
	assert_int_equal(bi->efi_bs[0].end, 0x500000);
	assert_false(bi->efi_bs_overflow);
	/* The descriptors follow the tag header and the {entry_size, entry_version} pair. */
	assert_int_equal(bi->efi_mmap_pa, info + 8 + 8 + 8 + 8 + 8);
}

static void mb2_efi_mmap_bad(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;

	tag = mb2_tag_efi_mmap(&b, 32, 1, efi_map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 17 (EFI memory map) at offset 0x8 has entry size 32 "
		     "(must be a multiple of 8 and at least 40)");

	b = mb2_begin(fm);
	tag = mb2_tag_efi_mmap(&b, 40, 2, efi_map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has entry version 2 (expected 1)");

	b = mb2_begin(fm);
	tag = mb2_tag_efi_mmap(&b, 40, 1, efi_map, 2);
	fm_w32(fm, tag + 4, 16 + 40 + 20); /* one and a half descriptors */
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "has size 76, which is not the header plus whole 40-byte entries");

	b = mb2_begin(fm);
	tag = mb2_tag_efi_mmap(&b, 40, 1, efi_map, 2);
	fm_w64(fm, tag + 16 + 40 + 24, 0x0010000000000000ULL); /* descriptor 1: 2^52 pages */
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "has descriptor 1 with 0x10000000000000 pages, more than 64 bits can hold");

	b = mb2_begin(fm);
	mb2_tag_efi_mmap(&b, 40, 1, efi_map, 2);
	mb2_tag_efi_mmap(&b, 40, 1, efi_map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "at offset 0x68 is a second EFI memory map tag");
}

static void mb2_meminfo_only_synthesized(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_meminfo(&b, 640, 3072);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_mmap, 2);
	assert_mem(bi, 0, 0, 640 * 1024, MEM_USABLE);
	assert_mem(bi, 1, 0x100000, 3072 * 1024, MEM_USABLE);
}

static void mb2_no_memory_info(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_str(&b, 1, "no memory here");
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "multiboot2: no memory map");
}

static void mb2_unknown_tags_skipped(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	const uint8_t zeros[64] = { 0 };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_bytes(&b, 0xffffffff, zeros, 5);
	mb2_tag_bytes(&b, 22, zeros, 0);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_bytes(&b, 9, zeros, 64); /* ELF sections: known, unused */
	mb2_tag_bytes(&b, 0x80000000, zeros, 3);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 1);
	assert_mem(bi, 0, 0x100000, 0x100000, MEM_USABLE);
}

static void mb2_info_unreadable_or_misaligned(void **state)
{
	FIX;

	assert_fails(parse2(fm, FAKE_UNMAPPED, bi), -E_RANGE,
		     "multiboot2: info header at 0x900000 is not readable");
	assert_fails(parse2(fm, FAKE_BASE + 4, bi), -E_INVAL,
		     "multiboot2: info at 0x10004 is not 8-byte aligned");
}

static void mb2_total_size_too_small(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	info = mb2_finish(&b);
	fm_w32(fm, info, 12);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "multiboot2: total_size 12 is below the minimum 16");
	fm_w32(fm, info, 0);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "multiboot2: total_size 0 is below the minimum 16");
}

static void mb2_total_size_beyond_memory(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	info = mb2_finish(&b);
	fm_w32(fm, info, (uint32_t)(FAKE_END - info + 8));
	assert_fails(parse2(fm, info, bi), -E_RANGE, "with total_size 131080 is not readable");
	fm_w32(fm, info, 0xfffffff8);
	assert_fails(parse2(fm, info, bi), -E_RANGE, "with total_size 4294967288 is not readable");
}

static void mb2_total_size_truncated(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_str(&b, 1, "abc"); /* offset 8, size 12 */
	mb2_tag_mmap(&b, map, 2);  /* offset 0x18, size 64 */
	info = mb2_finish(&b);
	fm_w32(fm, info, 0x18 + 32); /* cuts the memory map tag in half */
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 6 (memory map) at offset 0x18 has size 64 beyond the info's total size 56");

	fm_w32(fm, info, 0x18 + 4); /* leaves half a tag header */
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag header at offset 0x18 runs past the info's total size 28");
}

static void mb2_tag_overruns_total(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;

	mb2_tag_str(&b, 2, "loader");
	mb2_tag_meminfo(&b, 1, 2);
	mb2_tag_str(&b, 1, "x");
	mb2_tag_str(&b, 1, "cmdline");
	tag = mb2_tag_mmap(&b, map, 1);
	info = mb2_finish(&b);
	assert_int_equal(tag - info, 0x48);
	fm_w32(fm, tag + 4, 4000);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 6 (memory map) at offset 0x48 has size 4000 beyond the info's total size 120");
}

static void mb2_missing_end_tag(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	info = mb2_finish_without_end(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: no end tag (type 0) within the info's total size 48");
}

static void mb2_end_tag_bad_size(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	mb2_tag(&b, 0, 8);
	info = mb2_finish_without_end(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 0 (end) at offset 0x30 has size 16, expected 8");
}

static void mb2_end_tag_stops_walk(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, map, 1);
	mb2_tag(&b, 0, 0);
	mb2_tag_str(&b, 1, "after the end"); /* inside total_size, after the end tag: ignored */
	info = mb2_finish_without_end(&b);
	assert_ok(parse2(fm, info, bi));
	assert_string_equal(bi->cmdline, "");
}

static void mb2_tag_size_below_header(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;

	mb2_tag_mmap(&b, map, 1);
	tag = mb2_tag_str(&b, 1, "abc");
	info = mb2_finish(&b);
	fm_w32(fm, tag + 4, 4);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 1 (command line) at offset 0x30 has size 4, below the minimum 8");
	fm_w32(fm, tag + 4, 0); /* would loop forever without the check */
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has size 0, below the minimum 8");
}

static void mb2_mmap_bad_entries(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 3 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;

	mb2_tag_mmap_raw(&b, 20, 0, map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 6 (memory map) at offset 0x8 has entry size 20 "
		     "(must be a multiple of 8 and at least 24)");

	b = mb2_begin(fm);
	mb2_tag_mmap_raw(&b, 28, 0, map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has entry size 28");

	b = mb2_begin(fm);
	mb2_tag_mmap_raw(&b, 0, 0, map, 0);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has entry size 0");

	b = mb2_begin(fm);
	mb2_tag_mmap_raw(&b, 24, 1, map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "tag 6 (memory map) at offset 0x8 has entry version 1 (expected 0)");

	b = mb2_begin(fm);
	tag = mb2_tag_mmap_raw(&b, 24, 0, map, 2);
	fm_w32(fm, tag + 4, 16 + 24 + 8);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "has size 48, which is not the header plus whole 24-byte entries");

	b = mb2_begin(fm);
	tag = mb2_tag_mmap_raw(&b, 24, 0, map, 2);
	fm_w32(fm, tag + 4, 12); /* no room for entry_size/entry_version */
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has size 12, too small for its fields (minimum 16)");

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 2);
	mb2_tag_mmap(&b, map, 2);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "at offset 0x48 is a second memory map tag");
}

static void mb2_mmap_larger_entries(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x0, 0x9f000, 1 }, { 0x100000, 0x100000, 4 }, { 0x200000, 0x1000, 5 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap_raw(&b, 32, 0, map, 3);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 3);
	assert_mem(bi, 1, 0x100000, 0x100000, MEM_ACPI_NVS);
	assert_mem(bi, 2, 0x200000, 0x1000, MEM_BAD);
}

static void mb2_mmap_entry_limit(void **state)
{
	FIX;
	static struct t_mem e[129];
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;
	uint32_t i;

	for (i = 0; i < 129; i++)
		e[i] = (struct t_mem){ i * 0x2000ULL, 0x1000, i % 2 ? 1 : 2 };
	mb2_tag_mmap(&b, e, 128);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 128);

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, e, 129);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_NOMEM,
		     "multiboot2: memory map entry 128: memory map has more than 128 entries");
}

static void mb2_strings(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	char s[1100];
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;

	/* Loader names are truncated, command lines must fit. */
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_str(&b, 2, s);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(strlen(bi->loader_name), 63);

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_str(&b, 1, s);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_NOMEM,
		     "multiboot2: tag 1 (command line) at offset 0x30 has a string of 1099 bytes, longer than the limit of 1023");

	/* The NUL must be inside the tag, even if the next byte in memory is a 0. */
	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	tag = mb2_tag_str(&b, 1, "abcdefg");
	fm_w32(fm, tag + 4, 8 + 7);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 1 (command line) at offset 0x30 has a string that is not NUL-terminated inside the tag (size 15)");
	fm_w8(fm, tag + 15, 'h'); /* and when the padding after it is not 0 either */
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has a string that is not NUL-terminated inside the tag");

	/* An empty command line tag without even a NUL. */
	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag(&b, 1, 0);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "has size 8, too small for its fields (minimum 9)");

	/* A module string without its NUL. */
	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	mb2_tag_module(&b, 0x200000, 0x300000, "mod");
	tag = b.pos;
	mb2_tag_module(&b, 0x300000, 0x400000, "mod");
	fm_w32(fm, tag + 4, 16 + 3);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "tag 3 (module) at offset 0x48 has a string that is not NUL-terminated");
}

static void mb2_module_errors(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x100000, 0x100000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info, tag;
	uint32_t i;

	mb2_tag_mmap(&b, map, 1);
	mb2_tag_module(&b, 0x300000, 0x200000, "backwards");
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL,
		     "multiboot2: tag 3 (module) at offset 0x30 has module start 0x300000 above its end 0x200000");

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	tag = b.pos;
	mb2_tag_module(&b, 0x200000, 0x300000, "x");
	fm_w32(fm, tag + 4, 16);
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_INVAL, "tag 3 (module) at offset 0x30 has size 16, too small");

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	for (i = 0; i < 16; i++)
		mb2_tag_module(&b, 0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->nr_mods, 16);

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, map, 1);
	for (i = 0; i < 17; i++)
		mb2_tag_module(&b, 0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_NOMEM, "is one module too many: at most 16 are supported");
}

/* ---------------- common ---------------- */

static void bad_magic(void **state)
{
	FIX;

	assert_fails(bootinfo_parse(0x12345678, FAKE_BASE, &fm->view, bi), -E_INVAL,
		     "unknown boot loader magic 0x12345678");
	assert_int_equal(bi->protocol, 0);
}

static void bad_arguments(void **state)
{
	FIX;
	struct phys_view no_map = { NULL, NULL };

	assert_int_equal(bootinfo_parse(MB1_BOOTLOADER_MAGIC, FAKE_BASE, &fm->view, NULL), -E_INVAL);
	assert_fails(bootinfo_parse(MB1_BOOTLOADER_MAGIC, FAKE_BASE, NULL, bi), -E_INVAL,
		     "no physical memory view");
	assert_fails(bootinfo_parse(MB1_BOOTLOADER_MAGIC, FAKE_BASE, &no_map, bi), -E_INVAL,
		     "no physical memory view");
}

static void result_is_cleared(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	memset(bi, 0x5a, sizeof(*bi));
	mb1_set_mem(fm, info, 639, 1024);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mods, 0);
	assert_string_equal(bi->cmdline, "");
	assert_string_equal(bi->loader_name, "");
	assert_int_equal(bi->rsdp_kind, 0);
}

static void mem_type_names(void **state)
{
	(void)state;
	assert_string_equal(bootinfo_mem_type_name(MEM_USABLE), "usable");
	assert_string_equal(bootinfo_mem_type_name(MEM_RESERVED), "reserved");
	assert_string_equal(bootinfo_mem_type_name(MEM_ACPI_RECLAIM), "ACPI reclaimable");
	assert_string_equal(bootinfo_mem_type_name(MEM_ACPI_NVS), "ACPI NVS");
	assert_string_equal(bootinfo_mem_type_name(MEM_BAD), "bad");
	assert_string_equal(bootinfo_mem_type_name(0), "unknown");
	assert_string_equal(bootinfo_mem_type_name(6), "unknown");
}

/* ---------------- mutation: random damage must give a clean result or a clean error ---------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static void check_result(const struct boot_info *bi, int rc)
{
	uint32_t i;

	assert_true(memchr(bi->error, '\0', sizeof(bi->error)) != NULL);
	if (rc) {
		assert_true(rc == -E_INVAL || rc == -E_RANGE || rc == -E_NOMEM);
		assert_true(bi->error[0] != '\0');
		return;
	}
	assert_true(bi->nr_mmap > 0 && bi->nr_mmap <= BOOT_MMAP_MAX);
	assert_true(bi->nr_mods <= BOOT_MODS_MAX);
	assert_true(bi->nr_used >= 1 && bi->nr_used <= BOOT_USED_MAX);
	assert_true(bi->rsdp_len <= BOOT_RSDP_MAX);
	assert_true(memchr(bi->cmdline, '\0', sizeof(bi->cmdline)) != NULL);
	assert_true(memchr(bi->loader_name, '\0', sizeof(bi->loader_name)) != NULL);
	for (i = 0; i < bi->nr_mmap; i++) {
		assert_true(bi->mmap[i].len > 0);
		assert_true(bi->mmap[i].base + bi->mmap[i].len > bi->mmap[i].base);
		assert_true(bi->mmap[i].type >= MEM_USABLE && bi->mmap[i].type <= MEM_BAD);
	}
	for (i = 0; i < bi->nr_mods; i++) {
		assert_true(bi->mods[i].start <= bi->mods[i].end);
		assert_true(memchr(bi->mods[i].cmdline, '\0', sizeof(bi->mods[i].cmdline)) != NULL);
	}
	for (i = 0; i < bi->nr_used; i++) {
		assert_true(bi->used[i].start < bi->used[i].end);
		assert_true(bi->used[i].start >= bi->info_start && bi->used[i].end <= bi->info_end);
	}
}

static void mutate_and_parse(struct fake_mem *fm, struct boot_info *bi, uint32_t magic, paddr_t info,
			     paddr_t lo, paddr_t hi, int iterations)
{
	uint8_t *pristine = malloc(FAKE_SIZE);
	int n, ok = 0;

	assert_non_null(pristine);
	memcpy(pristine, fm->bytes, FAKE_SIZE);
	for (n = 0; n < iterations; n++) {
		int flips = 1 + rng() % 4, k, rc;

		memcpy(fm->bytes, pristine, FAKE_SIZE);
		for (k = 0; k < flips; k++) {
			paddr_t at = lo + rng() % (hi - lo);

			/* Small values make sizes and counts interesting; others make garbage. */
			fm_w8(fm, at, rng() % 3 ? (uint8_t)rng() : (uint8_t)(rng() % 48));
		}
		rc = bootinfo_parse(magic, info, &fm->view, bi);
		check_result(bi, rc);
		ok += rc == 0;
		fake_mem_release_maps(fm);
	}
	assert_true(ok > 0); /* some damage is harmless (e.g. inside strings) */
	free(pristine);
}

static void mb1_mutations(void **state)
{
	FIX;
	const struct t_mod mods[] = { { 0x200000, 0x280000, "guest" }, { 0x280000, 0x290000, "initrd" } };
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 639, 130048);
	mb1_set_cmdline(fm, info, "console=com1");
	mb1_set_loader_name(fm, info, "GRUB");
	mb1_set_mods(fm, info, mods, 2);
	mb1_set_mmap(fm, info, pc_map, ARRAY_SIZE(pc_map), 20);
	assert_ok(parse1(fm, info, bi));
	mutate_and_parse(fm, bi, MB1_BOOTLOADER_MAGIC, info, info, fm->next, 20000);
}

static void mb2_mutations(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x0, 0x9fc00, 1 }, { 0x100000, 0x7ee0000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_str(&b, 1, "console=com1");
	mb2_tag_str(&b, 2, "GRUB");
	mb2_tag_module(&b, 0x400000, 0x800000, "bzImage");
	mb2_tag_meminfo(&b, 639, 130048);
	mb2_tag_mmap(&b, map, 2);
	mb2_tag_bytes(&b, 15, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag_efi_mmap(&b, 40, 1, efi_map, 6);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	mutate_and_parse(fm, bi, MB2_BOOTLOADER_MAGIC, info, info, b.pos, 20000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(mb1_good_all_flags),
		T(mb1_mmap_entry_stride),
		T(mb1_flags_honoured),
		T(mb1_framebuffer),
		T(mb1_no_mmap_synthesized),
		T(mb1_empty_mmap_falls_back_to_meminfo),
		T(mb1_no_memory_info),
		T(mb1_info_unreadable),
		T(mb1_bad_cmdline_pointer),
		T(mb1_cmdline_unterminated),
		T(mb1_cmdline_length_limit),
		T(mb1_loader_name_truncated),
		T(mb1_bad_mods_pointer),
		T(mb1_bad_module_string),
		T(mb1_module_string_optional_and_too_long),
		T(mb1_module_start_above_end),
		T(mb1_module_count_limit),
		T(mb1_bad_mmap_pointer),
		T(mb1_mmap_entry_too_small),
		T(mb1_mmap_entry_overruns_length),
		T(mb1_mmap_entry_wraps),
		T(mb1_mmap_entry_limit),
		T(mb1_empty_entries_dropped),
		T(mb2_good),
		T(mb2_rsdp_kinds),
		T(mb2_efi_mmap_only),
		T(mb2_efi_mmap_bad),
		T(mb2_meminfo_only_synthesized),
		T(mb2_no_memory_info),
		T(mb2_unknown_tags_skipped),
		T(mb2_info_unreadable_or_misaligned),
		T(mb2_total_size_too_small),
		T(mb2_total_size_beyond_memory),
		T(mb2_total_size_truncated),
		T(mb2_tag_overruns_total),
		T(mb2_missing_end_tag),
		T(mb2_end_tag_bad_size),
		T(mb2_end_tag_stops_walk),
		T(mb2_tag_size_below_header),
		T(mb2_mmap_bad_entries),
		T(mb2_mmap_larger_entries),
		T(mb2_mmap_entry_limit),
		T(mb2_strings),
		T(mb2_module_errors),
		T(bad_magic),
		T(bad_arguments),
		T(result_is_cleared),
		T(mem_type_names),
		T(mb1_mutations),
		T(mb2_mutations),
	};

	return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
