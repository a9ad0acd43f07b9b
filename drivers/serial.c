/* Polled 16550 UART driver (register layout from the PC16550D data sheet). */
#include "serial.h"
#include "uart16550.h"
#include "x86/cpu.h"

#define MCR_DTR_RTS_OUT2 (MCR_DTR | MCR_RTS | MCR_OUT2)
#define UART_CLOCK UART_CLOCK_BAUD
/* Bound on the wait for the transmitter so a missing or wedged UART cannot hang the hypervisor. */
#define TX_SPIN_LIMIT 100000

static uint16_t uart_port = COM1_PORT;
static uint32_t uart_baud = 115200; /* what the loader set up on COM1, until serial_init */
static bool uart_present = true; /* assume COM1 works until serial_init says otherwise */

bool serial_init(uint16_t port, uint32_t baud)
{
	uint16_t divisor = baud ? UART_CLOCK / baud : 1;

	/* The scratch register holds what we write on a real 16550; nothing answers otherwise. */
	outb(port + UART_SCR, 0x5A);
	if (inb(port + UART_SCR) != 0x5A) {
		uart_present = false;
		return false;
	}
	uart_port = port;
	uart_baud = baud;
	uart_present = true;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DATA, divisor & 0xFF);
	outb(port + UART_IER, divisor >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
	return true;
}

void serial_tx_byte(uint8_t c)
{
	if (!uart_present)
		return;
	for (int spin = 0; spin < TX_SPIN_LIMIT; spin++) {
		if (inb(uart_port + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(uart_port + UART_DATA, c);
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_tx_byte('\r');
	serial_tx_byte((uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		serial_putc(s[i]);
}

int serial_getc(void)
{
	if (!uart_present || !(inb(uart_port + UART_LSR) & LSR_DR))
		return -1;
	return inb(uart_port + UART_DATA);
}

void serial_reinit(void)
{
	if (uart_present)
		serial_init(uart_port, uart_baud);
}

uint16_t serial_port(void)
{
	return uart_port;
}
