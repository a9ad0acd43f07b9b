/* Guest start-up, test reporting and the exit paths. */
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xf4     /* QEMU isa-debug-exit: exits with (value << 1) | 1 */
#define BOCHS_SHUTDOWN_PORT 0x8900 /* Bochs ends when "Shutdown" is written here */

static unsigned int n_run, n_failed, n_skipped;
static char vendor_string[13];
static enum vendor vendor;

static void report(bool pass, const char *fmt, va_list ap)
{
	n_run++;
	if (!pass)
		n_failed++;
	printf("%sok %u - ", pass ? "" : "not ", n_run);
	vprintf_serial(fmt, ap);
	printf("\n");
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	n_skipped++;
	va_start(ap, fmt);
	printf("ok %u - ", n_run);
	vprintf_serial(fmt, ap);
	printf(" # SKIP %s\n", why);
	va_end(ap);
}

unsigned int tests_failed(void)
{
	return n_failed;
}

__noreturn void guest_exit(bool passed)
{
	outb(DEBUG_EXIT_PORT, passed ? 0 : 1);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	halt_forever();
}

__noreturn void done(void)
{
	printf("guest: done: %u passed, %u failed", n_run - n_failed - n_skipped, n_failed);
	if (n_skipped)
		printf(", %u skipped", n_skipped);
	printf("\n");
	guest_exit(n_failed == 0);
}

__noreturn void abort_test(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(false, fmt, ap);
	va_end(ap);
	done();
}

enum vendor cpu_vendor(void)
{
	return vendor;
}

const char *cpu_vendor_string(void)
{
	return vendor_string;
}

static void detect_vendor(void)
{
	struct cpuid_regs r = cpuid(0);

	memcpy(vendor_string, &r.ebx, 4);
	memcpy(vendor_string + 4, &r.edx, 4);
	memcpy(vendor_string + 8, &r.ecx, 4);
	vendor_string[12] = '\0';
	if (!strcmp(vendor_string, "GenuineIntel"))
		vendor = VENDOR_INTEL;
	else if (!strcmp(vendor_string, "AuthenticAMD") || !strcmp(vendor_string, "HygonGenuine"))
		vendor = VENDOR_AMD;
	else
		vendor = VENDOR_OTHER;
}

void guest_entry(uint32_t magic, uint32_t info);
void guest_entry(uint32_t magic, uint32_t info)
{
	desc_init();
	mb_init(magic, info);
	detect_vendor();
	printf("guest %s: vendor %s, hypercall %s, command line '%s'\n", guest_name, vendor_string,
	       hypercall_insn(), mb_cmdline());
	if (!ok(magic == MB1_BOOT_MAGIC, "multiboot magic 0x%x, info at 0x%x", magic, info))
		done();
	guest_main();
	done();
}
