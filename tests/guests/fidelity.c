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
 * Emulator gaps are worked around where each is proven (see bare_gap()): the guest finds out
 * whether it runs under the microhypervisor, on QEMU or on Bochs, and says so.
 */
#include "apic.h"
#include "fidelity_realmode.h"
#include "guest.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "fidelity";

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_MTRRCAP 0xfe
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MCG_CTL 0x17b
#define MSR_MC0_CTL 0x400
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_PMC0 0xc1
#define MSR_IA32_PERFEVTSEL0 0x186
#define MSR_FIXED_CTR0 0x309
#define MSR_FIXED_CTR_CTRL 0x38d
#define MSR_PERF_GLOBAL_STATUS 0x38e
#define MSR_PERF_GLOBAL_CTRL 0x38f
#define MSR_AMD_PERF_CTL0 0xc0010000 /* legacy: CTL0-3 at 0xc0010000, CTR0-3 at 0xc0010004 */
#define MSR_AMD_PERF_CTR0 0xc0010004
#define MSR_AMD_PERF_CTL_EXT 0xc0010200 /* PerfCtrExtCore: CTL0 CTR0 CTL1 CTR1 ... CTL5 CTR5 */
#define MSR_X2APIC_BASE 0x800

#define CPUID_1_EDX_MCE (1U << 7)
#define CPUID_1_EDX_APIC (1U << 9)
#define CPUID_1_EDX_MTRR (1U << 12)
#define CPUID_1_EDX_MCA (1U << 14)
#define CPUID_1_ECX_X2APIC (1U << 21)
#define CPUID_7_EBX_TSC_ADJUST (1U << 1)
#define CPUID_80000001_ECX_PERFCTR_CORE (1U << 23)

#define MTRRCAP_FIXED (1U << 8)
#define MCG_CAP_CTL_P (1U << 8)
#define PERFEVT_USR (1U << 16)
#define PERFEVT_OS (1U << 17)
#define PERFEVT_EN (1U << 22)
#define EVENT_RETIRED_INSNS 0xc0 /* AMD "Retired Instructions", Intel INST_RETIRED.ANY_P */

#define V_IPI 0x50
#define WAIT_MS 200
#define HOLD_MS 10

static const char *const emulator_names[] = { "unknown", "QEMU", "Bochs" };
enum emulator { EMU_UNKNOWN, EMU_QEMU, EMU_BOCHS };
static enum emulator emulator;
static bool under_hv; /* inside the microhypervisor's partition (CPUID 0x40000000) */
static uint32_t max_leaf, max_ext_leaf;

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

static bool detect_hypervisor(void)
{
	struct cpuid_regs r;
	char sig[13];

	if (!(cpuid(1).ecx & CPUID_1_ECX_HYPERVISOR))
		return false;
	r = cpuid(0x40000000);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	return !strcmp(sig, "MicroHVisor ");
}

#define ON_QEMU (1U << EMU_QEMU)
#define ON_BOCHS (1U << EMU_BOCHS)

/*
 * An emulator's own gap, proven on that emulator without the hypervisor (see the comment at each
 * call): without the hypervisor on one of `emulators`, the check is reported as skipped, never as
 * passed. Under the hypervisor every check runs: what the guest's CPUID promises is the
 * hypervisor's to keep, whatever the emulator below it lacks.
 */
static bool bare_gap(unsigned int emulators)
{
	return !under_hv && (emulators & (1U << emulator));
}

/*
 * The rare gap that shows through the hypervisor as well, because it forwards that part of the
 * machine to the CPU unchanged, as it must on hardware: skipped on `emulators`, bare or not.
 */
static bool emulator_gap(unsigned int emulators)
{
	return emulators & (1U << emulator);
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
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

/* x2APIC registers (SDM 10.12.1.2, table 10-6): MSR 0x800 + xAPIC offset / 16. */
#define X2(reg) (MSR_X2APIC_BASE + (reg) / 0x10)
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

/* ---- MSRs from CPUID ---- */

struct msr_tally {
	unsigned int n, faults, mismatches;
};

/* Reads `msr` and, if `writable`, writes back what it read and reads it again. */
static void msr_touch(struct msr_tally *t, uint32_t msr, bool writable)
{
	uint64_t v = 0, back = 0;
	int r;

	t->n++;
	r = rdmsr_safe(msr, &v);
	if (r != NO_FAULT) {
		if (t->faults++ < 2)
			printf("# MSR 0x%x: %s on read\n", msr, exception_name((unsigned int)r));
		return;
	}
	if (!writable)
		return;
	r = wrmsr_safe(msr, v);
	if (r != NO_FAULT) {
		if (t->faults++ < 2)
			printf("# MSR 0x%x: %s writing back 0x%llx\n", msr, exception_name((unsigned int)r), v);
		return;
	}
	if (rdmsr_safe(msr, &back) != NO_FAULT || back != v) {
		if (t->mismatches++ < 2)
			printf("# MSR 0x%x: wrote back 0x%llx, reads 0x%llx\n", msr, v, back);
	}
}

static void msr_report(const struct msr_tally *t, const char *what)
{
	ok(t->faults == 0 && t->mismatches == 0, "%s: %u MSRs read and written back, %u faults, %u changed", what, t->n,
	   t->faults, t->mismatches);
}

struct pmu {
	unsigned int version, gp, fixed; /* Intel leaf 0xA */
	bool amd_ext;                     /* AMD PerfCtrExtCore */
};

static struct pmu pmu_caps(void)
{
	struct pmu p = { 0 };

	if (cpu_vendor() == VENDOR_INTEL && max_leaf >= 0xa) {
		struct cpuid_regs r = cpuid(0xa);

		p.version = r.eax & 0xff;
		p.gp = p.version ? (r.eax >> 8) & 0xff : 0;
		p.fixed = p.version >= 2 ? r.edx & 0x1f : 0;
	}
	if (cpu_vendor() == VENDOR_AMD && max_ext_leaf >= 0x80000001)
		p.amd_ext = cpuid(0x80000001).ecx & CPUID_80000001_ECX_PERFCTR_CORE;
	return p;
}

/*
 * The four legacy counters exist on every AMD64 CPU (APM vol. 2, 13.2.1), with no CPUID bit to
 * announce or hide them. Bochs' ryzen model has none: a bare run gets #GP on 0xc0010000. The
 * hypervisor forwards them to the CPU, as it must on hardware, so the gap shows through it too.
 */
static bool amd_legacy_counters_missing(void)
{
	return emulator_gap(ON_BOCHS);
}

static void check_pmu_msrs(const struct pmu *p)
{
	struct msr_tally t = { 0 };

	/*
	 * Bochs advertises counters (ryzen: PerfCtrExtCore; corei7_skylake_x: CPUID 0xA version 4,
	 * 4 + 3 counters) but implements none of their MSRs: a bare run gets #GP on each.
	 */
	if (bare_gap(ON_BOCHS)) {
		skip("bare Bochs advertises counters but #GPs on their MSRs", "performance counter MSRs");
		return;
	}

	if (cpu_vendor() == VENDOR_AMD && amd_legacy_counters_missing()) {
		skip("Bochs has no AMD legacy counter MSRs", "AMD core performance counters 0xc0010000-0xc0010007");
	} else if (cpu_vendor() == VENDOR_AMD) {
		for (uint32_t i = 0; i < 8; i++)
			msr_touch(&t, MSR_AMD_PERF_CTL0 + i, true);
		msr_report(&t, "AMD core performance counters 0xc0010000-0xc0010007");
	}
	if (cpu_vendor() == VENDOR_AMD) {
		if (!p->amd_ext) {
			skip("CPUID 0x80000001 ECX[23] PerfCtrExtCore clear", "AMD extended core counters 0xc0010200-b");
			return;
		}
		t = (struct msr_tally){ 0 };
		for (uint32_t i = 0; i < 12; i++)
			msr_touch(&t, MSR_AMD_PERF_CTL_EXT + i, true);
		msr_report(&t, "AMD extended core counters 0xc0010200-0xc001020b (PerfCtrExtCore)");
		return;
	}
	if (cpu_vendor() != VENDOR_INTEL || !p->version) {
		skip("CPUID 0xA reports no architectural PMU", "Intel architectural PMU MSRs");
		return;
	}
	printf("# CPUID 0xA: PMU version %u, %u counters, %u fixed\n", p->version, p->gp, p->fixed);
	for (uint32_t i = 0; i < p->gp; i++) {
		msr_touch(&t, MSR_IA32_PMC0 + i, true);
		msr_touch(&t, MSR_IA32_PERFEVTSEL0 + i, true);
	}
	msr_report(&t, "Intel IA32_PMCx and IA32_PERFEVTSELx (CPUID 0xA)");
	if (p->version < 2) {
		skip("architectural PMU version 1", "fixed counters and global control");
		return;
	}
	t = (struct msr_tally){ 0 };
	for (uint32_t i = 0; i < p->fixed; i++)
		msr_touch(&t, MSR_FIXED_CTR0 + i, true);
	msr_touch(&t, MSR_FIXED_CTR_CTRL, true);
	msr_touch(&t, MSR_PERF_GLOBAL_STATUS, false);
	msr_touch(&t, MSR_PERF_GLOBAL_CTRL, true);
	msr_report(&t, "Intel fixed counters, FIXED_CTR_CTRL, PERF_GLOBAL_STATUS/CTRL (PMU version >= 2)");
}

static void check_mtrr_msrs(void)
{
	static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
	struct msr_tally t = { 0 };
	uint64_t cap = 0;
	int r;

	if (!(cpuid(1).edx & CPUID_1_EDX_MTRR)) {
		skip("CPUID 1 EDX[12] clear", "MTRRs");
		return;
	}
	r = rdmsr_safe(MSR_MTRRCAP, &cap);
	if (!ok(r == NO_FAULT, "IA32_MTRRCAP reads (0x%llx, %u variable ranges%s)", cap, (unsigned int)(cap & 0xff),
		(cap & MTRRCAP_FIXED) ? ", fixed ranges" : ""))
		return;
	msr_touch(&t, MSR_MTRR_DEF_TYPE, true);
	for (uint32_t i = 0; i < (cap & 0xff); i++) {
		msr_touch(&t, MSR_MTRR_PHYSBASE0 + 2 * i, true);
		msr_touch(&t, MSR_MTRR_PHYSBASE0 + 2 * i + 1, true);
	}
	if (cap & MTRRCAP_FIXED)
		for (unsigned int i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			msr_touch(&t, fixed[i], true);
	msr_report(&t, "MTRRs: DEF_TYPE, the variable pairs MTRRCAP counts, the fixed ranges");
}

static void check_mc_msrs(void)
{
	struct cpuid_regs r = cpuid(1);
	struct msr_tally t = { 0 };
	uint64_t cap = 0;
	int rc;

	if (!(r.edx & CPUID_1_EDX_MCE) || !(r.edx & CPUID_1_EDX_MCA)) {
		skip("CPUID 1 EDX[7] MCE or EDX[14] MCA clear", "machine-check MSRs");
		return;
	}
	/* Bochs sets CPUID MCE and MCA but has no machine-check MSRs: IA32_MCG_CAP is #GP in a bare run. */
	if (bare_gap(ON_BOCHS)) {
		skip("bare Bochs advertises MCA but #GPs on IA32_MCG_CAP", "machine-check MSRs");
		return;
	}
	rc = rdmsr_safe(MSR_MCG_CAP, &cap);
	if (!ok(rc == NO_FAULT, "IA32_MCG_CAP reads (0x%llx, %u banks)", cap, (unsigned int)(cap & 0xff)))
		return;
	msr_touch(&t, MSR_MCG_STATUS, true);
	if (cap & MCG_CAP_CTL_P)
		msr_touch(&t, MSR_MCG_CTL, true);
	/* Each bank's CTL and STATUS always exist; ADDR and MISC only as STATUS says. */
	for (uint32_t i = 0; i < (cap & 0xff); i++) {
		msr_touch(&t, MSR_MC0_CTL + 4 * i, true);
		msr_touch(&t, MSR_MC0_CTL + 4 * i + 1, true);
	}
	msr_report(&t, "machine check: MCG_STATUS, MCG_CTL if present, every bank's CTL and STATUS");
}

/*
 * MSRs the guest's CPUID does not offer must raise #GP. QEMU TCG never raises #GP for an MSR it
 * does not know (it reads 0 and drops writes: target/i386/tcg/sysemu/misc_helper.c, the default
 * cases of helper_rdmsr/helper_wrmsr), so bare QEMU cannot show it; the hypervisor intercepts
 * what it hides and raises #GP itself, on every emulator. Bochs runs with ignore_bad_msrs=0.
 */
static void check_hidden_msrs(const struct pmu *p)
{
	uint32_t hidden[8];
	const char *why[8];
	unsigned int n = 0;

	if (cpu_vendor() == VENDOR_AMD) {
		if (!p->amd_ext) {
			hidden[n] = MSR_AMD_PERF_CTL_EXT;
			why[n++] = "PerfCtrExtCore clear";
		}
		hidden[n] = MSR_IA32_PERFEVTSEL0;
		why[n++] = "an Intel PMU MSR on AMD";
	} else if (cpu_vendor() == VENDOR_INTEL) {
		if (p->gp < 8) {
			hidden[n] = MSR_IA32_PERFEVTSEL0 + p->gp;
			why[n++] = "beyond CPUID 0xA's counters";
		}
		if (p->version < 2) {
			hidden[n] = MSR_PERF_GLOBAL_CTRL;
			why[n++] = "PMU version < 2";
		}
		hidden[n] = MSR_AMD_PERF_CTL0;
		why[n++] = "an AMD PMU MSR on Intel";
	}
	hidden[n] = X2(APIC_TPR);
	why[n++] = "an x2APIC MSR in xAPIC mode";
	hidden[n] = 0xc001ffff;
	why[n++] = "nonexistent";
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v = 0;
		int r;

		if (bare_gap(ON_QEMU)) {
			skip("bare QEMU TCG never raises #GP for RDMSR", "reading MSR 0x%x (%s) raises #GP", hidden[i],
			     why[i]);
			continue;
		}
		r = rdmsr_safe(hidden[i], &v);
		ok(r == X86_GP, "reading MSR 0x%x (%s) raises #GP (vector %d)", hidden[i], why[i], r);
	}
}

/* ---- a performance counter for retired instructions ---- */

static void spin_instructions(void)
{
	for (volatile unsigned int i = 0; i < 1000; i++)
		;
}

/*
 * QEMU TCG has no PMU model without KVM: it reads 0 from the counter MSRs and drops the writes (a
 * bare run reads 0 back from both). AMD's legacy counters have no CPUID bit to hide them by, and
 * the hypervisor forwards them to the CPU, as it must on hardware, so under it QEMU's gap shows
 * through too: on QEMU read-back is skipped, bare or not. Counting itself is never required.
 */
static void check_counter(const char *what, uint32_t ctl_msr, uint32_t ctr_msr, uint64_t ctl, uint64_t start,
			  uint64_t global_bits)
{
	uint64_t old_ctl = 0, old_ctr = 0, back_ctl = ~0ULL, back_ctr = ~0ULL, counted = 0, old_global = 0;
	int r;

	rdmsr_safe(ctl_msr, &old_ctl);
	rdmsr_safe(ctr_msr, &old_ctr);
	r = wrmsr_safe(ctl_msr, ctl);
	if (r == NO_FAULT)
		r = wrmsr_safe(ctr_msr, start);
	if (r == NO_FAULT)
		r = rdmsr_safe(ctl_msr, &back_ctl);
	if (r == NO_FAULT)
		r = rdmsr_safe(ctr_msr, &back_ctr);
	if (!ok(r == NO_FAULT, "%s: control and counter written and read without a fault (vector %d)", what, r))
		return;
	if (emulator_gap(ON_QEMU)) {
		skip("QEMU TCG has no PMU: reads 0, drops writes", "%s: control reads back 0x%llx (0x%llx), counter 0x%llx "
		     "(0x%llx)", what, ctl, back_ctl, start, back_ctr);
	} else {
		ok(back_ctl == ctl && back_ctr == start, "%s: control reads back 0x%llx (0x%llx), counter 0x%llx (0x%llx)",
		   what, ctl, back_ctl, start, back_ctr);
	}
	if (global_bits) {
		rdmsr_safe(MSR_PERF_GLOBAL_CTRL, &old_global);
		wrmsr_safe(MSR_PERF_GLOBAL_CTRL, old_global | global_bits);
	}
	if (ctl_msr != MSR_FIXED_CTR_CTRL)
		wrmsr_safe(ctl_msr, ctl | PERFEVT_EN);
	spin_instructions();
	if (ctl_msr != MSR_FIXED_CTR_CTRL)
		wrmsr_safe(ctl_msr, ctl);
	if (global_bits)
		wrmsr_safe(MSR_PERF_GLOBAL_CTRL, old_global);
	rdmsr_safe(ctr_msr, &counted);
	printf("# %s: counter went from 0x%llx to 0x%llx while enabled\n", what, start, counted);
	wrmsr_safe(ctl_msr, old_ctl);
	wrmsr_safe(ctr_msr, old_ctr);
}

static void check_retired_instructions(const struct pmu *p)
{
	uint64_t ctl = EVENT_RETIRED_INSNS | PERFEVT_USR | PERFEVT_OS;

	if (bare_gap(ON_BOCHS)) {
		skip("bare Bochs advertises counters but #GPs on their MSRs", "a counter for retired instructions");
		return;
	}
	if (cpu_vendor() == VENDOR_AMD) {
		if (amd_legacy_counters_missing())
			skip("Bochs has no AMD legacy counter MSRs", "AMD PerfEvtSel0/PerfCtr0, retired instructions");
		else
			check_counter("AMD PerfEvtSel0/PerfCtr0, retired instructions", MSR_AMD_PERF_CTL0,
				      MSR_AMD_PERF_CTR0, ctl, 0x123456, 0);
		if (p->amd_ext)
			check_counter("AMD PerfCtrExtCore CTL1/CTR1, retired instructions", MSR_AMD_PERF_CTL_EXT + 2,
				      MSR_AMD_PERF_CTL_EXT + 3, ctl, 0x654321, 0);
		return;
	}
	if (cpu_vendor() != VENDOR_INTEL || !p->gp) {
		skip("CPUID 0xA offers no counter", "a counter for retired instructions");
		return;
	}
	check_counter("Intel PERFEVTSEL0/PMC0, INST_RETIRED.ANY_P", MSR_IA32_PERFEVTSEL0, MSR_IA32_PMC0, ctl, 0x123456,
		      p->version >= 2 ? 1ULL << 0 : 0);
	/* FIXED_CTR_CTRL bits 1:0 count fixed counter 0 in rings 0 and 3; GLOBAL_CTRL bit 32 enables it. */
	if (p->fixed >= 1)
		check_counter("Intel fixed counter 0 (instructions retired)", MSR_FIXED_CTR_CTRL, MSR_FIXED_CTR0, 0x3,
			      0x654321, 1ULL << 32);
}

/* ---- the TSC ---- */

#define TSC_JUMP (1ULL << 36) /* forward: far beyond anything elapsed so far */
#define TSC_NEAR (1ULL << 32) /* an exit or two and a busy host, on an emulator */
#define TSC_ADJUST_STEP (1ULL << 35)

static void check_tsc(void)
{
	bool has_adjust = max_leaf >= 7 && (cpuid_count(7, 0).ebx & CPUID_7_EBX_TSC_ADJUST);
	uint64_t adj0 = 0, adj1 = 0, target, before, after, prev, msr_tsc = 0;
	bool monotonic = true;
	int r;

	if (has_adjust) {
		r = rdmsr_safe(MSR_TSC_ADJUST, &adj0);
		ok(r == NO_FAULT, "IA32_TSC_ADJUST reads (0x%llx, vector %d)", adj0, r);
	}
	before = rdtsc();
	target = before + TSC_JUMP;
	r = wrmsr_safe(MSR_TSC, target);
	after = rdtsc();
	if (!ok(r == NO_FAULT, "WRMSR IA32_TSC (0x10) with 0x%llx works (vector %d)", target, r))
		return;
	/*
	 * QEMU TCG drops guest writes to IA32_TSC (a bare run reads the old count right after and 0
	 * from RDMSR 0x10); under the hypervisor the write goes into the TSC offset, which QEMU's SVM
	 * model applies (VMCB tsc_offset), so only bare QEMU is excused.
	 */
	if (bare_gap(ON_QEMU)) {
		skip("bare QEMU TCG ignores WRMSR IA32_TSC", "RDTSC right after the write reads 0x%llx (written 0x%llx)",
		     after, target);
		return;
	}
	ok(after >= target && after - target < TSC_NEAR, "RDTSC right after the write reads 0x%llx (written 0x%llx)",
	   after, target);
	prev = after;
	for (unsigned int i = 0; i < 10000; i++) {
		uint64_t t = rdtsc();

		if (t < prev)
			monotonic = false;
		prev = t;
	}
	ok(monotonic && prev >= after, "TSC monotonic over 10000 reads after the write (last 0x%llx)", prev);
	r = rdmsr_safe(MSR_TSC, &msr_tsc);
	ok(r == NO_FAULT && msr_tsc >= prev && msr_tsc - target < 2 * TSC_NEAR, "RDMSR IA32_TSC agrees (0x%llx)", msr_tsc);
	if (!has_adjust) {
		skip("CPUID 7 EBX[1] clear", "IA32_TSC_ADJUST follows TSC writes");
		return;
	}
	/*
	 * SDM 17.17.3: a write to IA32_TSC adds (new - old) to IA32_TSC_ADJUST; a write to ADJUST adds
	 * its delta to the TSC. QEMU TCG keeps ADJUST as a plain variable (a bare run shows it unchanged
	 * after the TSC write), so bare QEMU cannot show either; the hypervisor must.
	 */
	rdmsr_safe(MSR_TSC_ADJUST, &adj1);
	if (bare_gap(ON_QEMU)) {
		skip("QEMU TCG does not couple TSC and TSC_ADJUST", "IA32_TSC_ADJUST moved by the TSC write's delta "
		     "(0x%llx -> 0x%llx)", adj0, adj1);
		return;
	}
	ok(adj1 - adj0 <= target - before && adj1 - adj0 > target - before - TSC_NEAR,
	   "IA32_TSC_ADJUST moved by the write's delta: 0x%llx -> 0x%llx (delta about 0x%llx)", adj0, adj1,
	   target - before);
	before = rdtsc();
	r = wrmsr_safe(MSR_TSC_ADJUST, adj1 - TSC_ADJUST_STEP);
	after = rdtsc();
	ok(r == NO_FAULT && before - after > TSC_ADJUST_STEP - TSC_NEAR && before - after <= TSC_ADJUST_STEP,
	   "writing IA32_TSC_ADJUST 0x%llx lower moves the TSC back by as much (0x%llx -> 0x%llx, vector %d)",
	   TSC_ADJUST_STEP, before, after, r);
}

/* ---- real mode ---- */

struct rm_results {
	uint16_t magic, cr0, seg_read, bda_kb, sp_before, int40_ax, sp_after, int40_count, int40_ip, int40_cs;
	uint16_t int40_flags, int40_inner_flags, int41_cs, farcall_cs, farcall2_cs, farjmp_cs;
	uint32_t eax32;
	uint16_t bios_kb, unexpected, done;
	uint32_t unreal, cpuid_ebx;
	uint16_t kbd_status, sti_flags;
} __packed;
_Static_assert(sizeof(struct rm_results) == RM_R_SIZE, "struct rm_results matches fidelity_realmode.h");
_Static_assert(__builtin_offsetof(struct rm_results, done) == RM_R_DONE, "RM_R_DONE");

extern const char rm_blob[], rm_blob_end[], rm_results[], rm_after_int40[], rm_int40[], rm_int41[], rm_unexpected[],
	rm_unreal_addr[];
static const uint32_t unreal_probe = 0x600dc0de; /* above 1 MiB, read from real mode through FS */
void realmode_run(void);

#define RM_OFF(sym) ((uint16_t)((uintptr_t)(sym) - (uintptr_t)rm_blob))
#define ALIAS_SEG (RM_SEG - 0x10)
#define FLAGS_IF_TF 0x300

#define BDA_BASE_MEMORY_KB 0x413 /* BIOS data area: base memory size in KiB */

/* A word in the first page, which GCC would otherwise take for a NULL dereference. */
static uint16_t read_low16(uint32_t addr)
{
	asm("" : "+r"(addr));
	return *(volatile uint16_t *)(uintptr_t)addr;
}

static bool range_clear_of_boot_info(uint32_t base, uint32_t end)
{
	const struct mb1_info *mi = mb_info();
	uint32_t info = (uint32_t)(uintptr_t)mi;

	if (info < end && info + sizeof(*mi) > base)
		return false;
	if ((mi->flags & MB1_INFO_MMAP) && mi->mmap_addr < end && mi->mmap_addr + mi->mmap_length > base)
		return false;
	return true;
}

static void check_real_mode(void)
{
	uint8_t *low = (uint8_t *)(uintptr_t)RM_BASE;
	uint32_t *ivt = (uint32_t *)(uintptr_t)(RM_BASE + RM_IVT_OFF);
	volatile struct rm_results *res;
	uint16_t bda_kb = read_low16(BDA_BASE_MEMORY_KB);

	if (!ok(mb_usable_contains(RM_BASE, RM_BASE + RM_SIZE) && range_clear_of_boot_info(RM_BASE, RM_BASE + RM_SIZE) &&
		rm_blob_end - rm_blob <= RM_IVT_OFF,
		"real-mode area 0x%x-0x%x is usable RAM, clear of the boot information, and the %u-byte blob fits",
		RM_BASE, RM_BASE + RM_SIZE, (unsigned int)(rm_blob_end - rm_blob)))
		return;
	memset(low, 0, RM_SIZE);
	memcpy(low, rm_blob, (size_t)(rm_blob_end - rm_blob));
	for (unsigned int v = 0; v < 256; v++)
		ivt[v] = (uint32_t)RM_SEG << 16 | RM_OFF(rm_unexpected);
	ivt[0x40] = (uint32_t)RM_SEG << 16 | RM_OFF(rm_int40);
	ivt[0x41] = (uint32_t)ALIAS_SEG << 16 | (RM_OFF(rm_int41) + 0x100);
	res = (volatile struct rm_results *)(uintptr_t)(RM_BASE + RM_OFF(rm_results));
	*(volatile uint32_t *)(uintptr_t)(RM_BASE + RM_OFF(rm_unreal_addr)) = (uint32_t)(uintptr_t)&unreal_probe;

	realmode_run();

	ok(res->magic == RM_MAGIC && !(res->cr0 & 1), "real mode reached: CR0.PE clear (CR0 low word 0x%x)", res->cr0);
	ok(res->done == RM_DONE, "real-mode code ran to the end and came back to protected mode");
	ok(res->seg_read == 0xbeef, "real mode: a word written through ES reads back through DS (0x%x)", res->seg_read);
	ok(res->bda_kb == bda_kb, "real mode: FS=0 reads the BIOS data area (base memory %u KiB, %u from protected mode)",
	   res->bda_kb, bda_kb);
	ok(res->int40_count == 1 && res->int40_ax == 0x3333, "real mode: INT 0x40 through the IVT ran its handler once "
	   "and IRET returned its AX (count %u, AX 0x%x)", res->int40_count, res->int40_ax);
	ok(res->int40_cs == RM_SEG && res->int40_ip == RM_OFF(rm_after_int40) && res->sp_after == res->sp_before,
	   "real mode: INT pushed CS:IP 0x%x:0x%x of the next instruction (expected 0x%x:0x%x), IRET restored SP", res->int40_cs,
	   res->int40_ip, RM_SEG, RM_OFF(rm_after_int40));
	ok(!(res->int40_inner_flags & FLAGS_IF_TF) && (res->int40_flags & 0x2),
	   "real mode: the handler ran with IF and TF clear (FLAGS 0x%x, pushed 0x%x)", res->int40_inner_flags,
	   res->int40_flags);
	ok(res->int41_cs == ALIAS_SEG, "real mode: INT 0x41 loaded CS 0x%x from the IVT (0x%x)", ALIAS_SEG, res->int41_cs);
	ok(res->farcall_cs == RM_SEG && res->farcall2_cs == ALIAS_SEG,
	   "real mode: far CALL direct (CS 0x%x) and indirect through memory (CS 0x%x), far RET back", res->farcall_cs,
	   res->farcall2_cs);
	ok(res->farjmp_cs == ALIAS_SEG, "real mode: far JMP into another segment and back (CS 0x%x)", res->farjmp_cs);
	ok(res->eax32 == 0x12345678, "real mode: 32-bit operand (0x%x)", res->eax32);
	ok(res->cpuid_ebx == cpuid(0).ebx, "real mode: CPUID (intercepted) returns leaf 0 as in protected mode (EBX 0x%x)",
	   res->cpuid_ebx);
	printf("# real mode: port 0x64 (intercepted) read 0x%x\n", res->kbd_status & 0xff);
	ok(res->sti_flags & EFLAGS_IF, "real mode: STI sets IF (FLAGS 0x%x)", res->sti_flags);
	ok(res->unreal == unreal_probe, "big real mode: FS with a 4 GiB limit reads 0x%x above 1 MiB (0x%x)", unreal_probe,
	   res->unreal);
	ok(res->bios_kb == bda_kb, "real mode: BIOS INT 12h through the BIOS IVT returns %u KiB (%u)", bda_kb, res->bios_kb);
	ok(res->unexpected == 0, "real mode: no other vector of our IVT was taken (%u)", res->unexpected);
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
	struct pmu p;

	emulator = detect_emulator();
	under_hv = detect_hypervisor();
	max_leaf = cpuid(0).eax;
	max_ext_leaf = cpuid(0x80000000).eax;
	printf("# emulator %s, %s the microhypervisor\n", emulator_names[emulator], under_hv ? "under" : "not under");
	if (!ok(irq_setup(), "local APIC enabled, xAPIC mode (IA32_APIC_BASE 0x%llx)",
		(unsigned long long)rdmsr(MSR_APIC_BASE)))
		return;
	for (unsigned int i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		set_irq_handler(vectors[i], log_handler);

	check_apic_base();
	p = pmu_caps();
	check_pmu_msrs(&p);
	check_mtrr_msrs();
	check_mc_msrs();
	check_hidden_msrs(&p);
	check_retired_instructions(&p);
	check_tsc();
	check_real_mode();
	check_delivery_order();
	check_x2apic_mode();
	ok(irq_unexpected == 0, "no interrupt on any other vector (%u, last 0x%x)", irq_unexpected, irq_unexpected_vector);
}
