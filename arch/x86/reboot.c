/*
 * The one path every reset, panic and guest reset request goes through. VMX blocks INIT after
 * VMXON and SVM blocks it while GIF=0, so a reset with cores still in root mode can hang the
 * machine: every other CPU is sent an NMI and leaves virtualization from its NMI handler (or NMI
 * exit), acknowledges and parks; the initiator waits with a timeout, leaves last, then resets
 * through the FADT reset register, port 0xCF9, the keyboard controller and a triple fault.
 */
#include "console.h"
#include "iommu.h"
#include "lib/printf.h"
#include "mm.h"
#include "panic.h"
#include "vmm/vcpu.h"
#include "platform.h"
#include "screen.h"
#include "timer.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/desc.h"
#include "x86/percpu.h"
#include "x86/reboot.h"
#include "x86/smp.h"

#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_SYS_RST 0x02
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBD_STATUS 0x64
#define KBD_STATUS_INPUT_FULL 0x02
#define KBD_CMD_PULSE_RESET 0xFE
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define RESET_SETTLE_US 100000
#define LEAVE_WAIT_US 1000000

static bool panic_reboots = true;
static bool leave_twice; /* selftest=leavefault */
static volatile int reboot_owner = -1;

void panic_set_reboot(bool reboot)
{
	panic_reboots = reboot;
}

void reboot_set_leave_fault(bool on)
{
	leave_twice = on;
}

bool reboot_requested(void)
{
	return this_cpu()->requests & CPU_REQ_LEAVE;
}

/* Leaves SVM/VMX on this CPU; every step may fault and is eaten. Returns the faults eaten. */
static unsigned int leave_here(void)
{
	unsigned int faults = virt_leave_cpu();

	if (leave_twice)
		faults += virt_leave_cpu(); /* nothing is left to leave: each step faults */
	return faults;
}

/* Called from the NMI handler or the NMI exit: no locks, no allocation, never returns. */
__noreturn void reboot_respond(void)
{
	struct percpu *cpu = this_cpu();
	unsigned int faults = leave_here();

	cpu->leave_faults = faults;
	__atomic_store_n(&cpu->leave_state, LEAVE_DONE, __ATOMIC_RELEASE);
	cpu_halt_forever();
}

static void report(const char *who, unsigned int cpu_id, unsigned int faults)
{
	if (faults)
		printk(LOG_EMERG, "%s: CPU %u left %s (%u fault%s eaten)", who, cpu_id, virt_name(), faults,
		       faults == 1 ? "" : "s");
	else
		printk(LOG_EMERG, "%s: CPU %u left %s", who, cpu_id, virt_name());
}

static void stop_other_cpus(const char *who)
{
	unsigned int me = this_cpu_id();
	uint64_t deadline;

	for (unsigned int i = 0; i < smp_cpu_count(); i++) {
		struct percpu *cpu = smp_cpu(i);

		if (i == me)
			continue;
		__atomic_fetch_or(&cpu->requests, CPU_REQ_LEAVE, __ATOMIC_RELEASE);
		apic_send_nmi(cpu->apic_id);
	}
	deadline = tsc_deadline_us(LEAVE_WAIT_US);
	for (unsigned int i = 0; i < smp_cpu_count(); i++) {
		struct percpu *cpu = smp_cpu(i);

		if (i == me)
			continue;
		while (__atomic_load_n(&cpu->leave_state, __ATOMIC_ACQUIRE) != LEAVE_DONE && rdtsc() < deadline)
			cpu_relax();
		if (cpu->leave_state == LEAVE_DONE)
			report(who, i, cpu->leave_faults);
		else
			printk(LOG_EMERG, "%s: CPU %u did not answer within %u ms; going on without it", who, i,
			       LEAVE_WAIT_US / 1000);
	}
}

bool reboot_claim(void)
{
	int expected = -1;

	return __atomic_compare_exchange_n(&reboot_owner, &expected, (int)this_cpu_id(), false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

void virt_leave_all(const char *who)
{
	stop_other_cpus(who);
	report(who, this_cpu_id(), leave_here());
}

void reboot_rearm(void)
{
	for (unsigned int i = 0; i < smp_cpu_count(); i++) {
		struct percpu *cpu = smp_cpu(i);

		__atomic_fetch_and(&cpu->requests, ~CPU_REQ_LEAVE, __ATOMIC_RELEASE);
		cpu->leave_faults = 0;
		__atomic_store_n(&cpu->leave_state, LEAVE_PENDING, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&reboot_owner, -1, __ATOMIC_RELEASE);
}

static void settle(void)
{
	udelay(RESET_SETTLE_US);
}

static void reset_through_fadt(void)
{
	const struct acpi_fadt_info *f = &platform_acpi.fadt;
	uint64_t a = f->reset_reg.address;
	volatile uint8_t *mmio;

	if (!acpi_reset_reg_usable(&platform_acpi))
		return;
	printk(LOG_EMERG, "reboot: resetting through the FADT reset register");
	switch (f->reset_reg.space_id) {
	case ACPI_GAS_SYSTEM_IO:
		outb((uint16_t)a, f->reset_value);
		break;
	case ACPI_GAS_SYSTEM_MEMORY:
		mmio = ioremap(a, 1);
		if (mmio)
			*mmio = f->reset_value;
		break;
	case ACPI_GAS_PCI_CONFIG:
		/* Bus 0; the GAS address holds device (47:32), function (31:16) and offset (15:0). */
		outl(PCI_CONFIG_ADDRESS, 0x80000000U | (uint32_t)(((a >> 32) & 0x1F) << 11) |
						 (uint32_t)(((a >> 16) & 0x7) << 8) | (uint32_t)(a & 0xFC));
		outb(PCI_CONFIG_DATA + (a & 3), f->reset_value);
		break;
	}
	settle();
}

__noreturn void machine_reset(void)
{
	struct desc_ptr no_idt = { 0, 0 };

	irq_disable();
	reset_through_fadt();
	printk(LOG_EMERG, "reboot: resetting through port 0xcf9");
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST);
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
	settle();
	printk(LOG_EMERG, "reboot: resetting through the keyboard controller");
	for (int i = 0; i < 100000 && (inb(PORT_KBD_STATUS) & KBD_STATUS_INPUT_FULL); i++)
		cpu_relax();
	outb(PORT_KBD_STATUS, KBD_CMD_PULSE_RESET);
	settle();
	printk(LOG_EMERG, "reboot: resetting through a triple fault");
	asm volatile("lidt %0; int3" : : "m"(no_idt));
	cpu_halt_forever();
}

__noreturn void reboot_machine(const char *why, bool reset)
{
	irq_disable();
	/* One initiator: a CPU that finds a reboot (or a suspend) under way answers it instead. */
	if (!reboot_claim())
		reboot_respond();
	printk(LOG_EMERG, "reboot: %s", why);
	virt_leave_all("reboot");
	iommu_poll_faults(true); /* what the guest's devices tried last */
	if (!reset) {
		printk(LOG_EMERG, "panic: halting (panic=halt)");
		cpu_halt_forever(); /* DMA stays confined: the memory is left as it was, to be examined */
	}
	/*
	 * Translation off last, once no vCPU runs: the guest can no longer program a device, and DMA
	 * still in flight lands in memory the reset discards anyway. Firmware expects the units off.
	 */
	iommu_disable_all();
	machine_reset();
}

__noreturn void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	screen_reclaim(); /* the log on the screen again, if the guest left it as the loader did */
	printk(LOG_EMERG, "PANIC: %s", msg);
	vcpu_panic_dump(); /* what the guest did last on this CPU, if it runs one */
	reboot_machine(panic_reboots ? "hypervisor panic: resetting the machine (panic=halt keeps it stopped)"
				     : "hypervisor panic: stopping every CPU",
		       panic_reboots);
}
