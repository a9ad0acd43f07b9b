/* Host tests of the shared console's UART model (vmm/vuart.c) against a fake 16550. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmm/vuart.c"

/* The real UART: a receive queue, what was sent, and its IER writes in order. */
static struct {
	uint8_t rx[256];
	unsigned int rx_len, rx_pos;
	uint8_t tx[256];
	unsigned int tx_len;
	uint8_t ier_writes[64];
	unsigned int nr_ier_writes;
	uint8_t lcr, mcr, fcr, dll, dlm, iir_id;
} hw;

static uint8_t fake_in(unsigned int reg)
{
	switch (reg) {
	case UART_DATA:
		if (hw.lcr & LCR_DLAB)
			return hw.dll;
		return hw.rx_pos < hw.rx_len ? hw.rx[hw.rx_pos++] : 0;
	case UART_IER:
		return (hw.lcr & LCR_DLAB) ? hw.dlm : hw.ier_writes[hw.nr_ier_writes ? hw.nr_ier_writes - 1 : 0];
	case UART_IIR: {
		uint8_t id = hw.iir_id;

		hw.iir_id = IIR_NO_INT;
		return 0xC0 | id;
	}
	case UART_LCR:
		return hw.lcr;
	case UART_MCR:
		return hw.mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (hw.rx_pos < hw.rx_len ? LSR_DR : 0);
	default:
		return 0;
	}
}

static void fake_out(unsigned int reg, uint8_t value)
{
	if (reg == UART_IER && !(hw.lcr & LCR_DLAB))
		hw.ier_writes[hw.nr_ier_writes++ % 64] = value;
	else if (reg == UART_LCR)
		hw.lcr = value;
	else if (reg == UART_MCR)
		hw.mcr = value;
	else if (reg == UART_FCR)
		hw.fcr = value;
	else if (reg == UART_DATA && (hw.lcr & LCR_DLAB))
		hw.dll = value;
}

static void fake_tx(uint8_t byte)
{
	hw.tx[hw.tx_len++ % 256] = byte;
}

static const struct vuart_hw fake = { fake_in, fake_out, fake_tx };
static struct vuart u;

static int setup(void **state __unused)
{
	memset(&hw, 0, sizeof(hw));
	hw.lcr = LCR_8N1;
	hw.mcr = MCR_DTR | MCR_RTS | MCR_OUT2;
	hw.dll = 1;
	hw.iir_id = IIR_NO_INT;
	vuart_init(&u, &fake);
	return 0;
}

static void type(const char *s, size_t n)
{
	memcpy(hw.rx + hw.rx_len, s, n);
	hw.rx_len += (unsigned int)n;
}

/* What the guest reads while LSR says data is ready. */
static unsigned int guest_reads(char *buf, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && (vuart_read(&u, UART_LSR) & LSR_DR))
		buf[n++] = (char)vuart_read(&u, UART_DATA);
	return n;
}

static void test_guest_starts_with_the_real_settings(void **state __unused)
{
	assert_int_equal(vuart_read(&u, UART_LCR), LCR_8N1);
	assert_int_equal(vuart_read(&u, UART_MCR), MCR_DTR | MCR_RTS | MCR_OUT2);
	vuart_write(&u, UART_LCR, LCR_8N1 | LCR_DLAB);
	assert_int_equal(vuart_read(&u, UART_DATA), 1);
	/* FIFOs on, receive trigger at one byte (bits 6-7 clear): received bytes raise the line at once. */
	assert_int_equal(hw.fcr & (0xC0 | FCR_FIFO_ENABLE), FCR_FIFO_ENABLE);
}

static void test_ctrl_a_three_times_switches_input(void **state __unused)
{
	uint16_t ev[8];
	char buf[16];

	type("a\x01\x01\x01hv\x01\x01\x01" "b", 10);
	assert_int_equal(vuart_poll(&u, ev, 8), 4);
	assert_int_equal(ev[0], VUART_INPUT_TO_HV);
	assert_int_equal(ev[1], 'h');
	assert_int_equal(ev[2], 'v');
	assert_int_equal(ev[3], VUART_INPUT_TO_GUEST);
	/* The guest gets what came before and after, none of the six Ctrl-A nor the keys. */
	assert_int_equal(guest_reads(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "ab", 2);
}

static void test_fewer_ctrl_a_reach_the_guest(void **state __unused)
{
	uint16_t ev[8];
	char buf[16];

	type("\x01\x01x\x01", 4);
	assert_int_equal(vuart_poll(&u, ev, 8), 0);
	assert_int_equal(guest_reads(buf, sizeof(buf)), 3); /* the last Ctrl-A waits for what follows */
	assert_memory_equal(buf, "\x01\x01x", 3);
	type("y", 1);
	assert_int_equal(guest_reads(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x01y", 2);
}

static void test_transmit_goes_to_the_real_uart(void **state __unused)
{
	vuart_write(&u, UART_DATA, 'z');
	assert_int_equal(hw.tx_len, 1);
	assert_int_equal(hw.tx[0], 'z');
	assert_int_equal(vuart_read(&u, UART_LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
}

static void test_divisor_and_line_settings_stay_the_guests(void **state __unused)
{
	vuart_write(&u, UART_LCR, 0x80 | 0x1B);
	vuart_write(&u, UART_DATA, 12);
	vuart_write(&u, UART_IER, 0);
	assert_int_equal(vuart_read(&u, UART_DATA), 12);
	assert_int_equal(vuart_read(&u, UART_IER), 0);
	vuart_write(&u, UART_LCR, 0x1B);
	assert_int_equal(vuart_read(&u, UART_LCR), 0x1B);
	assert_int_equal(hw.lcr, LCR_8N1); /* the real line is the hypervisor's */
	assert_int_equal(hw.dll, 1);
	assert_int_equal(hw.tx_len, 0);
}

static void test_ier_holds_four_bits_and_scratch_holds_all(void **state __unused)
{
	vuart_write(&u, UART_IER, 0xFF);
	assert_int_equal(vuart_read(&u, UART_IER), 0x0F);
	vuart_write(&u, UART_IER, 0);
	assert_int_equal(vuart_read(&u, UART_IER), 0);
	vuart_write(&u, UART_SCR, 0xA5);
	assert_int_equal(vuart_read(&u, UART_SCR), 0xA5);
}

static void test_iir_reports_received_data_then_thre(void **state __unused)
{
	char buf[4];

	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_NO_INT);
	vuart_write(&u, UART_IER, IER_RDI | IER_THRI);
	type("q", 1);
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_RDI);
	assert_int_equal(guest_reads(buf, 4), 1);
	/* THRI enabled with THR empty: THRE pending, cleared by the IIR read that reports it. */
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_THRI);
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_NO_INT);
	/* The real UART says THR emptied after a byte: reported again. */
	vuart_write(&u, UART_DATA, 'x');
	hw.iir_id = IIR_THRI;
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_THRI);
	vuart_write(&u, UART_FCR, 0);
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_NO_INT);
}

static void test_bytes_held_while_rdi_off_raise_the_line_when_it_is_on(void **state __unused)
{
	char buf[4];

	vuart_write(&u, UART_IER, 0);
	type("k", 1);
	(void)vuart_read(&u, UART_LSR); /* the guest's console polls LSR: the byte moves here */
	assert_int_equal(hw.rx_pos, 1);
	hw.nr_ier_writes = 0;
	vuart_write(&u, UART_IER, IER_RDI);
	/* THRI from 0 to 1 on the real UART (an edge on the line), RDI as the guest asked. */
	assert_int_equal(hw.nr_ier_writes, 2);
	assert_int_equal(hw.ier_writes[0], IER_RDI);
	assert_int_equal(hw.ier_writes[1], IER_RDI | IER_THRI);
	assert_int_equal(vuart_read(&u, UART_IER), IER_RDI);
	/* The guest's handler: the extra THRI goes, and the guest sees its byte, not a THRE. */
	hw.iir_id = IIR_THRI;
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_RDI);
	assert_int_equal(hw.ier_writes[hw.nr_ier_writes - 1], IER_RDI);
	assert_int_equal(guest_reads(buf, 4), 1);
	assert_int_equal(buf[0], 'k');
	assert_int_equal(vuart_read(&u, UART_IIR), IIR_FIFOS | IIR_NO_INT);
}

static void test_a_kick_ends_when_the_guest_turns_interrupts_off(void **state __unused)
{
	type("k", 1);
	(void)vuart_read(&u, UART_LSR);
	vuart_write(&u, UART_IER, IER_RDI);
	assert_int_equal(hw.ier_writes[hw.nr_ier_writes - 1], IER_RDI | IER_THRI);
	/* The port closes before its handler ran: the real line must not stay up for good. */
	vuart_write(&u, UART_IER, 0);
	assert_int_equal(hw.ier_writes[hw.nr_ier_writes - 1], 0);
	assert_false(u.kick);
}

static void test_loopback_stays_inside(void **state __unused)
{
	char buf[4];

	vuart_write(&u, UART_MCR, MCR_LOOP | MCR_RTS | MCR_OUT2);
	assert_false(hw.mcr & MCR_LOOP);
	assert_false(hw.mcr & MCR_OUT2); /* the interrupt line is cut in loopback */
	assert_int_equal(vuart_read(&u, UART_MSR) & 0xF0, MSR_CTS | MSR_DCD);
	vuart_write(&u, UART_DATA, 0x55);
	assert_int_equal(hw.tx_len, 0);
	assert_int_equal(guest_reads(buf, 4), 1);
	assert_int_equal((uint8_t)buf[0], 0x55);
	vuart_write(&u, UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	assert_true(hw.mcr & MCR_OUT2);
}

static void test_overrun_is_reported_once(void **state __unused)
{
	char big[VUART_RX_SIZE + 1];

	memset(big, 'o', sizeof(big));
	type(big, sizeof(big));
	(void)vuart_read(&u, UART_LSR); /* one drain reads at most DRAIN_LIMIT (the FIFO's size) */
	assert_int_equal(vuart_read(&u, UART_LSR) & (LSR_OE | LSR_DR | LSR_FIFO_ERROR), LSR_OE | LSR_DR | LSR_FIFO_ERROR);
	assert_int_equal(vuart_read(&u, UART_LSR) & LSR_OE, 0);
	assert_int_equal(u.rx_count, VUART_RX_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_guest_starts_with_the_real_settings, setup),
		cmocka_unit_test_setup(test_ctrl_a_three_times_switches_input, setup),
		cmocka_unit_test_setup(test_fewer_ctrl_a_reach_the_guest, setup),
		cmocka_unit_test_setup(test_transmit_goes_to_the_real_uart, setup),
		cmocka_unit_test_setup(test_divisor_and_line_settings_stay_the_guests, setup),
		cmocka_unit_test_setup(test_ier_holds_four_bits_and_scratch_holds_all, setup),
		cmocka_unit_test_setup(test_iir_reports_received_data_then_thre, setup),
		cmocka_unit_test_setup(test_bytes_held_while_rdi_off_raise_the_line_when_it_is_on, setup),
		cmocka_unit_test_setup(test_a_kick_ends_when_the_guest_turns_interrupts_off, setup),
		cmocka_unit_test_setup(test_loopback_stays_inside, setup),
		cmocka_unit_test_setup(test_overrun_is_reported_once, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
