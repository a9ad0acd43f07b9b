/* Unit tests for boot/multiboot2.c: crafted Multiboot 2 information in a fake memory. */
#include "multiboot_fixture.h"

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

static const struct t_mem one_range[] = { { 0x100000, 0x100000, 1 } };
static const struct t_mem two_ranges[] = { { 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 3 } };

static paddr_t build(struct fake_mem *fm, const struct t_tag *tags, size_t n)
{
	struct mb2_builder b = mb2_begin(fm);

	for (size_t i = 0; i < n; i++)
		mb2_tag_from(&b, &tags[i]);
	return mb2_finish(&b);
}

static void mb2_good(void **state)
{
	FIX;
	const struct t_mem map[] = {
		{ 0x0, 0x9fc00, 1 }, { 0x100000, 0x7ee0000, 1 }, { 0x7fe0000, 0x20000, 3 },
		{ 0xfee00000, 0x1000, 2 }, { 0x100000000ULL, 0x40000000, 9 },
	};
	const uint8_t junk[13] = "framebuffer!";
	const uint8_t efi32[4] = { 0x78, 0x56, 0x34, 0x12 }, efi64[8] = { 0, 0x10, 0, 0, 1, 0, 0, 0 };
	/* Framebuffer info after the tag header: addr, pitch, width, height, bpp, type, reserved, RGB. */
	const uint8_t fb_rgb[30] = { 0, 0, 0, 0xfd, 0, 0, 0, 0, 0x00, 0x14, 0, 0, 0x00, 0x05, 0, 0, 0x20, 0x03, 0, 0,
				     32, 1, 0, 0, 16, 8, 8, 8, 0, 8 };
	const struct t_tag tags[] = {
		T_TAG_STR(T_MB2_TAG_CMDLINE, "console=com1 guest=linux"),
		T_TAG_STR(T_MB2_TAG_LOADER_NAME, "GRUB 2.12"),
		T_TAG_RAW(0x1234, junk, sizeof(junk)), /* unknown tag */
		T_TAG_MOD(0x400000, 0x800000, "bzImage console=ttyS0"),
		T_TAG_MEMINFO(639, 130048),
		T_TAG_RAW(T_MB2_TAG_FRAMEBUFFER, fb_rgb, sizeof(fb_rgb)),
		T_TAG_MMAP(map, ARRAY_SIZE(map)),
		T_TAG_MOD(0x800000, 0x900000, ""),
		T_TAG_RAW(T_MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1)),
		T_TAG_RAW(T_MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2)),
		T_TAG_RAW(T_MB2_TAG_EFI32_ST, efi32, sizeof(efi32)),
		T_TAG_RAW(T_MB2_TAG_EFI64_ST, efi64, sizeof(efi64)),
		T_TAG_EFI(48, T_EFI_DESC_VERSION, efi_map, ARRAY_SIZE(efi_map)),
	};
	paddr_t info = build(fm, tags, ARRAY_SIZE(tags));

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

	/* The memory map tag wins over the EFI map, which is only recorded. */
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
	const struct t_tag old_only[] = { T_TAG_MMAP(one_range, 1),
					  T_TAG_RAW(T_MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1)) };
	/* The new RSDP is kept even when the old one comes after it. */
	const struct t_tag new_then_old[] = { T_TAG_MMAP(one_range, 1),
					      T_TAG_RAW(T_MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2)),
					      T_TAG_RAW(T_MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1)) };

	assert_ok(parse2(fm, build(fm, old_only, ARRAY_SIZE(old_only)), bi));
	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_V1);
	assert_int_equal(bi->rsdp_len, 20);
	assert_memory_equal(bi->rsdp, rsdp_v1, 20);

	assert_ok(parse2(fm, build(fm, new_then_old, ARRAY_SIZE(new_then_old)), bi));
	assert_int_equal(bi->rsdp_kind, BOOT_RSDP_V2);
	assert_int_equal(bi->rsdp_len, 36);
	assert_memory_equal(bi->rsdp, rsdp_v2, 36);
}

static void mb2_efi_mmap_only(void **state)
{
	FIX;
	const struct t_tag tags[] = { T_TAG_STR(T_MB2_TAG_CMDLINE, ""),
				      T_TAG_EFI(48, T_EFI_DESC_VERSION, efi_map, ARRAY_SIZE(efi_map)) };
	paddr_t info = build(fm, tags, ARRAY_SIZE(tags));

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
	/* The descriptors follow the info header, the command line tag, the EFI tag's header and
	 * its {entry_size, entry_version} pair. */
	assert_int_equal(bi->efi_mmap_pa, info + 8 + 8 + 8 + T_MB2_TAG_HEADER + 8);
}

static void mb2_meminfo_only_synthesized(void **state)
{
	FIX;
	const struct t_tag tags[] = { T_TAG_MEMINFO(640, 3072) };

	assert_ok(parse2(fm, build(fm, tags, ARRAY_SIZE(tags)), bi));
	assert_int_equal(bi->mmap_source, BOOT_MMAP_MEMINFO);
	assert_int_equal(bi->nr_mmap, 2);
	assert_mem(bi, 0, 0, 640 * 1024, MEM_USABLE);
	assert_mem(bi, 1, 0x100000, 3072 * 1024, MEM_USABLE);
}

static void mb2_unknown_tags_skipped(void **state)
{
	FIX;
	const uint8_t zeros[64] = { 0 };
	const struct t_tag tags[] = {
		T_TAG_RAW(0xffffffff, zeros, 5),
		T_TAG_RAW(T_MB2_TAG_FIRST_UNKNOWN, zeros, 0),
		T_TAG_MMAP(one_range, 1),
		T_TAG_RAW(T_MB2_TAG_ELF_SECTIONS, zeros, 64), /* known, unused */
		T_TAG_RAW(0x80000000, zeros, 3),
	};

	assert_ok(parse2(fm, build(fm, tags, ARRAY_SIZE(tags)), bi));
	assert_int_equal(bi->nr_mmap, 1);
	assert_mem(bi, 0, 0x100000, 0x100000, MEM_USABLE);
}

static void mb2_mmap_larger_entries(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x0, 0x9f000, 1 }, { 0x100000, 0x100000, 4 }, { 0x200000, 0x1000, 5 } };
	const struct t_tag tags[] = { T_TAG_MMAP_RAW(32, T_MB2_MMAP_VERSION, map, 3) };

	assert_ok(parse2(fm, build(fm, tags, ARRAY_SIZE(tags)), bi));
	assert_int_equal(bi->nr_mmap, 3);
	assert_mem(bi, 1, 0x100000, 0x100000, MEM_ACPI_NVS);
	assert_mem(bi, 2, 0x200000, 0x1000, MEM_BAD);
}

static void mb2_end_tag_stops_walk(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_mmap(&b, one_range, 1);
	mb2_tag(&b, T_MB2_TAG_END, 0);
	mb2_tag_str(&b, T_MB2_TAG_CMDLINE, "after the end"); /* inside total_size, after the end tag: ignored */
	info = mb2_finish_without_end(&b);
	assert_ok(parse2(fm, info, bi));
	assert_string_equal(bi->cmdline, "");
}

/* ---- information the parser must refuse, one row each ---- */

#define MB2_REJECT_TAGS_MAX 6

struct mb2_reject {
	const char *what;
	paddr_t info_at;                         /* nonzero: parse this address instead */
	struct t_tag tags[MB2_REJECT_TAGS_MAX]; /* up to the first T_TAG_NONE */
	bool no_end_tag;
	bool set_total;                          /* total_size is overwritten with: */
	uint32_t total_size;
	int rc;
	const char *error;                       /* a substring of the error message */
};

#define MMAP_1 T_TAG_MMAP(one_range, 1)
#define EFI_2(esize, ver, ...) T_TAG_EFI(esize, ver, efi_map, 2, __VA_ARGS__)
static const uint8_t eight_zeros[8];

static const struct mb2_reject mb2_rejects[] = {
	{ "mb2_info_unreadable", .info_at = FAKE_UNMAPPED, .rc = -E_RANGE,
	  .error = "multiboot2: info header at 0x900000 is not readable" },
	{ "mb2_info_misaligned", .info_at = FAKE_BASE + 4, .rc = -E_INVAL,
	  .error = "multiboot2: info at 0x10004 is not 8-byte aligned" },
	{ "mb2_no_memory_info", .tags = { T_TAG_STR(T_MB2_TAG_CMDLINE, "no memory here") }, .rc = -E_INVAL,
	  .error = "multiboot2: no memory map" },
	{ "mb2_total_size_too_small", .tags = { MMAP_1 }, .set_total = true, .total_size = 12, .rc = -E_INVAL,
	  .error = "multiboot2: total_size 12 is below the minimum 16" },
	{ "mb2_total_size_zero", .tags = { MMAP_1 }, .set_total = true, .total_size = 0, .rc = -E_INVAL,
	  .error = "multiboot2: total_size 0 is below the minimum 16" },
	/* The info is the first thing built, at FAKE_BASE: 8 bytes more than the fake memory holds. */
	{ "mb2_total_size_beyond_memory", .tags = { MMAP_1 }, .set_total = true, .total_size = FAKE_SIZE + 8,
	  .rc = -E_RANGE, .error = "with total_size 131080 is not readable" },
	{ "mb2_total_size_beyond_4g", .tags = { MMAP_1 }, .set_total = true, .total_size = 0xfffffff8,
	  .rc = -E_RANGE, .error = "with total_size 4294967288 is not readable" },
	/* The command line tag is at offset 8 (size 12), the memory map tag at 0x18 (size 64). */
	{ "mb2_total_size_cuts_a_tag", .tags = { T_TAG_STR(T_MB2_TAG_CMDLINE, "abc"), T_TAG_MMAP(two_ranges, 2) },
	  .set_total = true, .total_size = 0x18 + 32, .rc = -E_INVAL,
	  .error = "multiboot2: tag 6 (memory map) at offset 0x18 has size 64 beyond the info's total size 56" },
	{ "mb2_total_size_cuts_a_tag_header",
	  .tags = { T_TAG_STR(T_MB2_TAG_CMDLINE, "abc"), T_TAG_MMAP(two_ranges, 2) },
	  .set_total = true, .total_size = 0x18 + 4, .rc = -E_INVAL,
	  .error = "multiboot2: tag header at offset 0x18 runs past the info's total size 28" },
	{ "mb2_tag_overruns_total",
	  .tags = { T_TAG_STR(T_MB2_TAG_LOADER_NAME, "loader"), T_TAG_MEMINFO(1, 2),
		    T_TAG_STR(T_MB2_TAG_CMDLINE, "x"), T_TAG_STR(T_MB2_TAG_CMDLINE, "cmdline"),
		    T_TAG_MMAP(one_range, 1, .size = 4000) },
	  .rc = -E_INVAL,
	  .error = "multiboot2: tag 6 (memory map) at offset 0x48 has size 4000 beyond the info's total size 120" },
	{ "mb2_missing_end_tag", .tags = { MMAP_1 }, .no_end_tag = true, .rc = -E_INVAL,
	  .error = "multiboot2: no end tag (type 0) within the info's total size 48" },
	{ "mb2_end_tag_bad_size", .tags = { MMAP_1, T_TAG_RAW(T_MB2_TAG_END, eight_zeros, 8) }, .no_end_tag = true,
	  .rc = -E_INVAL, .error = "multiboot2: tag 0 (end) at offset 0x30 has size 16, expected 8" },
	{ "mb2_tag_size_below_header",
	  .tags = { MMAP_1, T_TAG_STR(T_MB2_TAG_CMDLINE, "abc", .size = 4) }, .rc = -E_INVAL,
	  .error = "multiboot2: tag 1 (command line) at offset 0x30 has size 4, below the minimum 8" },
	/* Size 0 would loop forever without the check. */
	{ "mb2_tag_size_zero",
	  .tags = { MMAP_1, T_TAG_STR(T_MB2_TAG_CMDLINE, "abc", .poke = { T_MB2_TAG_SIZE_FIELD, 4, 0 }) },
	  .rc = -E_INVAL, .error = "has size 0, below the minimum 8" },
	{ "mb2_rsdp_too_short", .tags = { MMAP_1, T_TAG_RAW(T_MB2_TAG_ACPI_OLD, rsdp_v1, 12) }, .rc = -E_INVAL,
	  .error = "tag 14 (ACPI old RSDP) at offset 0x30 has size 20, too small for its fields (minimum 28)" },

	{ "mb2_mmap_entry_size_20", .tags = { T_TAG_MMAP_RAW(20, 0, two_ranges, 2) }, .rc = -E_INVAL,
	  .error = "multiboot2: tag 6 (memory map) at offset 0x8 has entry size 20 "
		   "(must be a multiple of 8 and at least 24)" },
	{ "mb2_mmap_entry_size_28", .tags = { T_TAG_MMAP_RAW(28, 0, two_ranges, 2) }, .rc = -E_INVAL,
	  .error = "has entry size 28" },
	{ "mb2_mmap_entry_size_0", .tags = { T_TAG_MMAP_RAW(0, 0, two_ranges, 0) }, .rc = -E_INVAL,
	  .error = "has entry size 0" },
	{ "mb2_mmap_entry_version_1", .tags = { T_TAG_MMAP_RAW(24, 1, two_ranges, 2) }, .rc = -E_INVAL,
	  .error = "tag 6 (memory map) at offset 0x8 has entry version 1 (expected 0)" },
	{ "mb2_mmap_partial_entry",
	  .tags = { T_TAG_MMAP(two_ranges, 2, .size = T_MB2_TAG_HEADER + 8 + 24 + 8) },
	  .rc = -E_INVAL, .error = "has size 48, which is not the header plus whole 24-byte entries" },
	/* No room for entry_size/entry_version. */
	{ "mb2_mmap_tag_too_small", .tags = { T_TAG_MMAP(two_ranges, 2, .size = 12) },
	  .rc = -E_INVAL, .error = "has size 12, too small for its fields (minimum 16)" },
	{ "mb2_mmap_second_tag", .tags = { T_TAG_MMAP(two_ranges, 2), T_TAG_MMAP(two_ranges, 2) }, .rc = -E_INVAL,
	  .error = "at offset 0x48 is a second memory map tag" },

	{ "mb2_efi_mmap_entry_size_32", .tags = { EFI_2(32, 1) }, .rc = -E_INVAL,
	  .error = "multiboot2: tag 17 (EFI memory map) at offset 0x8 has entry size 32 "
		   "(must be a multiple of 8 and at least 40)" },
	{ "mb2_efi_mmap_version_2", .tags = { EFI_2(T_EFI_DESC_SIZE, 2) }, .rc = -E_INVAL,
	  .error = "has entry version 2 (expected 1)" },
	/* One and a half descriptors. */
	{ "mb2_efi_mmap_partial_descriptor",
	  .tags = { EFI_2(T_EFI_DESC_SIZE, 1, .size = T_MB2_TAG_HEADER + 8 + 40 + 20) },
	  .rc = -E_INVAL, .error = "has size 76, which is not the header plus whole 40-byte entries" },
	/* Descriptor 1: 2^52 pages. */
	{ "mb2_efi_mmap_pages_overflow",
	  .tags = { EFI_2(T_EFI_DESC_SIZE, 1, .poke = { T_MB2_TAG_HEADER + 8 + T_EFI_DESC_SIZE + T_EFI_DESC_PAGES, 8,
						    0x0010000000000000ULL }) },
	  .rc = -E_INVAL, .error = "has descriptor 1 with 0x10000000000000 pages, more than 64 bits can hold" },
	{ "mb2_efi_mmap_second_tag", .tags = { EFI_2(T_EFI_DESC_SIZE, 1), EFI_2(T_EFI_DESC_SIZE, 1) },
	  .rc = -E_INVAL, .error = "at offset 0x68 is a second EFI memory map tag" },

	/* The NUL must be inside the tag, even if the next byte in memory is a 0. */
	{ "mb2_string_nul_outside_tag",
	  .tags = { MMAP_1, T_TAG_STR(T_MB2_TAG_CMDLINE, "abcdefg", .size = T_MB2_TAG_HEADER + 7) },
	  .rc = -E_INVAL,
	  .error = "multiboot2: tag 1 (command line) at offset 0x30 has a string that is not NUL-terminated inside "
		   "the tag (size 15)" },
	/* And when the padding after it is not 0 either. */
	{ "mb2_string_nul_outside_tag_padding_dirty",
	  .tags = { MMAP_1, T_TAG_STR(T_MB2_TAG_CMDLINE, "abcdefg", .size = T_MB2_TAG_HEADER + 7,
				    .poke = { T_MB2_TAG_HEADER + 7, 1, 'h' }) },
	  .rc = -E_INVAL, .error = "has a string that is not NUL-terminated inside the tag" },
	/* An empty command line tag without even a NUL. */
	{ "mb2_cmdline_tag_without_nul", .tags = { MMAP_1, T_TAG_RAW(T_MB2_TAG_CMDLINE, NULL, 0) }, .rc = -E_INVAL,
	  .error = "has size 8, too small for its fields (minimum 9)" },
	/* A module string without its NUL. */
	{ "mb2_module_string_without_nul",
	  .tags = { MMAP_1, T_TAG_MOD(0x200000, 0x300000, "mod"),
		    T_TAG_MOD(0x300000, 0x400000, "mod", .size = T_MB2_TAG_HEADER + 8 + 3) },
	  .rc = -E_INVAL, .error = "tag 3 (module) at offset 0x48 has a string that is not NUL-terminated" },
	{ "mb2_module_backwards", .tags = { MMAP_1, T_TAG_MOD(0x300000, 0x200000, "backwards") }, .rc = -E_INVAL,
	  .error = "multiboot2: tag 3 (module) at offset 0x30 has module start 0x300000 above its end 0x200000" },
	{ "mb2_module_tag_too_small",
	  .tags = { MMAP_1, T_TAG_MOD(0x200000, 0x300000, "x", .size = T_MB2_TAG_HEADER + 8) },
	  .rc = -E_INVAL, .error = "tag 3 (module) at offset 0x30 has size 16, too small" },
};

static void mb2_rejected(void **state)
{
	FIX;
	const struct mb2_reject *r = f->row;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	for (size_t i = 0; i < MB2_REJECT_TAGS_MAX && r->tags[i].kind != T_TAG_NONE; i++)
		mb2_tag_from(&b, &r->tags[i]);
	info = r->no_end_tag ? mb2_finish_without_end(&b) : mb2_finish(&b);
	if (r->set_total)
		fm_w32(fm, info, r->total_size);
	assert_fails(parse2(fm, r->info_at ? r->info_at : info, bi), r->rc, r->error);
}

/* ---- limits: the last value accepted and the first refused ---- */

static void mb2_mmap_entry_limit(void **state)
{
	FIX;
	static struct t_mem e[BOOT_MMAP_MAX + 1];
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(e); i++)
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

/* Loader names are truncated, command lines must fit. */
static void mb2_long_strings(void **state)
{
	FIX;
	char s[1100];
	struct t_tag tags[] = { MMAP_1, T_TAG_STR(T_MB2_TAG_LOADER_NAME, s) };

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_ok(parse2(fm, build(fm, tags, ARRAY_SIZE(tags)), bi));
	assert_int_equal(strlen(bi->loader_name), 63);

	tags[1].type = T_MB2_TAG_CMDLINE;
	assert_fails(parse2(fm, build(fm, tags, ARRAY_SIZE(tags)), bi), -E_NOMEM,
		     "multiboot2: tag 1 (command line) at offset 0x30 has a string of 1099 bytes, longer than the limit of 1023");
}

static void mb2_module_count_limit(void **state)
{
	FIX;
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;
	uint32_t i;

	mb2_tag_mmap(&b, one_range, 1);
	for (i = 0; i < BOOT_MODS_MAX; i++)
		mb2_tag_module(&b, 0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	assert_int_equal(bi->nr_mods, 16);

	b = mb2_begin(fm);
	mb2_tag_mmap(&b, one_range, 1);
	for (i = 0; i < BOOT_MODS_MAX + 1; i++)
		mb2_tag_module(&b, 0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	info = mb2_finish(&b);
	assert_fails(parse2(fm, info, bi), -E_NOMEM, "is one module too many: at most 16 are supported");
}

static void mb2_mutations(void **state)
{
	FIX;
	const struct t_mem map[] = { { 0x0, 0x9fc00, 1 }, { 0x100000, 0x7ee0000, 1 } };
	struct mb2_builder b = mb2_begin(fm);
	paddr_t info;

	mb2_tag_str(&b, T_MB2_TAG_CMDLINE, "console=com1");
	mb2_tag_str(&b, T_MB2_TAG_LOADER_NAME, "GRUB");
	mb2_tag_module(&b, 0x400000, 0x800000, "bzImage");
	mb2_tag_meminfo(&b, 639, 130048);
	mb2_tag_mmap(&b, map, 2);
	mb2_tag_bytes(&b, T_MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag_efi_mmap(&b, T_EFI_DESC_SIZE, T_EFI_DESC_VERSION, efi_map, 6);
	info = mb2_finish(&b);
	assert_ok(parse2(fm, info, bi));
	mutate_and_parse(fm, bi, MB2_BOOTLOADER_MAGIC, info, info, b.pos, 20000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		T(mb2_good),
		T(mb2_rsdp_kinds),
		T(mb2_efi_mmap_only),
		T(mb2_meminfo_only_synthesized),
		T(mb2_unknown_tags_skipped),
		T(mb2_mmap_larger_entries),
		T(mb2_end_tag_stops_walk),
		T(mb2_mmap_entry_limit),
		T(mb2_long_strings),
		T(mb2_module_count_limit),
		T(mb2_mutations),
	};

	return RUN_WITH_ROWS("multiboot2", fixed, mb2_rejected, mb2_rejects);
}
