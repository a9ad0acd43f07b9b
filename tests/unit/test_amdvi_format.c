/*
 * Host tests for the AMD-Vi formats (drivers/iommu_amdvi_format.c): the device table entry, the
 * commands and the event decoder, bit by bit against AMD doc 48882's layouts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../drivers/iommu_amdvi_format.c"

static uint64_t bits(const uint64_t *q, unsigned int hi, unsigned int lo)
{
	uint64_t v = 0;

	for (unsigned int b = hi + 1; b-- > lo;)
		v = (v << 1) | ((q[b / 64] >> (b % 64)) & 1);
	return v;
}

static void test_dte_translation(void **state __unused)
{
	uint64_t dte[4];

	amdvi_dte_encode(dte, 0x123456000ULL, 1, false);
	assert_int_equal(bits(dte, 0, 0), 1);           /* V */
	assert_int_equal(bits(dte, 1, 1), 1);           /* TV */
	assert_int_equal(bits(dte, 11, 9), 4);          /* Mode: 4 levels */
	assert_int_equal(bits(dte, 51, 12), 0x123456);  /* page table root */
	assert_int_equal(bits(dte, 61, 61), 1);         /* IR */
	assert_int_equal(bits(dte, 62, 62), 1);         /* IW */
	assert_int_equal(bits(dte, 79, 64), 1);         /* DomainID */
	assert_int_equal(bits(dte, 100, 99), 0);        /* IoCtl: blocked */
	assert_int_equal(bits(dte, 105, 104), 0);       /* SysMgt: blocked */
	assert_int_equal(bits(dte, 128, 128), 0);       /* IV off: interrupts untouched */
	assert_int_equal(dte[2], 0);
	assert_int_equal(dte[3], 0);
	/* Bits QEMU 7.2 treats as reserved (an ILLEGAL_DEV_TABLE_ENTRY there) stay clear. */
	assert_int_equal(dte[0] & 0x80300000000000fcULL, 0);
	assert_int_equal(dte[1] & 0x100, 0);
}

static void test_dte_interrupt_filter(void **state __unused)
{
	uint64_t dte[4];

	amdvi_dte_encode(dte, 0x1000, 1, true);
	assert_int_equal(bits(dte, 128, 128), 1);       /* IV */
	assert_int_equal(bits(dte, 184, 184), 0);       /* INITPass: INIT blocked */
	assert_int_equal(bits(dte, 185, 185), 1);       /* EIntPass */
	assert_int_equal(bits(dte, 186, 186), 1);       /* NMIPass */
	assert_int_equal(bits(dte, 189, 188), 1);       /* IntCtl: forward untranslated */
	assert_int_equal(bits(dte, 190, 190), 1);       /* Lint0Pass */
	assert_int_equal(bits(dte, 191, 191), 1);       /* Lint1Pass */
	assert_int_equal(bits(dte, 179, 129), 0);       /* no remapping table */
	assert_int_equal(bits(dte, 105, 104), 0);       /* SysMgt: SMI messages blocked */
	assert_int_equal(dte[2] & 0x08f0000000000000ULL, 0);
	assert_int_equal(dte[3], 0);
}

static void test_commands(void **state __unused)
{
	uint64_t cmd[2];

	amdvi_cmd_completion_wait(cmd, 0xabcdef123458ULL, 0x55);
	assert_int_equal(bits(cmd, 63, 60), 1);
	assert_int_equal(bits(cmd, 0, 0), 1);           /* S: store */
	assert_int_equal(bits(cmd, 2, 1), 0);           /* no interrupt, no flush */
	assert_int_equal(bits(cmd, 51, 3) << 3, 0xabcdef123458ULL);
	assert_int_equal(cmd[1], 0x55);

	amdvi_cmd_inv_devtab_entry(cmd, 0xbeef);
	assert_int_equal(bits(cmd, 63, 60), 2);
	assert_int_equal(bits(cmd, 15, 0), 0xbeef);
	assert_int_equal(bits(cmd, 59, 16), 0);
	assert_int_equal(cmd[1], 0);

	amdvi_cmd_inv_pages_all(cmd, 7);
	assert_int_equal(bits(cmd, 63, 60), 3);
	assert_int_equal(bits(cmd, 47, 32), 7);         /* DomainID */
	assert_int_equal(bits(cmd, 64, 64), 1);         /* S */
	assert_int_equal(bits(cmd, 65, 65), 1);         /* PDE */
	assert_int_equal(bits(cmd, 127, 76), 0x7FFFFFFFFFFFFULL); /* all pages */

	amdvi_cmd_inv_all(cmd);
	assert_int_equal(bits(cmd, 63, 60), 8);
	assert_int_equal(cmd[0] & ~(0xFULL << 60), 0);
}

static void test_events(void **state __unused)
{
	uint64_t ev[2];
	struct iommu_fault f;
	unsigned int code;

	/* IO_PAGE_FAULT by 00:03.0, a write (RW) to a present page at 0x7ff0000. */
	ev[0] = 0x0018 | (1ULL << (32 + 20)) | (1ULL << (32 + 21)) | (2ULL << 60);
	ev[1] = 0x7ff0000;
	assert_true(amdvi_event_decode(ev, &f, &code));
	assert_int_equal(code, AMDVI_EVT_IO_PAGE_FAULT);
	assert_int_equal(f.bdf, PCI_BDF(0, 3, 0));
	assert_int_equal(f.addr, 0x7ff0000);
	assert_true(f.write);
	assert_int_equal(f.reason, 2);
	assert_string_equal(amdvi_event_name(code), "IO_PAGE_FAULT");

	ev[0] = 0x0100 | (1ULL << 60);
	assert_true(amdvi_event_decode(ev, &f, &code));
	assert_int_equal(code, AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY);
	assert_false(f.write);

	ev[0] = 5ULL << 60; /* ILLEGAL_COMMAND_ERROR: not a device's request */
	assert_false(amdvi_event_decode(ev, &f, &code));
	assert_string_equal(amdvi_event_name(code), "ILLEGAL_COMMAND_ERROR");
	ev[0] = 0xFULL << 60;
	assert_false(amdvi_event_decode(ev, &f, &code));
	assert_string_equal(amdvi_event_name(code), "unknown event");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dte_translation),
		cmocka_unit_test(test_dte_interrupt_filter),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests_name("amdvi_format", tests, NULL, NULL);
}
