/* Port I/O the hypervisor passes through: the COM1 scratch register and the CMOS/RTC. */
#include "guest.h"
#include "x86.h"

const char guest_name[] = "io";

#define COM1_SCR 0x3ff /* scratch register: stores any byte (8250 and later) */
#define COM1_LSR 0x3fd
#define LSR_THRE 0x20
#define LSR_POLL_LIMIT 1000000u
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_D 0x0d
#define CMOS_D_VRT 0x80 /* valid RAM and time */
#define CMOS_NMI_ENABLED 0x00 /* index bit 7 clear: leave NMIs enabled */

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_ENABLED | reg);
	return inb(CMOS_DATA);
}

static void check_scratch(uint8_t value)
{
	uint8_t back;

	outb(COM1_SCR, value);
	back = inb(COM1_SCR);
	ok(back == value, "COM1 scratch register written 0x%02x reads back 0x%02x", value, back);
}

/* The transmitter may still be busy with our last line (Bochs models the baud rate): wait for it. */
static uint8_t wait_thre(void)
{
	uint8_t lsr = 0;

	for (unsigned int i = 0; i < LSR_POLL_LIMIT; i++) {
		lsr = inb(COM1_LSR);
		if (lsr & LSR_THRE)
			break;
	}
	return lsr;
}

void guest_main(void)
{
	uint8_t lsr = wait_thre();
	uint8_t b, d, sec1, sec2;

	ok(lsr != 0xff && (lsr & LSR_THRE), "COM1 line status 0x%02x: present, transmitter ready", lsr);
	check_scratch(0xa5);
	check_scratch(0x5a);
	check_scratch(0x00);

	d = cmos_read(CMOS_STATUS_D);
	ok(d & CMOS_D_VRT, "CMOS status register D 0x%02x reports valid RAM and time", d);
	b = cmos_read(CMOS_STATUS_B);
	ok(b != 0xff, "CMOS status register B reads 0x%02x (not a floating bus)", b);
	sec1 = cmos_read(0x00);
	sec2 = cmos_read(0x00);
	ok(sec1 != 0xff && sec2 != 0xff, "CMOS seconds read 0x%02x, 0x%02x", sec1, sec2);
}
