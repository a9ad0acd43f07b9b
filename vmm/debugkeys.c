/*
 * The debug console (include/vmm/debugkeys.h). With the console on its own UART, the guest never
 * sees that UART (its ports are intercepted: reads all ones, as with no UART there, writes
 * dropped) and every byte received there is a debug key. Any CPU may answer: the first whose exit
 * finds the poll deadline passed claims the next one with a compare-exchange and reads the UART,
 * so two CPUs never read it at once and a key waits for whichever vCPU exits first.
 */
#include "console.h"
#include "iommu.h"
#include "lib/printf.h"
#include "mm.h"
#include "serial.h"
#include "timer.h"
#include "vmm/debugkeys.h"
#include "vmm/exit.h"
#include "vmm/housekeeping.h"
#include "vmm/partition.h"
#include "x86/cpu.h"
#include "x86/reboot.h"
#include "x86/smp.h"

#define UART_PORTS 8
#define KEYS_PER_POLL 16

static uint16_t hv_uart; /* 0: keys off */

/* Answers print whatever the log level: the operator asked for them. */
#define dk_print(...) printk(LOG_CRIT, __VA_ARGS__)

void debugkeys_init(uint16_t console_port)
{
	if (console_port == COM1_PORT)
		return; /* shared with the guest: keys off (design.md: intercepting it costs every byte) */
	hv_uart = console_port;
	housekeeping_start(); /* the keys are read from its periodic poll */
	pr_info("debug: keys on the console (port %#x): press h for help", console_port);
}

bool debugkeys_enabled(void)
{
	return hv_uart != 0;
}

bool debugkeys_port_hidden(uint16_t port, uint8_t size)
{
	return hv_uart && port < hv_uart + UART_PORTS && (uint32_t)port + size > hv_uart;
}

void debugkeys_intercept_ports(struct partition *p)
{
	if (!hv_uart)
		return;
	for (uint16_t i = 0; i < UART_PORTS; i++)
		io_intercept(p, hv_uart + i, true);
}

uint64_t debugkeys_timer_tsc(void)
{
	return hv_uart ? tsc_khz() * DEBUGKEYS_TIMER_MS : 0;
}

void debugkeys_print_stats(void)
{
	char row[128];

	iommu_poll_faults(true); /* DMA faults first: the table may be what someone reads last */
	dk_print("%s", exit_stats_header);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		const struct vcpu *v = guest_partition.vcpus[cpu];

		if (!v)
			continue;
		for (unsigned int r = 0; r < EXIT_NR; r++) {
			/* Racy reads of another CPU's counters: a row may lag its sums by an exit. */
			uint64_t count = v->exits[r];

			if (!count)
				continue;
			exit_stats_row(row, sizeof(row), v->id, exit_reason_name(r), count, v->exit_cycles[r],
				       v->exit_cycles_max[r]);
			dk_print("%s", row);
		}
		dk_print("stats: %3u total %llu exits", v->id, (unsigned long long)v->total_exits);
	}
}

static const char *vcpu_state(const struct vcpu *v, const struct vcpu *self)
{
	if (v->part->stopped)
		return "stopped";
	if (__atomic_load_n(&v->startup, __ATOMIC_RELAXED) & VCPU_WAITING)
		return "waiting for SIPI";
	if (v == self)
		return "in the hypervisor (answering this key)";
	return "running (registers as at its last exit)";
}

static void print_vcpus(struct vcpu *self)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		const struct vcpu *v = guest_partition.vcpus[cpu];

		if (!v)
			continue;
		dk_print("vcpu%u: %s, %llu exits, %llu INITs, %llu SIPIs", v->id, vcpu_state(v, self),
			 (unsigned long long)v->total_exits, (unsigned long long)v->inits, (unsigned long long)v->sipis);
		vcpu_print_gprs(v, LOG_CRIT);
		if (v == self) /* the VMCB/VMCS fields are readable only on the vCPU's own CPU (VMREAD) */
			dk_print("vcpu%u: CR0 %016llx CR3 %016llx CR4 %016llx EFER %016llx", v->id,
				 (unsigned long long)vcpu_ops->read_reg(self, VCPU_CR0),
				 (unsigned long long)vcpu_ops->read_reg(self, VCPU_CR3),
				 (unsigned long long)vcpu_ops->read_reg(self, VCPU_CR4),
				 (unsigned long long)vcpu_ops->read_reg(self, VCPU_EFER));
	}
}

static void print_rings(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		const struct vcpu *v = guest_partition.vcpus[cpu];

		if (v) {
			dk_print("vcpu%u: ring of the last %u exits", v->id, EXIT_HISTORY);
			vcpu_dump_history(v);
		}
	}
}

static void print_memory(void)
{
	const struct hv_layout *l = &hv_layout;
	const struct partition *p = &guest_partition;

	dk_print("memory: hypervisor %#llx-%#llx (%llu KiB): image %#llx-%#llx, frame pool %#llx-%#llx",
		 (unsigned long long)l->hv_base, (unsigned long long)l->hv_end,
		 (unsigned long long)(l->hv_end - l->hv_base) / KiB, (unsigned long long)l->image_base,
		 (unsigned long long)l->image_end, (unsigned long long)l->pool_base, (unsigned long long)l->pool_end);
	dk_print("memory: AP trampoline %#llx (%s), S3 wake page %#llx", (unsigned long long)l->trampoline,
		 l->trampoline_hidden ? "hidden from the guest" : "given to the guest", (unsigned long long)l->wake_page);
	dk_print("memory: guest RAM %llu MiB (%llu MiB below 4 GiB)", (unsigned long long)range_set_total(&p->ram) / MiB,
		 (unsigned long long)l->free_below_4g / MiB);
	dk_print("memory: %s nested tables at %#llx map 0-%#llx 1:1 (above: on first touch), idle table %#llx",
		 vcpu_ops->name, (unsigned long long)p->npt_root, (unsigned long long)p->npt_limit,
		 (unsigned long long)p->idle_npt_root);
	dk_print("memory: APIC page %#llx (%s), %u vCPUs emulate its reads", (unsigned long long)p->apic_page,
		 p->apic_read_traps ? "absent: reads and writes emulated" : "read-only: writes emulated",
		 p->apic_read_traps);
}

static void change_log_level(int delta)
{
	int level = console_loglevel() + delta;

	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	console_set_loglevel(level);
	dk_print("debug: log level %d", level);
}

static void answer(struct vcpu *v, int c)
{
	switch (debug_key_action(c)) {
	case DK_HELP:
		for (const char *const *line = debug_key_help; *line; line++)
			dk_print("debug: %s", *line);
		break;
	case DK_STATS:
		debugkeys_print_stats();
		break;
	case DK_VCPUS:
		print_vcpus(v);
		break;
	case DK_RINGS:
		print_rings();
		break;
	case DK_MEMORY:
		print_memory();
		break;
	case DK_LOG_UP:
		change_log_level(1);
		break;
	case DK_LOG_DOWN:
		change_log_level(-1);
		break;
	case DK_REBOOT:
		reboot_machine("debug key R: rebooting", true);
	case DK_NONE:
		if (c != '\r' && c != '\n')
			dk_print("debug: key %#x does nothing (h for help)", c);
		break;
	}
}

void debugkeys_poll(struct vcpu *v)
{
	uint64_t now = rdtsc();

	for (int i = 0; i < KEYS_PER_POLL; i++) {
		int c = serial_getc();

		if (c < 0)
			break;
		dk_print("debug: key '%c' at tsc %llu (exit at %llu)", c >= 0x20 && c < 0x7F ? c : '?',
			 (unsigned long long)now, (unsigned long long)v->exit_tsc);
		answer(v, c);
	}
}

/* The VMX-preemption timer fired: the run loop has polled the UART already; the guest goes on. */
enum exit_verdict handle_timer(struct vcpu *v)
{
	return EXIT_RESUME;
}
