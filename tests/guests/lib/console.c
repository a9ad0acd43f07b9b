/* COM1 output, polled. The hypervisor passes the UART through and has already programmed it. */
#include "guest.h"
#include "lib/printf.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20 /* transmit holding register empty */
#define THRE_SPINS 100000 /* a UART that never drains must not hang the guest */

void putchar_serial(char c)
{
	if (c == '\n')
		putchar_serial('\r');
	for (unsigned int i = 0; i < THRE_SPINS && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

static void emit(char c, void *ctx)
{
	(void)ctx;
	putchar_serial(c);
}

int vprintf_serial(const char *fmt, va_list ap)
{
	return vcbprintf(emit, NULL, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf_serial(fmt, ap);
	va_end(ap);
	return n;
}
