/*
 * Machine fidelity: what an OS's early code does, checked against what the hardware (Intel SDM,
 * AMD APM) and the guest's own CPUID promise.
 *
 * - The IA32_APIC_BASE reset dance: global disable, reads show it, re-enable gives the power-on
 *   register state, IPIs still work; where CPUID offers x2APIC, x2APIC mode and its MSRs.
 * - Every MSR the guest's CPUID advertises (performance counters, MTRRs, machine check) reads,
 *   and takes back what it read, without #GP; a sample of hidden ones raises #GP.
 * - A performance counter programmed for retired instructions reads back what was written.
 * - A TSC write: the TSC follows it, stays monotonic, and IA32_TSC_ADJUST moved by the same delta.
 * - Real mode: down from protected mode, INT n / IRET, far CALL / JMP, segment loads, a BIOS
 *   call, and back (fidelity_realmode.S).
 * - Self-IPIs pended with IF=0 arrive highest vector first after STI, also within one priority
 *   class (32 and 33).
 *
 * Emulator gaps are worked around where each is proven (see bare_gap() in fidelity.h): the guest
 * finds out whether it runs under the microhypervisor, on QEMU or on Bochs, and says so. The MSR
 * and TSC checks are in fidelity_msr.c, real mode in fidelity_realmode.c and ..16.S.
 */
#include "apic.h"
#include "fidelity.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "fidelity";

#define CPUID_1_EDX_APIC (1U << 9)
#define CPUID_1_ECX_X2APIC (1U << 21)

#define V_IPI 0x50
#define WAIT_MS 200
#define HOLD_MS 10

static const char *const emulator_names[] = { "unknown", "QEMU", "Bochs" };
enum emulator emulator;
bool under_hv;
uint32_t max_leaf, max_ext_leaf;

/* ---- where are we ---- */

/*
 * QEMU: the fw_cfg selector at 0x510 (select the signature, 0) and data at 0x511 read "QEMU".
 * Bochs: the port 0xe9 hack (enabled in our bochsrc) reads back 0xe9. Both are devices, which the
 * guest owns under the hypervisor too.
 */
static enum emulator detect_emulator(void)
{
	char sig[5];

	asm volatile("outw %0, %1" : : "a"((uint16_t)0), "Nd"((uint16_t)0x510));
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(0x511);
	sig[4] = '\0';
	if (!strcmp(sig, "QEMU"))
		return EMU_QEMU;
	if (inb(0xe9) == 0xe9)
		return EMU_BOCHS;
	return EMU_UNKNOWN;
}

bool bare_gap(unsigned int emulators)
{
	return !under_hv && (emulators & (1U << emulator));
}

bool emulator_gap(unsigned int emulators)
{
	return emulators & (1U << emulator);
}

/* ---- interrupts ---- */

#define LOG_MAX 16
static volatile uint32_t n_log, log_vector[LOG_MAX];
static bool x2apic_mode;

static void eoi(void)
{
	if (x2apic_mode)
		wrmsr(MSR_X2APIC_BASE + 0x0b, 0);
	else
		apic_eoi();
}

static void log_handler(struct trap_frame *f)
{
	if (n_log < LOG_MAX)
		log_vector[n_log] = f->vector;
	n_log++;
	eoi();
}

static void log_reset(void)
{
	n_log = 0;
}

static bool wait_log(uint32_t n, unsigned int ms)
{
	irq_enable();
	for (unsigned int i = 0; i < ms * 10 && n_log < n; i++)
		udelay(100);
	udelay(HOLD_MS * 1000); /* and anything that should not come, would */
	irq_disable();
	return n_log >= n;
}

/* ---- IA32_APIC_BASE ---- */

static bool cpuid_apic_bit(void)
{
	return cpuid(1).edx & CPUID_1_EDX_APIC;
}

/* The registers SDM 10.4.7.1 gives after power-up or reset, and the ones that must survive. */
static void check_apic_power_on_state(uint8_t id_before)
{
	static const struct {
		uint32_t reg;
		const char *name;
	} lvts[] = { { APIC_LVT_TIMER, "timer" }, { APIC_LVT_LINT0, "LINT0" }, { APIC_LVT_LINT1, "LINT1" },
		     { APIC_LVT_ERROR, "error" } };
	bool lvt_ok = true, irr_isr_ok = true;

	ok(apic_read(APIC_SVR) == 0xff, "after re-enable: SVR is 0xff, APIC software-disabled (0x%x)",
	   apic_read(APIC_SVR));
	for (unsigned int i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++) {
		uint32_t v = apic_read(lvts[i].reg);

		if (v != APIC_LVT_MASKED) {
			printf("# LVT %s reads 0x%x\n", lvts[i].name, v);
			lvt_ok = false;
		}
	}
	ok(lvt_ok, "after re-enable: LVT timer, LINT0, LINT1 and error read 0x10000 (masked, all else 0)");
	ok(apic_read(APIC_TPR) == 0, "after re-enable: TPR is 0 (0x%x)", apic_read(APIC_TPR));
	ok(apic_read(APIC_TIMER_INITIAL) == 0 && apic_read(APIC_TIMER_DIVIDE) == 0,
	   "after re-enable: timer initial count and divide configuration are 0 (0x%x, 0x%x)",
	   apic_read(APIC_TIMER_INITIAL), apic_read(APIC_TIMER_DIVIDE));
	for (unsigned int i = 0; i < 8; i++)
		if (apic_read(APIC_ISR + i * 0x10) || apic_read(APIC_IRR + i * 0x10))
			irr_isr_ok = false;
	ok(irr_isr_ok, "after re-enable: nothing in service or pending (ISR, IRR clear)");
	ok(apic_id() == id_before, "after re-enable: APIC ID unchanged (%u, was %u)", apic_id(), id_before);
}

static bool self_ipi_arrives(unsigned int vector)
{
	log_reset();
	if (!apic_self_ipi(vector))
		return false;
	wait_log(1, WAIT_MS);
	return n_log == 1 && log_vector[0] == vector;
}

#define X2_SELF_IPI 0x83f
#define X2_ICR 0x830

static void check_x2apic_msrs(void)
{
	/* Readable in x2APIC mode; the second set are written back with what they read. */
	static const uint32_t readable[] = { X2(APIC_ID), X2(APIC_VERSION), X2(APIC_TPR), X2(APIC_PPR), 0x80d,
					     X2(APIC_SVR), 0x828, X2_ICR, X2(APIC_LVT_TIMER), X2(APIC_LVT_LINT0),
					     X2(APIC_LVT_LINT1), X2(APIC_LVT_ERROR), X2(APIC_TIMER_INITIAL),
					     X2(APIC_TIMER_CURRENT), X2(APIC_TIMER_DIVIDE) };
	static const uint32_t writable[] = { X2(APIC_TPR), X2(APIC_SVR), X2(APIC_LVT_TIMER), X2(APIC_LVT_LINT0),
					     X2(APIC_LVT_LINT1), X2(APIC_LVT_ERROR), X2(APIC_TIMER_DIVIDE) };
	/* No such register in x2APIC mode: ICR high half (0x831), DFR (0x80e); EOI and SELF IPI are write-only. */
	static const uint32_t faulting_reads[] = { 0x831, 0x80e, X2(APIC_EOI), X2_SELF_IPI };
	unsigned int faults = 0, wfaults = 0, missing = 0;
	uint64_t v;

	for (unsigned int i = 0; i < 8; i++) {
		faults += rdmsr_safe(X2(APIC_ISR) + i, &v) != NO_FAULT;
		faults += rdmsr_safe(X2(APIC_IRR) + i, &v) != NO_FAULT;
		faults += rdmsr_safe(0x818 + i, &v) != NO_FAULT; /* TMR */
	}
	for (unsigned int i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
		if (rdmsr_safe(readable[i], &v) != NO_FAULT) {
			printf("# x2APIC MSR 0x%x: %s on read\n", readable[i], exception_name(last_trap.vector));
			faults++;
		}
	}
	ok(faults == 0, "x2APIC mode: ID, version, TPR, PPR, LDR, SVR, ISR, TMR, IRR, ESR, ICR, LVTs, timer "
	   "MSRs read without a fault (%u faults)", faults);
	for (unsigned int i = 0; i < sizeof(writable) / sizeof(writable[0]); i++) {
		uint64_t back = ~0ULL;

		if (rdmsr_safe(writable[i], &v) != NO_FAULT || wrmsr_safe(writable[i], v) != NO_FAULT ||
		    rdmsr_safe(writable[i], &back) != NO_FAULT || back != v) {
			printf("# x2APIC MSR 0x%x: write back of 0x%llx failed (reads 0x%llx)\n", writable[i], v, back);
			wfaults++;
		}
	}
	wfaults += wrmsr_safe(0x828, 0) != NO_FAULT; /* ESR: written with 0 */
	ok(wfaults == 0, "x2APIC mode: TPR, SVR, LVTs, divide and ESR take a write back (%u failures)", wfaults);
	for (unsigned int i = 0; i < sizeof(faulting_reads) / sizeof(faulting_reads[0]); i++) {
		int r = rdmsr_safe(faulting_reads[i], &v);

		if (r != X86_GP) {
			printf("# x2APIC MSR 0x%x read: vector %d, expected #GP\n", faulting_reads[i], r);
			missing++;
		}
	}
	ok(missing == 0, "x2APIC mode: reading ICR high (0x831), DFR (0x80e), EOI and SELF IPI raises #GP "
	   "(%u did not)", missing);
}

/* x2APIC mode and back; true if it ended in xAPIC mode again. */
static bool check_x2apic(uint64_t base0, uint8_t xapic_id)
{
	uint64_t v = 0, id = 0;
	int r;

	if (!(cpuid(1).ecx & CPUID_1_ECX_X2APIC)) {
		skip("CPUID 1 ECX[21] clear", "x2APIC mode");
		return false;
	}
	r = wrmsr_safe(MSR_APIC_BASE, base0 | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	rdmsr_safe(MSR_APIC_BASE, &v);
	if (!ok(r == NO_FAULT && (v & (APIC_BASE_ENABLE | APIC_BASE_X2APIC)) == (APIC_BASE_ENABLE | APIC_BASE_X2APIC),
		"IA32_APIC_BASE: x2APIC mode entered (vector %d, reads 0x%llx)", r, v))
		return false;
	x2apic_mode = true;
	r = rdmsr_safe(X2(APIC_ID), &id);
	ok(r == NO_FAULT && id == xapic_id, "x2APIC ID (MSR 0x802) is the xAPIC ID %u (vector %d, 0x%llx)", xapic_id,
	   r, id);
	check_x2apic_msrs();
	wrmsr_safe(X2(APIC_SVR), 0x100 | 0xff);
	wrmsr_safe(X2(APIC_TPR), 0);
	log_reset();
	r = wrmsr_safe(X2_ICR, ICR_DEST_SELF | ICR_ASSERT | ICR_FIXED | V_IPI);
	wait_log(1, WAIT_MS);
	ok(r == NO_FAULT && n_log == 1 && log_vector[0] == V_IPI,
	   "x2APIC: a self-IPI through the ICR MSR (0x830) arrives once (vector %d, %u arrivals)", r, n_log);
	log_reset();
	r = wrmsr_safe(X2_SELF_IPI, V_IPI);
	wait_log(1, WAIT_MS);
	ok(r == NO_FAULT && n_log == 1 && log_vector[0] == V_IPI,
	   "x2APIC: a self-IPI through the SELF IPI MSR (0x83f) arrives once (vector %d, %u arrivals)", r, n_log);

	/* x2APIC to xAPIC directly is an invalid transition (SDM 10.12.5, figure 10-27): #GP. */
	r = wrmsr_safe(MSR_APIC_BASE, (base0 | APIC_BASE_ENABLE) & ~APIC_BASE_X2APIC);
	ok(r == X86_GP, "IA32_APIC_BASE: x2APIC straight to xAPIC raises #GP (vector %d)", r);
	if (bare_gap(ON_QEMU | ON_BOCHS)) {
		skip("bare QEMU and Bochs cannot re-enable a disabled APIC", "IA32_APIC_BASE: back to xAPIC through disabled");
		return false;
	}
	r = wrmsr_safe(MSR_APIC_BASE, base0 & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC));
	x2apic_mode = false;
	ok(r == NO_FAULT, "IA32_APIC_BASE: x2APIC to disabled works (vector %d)", r);
	r = wrmsr_safe(MSR_APIC_BASE, (base0 | APIC_BASE_ENABLE) & ~APIC_BASE_X2APIC);
	rdmsr_safe(MSR_APIC_BASE, &v);
	return ok(r == NO_FAULT && v == base0,
		  "IA32_APIC_BASE: back to xAPIC through disabled (vector %d, reads 0x%llx)", r, v);
}

static void check_apic_base(void)
{
	uint64_t base0 = rdmsr(MSR_APIC_BASE), v = 0;
	uint32_t saved_svr, saved_lint0, saved_error;
	uint8_t id = apic_id();
	int r;

	printf("# IA32_APIC_BASE 0x%llx, APIC ID %u, version 0x%x\n", base0, id, apic_read(APIC_VERSION));
	/*
	 * Neither emulator can enable an APIC again once it was globally disabled: QEMU TCG
	 * (hw/intc/apic.c, apic_set_base: "if disabled, cannot be enabled again") and Bochs
	 * (cpu/msr.cc, relocate_apic ignores every write while the enable bit is clear) both read the
	 * enable bit still clear after the write, with no fault, in a bare run. Hardware since the
	 * Pentium 4 can, and kvm-unit-tests' reset_apic() relies on it. The hypervisor keeps the
	 * hardware APIC enabled and emulates the disable, so only bare runs are excused, and they must
	 * not try: the APIC would stay off for the rest of the run.
	 */
	if (bare_gap(ON_QEMU | ON_BOCHS)) {
		skip("bare QEMU and Bochs cannot re-enable a disabled APIC", "IA32_APIC_BASE global disable and re-enable");
		return;
	}
	/* Leave state that a reset must clear, so the power-on check can fail. */
	saved_svr = apic_read(APIC_SVR);
	saved_lint0 = apic_read(APIC_LVT_LINT0);
	saved_error = apic_read(APIC_LVT_ERROR);
	apic_write(APIC_TPR, 0x20);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xef);
	apic_write(APIC_LVT_ERROR, 0x45);
	apic_write(APIC_LVT_LINT0, 0x700); /* ExtINT, unmasked */
	apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_16);

	r = wrmsr_safe(MSR_APIC_BASE, base0 & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC));
	if (!ok(r == NO_FAULT, "IA32_APIC_BASE: clearing the enable bit (global disable) works (vector %d, error 0x%x)",
		r, last_trap.error_code)) {
		/* Still enabled: take the test state back, so the later checks see a clean APIC. */
		apic_write(APIC_TPR, 0);
		apic_write(APIC_SVR, saved_svr);
		apic_write(APIC_LVT_LINT0, saved_lint0);
		apic_write(APIC_LVT_ERROR, saved_error);
		return;
	}
	r = rdmsr_safe(MSR_APIC_BASE, &v);
	ok(r == NO_FAULT && !(v & APIC_BASE_ENABLE) && (v & ~0xfffULL) == (base0 & ~0xfffULL),
	   "IA32_APIC_BASE reads the enable bit clear, same base (0x%llx)", v);
	/* SDM 10.4.3: globally disabled, the CPU is one without an APIC, and CPUID says so (APM: likewise). */
	ok(!cpuid_apic_bit(), "CPUID 1 EDX[9] (APIC) is clear while the APIC is disabled");

	r = wrmsr_safe(MSR_APIC_BASE, base0);
	v = 0;
	rdmsr_safe(MSR_APIC_BASE, &v);
	if (!ok(r == NO_FAULT && v == base0, "IA32_APIC_BASE: enabling again works, reads 0x%llx (vector %d)", v, r))
		return;
	ok(cpuid_apic_bit(), "CPUID 1 EDX[9] (APIC) is set again");
	check_apic_power_on_state(id);

	apic_init();
	apic_write(APIC_TPR, 0);
	ok(self_ipi_arrives(V_IPI), "after the reset a self-IPI still arrives (%u arrivals)", n_log);
}

/*
 * Last of all, because the way back to xAPIC goes through a global disable, which bare emulators
 * cannot undo (see check_apic_base): there the APIC stays in x2APIC mode.
 */
static void check_x2apic_mode(void)
{
	uint64_t base0 = rdmsr(MSR_APIC_BASE);

	if (!check_x2apic(base0, apic_id()))
		return;
	apic_init();
	apic_write(APIC_TPR, 0);
	ok(self_ipi_arrives(V_IPI), "back in xAPIC mode a self-IPI arrives (%u arrivals)", n_log);
}

/* ---- delivery order ---- */

static void check_order(const char *what, const unsigned int *sent, unsigned int n, const unsigned int *expected)
{
	bool in_order = true;

	log_reset();
	irq_disable();
	for (unsigned int i = 0; i < n; i++)
		apic_self_ipi(sent[i]);
	udelay(2000);
	ok(n_log == 0, "%s: held while IF=0 (%u arrivals)", what, n_log);
	wait_log(n, WAIT_MS);
	printf("# %s arrived as:", what);
	for (unsigned int i = 0; i < n_log && i < LOG_MAX; i++)
		printf(" 0x%x", log_vector[i]);
	printf("\n");
	for (unsigned int i = 0; i < n; i++)
		if (i >= n_log || log_vector[i] != expected[i])
			in_order = false;
	ok(in_order && n_log == n, "%s: after STI each arrived once, highest vector first (%u arrivals)", what, n_log);
}

static void check_delivery_order(void)
{
	static const unsigned int pair[] = { 32, 33 }, pair_expected[] = { 33, 32 };
	static const unsigned int class6[] = { 0x61, 0x6f, 0x65 }, class6_expected[] = { 0x6f, 0x65, 0x61 };
	static const unsigned int mixed[] = { 0x42, 0x91, 0x4a, 0x9e }, mixed_expected[] = { 0x9e, 0x91, 0x4a, 0x42 };

	check_order("self-IPIs 32 then 33", pair, 2, pair_expected);
	check_order("self-IPIs 0x61 0x6f 0x65 (one priority class)", class6, 3, class6_expected);
	check_order("self-IPIs 0x42 0x91 0x4a 0x9e (two classes)", mixed, 4, mixed_expected);
}

void guest_main(void)
{
	static const unsigned int vectors[] = { 32, 33, 0x42, 0x4a, V_IPI, 0x61, 0x65, 0x6f, 0x91, 0x9e };

	emulator = detect_emulator();
	under_hv = hv_signature_present();
	max_leaf = cpuid(0).eax;
	max_ext_leaf = cpuid(0x80000000).eax;
	printf("# emulator %s, %s the microhypervisor\n", emulator_names[emulator], under_hv ? "under" : "not under");
	if (!ok(irq_setup(), "local APIC enabled, xAPIC mode (IA32_APIC_BASE 0x%llx)",
		(unsigned long long)rdmsr(MSR_APIC_BASE)))
		return;
	for (unsigned int i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		set_irq_handler(vectors[i], log_handler);

	check_apic_base();
	check_cpuid_msrs();
	check_tsc();
	check_real_mode();
	check_delivery_order();
	check_x2apic_mode();
	ok(irq_unexpected == 0, "no interrupt on any other vector (%u, last 0x%x)", irq_unexpected, irq_unexpected_vector);
}
