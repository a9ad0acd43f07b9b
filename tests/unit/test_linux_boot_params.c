/*
 * Host tests for vmm/linux_boot.c: the boot_params page the guest starts with.
 */
#include "linux_boot_fixture.h"

static const struct linux_e820_entry e820[] = {
	{ 0, 0x9F000, 1 },
	{ 0x9FC00, 0x400, 2 },
	{ MiB, 511 * MiB, 1 },
	{ 0xFFFC0000, 0x40000, 2 },
	{ 0xFD00000000, 0x300000000, 2 },
};

static struct linux_boot_args boot_args(void)
{
	return (struct linux_boot_args){
		.load = PREF_ADDRESS, .initrd = 0x1FF00000, .initrd_size = 0xABCDE, .cmdline = 0x9E000,
		.rsdp = 0x9E400, .e820 = e820, .nr_e820 = ARRAY_SIZE(e820),
	};
}

static void test_boot_params(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_boot_args args = boot_args();
	static uint8_t bp[LINUX_BOOT_PARAMS_SIZE];
	struct linux_header h;

	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	memset(bp, 0xA5, sizeof(bp));
	assert_int_equal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), 0);
	assert_string_equal(why, "untouched");

	/* The setup header [0x1F1, 0x26C) copied, apart from the fields the loader fills. */
	for (unsigned int off = 0x1F1; off < 0x26C; off++) {
		bool filled = off == 0x210 || off == 0x211 || (off >= 0x214 && off < 0x220) ||
			      (off >= 0x224 && off < 0x226) || (off >= 0x228 && off < 0x22C);

		if (!filled && bp[off] != img[off]) {
			print_error("header byte %#x: %#x, image has %#x\n", off, bp[off], img[off]);
			fail();
		}
	}
	assert_int_equal(rd(bp, 0x1F1, 1), SETUP_SECTS);
	assert_int_equal(rd(bp, 0x202, 4), 0x53726448);
	assert_int_equal(rd(bp, 0x206, 2), 0x020F);
	assert_int_equal(rd(bp, 0x210, 1), 0xFF);          /* type_of_loader */
	assert_int_equal(rd(bp, 0x211, 1), 0x81);          /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(rd(bp, 0x214, 4), PREF_ADDRESS);  /* code32_start */
	assert_int_equal(rd(bp, 0x218, 4), 0x1FF00000);    /* ramdisk_image */
	assert_int_equal(rd(bp, 0x21C, 4), 0xABCDE);       /* ramdisk_size */
	assert_int_equal(rd(bp, 0x224, 2), 0);             /* heap_end_ptr */
	assert_int_equal(rd(bp, 0x228, 4), 0x9E000);       /* cmd_line_ptr */
	assert_int_equal(rd(bp, 0x22C, 4), INITRD_ADDR_MAX);
	assert_int_equal(rd(bp, 0x238, 4), CMDLINE_SIZE);
	assert_int_equal(rd(bp, 0x258, 8), PREF_ADDRESS);
	assert_int_equal(rd(bp, 0x260, 4), INIT_SIZE);
	assert_int_equal(rd(bp, 0x070, 8), 0x9E400);       /* acpi_rsdp_addr */
	assert_int_equal(rd(bp, 0x1E8, 1), ARRAY_SIZE(e820)); /* e820_entries */

	/* The e820 table: packed 20-byte entries from 0x2D0. */
	for (unsigned int i = 0; i < ARRAY_SIZE(e820); i++) {
		unsigned int off = 0x2D0 + 20 * i;

		assert_int_equal(rd(bp, off, 8), e820[i].base);
		assert_int_equal(rd(bp, off + 8, 8), e820[i].len);
		assert_int_equal(rd(bp, off + 16, 4), e820[i].type);
	}

	/* Everything else is zero: before the header (but the RSDP and the count) and after it. */
	for (unsigned int off = 0; off < LINUX_BOOT_PARAMS_SIZE; off++) {
		bool written = (off >= 0x070 && off < 0x078) || off == 0x1E8 || (off >= 0x1F1 && off < 0x26C) ||
			       (off >= 0x2D0 && off < 0x2D0 + 20 * ARRAY_SIZE(e820));

		if (!written && bp[off]) {
			print_error("byte %#x is %#x, wanted 0\n", off, bp[off]);
			fail();
		}
	}

	/* No RSDP, no initrd: those fields stay 0. */
	args.rsdp = 0;
	args.initrd = args.initrd_size = 0;
	args.nr_e820 = 0;
	assert_int_equal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), 0);
	assert_int_equal(rd(bp, 0x070, 8), 0);
	assert_int_equal(rd(bp, 0x218, 8), 0);
	assert_int_equal(rd(bp, 0x1E8, 1), 0);
	assert_int_equal(rd(bp, 0x2D0, 8), 0);
	free(img);
}

static void test_boot_params_full_e820(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_boot_args args = boot_args();
	static struct linux_e820_entry many[LINUX_E820_MAX + 1];
	static uint8_t bp[LINUX_BOOT_PARAMS_SIZE];
	struct linux_header h;

	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct linux_e820_entry){ i * 2 * MiB, MiB, 1 + i % 5 };
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	args.e820 = many;
	args.nr_e820 = LINUX_E820_MAX;
	assert_int_equal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), 0);
	assert_int_equal(rd(bp, 0x1E8, 1), 128);
	assert_int_equal(rd(bp, 0x2D0 + 20 * 127, 8), 127 * 2 * MiB);
	assert_int_equal(rd(bp, 0x2D0 + 20 * 127 + 16, 4), 1 + 127 % 5);

	/* One more does not fit; bp is left as it was. */
	memset(bp, 0x5A, sizeof(bp));
	args.nr_e820 = LINUX_E820_MAX + 1;
	expect_refusal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), -E_RANGE, "129 memory map");
	assert_int_equal(rd(bp, 0, 8), 0x5A5A5A5A5A5A5A5AULL);
	free(img);
}

static void test_boot_params_above_4g(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_boot_args args = boot_args();
	static uint8_t bp[LINUX_BOOT_PARAMS_SIZE];
	struct linux_header h;

	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	args.load = 4 * GiB - INIT_SIZE; /* ends exactly at 4 GiB: fine */
	assert_int_equal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), 0);
	args.load += 2 * MiB;
	expect_refusal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), -E_RANGE, "4 GiB");

	args = boot_args();
	args.initrd = 4 * GiB - 4096;
	args.initrd_size = 4097;
	expect_refusal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), -E_RANGE, "4 GiB");

	args = boot_args();
	args.cmdline = 4 * GiB;
	expect_refusal(linux_build_boot_params(bp, img, &h, &args, why, sizeof(why)), -E_RANGE, "4 GiB");
	free(img);
}

/* A reason longer than the caller's buffer is cut and still terminated. */
static void test_short_reason_buffer(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_header h;
	char small[8];

	set16(img, 0x206, 0x0200);
	memset(small, 'X', sizeof(small));
	assert_int_equal(linux_parse_header(img, IMAGE_SIZE, &h, small, sizeof(small)), -E_INVAL);
	assert_string_equal(small, "boot pr");
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_boot_params_full_e820),
		cmocka_unit_test(test_boot_params_above_4g),
		cmocka_unit_test(test_short_reason_buffer),
	};

	return cmocka_run_group_tests_name("linux_boot_params", tests, NULL, NULL);
}
