/*
 * The shared console's guest side (include/vmm/vuart_io.h): the machine's one emulated UART, the
 * lock that makes each access to it whole (any vCPU may touch the guest's COM1, and the CPU that
 * polls for keys drains the same real FIFO), and the guest's port accesses.
 */
#include "serial.h"
#include "uart16550.h"
#include "vmm/partition.h"
#include "vmm/vuart.h"
#include "vmm/vuart_io.h"
#include "x86/cpu.h"

static struct vuart shared;
static uint16_t shared_base; /* 0: not emulated */
static volatile uint32_t shared_busy;

static uint8_t hw_in(unsigned int reg)
{
	return inb(shared_base + reg);
}

static void hw_out(unsigned int reg, uint8_t value)
{
	outb(shared_base + reg, value);
}

static const struct vuart_hw real_uart = { .in = hw_in, .out = hw_out, .tx = serial_tx_byte };

static void lock(void)
{
	while (__atomic_exchange_n(&shared_busy, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&shared_busy, 0, __ATOMIC_RELEASE);
}

void vuart_io_init(uint16_t base)
{
	shared_base = base;
	vuart_init(&shared, &real_uart);
}

bool vuart_io_claims(uint16_t port, uint8_t size)
{
	return shared_base && port < shared_base + UART_PORTS && (uint32_t)port + size > shared_base;
}

static bool in_uart(uint16_t port)
{
	return port >= shared_base && port < shared_base + UART_PORTS;
}

/* Byte by byte, as a wide access to 8-bit registers reaches each in turn. */
uint32_t vuart_io_in(uint16_t port, uint8_t size)
{
	uint32_t value = 0;

	lock();
	for (uint8_t i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint8_t b = in_uart(p) ? vuart_read(&shared, p - shared_base) : inb(p);

		value |= (uint32_t)b << (8 * i);
	}
	unlock();
	return value;
}

void vuart_io_out(uint16_t port, uint8_t size, uint32_t value)
{
	lock();
	for (uint8_t i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (in_uart(p))
			vuart_write(&shared, p - shared_base, b);
		else
			outb(p, b);
	}
	unlock();
}

void vuart_io_intercept(struct partition *p)
{
	if (!shared_base)
		return;
	for (uint16_t i = 0; i < UART_PORTS; i++)
		io_intercept(p, shared_base + i, true);
}

void vuart_io_resync(void)
{
	if (!shared_base)
		return;
	lock();
	vuart_resync(&shared);
	unlock();
}

unsigned int vuart_io_poll(uint16_t *out, unsigned int max)
{
	unsigned int n;

	if (!shared_base)
		return 0;
	lock();
	n = vuart_poll(&shared, out, max);
	unlock();
	return n;
}
