/*
 * Self-IPIs through the hypervisor: when an interrupt may be delivered and in which order.
 *
 * - A self-IPI with IF=1 arrives once.
 * - With IF=0 it is held; STI lets it in after the one instruction in STI's shadow, exactly at
 *   the boundary that follows it, also when that instruction is an intercepted one (a write to
 *   the APIC page, which the hypervisor completes for the guest).
 * - Held by the TPR, it is released by a TPR write standing in a MOV SS shadow: delivered right
 *   after that write.
 * - A burst at five priorities sent with IF=0 arrives highest first after STI, each once.
 * - With TPR 0x80 only vectors above priority class 8 arrive; the rest follow as the TPR drops.
 * - STI's shadow a hundred times over.
 * Each handler EOIs; afterwards nothing is left in service and no other vector arrived.
 */
#include "apic.h"
#include "guest.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "irq_ipi";

#define V_BASIC 0x50
#define LOG_MAX 32
#define WAIT_MS 200    /* for an interrupt that should come */
#define HOLD_MS 10     /* for one that must not */
#define SETTLE_US 2000 /* for a sent IPI to reach the APIC, or the hypervisor */
#define SHADOW_ROUNDS 100

static const unsigned int burst[] = { 0x41, 0x61, 0x81, 0xa1, 0xc1 };
#define N_BURST (sizeof(burst) / sizeof(burst[0]))

/* Every arrival, in order: vector, the EIP it interrupted, and that EFLAGS. */
static volatile uint32_t n_log;
static volatile uint32_t log_vector[LOG_MAX], log_eip[LOG_MAX], log_eflags[LOG_MAX];
static volatile uint32_t hits[NR_IDT_VECTORS];

static void ipi_handler(struct trap_frame *f)
{
	uint32_t i = n_log;

	if (i < LOG_MAX) {
		log_vector[i] = f->vector;
		log_eip[i] = f->eip;
		log_eflags[i] = f->eflags;
	}
	n_log = i + 1;
	hits[f->vector]++;
	apic_eoi();
}

static void log_reset(void)
{
	n_log = 0;
	for (unsigned int v = 0; v < NR_IDT_VECTORS; v++)
		hits[v] = 0;
}

/* Interrupts on until `n` arrivals are logged or `ms` pass. */
static bool wait_log(uint32_t n, unsigned int ms)
{
	irq_enable();
	for (unsigned int i = 0; i < ms * 10 && n_log < n; i++)
		udelay(100);
	irq_disable();
	return n_log >= n;
}

/* Interrupts on for `ms`: anything still due arrives. */
static void settle(unsigned int ms)
{
	irq_enable();
	udelay(ms * 1000);
	irq_disable();
}

static void set_tpr(uint32_t tpr)
{
	apic_write(APIC_TPR, tpr);
}

static bool vector_quiet(unsigned int v)
{
	return !apic_isr(v) && !apic_irr(v);
}

/*
 * STI, then one plain instruction in its shadow reading the arrival count, then another at the
 * label: a held interrupt must come exactly at sti_probe_after.
 */
extern const char sti_probe_insn[], sti_probe_after[];
static __attribute__((noinline, noclone)) void sti_probe(uint32_t *in_shadow, uint32_t *after)
{
	uint32_t s, a;

	asm volatile("sti\n"
		     ".globl sti_probe_insn\n"
		     "sti_probe_insn:\n\t"
		     "movl %2, %0\n"
		     ".globl sti_probe_after\n"
		     "sti_probe_after:\n\t"
		     "movl %2, %1\n\t"
		     "cli"
		     : "=&r"(s), "=&r"(a)
		     : "m"(n_log)
		     : "memory");
	*in_shadow = s;
	*after = a;
}

/* STI, then a write to the APIC page (intercepted) in its shadow. */
extern const char sti_write_insn[], sti_write_after[];
static __attribute__((noinline, noclone)) void sti_write_probe(uint32_t reg_addr, uint32_t value)
{
	asm volatile("sti\n\t"
		     ".globl sti_write_insn\n"
		     "sti_write_insn:\n\t"
		     "movl %1, (%0)\n"
		     ".globl sti_write_after\n"
		     "sti_write_after:\n\t"
		     "nop\n\t"
		     "cli"
		     :
		     : "r"(reg_addr), "r"(value)
		     : "memory");
}

/* MOV SS, then a write to the APIC page in its shadow (IF stays 1). */
extern const char movss_write_insn[], movss_write_after[];
static __attribute__((noinline, noclone)) void movss_write_probe(uint32_t reg_addr, uint32_t value)
{
	uint32_t ss;

	asm volatile("mov %%ss, %0\n\t"
		     "mov %0, %%ss\n"
		     ".globl movss_write_insn\n"
		     "movss_write_insn:\n\t"
		     "movl %2, (%1)\n"
		     ".globl movss_write_after\n"
		     "movss_write_after:\n\t"
		     "nop\n\t"
		     "nop"
		     : "=&r"(ss)
		     : "r"(reg_addr), "r"(value)
		     : "memory");
}

static const char *where(uint32_t eip)
{
	if (eip == (uint32_t)(uintptr_t)sti_probe_after || eip == (uint32_t)(uintptr_t)sti_write_after ||
	    eip == (uint32_t)(uintptr_t)movss_write_after)
		return "right after the shadow";
	if (eip == (uint32_t)(uintptr_t)sti_write_insn || eip == (uint32_t)(uintptr_t)movss_write_insn ||
	    eip == (uint32_t)(uintptr_t)sti_probe_insn)
		return "inside the shadow";
	return "elsewhere";
}

static void test_basic(void)
{
	log_reset();
	irq_enable();
	ok(apic_self_ipi(V_BASIC), "self-IPI 0x%x sent with IF=1", V_BASIC);
	wait_log(1, WAIT_MS);
	settle(HOLD_MS);
	ok(n_log == 1 && hits[V_BASIC] == 1, "self-IPI with IF=1 arrived once (%u arrivals)", n_log);
	ok(n_log == 0 || (log_eflags[0] & EFLAGS_IF), "it interrupted code running with IF=1 (eflags 0x%x)",
	   log_eflags[0]);
}

static void test_if_held(void)
{
	uint32_t in_shadow, after;

	log_reset();
	irq_disable();
	apic_self_ipi(V_BASIC);
	udelay(HOLD_MS * 1000);
	ok(n_log == 0, "self-IPI held while IF=0 (%u arrivals in %u ms)", n_log, HOLD_MS);
	sti_probe(&in_shadow, &after);
	ok(in_shadow == 0, "STI: not delivered before the instruction in its shadow (count read there %u)", in_shadow);
	ok(after == 1 && n_log >= 1 && log_eip[0] == (uint32_t)(uintptr_t)sti_probe_after,
	   "STI: delivered right after the shadow (count %u; eip 0x%x, %s; expected 0x%x)", after, log_eip[0],
	   where(log_eip[0]), (uint32_t)(uintptr_t)sti_probe_after);
	settle(HOLD_MS);
	ok(n_log == 1, "the held self-IPI arrived once (%u arrivals)", n_log);
}

static void test_sti_intercepted_shadow(void)
{
	log_reset();
	irq_disable();
	apic_self_ipi(V_BASIC);
	udelay(SETTLE_US);
	sti_write_probe(apic_base() + APIC_TPR, 0);
	settle(HOLD_MS);
	ok(n_log == 1 && log_eip[0] == (uint32_t)(uintptr_t)sti_write_after,
	   "STI; TPR write in its shadow: delivered right after the write (%u arrivals; eip 0x%x, %s; expected 0x%x)",
	   n_log, log_eip[0], where(log_eip[0]), (uint32_t)(uintptr_t)sti_write_after);
}

static void test_movss_shadow(void)
{
	uint32_t held;

	log_reset();
	irq_disable();
	set_tpr(0xf0);
	apic_self_ipi(V_BASIC);
	settle(HOLD_MS);
	held = n_log;
	ok(held == 0, "self-IPI 0x%x held by TPR 0xf0 with IF=1 (%u arrivals)", V_BASIC, held);
	irq_enable();
	movss_write_probe(apic_base() + APIC_TPR, 0);
	irq_disable();
	settle(HOLD_MS);
	ok(n_log == 1 && log_eip[0] == (uint32_t)(uintptr_t)movss_write_after,
	   "MOV SS; TPR write to 0 in its shadow: delivered right after the write (%u arrivals; eip 0x%x, %s; "
	   "expected 0x%x)", n_log, log_eip[0], where(log_eip[0]), (uint32_t)(uintptr_t)movss_write_after);
	set_tpr(0);
}

static void test_priority_burst(void)
{
	bool in_order = true, once = true;

	log_reset();
	irq_disable();
	for (unsigned int i = 0; i < N_BURST; i++)
		apic_self_ipi(burst[i]);
	udelay(HOLD_MS * 1000);
	ok(n_log == 0, "burst of %u self-IPIs (0x41..0xc1, ascending) held while IF=0 (%u arrivals)",
	   (unsigned int)N_BURST, n_log);
	wait_log(N_BURST, WAIT_MS);
	settle(HOLD_MS);
	for (unsigned int i = 0; i < N_BURST; i++) {
		unsigned int v = burst[N_BURST - 1 - i];

		if (i >= n_log || log_vector[i] != v)
			in_order = false;
		if (hits[v] != 1)
			once = false;
	}
	printf("# burst arrived as:");
	for (unsigned int i = 0; i < n_log && i < LOG_MAX; i++)
		printf(" 0x%x", log_vector[i]);
	printf("\n");
	ok(in_order, "after STI the burst arrived highest priority first (0xc1 0xa1 0x81 0x61 0x41)");
	ok(once && n_log == N_BURST, "each vector of the burst arrived once (%u arrivals)", n_log);
	for (unsigned int i = 0; i < N_BURST; i++)
		once = once && vector_quiet(burst[i]);
	ok(once, "no burst vector left in service or pending (EOIs done)");
}

static void test_tpr(void)
{
	log_reset();
	irq_disable();
	set_tpr(0x80);
	ok(apic_read(APIC_TPR) == 0x80, "TPR reads back 0x80 (0x%x)", apic_read(APIC_TPR));
	irq_enable();
	apic_self_ipi(0x41);
	apic_self_ipi(0x81);
	apic_self_ipi(0xa1);
	settle(HOLD_MS);
	ok(n_log == 1 && log_vector[0] == 0xa1,
	   "TPR 0x80: only 0xa1 (class 10) arrived, 0x81 and 0x41 held (%u arrivals, first 0x%x)", n_log,
	   n_log ? log_vector[0] : 0);
	set_tpr(0x40);
	settle(HOLD_MS);
	ok(n_log == 2 && log_vector[1] == 0x81, "TPR 0x40: 0x81 arrived, 0x41 still held (%u arrivals)", n_log);
	set_tpr(0);
	settle(HOLD_MS);
	ok(n_log == 3 && log_vector[2] == 0x41, "TPR 0: 0x41 arrived last (%u arrivals)", n_log);
	ok(hits[0x41] == 1 && hits[0x81] == 1 && hits[0xa1] == 1, "each arrived once");
}

/*
 * Vector 0xF3 is the hypervisor's own IPI vector: a self-IPI on it must be taken and EOI'd by the
 * hypervisor and never reach the guest. Had it stayed in service, the APIC would hold every
 * lower-priority vector back, so a later guest IPI proves the EOI.
 */
#define V_HYPERVISOR 0xf3

static void test_hypervisor_vector(void)
{
	log_reset();
	set_irq_handler(V_HYPERVISOR, ipi_handler);
	irq_enable();
	ok(apic_self_ipi(V_HYPERVISOR), "self-IPI on the hypervisor's vector 0x%x sent", V_HYPERVISOR);
	settle(HOLD_MS);
	ok(hits[V_HYPERVISOR] == 0 && n_log == 0, "the hypervisor's vector never reached the guest (%u arrivals)",
	   n_log);
	ok(!apic_isr(V_HYPERVISOR) && !apic_irr(V_HYPERVISOR), "and it is neither in service nor pending (EOI'd)");
	apic_self_ipi(V_BASIC);
	wait_log(1, HOLD_MS);
	ok(n_log == 1 && hits[V_BASIC] == 1, "a guest IPI below it still arrives (%u arrivals)", n_log);
	irq_disable();
}

static void test_sti_rounds(void)
{
	unsigned int early = 0, late = 0;

	for (unsigned int i = 0; i < SHADOW_ROUNDS; i++) {
		uint32_t in_shadow, after;

		log_reset();
		irq_disable();
		apic_self_ipi(V_BASIC);
		udelay(SETTLE_US / 10);
		sti_probe(&in_shadow, &after);
		if (in_shadow != 0)
			early++;
		if (after != 1 || log_eip[0] != (uint32_t)(uintptr_t)sti_probe_after) {
			if (!late)
				printf("# round %u: count after the shadow %u, eip 0x%x (%s)\n", i, after, log_eip[0],
				       where(log_eip[0]));
			late++;
		}
		settle(1);
	}
	ok(early == 0 && late == 0,
	   "%u rounds of IPI held, then STI: %u delivered in the shadow, %u not right after it", SHADOW_ROUNDS,
	   early, late);
}

void guest_main(void)
{
	if (!ok(irq_setup(), "local APIC enabled, xAPIC mode (IA32_APIC_BASE 0x%llx)",
		(unsigned long long)rdmsr(MSR_APIC_BASE)))
		return;
	printf("# local APIC at 0x%x, ID %u\n", apic_base(), apic_id());
	set_irq_handler(V_BASIC, ipi_handler);
	for (unsigned int i = 0; i < N_BURST; i++)
		set_irq_handler(burst[i], ipi_handler);

	test_basic();
	test_if_held();
	test_sti_intercepted_shadow();
	test_movss_shadow();
	test_priority_burst();
	test_tpr();
	test_hypervisor_vector();
	test_sti_rounds();
	ok(vector_quiet(V_BASIC), "vector 0x%x neither in service nor pending", V_BASIC);
	ok(irq_unexpected == 0, "no interrupt on any other vector (%u, last 0x%x)", irq_unexpected,
	   irq_unexpected_vector);
}
