/*
 * TSC calibration against PIT channel 2 (8254 data sheet; port 0x61 gates channel 2 on PCs), or
 * channel 0 read back by latch where port 0x61 is absent (QEMU's microvm has no PC speaker port).
 */
#include "console.h"
#include "timer.h"
#include "x86/cpu.h"

#define PIT_HZ 1193182
#define PIT_CH0_DATA 0x40
#define PIT_CH0_MODE2_LOHI 0x34 /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
#define PIT_CH0_LATCH 0x00
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_MODE0_LOHI 0xB0 /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PORT_ABSENT 0xFF
#define CALIBRATION_MS 10
#define PIT_SPIN_LIMIT 100000000 /* a PIT that never counts down must not hang the boot */
#define FALLBACK_KHZ 1000000

static uint64_t khz = FALLBACK_KHZ;

static uint16_t pit_ch0_count(void)
{
	uint8_t lo;

	outb(PIT_COMMAND, PIT_CH0_LATCH);
	lo = inb(PIT_CH0_DATA);
	return (uint16_t)(lo | inb(PIT_CH0_DATA) << 8);
}

/*
 * Channel 0 is always gated: it counts down from 0xFFFF and starts again (left so, it is the
 * BIOS's 18.2 Hz tick, which the guest programs anew). Returns the spins, PIT_SPIN_LIMIT if it stood still.
 */
static long count_ch0(uint16_t ticks, uint64_t *start, uint64_t *end)
{
	uint32_t elapsed = 0;
	uint16_t last, now;
	long spin;

	outb(PIT_COMMAND, PIT_CH0_MODE2_LOHI);
	outb(PIT_CH0_DATA, 0xFF);
	outb(PIT_CH0_DATA, 0xFF);
	last = pit_ch0_count();
	*start = rdtsc();
	for (spin = 0; spin < PIT_SPIN_LIMIT && elapsed < ticks; spin++) {
		now = pit_ch0_count();
		elapsed += (uint16_t)(last - now);
		last = now;
	}
	*end = rdtsc();
	return spin;
}

void tsc_calibrate(void)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;
	uint64_t start, end;
	long spin;

	if (inb(PORT_B) == PORT_ABSENT) {
		spin = count_ch0(count, &start, &end);
		goto measured;
	}
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
	outb(PIT_CH2_DATA, count & 0xFF);
	outb(PIT_CH2_DATA, count >> 8);
	start = rdtsc();
	for (spin = 0; spin < PIT_SPIN_LIMIT && !(inb(PORT_B) & PORT_B_OUT2); spin++)
		;
	end = rdtsc();
measured:
	if (spin == PIT_SPIN_LIMIT || end <= start) {
		pr_warn("timer: the PIT did not count down; assuming a %llu MHz TSC", (unsigned long long)FALLBACK_KHZ / 1000);
		return;
	}
	khz = (end - start) / CALIBRATION_MS;
	pr_info("timer: TSC runs at %llu.%03llu MHz (calibrated against the PIT)", (unsigned long long)khz / 1000,
		(unsigned long long)khz % 1000);
}

uint64_t tsc_khz(void)
{
	return khz;
}

uint64_t tsc_deadline_us(uint64_t us)
{
	return rdtsc() + us * khz / 1000;
}

void udelay(uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (rdtsc() < deadline)
		cpu_relax();
}

void mdelay(uint64_t ms)
{
	udelay(ms * 1000);
}
