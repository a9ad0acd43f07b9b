/*
 * Host tests for linux_fill_screen_info (vmm/linux_boot.c): the loader's framebuffer as
 * boot_params.screen_info. Offsets are written out here (include/uapi/linux/screen_info.h), not
 * taken from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmm/linux_boot.c"
#include "../../lib/printf.c"
#include "../../lib/range.c"
#include "../../lib/string.c"

static uint64_t rd(const uint8_t *p, unsigned int off, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

/* OVMF's GOP under QEMU -vga std, as GRUB reported it: 800x600, 24 bpp, RGB at 16/8/0. */
static const struct boot_framebuffer gop = { 0x80000000, 2400, 800, 600, 24, BOOT_FB_RGB, { 16, 8, 8, 8, 0, 8 } };

static void test_efi_gop(void **state)
{
	uint8_t bp[4096] = { 0 };

	(void)state;
	linux_fill_screen_info(bp, &gop, true);
	assert_int_equal(bp[0x0F], 0x70); /* VIDEO_TYPE_EFI */
	assert_int_equal(rd(bp, 0x12, 2), 800);
	assert_int_equal(rd(bp, 0x14, 2), 600);
	assert_int_equal(rd(bp, 0x16, 2), 24);
	assert_int_equal(rd(bp, 0x18, 4), 0x80000000);
	assert_int_equal(rd(bp, 0x1C, 4), 2400 * 600); /* efifb: bytes */
	assert_int_equal(rd(bp, 0x24, 2), 2400);
	/* {size, position} for red, green, blue, then no padding */
	assert_int_equal(rd(bp, 0x26, 8), 0x0000000808081008ULL);
	assert_int_equal(rd(bp, 0x36, 4), 0);
	assert_int_equal(rd(bp, 0x3A, 4), 0);
}

/* A VBE mode with 32 bpp above 4 GiB: vesafb's size unit, padding on top, the 64-bit base. */
static void test_vesa_32bpp_high(void **state)
{
	const struct boot_framebuffer fb = { 0x3800000000ULL, 5120, 1280, 800, 32, BOOT_FB_RGB, { 16, 8, 8, 8, 0, 8 } };
	uint8_t bp[4096] = { 0 };

	(void)state;
	linux_fill_screen_info(bp, &fb, false);
	assert_int_equal(bp[0x0F], 0x23); /* VIDEO_TYPE_VLFB */
	assert_int_equal(rd(bp, 0x18, 4), 0);
	assert_int_equal(rd(bp, 0x3A, 4), 0x38);
	assert_int_equal(rd(bp, 0x36, 4), 2); /* VIDEO_CAPABILITY_64BIT_BASE */
	assert_int_equal(rd(bp, 0x1C, 4), (5120 * 800 + 65535) / 65536);
	assert_int_equal(bp[0x2C], 8);  /* rsvd_size */
	assert_int_equal(bp[0x2D], 24); /* rsvd_pos */
}

static void test_ega_text_and_indexed(void **state)
{
	const struct boot_framebuffer text = { 0xB8000, 160, 80, 25, 16, BOOT_FB_EGA_TEXT, { 0 } };
	const struct boot_framebuffer indexed = { 0xA0000, 320, 320, 200, 8, BOOT_FB_INDEXED, { 0 } };
	uint8_t bp[4096] = { 0 }, zero[4096] = { 0 };

	(void)state;
	linux_fill_screen_info(bp, &text, false);
	assert_int_equal(bp[0x0F], 0x22); /* VIDEO_TYPE_VGAC */
	assert_int_equal(bp[0x06], 3);
	assert_int_equal(bp[0x07], 80);
	assert_int_equal(bp[0x0E], 25);
	assert_int_equal(rd(bp, 0x10, 2), 16);
	memset(bp, 0, sizeof(bp));
	linux_fill_screen_info(bp, &indexed, false);
	assert_memory_equal(bp, zero, sizeof(bp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_efi_gop),
		cmocka_unit_test(test_vesa_32bpp_high),
		cmocka_unit_test(test_ega_text_and_indexed),
	};

	return cmocka_run_group_tests_name("linux_screen", tests, NULL, NULL);
}
