/*
 * Host tests for the I/O APIC redirection-entry rule of vmm/ioapic.c: an entry with delivery mode
 * INIT reaches the hardware as a fixed, edge-triggered interrupt on the proxy vector, to the same
 * destination; every other entry unchanged. Bit positions are written out here (82093AA
 * datasheet 3.2.4), not taken from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include "x86/irq.h"
#include "vmm/ioapic.h"


#define MODE(m) ((uint32_t)(m) << 8)
#define DEST_LOGICAL (1U << 11)
#define ACTIVE_LOW (1U << 13)
#define LEVEL (1U << 15)
#define MASKED (1U << 16)

static void test_other_modes_unchanged(void **state)
{
	(void)state;
	for (uint32_t mode = 0; mode < 8; mode++) {
		uint32_t entry = MODE(mode) | 0x31 | ACTIVE_LOW | LEVEL | DEST_LOGICAL;

		if (mode != 5)
			assert_int_equal(ioapic_hw_entry(entry), entry);
	}
}

static void test_init_proxied(void **state)
{
	uint32_t hw;

	(void)state;
	hw = ioapic_hw_entry(MODE(5) | 0x77 | ACTIVE_LOW | LEVEL | MASKED | DEST_LOGICAL);
	assert_int_equal(hw & 0xFF, 0xF2);              /* the proxy vector */
	assert_int_equal(hw & MODE(7), MODE(0));        /* fixed */
	assert_int_equal(hw & LEVEL, 0);                /* INIT is an edge */
	assert_int_equal(hw & (ACTIVE_LOW | MASKED | DEST_LOGICAL), ACTIVE_LOW | MASKED | DEST_LOGICAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_modes_unchanged),
		cmocka_unit_test(test_init_proxied),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
