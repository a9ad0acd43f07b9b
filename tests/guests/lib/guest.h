/*
 * The test guests' library: everything a guest needs besides its own checks.
 *
 * A guest is one C file that defines GUEST_NAME's string and guest_main(). The library's entry
 * (entry.S) takes the multiboot hand-over, loads its own GDT and IDT, prints a banner with the CPU
 * vendor and the command line, checks the multiboot magic, runs guest_main(), then done().
 *
 * Output is TAP-like on COM1:  `ok N - what`, `not ok N - what`, then `guest: done: P passed,
 * F failed` and an exit through QEMU's isa-debug-exit (port 0xf4: 0 all passed, 1 otherwise) and
 * Bochs' shutdown port (0x8900), then cli; hlt forever.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include "types.h"

/* Each guest defines these two. */
extern const char guest_name[];
void guest_main(void);

/* Console (COM1, polled). */
void putchar_serial(char c);
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf_serial(const char *fmt, va_list ap) __printf(1, 0);

/* Test reporting. ok() returns cond so callers can skip dependent checks. */
bool ok(bool cond, const char *fmt, ...) __printf(2, 3);
void skip(const char *why, const char *fmt, ...) __printf(2, 3);
/* Counts of the ok()/not ok results so far. */
unsigned int tests_failed(void);
/* Prints the summary line and exits (failed if any check failed). */
__noreturn void done(void);
/* Records a failed check explaining why the guest cannot go on, then done(). */
__noreturn void abort_test(const char *fmt, ...) __printf(1, 2);
/* Ends the run: isa-debug-exit (QEMU), the Bochs shutdown port, then cli; hlt forever. */
__noreturn void guest_exit(bool passed);

/* CPU vendor, detected once at start. */
enum vendor { VENDOR_OTHER, VENDOR_AMD, VENDOR_INTEL };
enum vendor cpu_vendor(void);
const char *cpu_vendor_string(void); /* the 12-byte CPUID leaf 0 string, NUL-terminated */

/* Busy-waits about `us` microseconds using PIT channel 2 (no RDTSC, no interrupts). */
void udelay(unsigned int us);

#endif
