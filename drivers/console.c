/* Log lines to the serial console, one CPU at a time, each prefixed with the CPU number. */
#include "console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "serial.h"
#include "x86/cpu.h"
#include "x86/percpu.h"

#define LINE_MAX 512

static int log_level = LOG_INFO;

/*
 * Owner of the console (CPU number + 1, 0 = free). A CPU that already owns it, because an exception
 * or NMI interrupted its own printk, writes straight through; a CPU that waits too long (the owner
 * died or sits in an NMI shootdown) also writes through: a mixed line beats a silent hang.
 */
static volatile uint32_t console_owner;
#define CONSOLE_SPIN_LIMIT 50000000

static bool console_lock(void)
{
	uint32_t me = this_cpu_id() + 1;

	if (console_owner == me)
		return false;
	for (long spin = 0; spin < CONSOLE_SPIN_LIMIT; spin++) {
		if (__atomic_compare_exchange_n(&console_owner, &(uint32_t){ 0 }, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		cpu_relax();
	}
	return false;
}

static void console_unlock(bool taken)
{
	if (taken)
		__atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
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
	serial_write(s, len);
}

void vprintk(int level, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	int n, len;
	bool taken;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "[cpu%u] ", this_cpu_id());
	len = vsnprintf(line + n, sizeof(line) - n, fmt, ap) + n;
	if (len >= (int)sizeof(line) - 1) {
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	if (line[len - 1] != '\n')
		line[len++] = '\n';
	taken = console_lock();
	serial_write(line, len);
	console_unlock(taken);
}

void printk(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}
