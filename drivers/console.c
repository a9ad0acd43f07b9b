/*
 * Log lines to the serial console and the screen (drivers/screen.c), one CPU at a time, each
 * prefixed with the CPU number and the time since boot: "[cpu1 12.345678] text".
 */
#include "console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "screen.h"
#include "serial.h"
#include "timer.h"
#include "x86/cpu.h"
#include "x86/percpu.h"

#define LINE_MAX 512

static int log_level = LOG_INFO;
static bool serial_on = true; /* console=none or a screen only: off */
static uint64_t boot_tsc;   /* the TSC at the first line: time 0 of every timestamp */
static uint64_t last_delta; /* the latest time printed, in TSC cycles since boot_tsc */

/*
 * Each CPU formats its whole line in its own buffer, then writes it while it owns the console
 * (CPU number + 1, 0 = free), so lines of different CPUs never mix. The owner counts every byte
 * it sends: a CPU waits as long as that count moves, however slow the UART, and takes the console
 * over only when it stops moving (the owner died, or sits parked by the reboot path). A CPU that
 * already owns it, because an exception or NMI interrupted its own printk, writes straight through.
 */
static volatile uint32_t console_owner;
static volatile uint32_t console_progress;
#define CONSOLE_STALL_SPINS 20000000

static bool console_lock(void)
{
	uint32_t me = this_cpu_id() + 1;
	uint32_t seen = console_progress;
	long still = 0;

	if (console_owner == me)
		return false;
	for (;;) {
		uint32_t owner = 0;

		if (__atomic_compare_exchange_n(&console_owner, &owner, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		cpu_relax();
		if (console_progress != seen) {
			seen = console_progress;
			still = 0;
		} else if (++still >= CONSOLE_STALL_SPINS &&
			   __atomic_compare_exchange_n(&console_owner, &owner, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			return true; /* the owner stopped mid-line: its line stays cut, ours starts after it */
		}
	}
}

static void console_unlock(bool taken)
{
	if (taken)
		__atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
}

static void console_emit(const char *s, size_t len, bool highlight)
{
	for (size_t i = 0; i < len; i++) {
		if (serial_on)
			serial_putc(s[i]);
		screen_write(&s[i], 1, highlight);
		__atomic_store_n(&console_progress, console_progress + 1, __ATOMIC_RELAXED);
	}
}

void console_use_serial(bool on)
{
	serial_on = on;
}

void console_set_loglevel(int level)
{
	log_level = level;
}

int console_loglevel(void)
{
	return log_level;
}

void console_write(const char *s, size_t len)
{
	bool taken = console_lock();

	console_emit(s, len, false);
	console_unlock(taken);
}

/*
 * Seconds and microseconds since the first line, from the TSC (before its calibration at the PIT,
 * the fallback rate: early lines may be off by that factor). The TSCs of all CPUs start together
 * at reset on the machines we know, so lines of different CPUs sort by it.
 */
static int format_prefix(char *buf, size_t size)
{
	uint64_t now = rdtsc(), khz = tsc_khz(), delta, per_s;

	if (!boot_tsc)
		boot_tsc = now;
	per_s = khz * 1000;
	delta = now - boot_tsc; /* modulo 2^64: boot_tsc may have been moved below 0, see below */
	/*
	 * More than a second back: the TSC started again (a resume from S3). Time goes on from the
	 * last line (the time asleep is not known). Smaller steps back are skew between CPUs' TSCs.
	 */
	if ((int64_t)(delta - last_delta) < -(int64_t)per_s) {
		boot_tsc = now - last_delta;
		delta = last_delta;
	}
	if ((int64_t)(delta - last_delta) > 0)
		last_delta = delta;
	return snprintf(buf, size, "[cpu%u %llu.%06llu] ", this_cpu_id(), (unsigned long long)(delta / per_s),
			(unsigned long long)((delta % per_s) * 1000 / khz));
}

void vprintk(int level, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	int n, len;
	bool taken;

	/* Emergency and critical lines (panics, the reboot path, a guest that cannot run) always print. */
	if (level > log_level && level > LOG_CRIT)
		return;
	n = format_prefix(line, sizeof(line));
	len = vsnprintf(line + n, sizeof(line) - n, fmt, ap) + n;
	if (len >= (int)sizeof(line) - 1) {
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	if (line[len - 1] != '\n')
		line[len++] = '\n';
	taken = console_lock();
	console_emit(line, len, level <= LOG_ERR);
	console_unlock(taken);
}

void printk(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}
