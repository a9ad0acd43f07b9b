/*
 * Delays with PIT channel 2 in mode 0 (interrupt on terminal count), read back through port 0x61
 * bit 5 (OUT2), so there is no interrupt and no RDTSC (the unhandled-exit test intercepts RDTSC).
 */
#include "guest.h"
#include "x86.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define PORT_61 0x61
#define PORT_61_GATE2 0x01
#define PORT_61_SPEAKER 0x02
#define PORT_61_OUT2 0x20
#define CHUNK_US 50000u      /* below the 16-bit count limit (about 54.9 ms) */
#define POLL_LIMIT 20000000u /* a PIT that never counts must not hang the guest */

static void delay_chunk(unsigned int us)
{
	uint32_t count = us * (PIT_HZ / 1000u) / 1000u;
	uint8_t ctl = inb(PORT_61) & ~(PORT_61_GATE2 | PORT_61_SPEAKER);

	if (count == 0)
		count = 1;
	outb(PORT_61, ctl); /* gate low: hold the counter while it is programmed */
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, (count >> 8) & 0xff);
	outb(PORT_61, ctl | PORT_61_GATE2);
	for (unsigned int i = 0; i < POLL_LIMIT && !(inb(PORT_61) & PORT_61_OUT2); i++)
		;
	outb(PORT_61, ctl);
}

void udelay(unsigned int us)
{
	while (us) {
		unsigned int chunk = us > CHUNK_US ? CHUNK_US : us;

		delay_chunk(chunk);
		us -= chunk;
	}
}
