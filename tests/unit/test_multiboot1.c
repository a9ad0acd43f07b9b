/* Unit tests for boot/multiboot1.c: crafted Multiboot 1 information in a fake memory. */
#include "multiboot_fixture.h"

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
	map = mb1_set_mmap(fm, info, pc_map, ARRAY_SIZE(pc_map), T_MB1_MMAP_ENTRY_SIZE);

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
	assert_used(bi, info, info + T_MB1_INFO_SIZE);
	assert_used(bi, cmd, cmd + sizeof("console=com1 loglevel=3"));
	assert_used(bi, name, name + sizeof("GRUB 2.06"));
	assert_used(bi, arr, arr + 2 * T_MB1_MOD_SIZE);
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

	mb1_set_flag(fm, info, T_MB1_FLAG_FRAMEBUFFER);
	fm_w64(fm, info + T_MB1_FB_ADDR, 0xfd000000);
	fm_w32(fm, info + T_MB1_FB_PITCH, 4096);
	fm_w32(fm, info + T_MB1_FB_WIDTH, 1024);
	fm_w32(fm, info + T_MB1_FB_HEIGHT, 768);
	fm_w8(fm, info + T_MB1_FB_BPP, 32);
	fm_w8(fm, info + T_MB1_FB_TYPE, BOOT_FB_RGB);
	fm_write(fm, info + T_MB1_FB_COLOR, rgb, sizeof(rgb));
	assert_ok(parse1(fm, info, bi));
	assert_true(bi->has_fb);
	assert_int_equal(bi->fb.addr, 0xfd000000);
	assert_int_equal(bi->fb.pitch, 4096);
	assert_int_equal(bi->fb.width, 1024);
	assert_int_equal(bi->fb.height, 768);
	assert_int_equal(bi->fb.bpp, 32);
	assert_int_equal(bi->fb.type, BOOT_FB_RGB);
	assert_memory_equal(bi->fb.rgb, rgb, 6);

	fm_w64(fm, info + T_MB1_FB_ADDR, 0xb8000);
	fm_w32(fm, info + T_MB1_FB_PITCH, 160);
	fm_w32(fm, info + T_MB1_FB_WIDTH, 80);
	fm_w32(fm, info + T_MB1_FB_HEIGHT, 25);
	fm_w8(fm, info + T_MB1_FB_BPP, 16);
	fm_w8(fm, info + T_MB1_FB_TYPE, BOOT_FB_EGA_TEXT);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->fb.type, BOOT_FB_EGA_TEXT);
	assert_int_equal(bi->fb.width, 80);
	assert_memory_equal(bi->fb.rgb, ((const uint8_t[6]){ 0 }), 6); /* colour fields only for RGB */

	/* The framebuffer fields run past the end of memory: only the first 68 bytes are readable. */
	info = FAKE_END - 80;
	fm_w32(fm, info, 1u << T_MB1_FLAG_FRAMEBUFFER | 1u << T_MB1_FLAG_MEM);
	fm_w32(fm, info + T_MB1_MEM_UPPER, 1024);
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
	assert_int_equal(bi->info_end, info + T_MB1_INFO_SIZE);
}

static void mb1_empty_mmap_falls_back_to_meminfo(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm);

	mb1_set_mem(fm, info, 0, 2048);
	mb1_set_mmap(fm, info, pc_map, 0, T_MB1_MMAP_ENTRY_SIZE);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_mmap, 1); /* mem_lower 0: no empty entry */
	assert_mem(bi, 0, 0x100000, 2048 * 1024, MEM_USABLE);
}

/* ---- information the parser must refuse, one row each ---- */

/* Where a poke writes: an offset in the info structure, the module array or the memory map. */
enum mb1_poke_base { POKE_NONE, POKE_INFO, POKE_MODS, POKE_MMAP };

struct mb1_poke {
	enum mb1_poke_base base;
	uint32_t offset, value;
};

struct mb1_reject {
	const char *what;
	paddr_t info_at;              /* nonzero: parse this address instead of the built info */
	bool mem;                     /* mem_lower/mem_upper present */
	const char *cmdline;
	const struct t_mod *mods;
	uint32_t nr_mods;
	const struct t_mem *mmap;
	uint32_t nr_mmap;
	uint32_t flags;               /* T_MB1_FLAG_* bits set without their fields */
	struct mb1_poke poke[2];      /* applied after building */
	int rc;
	const char *error, *also;     /* substrings of the error message */
};

#define FLAG(bit) (1u << (bit))
static const struct t_mod two_mods_backwards[] = { { 0x200000, 0x201000, "a" }, { 0x203000, 0x202000, "b" } };
static const struct t_mod two_mods[] = { { 0x200000, 0x201000, "ok" }, { 0x201000, 0x202000, "x" } };
static const struct t_mem wrapping_map[] = { { 0x0, 0x1000, 1 }, { 0xfffffffffffff000ULL, 0x2000, 2 } };

static const struct mb1_reject mb1_rejects[] = {
	{ .what = "mb1_no_memory_info", .cmdline = "x", .rc = -E_INVAL,
	  .error = "multiboot1: no memory map", .also = "flags 0x4" },
	{ .what = "mb1_info_unreadable", .info_at = FAKE_UNMAPPED, .rc = -E_RANGE,
	  .error = "multiboot1: info structure at 0x900000 is not readable" },
	{ .what = "mb1_info_straddles_end_of_memory", .info_at = FAKE_END - 40, .rc = -E_RANGE,
	  .error = "info structure" },
	{ .what = "mb1_bad_cmdline_pointer", .mem = true, .flags = FLAG(T_MB1_FLAG_CMDLINE),
	  .poke = { { POKE_INFO, T_MB1_CMDLINE, FAKE_UNMAPPED } }, .rc = -E_RANGE,
	  .error = "multiboot1: command line at 0x900000 is not readable at 0x900000 (bad pointer)" },
	{ .what = "mb1_bad_mods_pointer", .mem = true, .flags = FLAG(T_MB1_FLAG_MODS),
	  .poke = { { POKE_INFO, T_MB1_MODS_COUNT, 2 }, { POKE_INFO, T_MB1_MODS_ADDR, FAKE_UNMAPPED } },
	  .rc = -E_RANGE, .error = "multiboot1: module array at 0x900000 (2 entries) is not readable" },
	/* First entry readable, second past the end of memory. */
	{ .what = "mb1_mods_array_past_end_of_memory", .mem = true, .flags = FLAG(T_MB1_FLAG_MODS),
	  .poke = { { POKE_INFO, T_MB1_MODS_COUNT, 2 }, { POKE_INFO, T_MB1_MODS_ADDR, FAKE_END - 20 } },
	  .rc = -E_RANGE, .error = "module array at 0x2ffec" },
	{ .what = "mb1_bad_module_string", .mem = true, .mods = two_mods, .nr_mods = 2,
	  .poke = { { POKE_MODS, T_MB1_MOD_SIZE + T_MB1_MOD_STRING, 0xfee00000 } }, .rc = -E_RANGE,
	  .error = "multiboot1: module 1 string at 0xfee00000 is not readable" },
	{ .what = "mb1_module_start_above_end", .mem = true, .mods = two_mods_backwards, .nr_mods = 2,
	  .rc = -E_INVAL, .error = "multiboot1: module 1 start 0x203000 is above its end 0x202000" },
	{ .what = "mb1_bad_mmap_pointer", .mmap = pc_map, .nr_mmap = 2,
	  .poke = { { POKE_INFO, T_MB1_MMAP_ADDR, FAKE_UNMAPPED } }, .rc = -E_RANGE,
	  .error = "multiboot1: memory map at 0x900000 (mmap_length 48) is not readable" },
	/* Address fine, length running past the end of memory. */
	{ .what = "mb1_mmap_length_past_end_of_memory", .mmap = pc_map, .nr_mmap = 2,
	  .poke = { { POKE_INFO, T_MB1_MMAP_LENGTH, FAKE_SIZE } }, .rc = -E_RANGE,
	  .error = "(mmap_length 131072) is not readable" },
	{ .what = "mb1_mmap_entry_too_small", .mmap = pc_map, .nr_mmap = 3,
	  .poke = { { POKE_MMAP, 24, 16 } }, .rc = -E_INVAL, /* entry 1's size field */
	  .error = "multiboot1: memory map entry 1 at offset 0x18 has size 16, below the minimum 20" },
	{ .what = "mb1_mmap_entry_overruns_length", .mmap = pc_map, .nr_mmap = 3,
	  .poke = { { POKE_MMAP, 48, 100 } }, .rc = -E_INVAL, /* entry 2 claims more than is left */
	  .error = "multiboot1: memory map entry 2 at offset 0x30 (size 100) runs past mmap_length 72" },
	/* Two stray bytes after the last entry: not even a size field. */
	{ .what = "mb1_mmap_stray_bytes_after_last_entry", .mmap = pc_map, .nr_mmap = 3,
	  .poke = { { POKE_INFO, T_MB1_MMAP_LENGTH, 74 } }, .rc = -E_INVAL,
	  .error = "memory map entry 3 at offset 0x48: size field runs past mmap_length 74" },
	{ .what = "mb1_mmap_entry_wraps", .mmap = wrapping_map, .nr_mmap = 2, .rc = -E_INVAL,
	  .error = "multiboot1: memory map entry 1: base 0xfffffffffffff000 + length 0x2000 wraps" },
};

static void mb1_rejected(void **state)
{
	FIX;
	const struct mb1_reject *r = f->row;
	paddr_t info = mb1_new(fm), at[POKE_MMAP + 1] = { [POKE_INFO] = info };

	if (r->mem)
		mb1_set_mem(fm, info, 639, 1024);
	if (r->cmdline)
		mb1_set_cmdline(fm, info, r->cmdline);
	if (r->mods)
		at[POKE_MODS] = mb1_set_mods(fm, info, r->mods, r->nr_mods);
	if (r->mmap)
		at[POKE_MMAP] = mb1_set_mmap(fm, info, r->mmap, r->nr_mmap, T_MB1_MMAP_ENTRY_SIZE);
	for (uint32_t bit = 0; bit < 32; bit++)
		if (r->flags & FLAG(bit))
			mb1_set_flag(fm, info, bit);
	for (size_t i = 0; i < ARRAY_SIZE(r->poke); i++)
		if (r->poke[i].base != POKE_NONE)
			fm_w32(fm, at[r->poke[i].base] + r->poke[i].offset, r->poke[i].value);
	assert_fails(parse1(fm, r->info_at ? r->info_at : info, bi), r->rc, r->error);
	if (r->also)
		assert_error_contains(r->also);
}

/* ---- limits: the last value accepted and the first refused ---- */

static void mb1_cmdline_unterminated(void **state)
{
	FIX;
	paddr_t info = mb1_new(fm), s = FAKE_END - 8;

	mb1_set_mem(fm, info, 639, 1024);
	mb1_set_flag(fm, info, T_MB1_FLAG_CMDLINE);
	memset(fm_ptr(fm, s), 'a', 8); /* no NUL before the end of memory */
	fm_w32(fm, info + T_MB1_CMDLINE, (uint32_t)s);
	assert_fails(parse1(fm, info, bi), -E_RANGE, "runs into unmapped memory before its NUL");
	assert_error_contains("command line at 0x2fff8 is not readable at 0x30000");
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
	assert_error_contains("is longer than 1023 bytes");
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
	assert_error_contains("longer than 1023 bytes");
}

static void mb1_module_count_limit(void **state)
{
	FIX;
	struct t_mod mods[BOOT_MODS_MAX + 1];
	paddr_t info = mb1_new(fm);
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(mods); i++)
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

static void mb1_mmap_entry_limit(void **state)
{
	FIX;
	struct t_mem e[BOOT_MMAP_MAX + 1];
	paddr_t info = mb1_new(fm);
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct t_mem){ i * 0x2000ULL, 0x1000, 1 }; /* holes: nothing can merge */
	mb1_set_mmap(fm, info, e, 128, T_MB1_MMAP_ENTRY_SIZE);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 128);
	assert_mem(bi, 127, 127 * 0x2000ULL, 0x1000, MEM_USABLE);

	mb1_set_mmap(fm, info, e, 129, T_MB1_MMAP_ENTRY_SIZE);
	assert_fails(parse1(fm, info, bi), -E_NOMEM,
		     "multiboot1: memory map entry 128: memory map has more than 128 entries");
}

static void mb1_empty_entries_dropped(void **state)
{
	FIX;
	const struct t_mem e[] = { { 0x0, 0, 1 }, { 0x100000, 0x100000, 1 }, { 0x500000, 0, 2 } };
	paddr_t info = mb1_new(fm);

	mb1_set_mmap(fm, info, e, 3, T_MB1_MMAP_ENTRY_SIZE);
	assert_ok(parse1(fm, info, bi));
	assert_int_equal(bi->nr_mmap, 1);
	assert_mem(bi, 0, 0x100000, 0x100000, MEM_USABLE);
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
	mb1_set_mmap(fm, info, pc_map, ARRAY_SIZE(pc_map), T_MB1_MMAP_ENTRY_SIZE);
	assert_ok(parse1(fm, info, bi));
	mutate_and_parse(fm, bi, MB1_BOOTLOADER_MAGIC, info, info, fm->next, 20000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		T(mb1_good_all_flags),
		T(mb1_mmap_entry_stride),
		T(mb1_flags_honoured),
		T(mb1_framebuffer),
		T(mb1_no_mmap_synthesized),
		T(mb1_empty_mmap_falls_back_to_meminfo),
		T(mb1_cmdline_unterminated),
		T(mb1_cmdline_length_limit),
		T(mb1_loader_name_truncated),
		T(mb1_module_string_optional_and_too_long),
		T(mb1_module_count_limit),
		T(mb1_mmap_entry_limit),
		T(mb1_empty_entries_dropped),
		T(mb1_mutations),
	};

	return RUN_WITH_ROWS("multiboot1", fixed, mb1_rejected, mb1_rejects);
}
