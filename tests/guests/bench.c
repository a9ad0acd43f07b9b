/*
 * The exit-path bench: each kind of exit in a loop, timed with RDTSC. Under QEMU with
 * `-icount shift=0,align=off` and under Bochs the TSC counts instructions retired (the guest's and
 * the hypervisor's alike), so a figure is instructions per round trip, and it is deterministic.
 *
 * Every bench prints one line for scripts/bench.py:
 *
 *	bench: KEY rounds=N insns=I.I exits=E.EE
 *
 * insns is the TSC delta of N rounds minus that of N rounds of the bare loop, divided by N: it
 * includes the few instructions that set up the operands (the same on bare metal). exits is the
 * calling vCPU's exit counter (hypercall HC_EXIT_COUNT) over the same N rounds divided by N, or
 * "-" without the hypervisor. The guest also runs bare (no hypervisor), which gives the baseline.
 *
 * The ok/not ok lines check only what the bench relies on (each exiting operation exits once, the
 * passed-through ones do not, interrupts arrive): the figures themselves are never judged here.
 */
#include "apic.h"
#include "guest.h"
#include "hypercall.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "bench";

#define ROUNDS 1000
#define WARMUP 16
#define V_BENCH_IPI 0x40
#define V_BENCH_TIMER 0x41
#define TIMER_INITIAL 0x4000 /* periodic, divide by 16: 262,144 bus clocks (instructions, in Bochs) */
#define TIMER_ROUNDS 100     /* interrupts counted: the period, not the hypervisor, sets the time */
#define IRQ_WAIT_SPINS 100000 /* pauses to wait for one self-IPI or self-NMI before giving up */

#define MSR_SYSENTER_ESP_NR 0x175
#define PORT_KBD_STATUS 0x64 /* intercepted (the reset command goes to it): reads are forwarded */
#define PORT_PCI_ADDRESS 0xcf8  /* 0xcf9 is intercepted only where it is the FADT reset register */
#define PORT_SYS_CONTROL_B 0x61 /* not intercepted */

static bool under_hv;
static uint32_t apic;
static volatile uint32_t ipi_count, nmi_count, timer_count;

/* Each loop runs its operation n times (n > 0) in the shape "1: op; dec; jnz 1b". */
static void loop_empty(uint32_t n)
{
	asm volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
}

static void loop_cpuid(uint32_t n, uint32_t leaf)
{
	asm volatile("1: mov %1, %%eax; xor %%ecx, %%ecx; cpuid; dec %%esi; jnz 1b"
		     : "+S"(n)
		     : "r"(leaf)
		     : "eax", "ebx", "ecx", "edx", "cc");
}

static void loop_cpuid0(uint32_t n)
{
	loop_cpuid(n, 0);
}

static void loop_cpuid1(uint32_t n)
{
	loop_cpuid(n, 1);
}

static void loop_rdmsr(uint32_t n, uint32_t msr)
{
	asm volatile("1: mov %1, %%ecx; rdmsr; dec %%esi; jnz 1b"
		     : "+S"(n)
		     : "r"(msr)
		     : "eax", "ecx", "edx", "cc");
}

static void loop_rdmsr_efer(uint32_t n)
{
	loop_rdmsr(n, MSR_EFER);
}

static void loop_rdmsr_passthrough(uint32_t n)
{
	loop_rdmsr(n, MSR_SYSENTER_ESP_NR);
}

static uint64_t efer; /* read once, before the benches: WRMSR writes it back unchanged */

static void loop_wrmsr_efer(uint32_t n)
{
	asm volatile("1: wrmsr; dec %%esi; jnz 1b"
		     : "+S"(n)
		     : "c"(MSR_EFER), "a"((uint32_t)efer), "d"((uint32_t)(efer >> 32))
		     : "cc", "memory");
}

static void loop_hypercall(uint32_t n)
{
	if (cpu_vendor() == VENDOR_INTEL)
		asm volatile("1: mov %1, %%eax; vmcall; dec %%esi; jnz 1b"
			     : "+S"(n)
			     : "i"(HC_VERSION)
			     : "eax", "ebx", "ecx", "edx", "cc");
	else
		asm volatile("1: mov %1, %%eax; vmmcall; dec %%esi; jnz 1b"
			     : "+S"(n)
			     : "i"(HC_VERSION)
			     : "eax", "ebx", "ecx", "edx", "cc");
}

static void loop_in(uint32_t n, uint16_t port)
{
	asm volatile("1: inb %w1, %%al; dec %%esi; jnz 1b" : "+S"(n) : "Nd"(port) : "eax", "cc");
}

static void loop_in_forwarded(uint32_t n)
{
	loop_in(n, PORT_KBD_STATUS);
}

static void loop_in_passthrough(uint32_t n)
{
	loop_in(n, PORT_SYS_CONTROL_B);
}

/* A 4-byte write to the PCI configuration address covers 0xcf9 (reset control) as well. */
static void loop_pci_address(uint32_t n)
{
	uint32_t address;

	asm volatile("inl %w1, %0" : "=a"(address) : "Nd"((uint16_t)PORT_PCI_ADDRESS));
	asm volatile("1: outl %%eax, %w1; dec %%esi; jnz 1b"
		     : "+S"(n)
		     : "Nd"((uint16_t)PORT_PCI_ADDRESS), "a"(address)
		     : "cc", "memory");
}

/* ICR high (the destination) has no side effect: the cost of one emulated APIC write. */
static void loop_apic_write(uint32_t n)
{
	asm volatile("1: movl %1, (%2); dec %%esi; jnz 1b"
		     : "+S"(n)
		     : "r"(0), "r"(apic + APIC_ICR_HI)
		     : "cc", "memory");
}

static void wait_for(volatile uint32_t *count, uint32_t target)
{
	for (unsigned int spin = 0; *count != target && spin < IRQ_WAIT_SPINS; spin++)
		cpu_relax();
}

static void ipi_handler(struct trap_frame *f)
{
	(void)f;
	ipi_count++;
	apic_eoi();
}

static void nmi_handler(struct trap_frame *f)
{
	(void)f;
	nmi_count++;
}

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	timer_count++;
	apic_eoi();
}

static void timer_start(void)
{
	apic_timer_start(V_BENCH_TIMER, TIMER_INITIAL, true);
}

/* n periodic timer interrupts, each delivered and EOI'd: the guest's timer tick. */
static void loop_timer(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t target = timer_count + 1;

		/* At least one more: a busy host may let two periods pass between looks. */
		for (unsigned int spin = 0; (int32_t)(timer_count - target) < 0 && spin < IRQ_WAIT_SPINS; spin++)
			cpu_relax();
	}
}

/* ICR write, the interrupt's delivery, the handler's EOI and IRET. */
static void loop_self_ipi(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t target = ipi_count + 1;

		mmio_write32(apic + APIC_ICR_LO, ICR_DEST_SELF | ICR_ASSERT | ICR_FIXED | V_BENCH_IPI);
		wait_for(&ipi_count, target);
	}
}

/* ICR write, the NMI's delivery and the handler's IRET (the destination is set once, before). */
static void loop_self_nmi(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t target = nmi_count + 1;

		mmio_write32(apic + APIC_ICR_LO, ICR_ASSERT | ICR_NMI);
		wait_for(&nmi_count, target);
	}
}

struct bench {
	const char *key;
	const char *what;
	void (*loop)(uint32_t n);
	int exits_per_round; /* what the check expects under the hypervisor; -1: not checked */
	bool needs_hv;
	bool needs_apic;
	void (*start)(void); /* outside the counted rounds: the timer is programmed once */
	unsigned int rounds; /* 0: ROUNDS */
};

static const struct bench benches[] = {
	{ "cpuid", "CPUID leaf 0", loop_cpuid0, 1, false, false, NULL, 0 },
	{ "cpuid-1", "CPUID leaf 1 (OSXSAVE, APIC ID filled in)", loop_cpuid1, 1, false, false, NULL, 0 },
	{ "rdmsr", "RDMSR EFER (intercepted)", loop_rdmsr_efer, 1, false, false, NULL, 0 },
	{ "wrmsr", "WRMSR EFER, same value (intercepted)", loop_wrmsr_efer, 1, false, false, NULL, 0 },
	{ "rdmsr-passthrough", "RDMSR SYSENTER_ESP (passed through)", loop_rdmsr_passthrough, 0, false, false, NULL, 0 },
	{ "hypercall", "hypercall HC_VERSION", loop_hypercall, 1, true, false, NULL, 0 },
	{ "io-forwarded", "IN from port 0x64 (intercepted, forwarded)", loop_in_forwarded, 1, false, false, NULL, 0 },
	{ "io-passthrough", "IN from port 0x61 (passed through)", loop_in_passthrough, 0, false, false, NULL, 0 },
	{ "pci-address", "OUT dword to 0xcf8 (PCI config address)", loop_pci_address, 0, false, false, NULL, 0 },
	{ "apic-write", "APIC write, ICR high (emulated MMIO)", loop_apic_write, 1, false, true, NULL, 0 },
	{ "self-ipi", "self-IPI: ICR write, interrupt, EOI", loop_self_ipi, -1, false, true, NULL, 0 },
	{ "self-nmi", "self-NMI: ICR write, NMI, IRET", loop_self_nmi, -1, false, true, NULL, 0 },
	/*
	 * Timed by the timer period, not by instructions: only the exits per interrupt count (today
	 * the interrupt exit, its EOI on the trapped xAPIC page, sometimes an interrupt window).
	 */
	{ "timer", "APIC timer interrupt: delivery and EOI (insns: the period)", loop_timer, -1, false, true,
	  timer_start, TIMER_ROUNDS },
};

/*
 * The guest's arguments "only=KEY,KEY" run just those benches (for profiling one exit path with
 * QEMU's -d exec); without them every bench runs.
 */
static bool selected(const char *key)
{
	const char *s = mb_args();

	while (*s && (s[0] != 'o' || s[1] != 'n' || s[2] != 'l' || s[3] != 'y' || s[4] != '='))
		s++;
	if (!*s)
		return true;
	s += 5;
	while (*s && *s != ' ') {
		const char *k = key;

		while (*k && *k == *s) {
			k++;
			s++;
		}
		if (!*k && (*s == ',' || *s == ' ' || !*s))
			return true;
		while (*s && *s != ',' && *s != ' ')
			s++;
		if (*s == ',')
			s++;
	}
	return false;
}

static bool exit_count(uint64_t *count)
{
	struct hc_regs r;

	if (!under_hv || hypercall(HC_EXIT_COUNT, 0, 0, 0, &r) != 0)
		return false;
	*count = ((uint64_t)r.ecx << 32) | r.ebx;
	return true;
}

static uint64_t timed(void (*loop)(uint32_t), uint32_t n)
{
	uint64_t t0 = rdtsc();

	loop(n);
	return rdtsc() - t0;
}

/* Tenths, printed as "I.I": the guest has no floating point. */
static void print_fixed(uint64_t value, unsigned int scale)
{
	if (scale == 10)
		printf("%llu.%llu", value / 10, value % 10);
	else
		printf("%llu.%02llu", value / 100, value % 100);
}

static void run(const struct bench *b, uint64_t empty_per_round10)
{
	uint64_t exits0 = 0, exits1 = 0, t, insns10;
	unsigned int rounds = b->rounds ? b->rounds : ROUNDS;
	bool counted;

	if (b->needs_hv && !under_hv) {
		printf("bench: %s rounds=0 insns=- exits=- # needs the hypervisor\n", b->key);
		return;
	}
	if (b->start)
		b->start();
	b->loop(WARMUP);
	counted = exit_count(&exits0);
	t = timed(b->loop, rounds);
	counted = counted && exit_count(&exits1);
	if (b->start)
		apic_timer_stop();
	insns10 = t * 10 / rounds > empty_per_round10 ? t * 10 / rounds - empty_per_round10 : 0;
	printf("bench: %s rounds=%u insns=", b->key, rounds);
	print_fixed(insns10, 10);
	if (counted) {
		/* The second HC_EXIT_COUNT counts itself: leave it out. */
		uint64_t exits = exits1 - exits0 - 1;

		printf(" exits=");
		print_fixed(exits * 100 / rounds, 100);
		printf(" # %s\n", b->what);
		if (b->exits_per_round >= 0)
			ok(exits == (uint64_t)b->exits_per_round * rounds, "%s: %d exit(s) per round (%llu in %u rounds)",
			   b->what, b->exits_per_round, exits, rounds);
	} else {
		printf(" exits=- # %s\n", b->what);
	}
}

void guest_main(void)
{
	bool have_apic;
	uint64_t empty;
	struct hc_regs r;

	under_hv = hypercall(HC_VERSION, 0, 0, 0, &r) >= 0 && r.ebx == HC_MAGIC;
	printf("# bench: %s the hypervisor, %u rounds each\n", under_hv ? "under" : "without", ROUNDS);
	have_apic = irq_setup();
	if (have_apic) {
		apic = apic_base();
		set_irq_handler(V_BENCH_IPI, ipi_handler);
		set_irq_handler(V_BENCH_TIMER, timer_handler);
		set_irq_handler(X86_NMI, nmi_handler);
		apic_write(APIC_ICR_HI, (uint32_t)apic_id() << 24);
	}
	efer = rdmsr(MSR_EFER);
	loop_empty(WARMUP);
	empty = timed(loop_empty, ROUNDS);
	printf("bench: empty-loop rounds=%u insns=", ROUNDS);
	print_fixed(empty * 10 / ROUNDS, 10);
	printf(" exits=- # dec; jnz (subtracted from every figure)\n");
	irq_enable();
	for (unsigned int i = 0; i < ARRAY_SIZE(benches); i++) {
		const struct bench *b = &benches[i];

		if (!selected(b->key))
			continue;
		if (b->needs_apic && !have_apic) {
			printf("bench: %s rounds=0 insns=- exits=- # no xAPIC\n", b->key);
			continue;
		}
		run(b, empty * 10 / ROUNDS);
	}
	irq_disable();
	if (have_apic) {
		ok(ipi_count == ROUNDS + WARMUP, "every self-IPI arrived (%u of %u)", ipi_count, ROUNDS + WARMUP);
		ok(nmi_count == ROUNDS + WARMUP, "every self-NMI arrived (%u of %u)", nmi_count, ROUNDS + WARMUP);
	}
	if (under_hv)
		hypercall(HC_EXIT_STATS, 0, 0, 0, NULL);
}
