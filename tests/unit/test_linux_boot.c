/*
 * Host tests for vmm/linux_boot.c: crafted bzImage setup headers, and kernel and initrd placement.
 * boot_params are in test_linux_boot_params.c.
 */
#include "linux_boot_fixture.h"

static void test_good_header(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_header h;

	assert_true(linux_is_bzimage(img, IMAGE_SIZE));
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_string_equal(why, "untouched");
	assert_int_equal(h.version, 0x020F);
	assert_int_equal(h.loadflags, 0x01);
	assert_true(h.relocatable);
	assert_int_equal(h.setup_sects, SETUP_SECTS);
	assert_int_equal(h.header_end, 0x202 + JUMP_OFFSET);
	assert_int_equal(h.pm_offset, PM_OFFSET);
	assert_int_equal(h.pm_size, PM_SIZE);
	assert_int_equal(h.init_size, INIT_SIZE);
	assert_int_equal(h.pref_address, PREF_ADDRESS);
	assert_int_equal(h.kernel_alignment, 2 * MiB);
	assert_int_equal(h.initrd_addr_max, INITRD_ADDR_MAX);
	assert_int_equal(h.cmdline_size, CMDLINE_SIZE);
	/* The reason buffer is optional. */
	assert_int_equal(linux_parse_header(img, IMAGE_SIZE, &h, NULL, 0), 0);
	assert_int_equal(linux_parse_header(img, 100, &h, NULL, 0), -E_INVAL);
	free(img);
}

static void test_header_defaults(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_header h;

	set8(img, 0x1F1, 0);         /* 0 means 4 */
	set64(img, 0x258, 0);        /* no preference: 1 MiB */
	set32(img, 0x230, 3 * MiB);  /* not a power of two */
	set32(img, 0x260, 4096);     /* smaller than the kernel itself */
	set8(img, 0x234, 0);
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_int_equal(h.setup_sects, 4);
	assert_int_equal(h.pm_offset, 5 * 512);
	assert_int_equal(h.pm_size, IMAGE_SIZE - 5 * 512);
	assert_int_equal(h.init_size, h.pm_size);
	assert_int_equal(h.pref_address, MiB);
	assert_int_equal(h.kernel_alignment, 2 * MiB);
	assert_false(h.relocatable);

	set32(img, 0x230, 0);
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_int_equal(h.kernel_alignment, 2 * MiB);
	set32(img, 0x230, 16 * MiB);
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_int_equal(h.kernel_alignment, 16 * MiB);

	/* The longest header the jump can name still lies inside the smallest setup area. */
	set8(img, 0x201, 0xFF);
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_int_equal(h.header_end, 0x301);
	free(img);
}

static void test_old_protocol(void **state __unused)
{
	uint8_t *img = good_image();

	set16(img, 0x206, 0x0209);
	expect_image_refused(img, IMAGE_SIZE, "older than 2.10");

	img = good_image();
	set16(img, 0x206, 0x020A); /* 2.10 itself is fine */
	{
		struct linux_header h;

		assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	}
	free(img);
}

static void test_missing_magic(void **state __unused)
{
	uint8_t *img = good_image();

	set16(img, 0x1FE, 0x55AA);
	assert_false(linux_is_bzimage(img, IMAGE_SIZE));
	expect_image_refused(img, IMAGE_SIZE, "no setup header magic");

	img = good_image();
	set32(img, 0x202, 0x53726449);
	assert_false(linux_is_bzimage(img, IMAGE_SIZE));
	expect_image_refused(img, IMAGE_SIZE, "no setup header magic");

	/* Too short to hold the magic: not even looked at. */
	img = good_image();
	{
		uint8_t *tiny = cut(img, 0x206);

		assert_false(linux_is_bzimage(tiny, 0x206));
		expect_image_refused(tiny, 0x206, "no setup header magic");
	}
	free(img);
}

static void test_truncated(void **state __unused)
{
	uint8_t *img = good_image();

	/* setup_sects points past the end of the file. */
	set8(img, 0x1F1, 0xC0);
	expect_image_refused(img, IMAGE_SIZE, "truncated");

	/* Nothing after the setup sectors. */
	img = good_image();
	expect_image_refused(cut(img, PM_OFFSET), PM_OFFSET, "truncated");

	/* The file ends inside the setup header (which runs to 0x26C). */
	expect_image_refused(cut(img, 0x240), 0x240, "truncated");

	/* The magic is there, the version's second byte is not. */
	expect_image_refused(cut(img, 0x207), 0x207, "truncated");
	free(img);
}

static void test_loaded_high_clear(void **state __unused)
{
	uint8_t *img = good_image();

	set8(img, 0x211, 0x80);
	expect_image_refused(img, IMAGE_SIZE, "LOADED_HIGH");
}

static void test_cmdline_size(void **state __unused)
{
	uint8_t *img = good_image();
	struct linux_header h;

	set32(img, 0x238, 10);
	assert_int_equal(parse(img, IMAGE_SIZE, &h), 0);
	assert_int_equal(linux_check_cmdline(&h, "", why, sizeof(why)), 0);
	assert_int_equal(linux_check_cmdline(&h, "0123456789", why, sizeof(why)), 0);
	assert_string_equal(why, "untouched");
	expect_refusal(linux_check_cmdline(&h, "0123456789a", why, sizeof(why)), -E_INVAL, "cmdline_size");
	free(img);
}

/* ---- placement ---- */

/* A 512 MiB guest: RAM below 0x9F000 and from 1 MiB, as the partition gives it. */
static void ram_512m(struct range_set *ram)
{
	range_set_init(ram);
	assert_int_equal(range_set_add(ram, 0, 0x9F000), 0);
	assert_int_equal(range_set_add(ram, MiB, 512 * MiB), 0);
}

static struct linux_header header(bool relocatable, uint64_t pref, uint64_t init_size)
{
	return (struct linux_header){
		.version = 0x020F, .loadflags = 1, .relocatable = relocatable, .setup_sects = SETUP_SECTS,
		.header_end = 0x26C, .pm_offset = PM_OFFSET, .pm_size = PM_SIZE, .init_size = init_size,
		.pref_address = pref, .kernel_alignment = 2 * MiB, .initrd_addr_max = INITRD_ADDR_MAX,
		.cmdline_size = CMDLINE_SIZE,
	};
}

static void test_kernel_at_preferred(void **state __unused)
{
	struct linux_header h = header(true, PREF_ADDRESS, INIT_SIZE);
	struct range_set ram, mods;
	uint64_t load = 0;

	ram_512m(&ram);
	range_set_init(&mods);
	assert_int_equal(range_set_add(&mods, 0x200000, 0x200000 + 8 * MiB), 0); /* the image, below 16 MiB */
	strcpy(why, "untouched");
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, PREF_ADDRESS);
	assert_string_equal(why, "untouched");

	/* Not relocatable, but its preferred address is free: loaded there. */
	h.relocatable = false;
	load = 0;
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, PREF_ADDRESS);
}

static void test_kernel_relocated(void **state __unused)
{
	struct linux_header h = header(true, PREF_ADDRESS, INIT_SIZE);
	struct range_set ram, mods;
	uint64_t load = 0;

	/* A module lies on the preferred address: the highest 2 MiB-aligned fit instead. */
	ram_512m(&ram);
	range_set_init(&mods);
	assert_int_equal(range_set_add(&mods, 20 * MiB, 21 * MiB), 0);
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, ALIGN_DOWN(512 * MiB - INIT_SIZE, 2 * MiB));

	/* ... clear of a module at the top of RAM too. */
	assert_int_equal(range_set_add(&mods, 500 * MiB, 512 * MiB), 0);
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, ALIGN_DOWN(500 * MiB - INIT_SIZE, 2 * MiB));
	assert_false(range_set_overlaps(&mods, load, load + INIT_SIZE));

	/* RAM above 4 GiB is no use: the entry is 32-bit. */
	assert_int_equal(range_set_add(&ram, 4 * GiB, 8 * GiB), 0);
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, ALIGN_DOWN(500 * MiB - INIT_SIZE, 2 * MiB));
	h.pref_address = 5 * GiB; /* free, but not reachable */
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, ALIGN_DOWN(500 * MiB - INIT_SIZE, 2 * MiB));

	/* A 16 MiB alignment is honoured. */
	h.kernel_alignment = 16 * MiB;
	assert_int_equal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), 0);
	assert_int_equal(load, ALIGN_DOWN(500 * MiB - INIT_SIZE, 16 * MiB));
}

static void test_kernel_not_relocatable_taken(void **state __unused)
{
	struct linux_header h = header(false, PREF_ADDRESS, INIT_SIZE);
	struct range_set ram, mods;
	uint64_t load = 0x1234;

	ram_512m(&ram);
	range_set_init(&mods);
	assert_int_equal(range_set_add(&mods, PREF_ADDRESS + INIT_SIZE - 1, PREF_ADDRESS + INIT_SIZE + MiB), 0);
	expect_refusal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), -E_NOMEM, "no room");
	assert_int_equal(load, 0x1234);

	/* Preferred address beyond the end of RAM. */
	range_set_init(&mods);
	h.pref_address = 500 * MiB;
	expect_refusal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), -E_NOMEM, "no room");
}

static void test_kernel_no_room(void **state __unused)
{
	struct linux_header h = header(true, PREF_ADDRESS, 600 * MiB);
	struct range_set ram, mods;
	uint64_t load;

	ram_512m(&ram);
	range_set_init(&mods);
	expect_refusal(linux_place_kernel(&h, &ram, &mods, &load, why, sizeof(why)), -E_NOMEM, "no room");
}

static void expect_initrd_clear(uint64_t at, uint64_t size, const struct linux_header *h, uint64_t load,
				const struct range *image)
{
	uint64_t end = at + ALIGN_UP(size, 4096);

	assert_true(IS_ALIGNED(at, 4096));
	assert_true(at >= MiB);
	assert_true(end - 1 <= h->initrd_addr_max);
	assert_true(end <= load || at >= load + h->init_size);
	assert_true(end <= image->start || at >= image->end);
}

static void test_initrd_good(void **state __unused)
{
	struct linux_header h = header(true, PREF_ADDRESS, INIT_SIZE);
	const struct range image = { 0x200000, 0x200000 + 8 * MiB };
	const uint64_t size = 10 * MiB + 123;
	struct range_set ram;
	uint64_t at = 0;

	/* The highest page-aligned block in RAM. */
	ram_512m(&ram);
	strcpy(why, "untouched");
	assert_int_equal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, size, &at, why, sizeof(why)), 0);
	assert_string_equal(why, "untouched");
	assert_int_equal(at, 512 * MiB - ALIGN_UP(size, 4096));
	expect_initrd_clear(at, size, &h, PREF_ADDRESS, &image);

	/* initrd_addr_max below the top of RAM: it ends at initrd_addr_max. */
	h.initrd_addr_max = 0x0FFFFFFF;
	assert_int_equal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, size, &at, why, sizeof(why)), 0);
	assert_int_equal(at, 256 * MiB - ALIGN_UP(size, 4096));
	expect_initrd_clear(at, size, &h, PREF_ADDRESS, &image);

	/* initrd_addr_max inside a page: the initrd's last page must still end by it. */
	h.initrd_addr_max = 0x0FFFF7FF;
	assert_int_equal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, size, &at, why, sizeof(why)), 0);
	assert_int_equal(at, 256 * MiB - 4096 - ALIGN_UP(size, 4096));

	/* The kernel at the top and the image under it: the initrd goes below both. */
	h = header(true, 448 * MiB, 64 * MiB);
	const struct range image2 = { 440 * MiB, 448 * MiB };
	assert_int_equal(linux_place_initrd(&h, &ram, &image2, 448 * MiB, size, &at, why, sizeof(why)), 0);
	assert_int_equal(at, 440 * MiB - ALIGN_UP(size, 4096));
	expect_initrd_clear(at, size, &h, 448 * MiB, &image2);

	/* A RAM range with a ragged end is trimmed to whole pages first. */
	range_set_init(&ram);
	assert_int_equal(range_set_add(&ram, MiB, 64 * MiB + 123), 0);
	h = header(true, PREF_ADDRESS, 16 * MiB);
	assert_int_equal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 4096, &at, why, sizeof(why)), 0);
	assert_int_equal(at, 64 * MiB - 4096);
}

static void test_initrd_refused(void **state __unused)
{
	struct linux_header h = header(true, PREF_ADDRESS, INIT_SIZE);
	const struct range image = { 0x200000, 0x200000 + 8 * MiB };
	struct range_set ram;
	uint64_t at = 0x1234;

	ram_512m(&ram);
	/* Larger than the whole span from 1 MiB to initrd_addr_max. */
	h.initrd_addr_max = 0x0FFFFFFF;
	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 300 * MiB, &at, why, sizeof(why)),
		       -E_NOMEM, "larger than the 261120 KiB");
	assert_int_equal(at, 0x1234);
	h.initrd_addr_max = 0xFFFFFFFF;
	expect_refusal(linux_place_initrd(&h, &ram, &image, 0, 5 * GiB, &at, why, sizeof(why)), -E_NOMEM,
		       "larger than");
	h.initrd_addr_max = 0x80000; /* below 1 MiB: no room at all */
	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 4096, &at, why, sizeof(why)), -E_NOMEM,
		       "larger than the 0 KiB");

	/* Within the span, but guest RAM minus the kernel has no block that large. */
	h.initrd_addr_max = INITRD_ADDR_MAX;
	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 600 * MiB, &at, why, sizeof(why)),
		       -E_NOMEM, "does not fit below initrd_addr_max");
	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 512 * MiB - INIT_SIZE - 16 * MiB + 1,
					  &at, why, sizeof(why)),
		       -E_NOMEM, "does not fit");
	assert_int_equal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 512 * MiB - INIT_SIZE - 16 * MiB,
					    &at, why, sizeof(why)),
			 0);
	assert_int_equal(at, PREF_ADDRESS + INIT_SIZE);

	/* Only the first MiB is left below initrd_addr_max. */
	h.initrd_addr_max = 0x1FFFFF;
	range_set_init(&ram);
	assert_int_equal(range_set_add(&ram, 0, MiB), 0);
	assert_int_equal(range_set_add(&ram, 2 * MiB, 512 * MiB), 0);
	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 4096, &at, why, sizeof(why)), -E_NOMEM,
		       "does not fit");

	expect_refusal(linux_place_initrd(&h, &ram, &image, PREF_ADDRESS, 0, &at, why, sizeof(why)), -E_INVAL,
		       "empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_header),
		cmocka_unit_test(test_header_defaults),
		cmocka_unit_test(test_old_protocol),
		cmocka_unit_test(test_missing_magic),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_loaded_high_clear),
		cmocka_unit_test(test_cmdline_size),
		cmocka_unit_test(test_kernel_at_preferred),
		cmocka_unit_test(test_kernel_relocated),
		cmocka_unit_test(test_kernel_not_relocatable_taken),
		cmocka_unit_test(test_kernel_no_room),
		cmocka_unit_test(test_initrd_good),
		cmocka_unit_test(test_initrd_refused),
	};

	return cmocka_run_group_tests_name("linux_boot", tests, NULL, NULL);
}
