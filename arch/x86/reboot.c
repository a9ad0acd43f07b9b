/* panic() and the last-resort machine reset. */
#include "console.h"
#include "lib/printf.h"
#include "panic.h"
#include "x86/cpu.h"
#include "x86/desc.h"

#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_SYS_RST 0x02
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBD_STATUS 0x64
#define KBD_STATUS_INPUT_FULL 0x02
#define KBD_CMD_PULSE_RESET 0xFE
#define RESET_SETTLE_SPINS 10000000

static bool panic_reboots = true;

void panic_set_reboot(bool reboot)
{
	panic_reboots = reboot;
}

static void settle(void)
{
	for (long i = 0; i < RESET_SETTLE_SPINS; i++)
		cpu_relax();
}

__noreturn void machine_reset(void)
{
	struct desc_ptr no_idt = { 0, 0 };

	irq_disable();
	pr_info("reset: trying port 0xcf9");
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST);
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
	settle();
	pr_info("reset: trying the keyboard controller");
	for (int i = 0; i < 100000 && (inb(PORT_KBD_STATUS) & KBD_STATUS_INPUT_FULL); i++)
		cpu_relax();
	outb(PORT_KBD_STATUS, KBD_CMD_PULSE_RESET);
	settle();
	pr_info("reset: forcing a triple fault");
	asm volatile("lidt %0; int3" : : "m"(no_idt));
	cpu_halt_forever();
}

__noreturn void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_EMERG, "PANIC: %s", msg);
	if (panic_reboots) {
		printk(LOG_EMERG, "panic: resetting the machine (panic=halt keeps it stopped)");
		machine_reset();
	}
	printk(LOG_EMERG, "panic: halting (panic=halt)");
	cpu_halt_forever();
}
