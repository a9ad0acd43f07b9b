/*
 * Host tests for IN and OUT exits (vmm/io.c): the register widths the manuals give, reset requests
 * answered with EXIT_RESET, the hidden and the shared console UART, and the fw_cfg DMA port.
 */
#include "io_fixture.h"
/* ---- IN and OUT ---- */

static void test_in_widths(void **state __unused)
{
	port_value = 0x87654321;
	/* IN AL and IN AX write only their part; IN EAX clears the upper half as any 32-bit write. */
	assert_int_equal(in(T_PORT_OTHER, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBB21ULL);
	assert_int_equal(in(T_PORT_OTHER, 2, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBB4321ULL);
	assert_int_equal(in(T_PORT_OTHER, 4, 0xAAAAAAAABBBBBBBBULL), 0x87654321ULL);
	assert_int_equal(nr_ins, 3);
}

static void test_out_masks_rax(void **state __unused)
{
	expect_out_performed(T_PORT_OTHER, 1, 0x21);
	assert_int_equal(out(T_PORT_OTHER, 2, 0xFFFFFFFF87654321ULL), EXIT_RESUME);
	assert_int_equal(outs[1].value, 0x4321);
	assert_int_equal(out(T_PORT_OTHER, 4, 0xFFFFFFFF87654321ULL), EXIT_RESUME);
	assert_int_equal(outs[2].value, 0x87654321);
}

static void test_bad_size_stops(void **state __unused)
{
	assert_int_equal(out(T_PORT_OTHER, 3, 0), EXIT_STOP);
	assert_int_equal(nr_outs, 0);
	assert_int_equal(dumps, 1);
	assert_int_equal(vcpu.rip, GUEST_RIP);
}

static void test_sleep_port_goes_to_sleep_code(void **state __unused)
{
	assert_int_equal(out(T_PORT_PM1A_CNT, 2, 0xFFFF3C01), EXIT_STOP); /* sleep_io_write's verdict */
	assert_int_equal(sleep_writes, 1);
	assert_int_equal(nr_outs, 0);
}

static void test_keyboard_reset(void **state __unused)
{
	expect_reset(T_PORT_KBD, 1, 0xFE, "guest reset request: keyboard controller");
}

static void test_not_a_reset(void **state __unused)
{
	expect_out_performed(T_PORT_KBD, 1, 0xAE);  /* enable the keyboard */
	expect_out_performed(T_PORT_KBD, 2, 0xFE);  /* only a byte write pulses the reset line */
	expect_out_performed(T_PORT_RESET_CONTROL, 1, 0x02); /* hard-reset select without RST_CPU */
}

static void test_port_cf9_reset(void **state __unused)
{
	expect_reset(T_PORT_RESET_CONTROL, 1, 0x06, "guest reset request: port 0xcf9");
}

static void test_fadt_reset_register(void **state __unused)
{
	platform_acpi.fadt.reset_reg.space_id = ACPI_GAS_SYSTEM_IO;
	platform_acpi.fadt.reset_reg.address = 0xB2;
	platform_acpi.fadt.reset_value = 0x0F;
	expect_out_performed(0xB2, 1, 0x0F); /* the FADT does not say the register is usable */
	reset_reg_usable = true;
	expect_out_performed(0xB2, 1, 0x0E); /* another value */
	expect_reset(0xB2, 1, 0x0F, "guest reset request: FADT reset register");
}

static void test_fadt_reset_register_in_memory(void **state __unused)
{
	reset_reg_usable = true;
	platform_acpi.fadt.reset_reg.space_id = ACPI_GAS_SYSTEM_MEMORY;
	platform_acpi.fadt.reset_reg.address = 0xB2;
	platform_acpi.fadt.reset_value = 0x0F;
	expect_out_performed(0xB2, 1, 0x0F); /* not an I/O port: port 0xB2 is just a port */
}

static void test_hidden_uart(void **state __unused)
{
	port_value = 0x12345678;
	/* Nothing answers there: reads float high, in the bytes IN writes only. */
	assert_int_equal(in(T_PORT_HIDDEN_UART + 5, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBBFFULL);
	assert_int_equal(in(T_PORT_HIDDEN_UART, 2, 0x1111), 0xFFFF);
	assert_int_equal(in(T_PORT_HIDDEN_UART + 4, 4, 0), 0xFFFFFFFF);
	assert_int_equal(nr_ins, 0);
	assert_int_equal(out(T_PORT_HIDDEN_UART, 1, 'x'), EXIT_RESUME);
	assert_int_equal(nr_outs, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
}

/* The shared UART's ports go to its emulation, never to the hardware. */
static void test_shared_uart(void **state __unused)
{
	vuart_ins = vuart_outs = 0;
	assert_int_equal(in(T_PORT_SHARED_UART + 5, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBB60ULL);
	assert_int_equal(vuart_ins, 1);
	assert_int_equal(vuart_port, T_PORT_SHARED_UART + 5);
	assert_int_equal(vuart_size, 1);
	assert_int_equal(out(T_PORT_SHARED_UART, 1, 0x1234567841), EXIT_RESUME);
	assert_int_equal(vuart_outs, 1);
	assert_int_equal(vuart_port, T_PORT_SHARED_UART);
	assert_int_equal(vuart_value & 0xFF, 0x41);
	assert_int_equal(nr_ins, 0);
	assert_int_equal(nr_outs, 0);
}

static void test_fwcfg_dma_port(void **state __unused)
{
	assert_int_equal(out(T_PORT_FWCFG_DMA_LOW, 4, 0x78563412), EXIT_RESUME);
	assert_int_equal(fwcfg_calls, 1);
	assert_int_equal(nr_outs, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_in_widths),
		T(test_out_masks_rax),
		T(test_bad_size_stops),
		T(test_sleep_port_goes_to_sleep_code),
		T(test_keyboard_reset),
		T(test_not_a_reset),
		T(test_port_cf9_reset),
		T(test_fadt_reset_register),
		T(test_fadt_reset_register_in_memory),
		T(test_hidden_uart),
		T(test_shared_uart),
		T(test_fwcfg_dma_port),
	};
#undef T

	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
