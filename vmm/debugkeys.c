/*
 * The debug console (include/vmm/debugkeys.h). With the console on its own UART, the guest never
 * sees that UART (its ports are intercepted: reads all ones, as with no UART there, writes
 * dropped) and every byte received there is a key. On COM1 shared with the guest, keys are on
 * only with debugkeys=on: the guest's UART is then emulated (vmm/vuart.c), and Ctrl-A three times
 * switches input between guest and hypervisor. Any CPU may answer: the first whose exit finds the
 * poll deadline passed claims the next one with a compare-exchange and reads the UART, so two CPUs
 * never read it at once and a key waits for whichever vCPU exits first.
 */
#include "cmdline.h"
#include "console.h"
#include "iommu.h"
#include "lib/printf.h"
#include "mm.h"
#include "serial.h"
#include "timer.h"
#include "uart16550.h"
#include "vmm/debugkeys.h"
#include "vmm/exit.h"
#include "vmm/housekeeping.h"
#include "vmm/partition.h"
#include "vmm/vuart.h"
#include "vmm/vuart_io.h"
#include "x86/cpu.h"
#include "x86/reboot.h"
#include "x86/smp.h"

#define KEYS_PER_POLL 16

static uint16_t hidden_uart;  /* the hypervisor's own UART, hidden from the guest (0: on COM1) */
static bool keys_on;
static bool keys_shared;      /* on COM1 with the guest, through vmm/vuart.c */
/* Per vCPU: its last exit was the VMX-preemption timer, taken in the guest's HLT. */
static bool halted_at_timer[MAX_CPUS];

/* Answers print whatever the log level: the operator asked for them. */
#define dk_print(...) printk(LOG_CRIT, __VA_ARGS__)

void debugkeys_init(uint16_t console_port, enum hv_debugkeys mode)
{
	if (!console_port)
		return; /* console=none or the screen alone: no UART to read keys from */
	if (console_port != COM1_PORT)
		hidden_uart = console_port;
	keys_on = hidden_uart ? mode != HV_DEBUGKEYS_OFF : mode == HV_DEBUGKEYS_ON;
	if (!keys_on)
		return; /* on COM1 by default: intercepting the guest's UART costs exits on every byte it prints */
	housekeeping_start(); /* the keys are read from its periodic poll */
	if (hidden_uart) {
		pr_info("debug: keys on the console (port %#x): press h for help", console_port);
		return;
	}
	keys_shared = true;
	vuart_io_init(console_port);
	pr_info("debug: keys on the console shared with the guest (port %#x, its UART emulated): "
		"Ctrl-A three times switches input to the hypervisor and back", console_port);
}

void debugkeys_rearm(void)
{
	if (keys_shared)
		vuart_io_resync(); /* after S3 serial_reinit() left the real IER at 0: the guest's again */
}

bool debugkeys_enabled(void)
{
	return keys_on;
}

bool debugkeys_port_hidden(uint16_t port, uint8_t size)
{
	return hidden_uart && port < hidden_uart + UART_PORTS && (uint32_t)port + size > hidden_uart;
}

void debugkeys_intercept_ports(struct partition *p)
{
	for (uint16_t i = 0; hidden_uart && i < UART_PORTS; i++)
		io_intercept(p, hidden_uart + i, true);
	vuart_io_intercept(p);
}

uint64_t debugkeys_timer_tsc(void)
{
	return keys_on ? tsc_khz() * DEBUGKEYS_TIMER_MS : 0;
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

/*
 * Halted is known only on VMX, and only at an exit: the guest's HLT does not exit, but the
 * activity state an exit saves shows it. The CPU answering reads its own (its VMCS is current);
 * another vCPU is known halted when its last exit was the preemption timer taken in HLT (any
 * wake-up since would have exited: interrupts and NMIs are intercepted). On SVM the VMCB keeps
 * no activity state, so a halted vCPU shows as running.
 */
static const char *vcpu_state(struct vcpu *v, const struct vcpu *self)
{
	bool answering = v == self, halted;

	if (answering)
		halted = vcpu_ops->read_reg(v, VCPU_HALTED);
	else
		halted = v->id < MAX_CPUS && halted_at_timer[v->id] && v->last_reason == EXIT_TIMER;
	return debug_vcpu_state(v->part->stopped, __atomic_load_n(&v->startup, __ATOMIC_RELAXED) & VCPU_WAITING,
				answering, halted);
}

static void print_vcpus(struct vcpu *self)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct vcpu *v = guest_partition.vcpus[cpu];

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
		if (keys_shared)
			dk_print("debug: Ctrl-A three times: input back to the guest");
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

/* Up to `max` keys (and, shared, input switches) received since the last poll. */
static unsigned int receive(uint16_t *events, unsigned int max)
{
	unsigned int n = 0;

	if (keys_shared)
		return vuart_io_poll(events, max);
	for (int c; n < max && (c = serial_getc()) >= 0;)
		events[n++] = (uint16_t)c;
	return n;
}

void debugkeys_poll(struct vcpu *v)
{
	uint64_t now = rdtsc();
	uint16_t events[KEYS_PER_POLL];
	unsigned int n;

	n = receive(events, KEYS_PER_POLL);
	for (unsigned int i = 0; i < n; i++) {
		int c = events[i];

		if (c == VUART_INPUT_TO_HV) {
			dk_print("debug: console input to the hypervisor: every key is a debug key (h for help, "
				 "Ctrl-A three times gives input back to the guest)");
			continue;
		}
		if (c == VUART_INPUT_TO_GUEST) {
			dk_print("debug: console input back to the guest");
			continue;
		}
		dk_print("debug: key '%c' at tsc %llu (exit at %llu)", c >= 0x20 && c < 0x7F ? c : '?',
			 (unsigned long long)now, (unsigned long long)v->exit_tsc);
		answer(v, c);
	}
}

/*
 * The VMX-preemption timer fired: the run loop has polled the UART already; the guest goes on.
 * Its activity state is read here, off the fast path, for `v` (vcpu_state()).
 */
enum exit_verdict handle_timer(struct vcpu *v)
{
	if (v->id < MAX_CPUS)
		halted_at_timer[v->id] = vcpu_ops->read_reg(v, VCPU_HALTED);
	return EXIT_RESUME;
}
