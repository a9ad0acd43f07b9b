/*
 * Unit tests for boot/multiboot.c: the entry point (magic, arguments, a cleared result) and the
 * common helpers. Each protocol's parser has its own file: test_multiboot1.c, test_multiboot2.c.
 */
#include "multiboot_fixture.h"

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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(bad_magic),
		T(bad_arguments),
		T(result_is_cleared),
		T(mem_type_names),
	};

	return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
