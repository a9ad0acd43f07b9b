/*
 * Host tests for vmm/linux_efi.c: the guest's EFI memory map (the firmware's, with the hypervisor's
 * ranges reserved) and boot_params.efi_info. Offsets are written out here, not taken from the code
 * under test, so that a wrong constant there shows up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmm/linux_efi.c"
#include "../../vmm/linux_boot.c"
#include "../../lib/printf.c"
#include "../../lib/range.c"
#include "../../lib/string.c"

#define DESC 48 /* OVMF's stride: 40 bytes of fields and 8 more */
#define PAGE 4096ULL
#define RUNTIME (1ULL << 63)
#define WB 0x8ULL

struct t_desc {
	uint32_t type;
	uint64_t phys, virt, pages, attr;
};

/* A firmware map shaped like OVMF's below 4 GiB, in the firmware's order. */
static const struct t_desc fw[] = {
	{ 7, 0x0, 0, 0xa0, WB },                 /* conventional */
	{ 3, 0x100000, 0, 0x100, WB },           /* boot services code */
	{ 7, 0x200000, 0, 0x3de00, WB },         /* conventional: the hypervisor lands in here */
	{ 4, 0x3e000000, 0, 0x800, WB },         /* boot services data */
	{ 6, 0x3e800000, 0, 0x10, WB | RUNTIME },/* runtime data */
	{ 5, 0x3e810000, 0, 0x20, WB | RUNTIME },/* runtime code */
	{ 10, 0x3e830000, 0, 0x10, WB },         /* ACPI NVS */
	{ 11, 0xffc00000, 0, 0x400, RUNTIME },   /* MMIO (flash) */
};

static char why[128];

static void t_put64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t t_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The firmware map in its byte form; the 8 bytes past the fields are a marker that must survive. */
static uint8_t *firmware_map(const struct t_desc *d, unsigned int n)
{
	uint8_t *buf = calloc(n, DESC);

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *p = buf + i * DESC;

		t_put64(p + 0, d[i].type);
		t_put64(p + 8, d[i].phys);
		t_put64(p + 16, d[i].virt);
		t_put64(p + 24, d[i].pages);
		t_put64(p + 32, d[i].attr);
		t_put64(p + 40, 0xA5A5000000000000ULL | i);
	}
	return buf;
}

static struct t_desc out_desc(const uint8_t *map, unsigned int i)
{
	const uint8_t *p = map + i * DESC;

	return (struct t_desc){ (uint32_t)t_get(p, 4), t_get(p + 8, 8), t_get(p + 16, 8), t_get(p + 24, 8), t_get(p + 32, 8) };
}

static void assert_desc(const uint8_t *map, unsigned int i, uint32_t type, uint64_t phys, uint64_t pages, uint64_t attr)
{
	struct t_desc d = out_desc(map, i);

	assert_int_equal(d.type, type);
	assert_int_equal(d.phys, phys);
	assert_int_equal(d.pages, pages);
	assert_int_equal(d.attr, attr);
}

/* E820 class of an EFI type after boot services ended: usable, or what the guest must not use. */
static int e820_class(uint32_t type)
{
	return (type >= 1 && type <= 4) || type == 7 ? 1 : 2;
}

static void test_nothing_hidden_copies(void **state)
{
	uint8_t *src = firmware_map(fw, ARRAY_SIZE(fw)), dst[ARRAY_SIZE(fw) * DESC];
	struct range_set hidden;
	uint64_t bytes;

	(void)state;
	range_set_init(&hidden);
	assert_int_equal(linux_efi_build_mmap(src, ARRAY_SIZE(fw), DESC, &hidden, dst, sizeof(dst), &bytes, why,
					      sizeof(why)), 0);
	assert_int_equal(bytes, sizeof(dst));
	assert_memory_equal(src, dst, sizeof(dst));
	free(src);
}

/* The hypervisor in the middle of conventional memory, and the AP page in low memory. */
static void test_hidden_ranges_reserved(void **state)
{
	uint8_t *src = firmware_map(fw, ARRAY_SIZE(fw)), dst[16 * DESC];
	struct range_set hidden;
	uint64_t bytes;

	(void)state;
	range_set_init(&hidden);
	range_set_add(&hidden, 0x3d400000, 0x3e463000); /* spans conventional and boot services data */
	range_set_add(&hidden, 0xf000, 0x10000);
	assert_true(linux_efi_mmap_bytes_max(ARRAY_SIZE(fw), DESC, &hidden) <= sizeof(dst));
	assert_int_equal(linux_efi_build_mmap(src, ARRAY_SIZE(fw), DESC, &hidden, dst, sizeof(dst), &bytes, why,
					      sizeof(why)), 0);
	assert_int_equal(bytes, 12 * DESC);
	assert_desc(dst, 0, 7, 0x0, 0xf, WB);
	assert_desc(dst, 1, 0, 0xf000, 0x1, WB);
	assert_desc(dst, 2, 7, 0x10000, 0x90, WB);
	assert_desc(dst, 3, 3, 0x100000, 0x100, WB);
	assert_desc(dst, 4, 7, 0x200000, (0x3d400000 - 0x200000) / PAGE, WB);
	assert_desc(dst, 5, 0, 0x3d400000, (0x3e000000 - 0x3d400000) / PAGE, WB);
	assert_desc(dst, 6, 0, 0x3e000000, 0x463, WB);
	assert_desc(dst, 7, 4, 0x3e463000, 0x800 - 0x463, WB);
	assert_desc(dst, 8, 6, 0x3e800000, 0x10, WB | RUNTIME);
	assert_desc(dst, 11, 11, 0xffc00000, 0x400, RUNTIME);
	/* Bytes past the known fields come from the descriptor that was split. */
	assert_int_equal(t_get(dst + 7 * DESC + 40, 8), 0xA5A5000000000003ULL);
	free(src);
}

/* A hidden range that is not page-aligned is rounded outwards; a split keeps a virtual start moving. */
static void test_unaligned_hidden_and_virtual(void **state)
{
	const struct t_desc rt[] = { { 6, 0x100000, 0xffff800000100000ULL, 0x10, WB | RUNTIME } };
	uint8_t *src = firmware_map(rt, 1), dst[3 * DESC];
	struct range_set hidden;
	uint64_t bytes;

	(void)state;
	range_set_init(&hidden);
	range_set_add(&hidden, 0x104800, 0x105001);
	assert_int_equal(linux_efi_build_mmap(src, 1, DESC, &hidden, dst, sizeof(dst), &bytes, why, sizeof(why)), 0);
	assert_int_equal(bytes, 3 * DESC);
	assert_desc(dst, 0, 6, 0x100000, 4, WB | RUNTIME);
	assert_desc(dst, 1, 0, 0x104000, 2, WB); /* the runtime bit goes with the type */
	assert_desc(dst, 2, 6, 0x106000, 10, WB | RUNTIME);
	assert_int_equal(out_desc(dst, 2).virt, 0xffff800000106000ULL);
	free(src);
}

/*
 * The e820 map the guest gets is the firmware's usable RAM less the hidden ranges, which it marks
 * reserved. Page by page, the EFI map built here says the same, and covers exactly what the
 * firmware's did.
 */
static void test_agrees_with_e820(void **state)
{
	uint8_t *src = firmware_map(fw, ARRAY_SIZE(fw)), dst[16 * DESC];
	struct range_set hidden;
	uint64_t bytes, covered_in = 0, covered_out = 0;

	(void)state;
	range_set_init(&hidden);
	range_set_add(&hidden, 0x3d400000, 0x3e463000);
	range_set_add(&hidden, 0xf000, 0x10000);
	assert_int_equal(linux_efi_build_mmap(src, ARRAY_SIZE(fw), DESC, &hidden, dst, sizeof(dst), &bytes, why,
					      sizeof(why)), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(fw); i++)
		covered_in += fw[i].pages;
	for (unsigned int i = 0; i < bytes / DESC; i++) {
		struct t_desc d = out_desc(dst, i);

		covered_out += d.pages;
		for (uint64_t pg = 0; pg < d.pages; pg++) {
			uint64_t a = d.phys + pg * PAGE;
			int e820 = 2;

			for (unsigned int j = 0; j < ARRAY_SIZE(fw); j++)
				if (a >= fw[j].phys && a < fw[j].phys + fw[j].pages * PAGE)
					e820 = e820_class(fw[j].type);
			if (range_set_overlaps(&hidden, a, a + PAGE))
				e820 = 2;
			assert_int_equal(e820_class(d.type), e820);
		}
	}
	assert_int_equal(covered_out, covered_in);
	free(src);
}

static void test_refused(void **state)
{
	const struct t_desc wrap[] = { { 7, 0xfffffffffff00000ULL, 0, 0x200, WB } };
	uint8_t *src = firmware_map(fw, ARRAY_SIZE(fw)), *bad = firmware_map(wrap, 1), dst[16 * DESC];
	struct range_set hidden;
	uint64_t bytes;

	(void)state;
	range_set_init(&hidden);
	assert_int_equal(linux_efi_build_mmap(src, 2, 36, &hidden, dst, sizeof(dst), &bytes, why, sizeof(why)), -E_INVAL);
	assert_non_null(strstr(why, "descriptor size 36"));
	assert_int_equal(linux_efi_build_mmap(bad, 1, DESC, &hidden, dst, sizeof(dst), &bytes, why, sizeof(why)),
			 -E_INVAL);
	assert_non_null(strstr(why, "wraps"));
	range_set_add(&hidden, 0x3d400000, 0x3e463000);
	assert_int_equal(linux_efi_build_mmap(src, ARRAY_SIZE(fw), DESC, &hidden, dst, ARRAY_SIZE(fw) * DESC, &bytes,
					      why, sizeof(why)), -E_NOMEM);
	free(src);
	free(bad);
}

static void test_boot_params_efi_info(void **state)
{
	const struct linux_efi_args a = { 0x123456789aULL, 0x9e428, 147 * DESC, DESC, 1 };
	uint8_t bp[4096];

	(void)state;
	memset(bp, 0, sizeof(bp));
	linux_efi_fill_boot_params(bp, &a);
	assert_memory_equal(bp + 0x1C0, "EL64", 4);
	assert_int_equal(t_get(bp + 0x1C4, 4), 0x3456789a);
	assert_int_equal(t_get(bp + 0x1C8, 4), DESC);
	assert_int_equal(t_get(bp + 0x1CC, 4), 1);
	assert_int_equal(t_get(bp + 0x1D0, 4), 0x9e428);
	assert_int_equal(t_get(bp + 0x1D4, 4), 147 * DESC);
	assert_int_equal(t_get(bp + 0x1D8, 4), 0x12);
	assert_int_equal(t_get(bp + 0x1DC, 4), 0);
	for (unsigned int i = 0; i < sizeof(bp); i++)
		if (i < 0x1C0 || i >= 0x1E0)
			assert_int_equal(bp[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_hidden_copies),
		cmocka_unit_test(test_hidden_ranges_reserved),
		cmocka_unit_test(test_unaligned_hidden_and_virtual),
		cmocka_unit_test(test_agrees_with_e820),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_boot_params_efi_info),
	};

	return cmocka_run_group_tests_name("linux_efi", tests, NULL, NULL);
}
