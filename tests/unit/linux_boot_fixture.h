/*
 * What the Linux boot protocol host tests share (test_linux_boot.c, test_linux_boot_params.c): the
 * sources under test and crafted bzImage setup headers. Every image is a heap block of exactly its
 * size, so AddressSanitizer reports any read past the end of a truncated one. Offsets are written
 * out here, not taken from the code under test, so that a wrong constant there shows up.
 */
#ifndef TEST_LINUX_BOOT_FIXTURE_H
#define TEST_LINUX_BOOT_FIXTURE_H

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

/* A kernel shaped like Debian's 6.1 bzImage: 2.15, relocatable, 16 MiB preferred. */
#define SETUP_SECTS 0x1F
#define PM_OFFSET ((SETUP_SECTS + 1) * 512)
#define PM_SIZE (64 * KiB)
#define IMAGE_SIZE (PM_OFFSET + PM_SIZE)
#define JUMP_OFFSET 0x6A /* the header ends at 0x26C */
#define PREF_ADDRESS (16 * MiB)
#define INIT_SIZE 0x3F98000
#define INITRD_ADDR_MAX 0x7FFFFFFF
#define CMDLINE_SIZE 2047

static char why[LINUX_WHY_MAX];

static void set8(uint8_t *p, unsigned int off, uint8_t v)
{
	p[off] = v;
}

static void set16(uint8_t *p, unsigned int off, uint16_t v)
{
	for (unsigned int i = 0; i < 2; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void set32(uint8_t *p, unsigned int off, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void set64(uint8_t *p, unsigned int off, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd(const uint8_t *p, unsigned int off, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

/* A good image of IMAGE_SIZE bytes; the caller frees it. */
static uint8_t *good_image(void)
{
	uint8_t *img = malloc(IMAGE_SIZE);

	assert_non_null(img);
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		img[i] = (uint8_t)(i * 7 + 3); /* a pattern: bytes copied where they should not be show */
	set8(img, 0x1F1, SETUP_SECTS);
	set16(img, 0x1FE, 0xAA55);
	set8(img, 0x200, 0xEB);
	set8(img, 0x201, JUMP_OFFSET);
	set32(img, 0x202, 0x53726448); /* "HdrS" */
	set16(img, 0x206, 0x020F);
	set8(img, 0x210, 0);
	set8(img, 0x211, 0x01); /* LOADED_HIGH */
	set32(img, 0x214, 0x100000);
	set32(img, 0x218, 0);
	set32(img, 0x21C, 0);
	set16(img, 0x224, 0x5BE0);
	set32(img, 0x228, 0);
	set32(img, 0x22C, INITRD_ADDR_MAX);
	set32(img, 0x230, 2 * MiB);
	set8(img, 0x234, 1);
	set32(img, 0x238, CMDLINE_SIZE);
	set64(img, 0x258, PREF_ADDRESS);
	set32(img, 0x260, INIT_SIZE);
	return img;
}

/* The first n bytes of img in a block of exactly n bytes. */
static uint8_t *cut(const uint8_t *img, size_t n)
{
	uint8_t *p = malloc(n);

	assert_non_null(p);
	memcpy(p, img, n);
	return p;
}

static int parse(const uint8_t *img, size_t size, struct linux_header *h)
{
	memset(h, 0xA5, sizeof(*h));
	strcpy(why, "untouched");
	return linux_parse_header(img, size, h, why, sizeof(why));
}

/* rc must be the error want_rc, with want in the reason (and the reason not cut short). */
static void expect_refusal(int rc, int want_rc, const char *want)
{
	if (rc != want_rc || !strstr(why, want) || strlen(why) + 1 >= sizeof(why)) {
		print_error("rc %d, why \"%s\"; wanted %d and \"%s\"\n", rc, why, want_rc, want);
		fail();
	}
}

static void expect_image_refused(uint8_t *img, size_t size, const char *want)
{
	struct linux_header h;

	expect_refusal(parse(img, size, &h), -E_INVAL, want);
	free(img);
}

#endif
