/*
 * Host tests of guest interrupt delivery (vmm/irq.c) against a model of the local APIC's IRR,
 * ISR, TMR and TPR (SDM vol. 3, 11.8.3-11.8.4): what the guest receives, and in which order,
 * when interrupts arrive while it cannot take them. The model acknowledges in a host window
 * exactly what a real APIC would deliver: the highest IRR vector whose class is above the PPR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

/* The hypervisor builds without -Wunused-parameter (handlers share one signature). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../../lib/string.c"
#include "../../vmm/irq.c"
#pragma GCC diagnostic pop

/* ---- the APIC model ---- */
static bool irr[256], isr[256], tmr[256];
static unsigned int tpr;
/* What the host IDT latched: in the per-CPU block, where the exit path looks first. */
static struct percpu cpu;
#define latched cpu.irq_latched

static int highest(const bool *bits)
{
	for (int v = 255; v >= 0; v--)
		if (bits[v])
			return v;
	return -1;
}

static unsigned int ppr_class(void)
{
	int in_service = highest(isr);
	unsigned int isr_class = in_service < 0 ? 0 : (unsigned int)in_service >> 4;

	return (tpr >> 4) > isr_class ? tpr >> 4 : isr_class;
}

uint32_t apic_read(uint32_t reg)
{
	const bool *set = reg >= APIC_REG_IRR ? irr : reg >= APIC_REG_TMR ? tmr : isr;
	unsigned int base = (reg & 0x7f) / APIC_REG_STRIDE * 32;
	uint32_t word = 0;

	assert_true(reg >= APIC_REG_ISR && reg < APIC_REG_IRR + 0x80);
	for (unsigned int i = 0; i < 32; i++)
		word |= set[base + i] ? 1U << i : 0;
	return word;
}

void apic_eoi(void)
{
	int v = highest(isr);

	if (v >= 0)
		isr[v] = false;
}

void apic_send_ipi(uint32_t dest, uint32_t icr)
{
	(void)dest;
	assert_int_equal(icr & ~0xffU, APIC_ICR_SELF | APIC_ICR_ASSERT | APIC_ICR_FIXED);
	irr[icr & 0xff] = true;
	tmr[icr & 0xff] = false;
}

/* A host interrupt window: the APIC delivers what it would, each acknowledged into the ISR. */
static void model_take_host_interrupts(void)
{
	int v;

	while ((v = highest(irr)) >= 0 && ((unsigned int)v >> 4) > ppr_class()) {
		irr[v] = false;
		isr[v] = true;
		latched[v / 64] |= 1ULL << (v % 64);
	}
}

bool host_take_latched(uint64_t pending[4])
{
	bool any = false;

	for (int i = 0; i < 4; i++) {
		any |= latched[i] != 0;
		pending[i] |= latched[i];
		latched[i] = 0;
	}
	return any;
}

static unsigned int host_spurious;

void host_interrupt(unsigned int vector)
{
	if (vector == SPURIOUS_VECTOR && !isr[vector]) {
		host_spurious++; /* a spurious interrupt: the host drops it */
		return;
	}
	fail_msg("the hypervisor's own vector %#x reached host_interrupt", vector);
}

bool apic_vector_in_service(unsigned int vector)
{
	return isr[vector];
}

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

/* ---- the vCPU ---- */
static bool guest_if, event_pending, nmi_unblocked;
/* A backend whose event_allowed() sees only the guest's state (IF, shadow), not what it injected. */
static bool allowed_ignores_injection;
static unsigned int injected[16], n_injected, windows, nmis_injected, nmi_windows;

static void model_inject_event(struct vcpu *v, const struct vcpu_event *e)
{
	(void)v;
	assert_false(event_pending); /* one event per entry */
	if (e->type == EVENT_NMI) {
		assert_int_equal(e->vector, 2);
		nmis_injected++;
		event_pending = true;
		return;
	}
	assert_int_equal(e->type, EVENT_INTERRUPT);
	assert_true(n_injected < 16);
	injected[n_injected++] = e->vector;
	event_pending = true;
}

static bool model_event_allowed(struct vcpu *v, enum event_type type)
{
	(void)v;
	if (type == EVENT_NMI)
		return nmi_unblocked && !event_pending;
	return type == EVENT_INTERRUPT && guest_if && (allowed_ignores_injection || !event_pending);
}

static void model_request_event_window(struct vcpu *v, enum event_type type)
{
	(void)v;
	if (type == EVENT_NMI)
		nmi_windows++;
	else
		windows++;
}

static const struct vcpu_ops model_ops = {
	.name = "model",
	.inject_event = model_inject_event,
	.take_host_interrupts = model_take_host_interrupts,
	.event_allowed = model_event_allowed,
	.request_event_window = model_request_event_window,
};
const struct vcpu_ops *vcpu_ops = &model_ops;

static struct vcpu vcpu = { .cpu = &cpu };

static int setup(void **state)
{
	(void)state;
	memset(irr, 0, sizeof(irr));
	memset(isr, 0, sizeof(isr));
	memset(tmr, 0, sizeof(tmr));
	memset((void *)latched, 0, sizeof(latched));
	tpr = 0;
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.cpu = &cpu;
	guest_if = event_pending = nmi_unblocked = allowed_ignores_injection = false;
	n_injected = windows = host_spurious = nmis_injected = nmi_windows = 0;
	cpu.nmi_pending = 0;
	return 0;
}

/* The guest sends a self-IPI; the hypervisor completes the ICR write and takes what is due. */
static void guest_self_ipi(unsigned int vector)
{
	irr[vector] = true;
	model_take_host_interrupts();
	vcpu_deliver_events(&vcpu);
}

/* The injected event reaches the guest: its handler runs with IF=0 and ends with EOI and IRET. */
static void guest_runs_handler(void)
{
	assert_true(event_pending);
	event_pending = false;
	guest_if = false;
	vcpu_deliver_events(&vcpu); /* an exit in the handler, before its EOI */
	apic_eoi();
	model_take_host_interrupts(); /* the EOI write is completed for the guest */
	vcpu_deliver_events(&vcpu);
	guest_if = true; /* IRET */
	vcpu_deliver_events(&vcpu);
}

static void guest_sti_and_drain(void)
{
	guest_if = true;
	vcpu_deliver_events(&vcpu);
	while (event_pending)
		guest_runs_handler();
}

static void assert_order(const unsigned int *expected, unsigned int n)
{
	assert_int_equal(n_injected, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(injected[i], expected[i]);
	assert_int_equal(highest(isr), -1);
	assert_int_equal(highest(irr), -1);
}

/* Vectors the guest may send that look like the host's: 0x12 and 0xFF, acknowledged on exit (VMX). */
static void exit_with_vector(unsigned int vector)
{
	vcpu.exit.reason = EXIT_EXTINT;
	vcpu.exit.has_vector = true;
	vcpu.exit.vector = (uint8_t)vector;
	assert_int_equal(handle_extint(&vcpu), EXIT_RESUME);
	vcpu_deliver_events(&vcpu);
}

static void test_guest_vectors_0x12_and_0xff(void **state)
{
	static const unsigned int expected[] = { 0xff, 0x12 };

	(void)state;
	guest_if = true;
	isr[0xff] = true; /* a fixed interrupt on 0xFF is in service once acknowledged */
	exit_with_vector(0xff);
	guest_runs_handler();
	isr[0x12] = true;
	exit_with_vector(0x12);
	guest_runs_handler();
	assert_order(expected, 2);
	assert_int_equal(host_spurious, 0);
}

static void test_spurious_0xff_stays_the_hosts(void **state)
{
	(void)state;
	guest_if = true;
	exit_with_vector(0xff); /* no ISR bit: spurious */
	assert_int_equal(n_injected, 0);
	assert_int_equal(host_spurious, 1);
}

static void test_same_class_pair_highest_first(void **state)
{
	static const unsigned int expected[] = { 33, 32 };

	(void)state;
	guest_self_ipi(32);
	guest_self_ipi(33);
	assert_int_equal(n_injected, 0);
	guest_sti_and_drain();
	assert_order(expected, 2);
}

static void test_one_class_three(void **state)
{
	static const unsigned int expected[] = { 0x6f, 0x65, 0x61 };

	(void)state;
	guest_self_ipi(0x61);
	guest_self_ipi(0x6f);
	guest_self_ipi(0x65);
	guest_sti_and_drain();
	assert_order(expected, 3);
}

static void test_two_classes(void **state)
{
	static const unsigned int expected[] = { 0x9e, 0x91, 0x4a, 0x42 };

	(void)state;
	guest_self_ipi(0x42);
	guest_self_ipi(0x91);
	guest_self_ipi(0x4a);
	guest_self_ipi(0x9e);
	guest_sti_and_drain();
	assert_order(expected, 4);
}

/* A vector the guest's TPR holds back is not injected; lowering the TPR lets it in. */
static void test_tpr_holds_a_deferred_vector(void **state)
{
	static const unsigned int expected[] = { 0x41 };

	(void)state;
	guest_self_ipi(0x41);
	tpr = 0x80;
	guest_if = true;
	vcpu_deliver_events(&vcpu);
	assert_int_equal(n_injected, 0);
	assert_true(irr[0x41]);
	tpr = 0;
	model_take_host_interrupts(); /* the TPR write is completed for the guest */
	vcpu_deliver_events(&vcpu);
	while (event_pending)
		guest_runs_handler();
	assert_order(expected, 1);
}

/* A level-triggered vector is never EOI'd early: it stays in service until it is injected. */
static void test_level_triggered_stays_in_service(void **state)
{
	static const unsigned int expected[] = { 0x70 };

	(void)state;
	irr[0x70] = tmr[0x70] = true;
	model_take_host_interrupts();
	vcpu_deliver_events(&vcpu);
	vcpu_deliver_events(&vcpu);
	assert_true(isr[0x70]);
	assert_int_equal(n_injected, 0);
	guest_sti_and_drain();
	assert_order(expected, 1);
}

/* With IF=1 a single interrupt goes straight in, with no round trip through the APIC. */
static void test_single_interrupt_direct(void **state)
{
	(void)state;
	guest_if = true;
	guest_self_ipi(0x50);
	assert_int_equal(n_injected, 1);
	assert_int_equal(injected[0], 0x50);
	assert_true(isr[0x50]);
}

static void test_displaced_interrupt_waits(void **state)
{
	struct vcpu_event e = { .type = EVENT_INTERRUPT, .vector = 0x55 };
	static const unsigned int expected[] = { 0x55 };

	(void)state;
	isr[0x55] = true; /* acknowledged, its injection displaced by an exception */
	vcpu_event_displaced(&vcpu, &e);
	guest_sti_and_drain();
	assert_order(expected, 1);
}

/*
 * The attention word (include/vmm/vcpu.h): queuing an interrupt asks for it, and delivery says
 * whether events still wait, so the run loop keeps asking until the last one is in.
 */
static void test_attention_while_events_wait(void **state)
{
	struct vcpu_event e = { .type = EVENT_INTERRUPT, .vector = 0x55 };

	(void)state;
	assert_false(vcpu_deliver_events(&vcpu)); /* nothing waits */
	isr[0x55] = true;
	vcpu_event_displaced(&vcpu, &e);
	assert_int_equal(vcpu_take_attention(&vcpu), VCPU_ATTN_EVENT);
	assert_true(vcpu_deliver_events(&vcpu)); /* IF=0: it still waits, for a window */
	assert_int_equal(n_injected, 0);
	guest_if = true;
	assert_false(vcpu_deliver_events(&vcpu)); /* injected: nothing left */
	assert_int_equal(n_injected, 1);
	e.type = EVENT_NMI;
	vcpu_event_displaced(&vcpu, &e);
	assert_int_equal(vcpu_take_attention(&vcpu), VCPU_ATTN_EVENT);
}

static void test_double_fault_table(void **state)
{
	const struct vcpu_event gp = { .type = EVENT_EXCEPTION, .vector = 13 };
	const struct vcpu_event pf = { .type = EVENT_EXCEPTION, .vector = 14 };
	const struct vcpu_event ud = { .type = EVENT_EXCEPTION, .vector = 6 };
	const struct vcpu_event intr = { .type = EVENT_INTERRUPT, .vector = 13 };

	(void)state;
	assert_true(vcpu_events_double_fault(&gp, &gp));
	assert_true(vcpu_events_double_fault(&pf, &pf));
	assert_true(vcpu_events_double_fault(&pf, &gp));
	assert_false(vcpu_events_double_fault(&gp, &pf)); /* contributory, then #PF: serial */
	assert_false(vcpu_events_double_fault(&ud, &gp)); /* benign first */
	assert_false(vcpu_events_double_fault(&gp, &ud));
	assert_false(vcpu_events_double_fault(&intr, &gp)); /* an interrupt on vector 13 is no #GP */
}

/* ---- NMIs (vcpu_deliver_events) ---- */

/* The guest enters and its handler runs: the injected event is no longer pending. */
static void guest_entered(void)
{
	event_pending = false;
}

/* An NMI another CPU sent (percpu.nmi_pending) reaches the guest when its NMI blocking allows. */
static void test_nmi_injected_when_unblocked(void **state)
{
	(void)state;
	nmi_unblocked = true;
	cpu.nmi_pending = 1;
	assert_false(vcpu_deliver_events(&vcpu));
	assert_int_equal(nmis_injected, 1);
	assert_int_equal(vcpu.nmi_pending, 0);
	assert_int_equal(cpu.nmi_pending, 0);
	assert_int_equal(nmi_windows, 0);
}

static void test_nmi_blocked_waits_for_window(void **state)
{
	(void)state;
	vcpu.nmi_pending = 1;
	assert_true(vcpu_deliver_events(&vcpu)); /* blocked: it still waits */
	assert_int_equal(nmis_injected, 0);
	assert_int_equal(nmi_windows, 1);
	assert_int_equal(vcpu.nmi_pending, 1);
	nmi_unblocked = true; /* the guest's IRET: the NMI window exit */
	assert_false(vcpu_deliver_events(&vcpu));
	assert_int_equal(nmis_injected, 1);
	assert_int_equal(vcpu.nmi_pending, 0);
}

/* Two NMIs go in one per entry, none lost. */
static void test_two_nmis_one_per_entry(void **state)
{
	(void)state;
	nmi_unblocked = true;
	vcpu.nmi_pending = 1;
	cpu.nmi_pending = 1;
	assert_true(vcpu_deliver_events(&vcpu));
	assert_int_equal(nmis_injected, 1);
	assert_int_equal(vcpu.nmi_pending, 1);
	guest_entered();
	assert_false(vcpu_deliver_events(&vcpu));
	assert_int_equal(nmis_injected, 2);
}

/*
 * An NMI and an interrupt at once: the NMI goes first, the interrupt waits for a window, even
 * where the backend would call the interrupt allowed (one event per entry).
 */
static void test_nmi_before_interrupt(void **state)
{
	(void)state;
	allowed_ignores_injection = true;
	nmi_unblocked = true;
	guest_if = true;
	vcpu.nmi_pending = 1;
	guest_self_ipi(0x41);
	assert_int_equal(nmis_injected, 1);
	assert_int_equal(n_injected, 0);
	assert_int_equal(windows, 1);
	guest_entered();
	assert_false(vcpu_deliver_events(&vcpu));
	assert_int_equal(n_injected, 1);
	assert_int_equal(injected[0], 0x41);
}

/* A parked CPU (waiting for SIPI) has no handler: NMIs and interrupts are dropped, interrupts
 * completed at the APIC so they do not block lower ones. */
static void test_idle_drops_events(void **state)
{
	(void)state;
	vcpu.idle = true;
	nmi_unblocked = guest_if = true;
	vcpu.nmi_pending = 1;
	cpu.nmi_pending = 1;
	irr[0x51] = true;
	model_take_host_interrupts();
	assert_true(isr[0x51]);
	assert_false(vcpu_deliver_events(&vcpu));
	assert_int_equal(nmis_injected + n_injected, 0);
	assert_int_equal(vcpu.nmi_pending, 0);
	assert_false(isr[0x51]); /* EOI sent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_same_class_pair_highest_first, setup),
		cmocka_unit_test_setup(test_one_class_three, setup),
		cmocka_unit_test_setup(test_two_classes, setup),
		cmocka_unit_test_setup(test_tpr_holds_a_deferred_vector, setup),
		cmocka_unit_test_setup(test_level_triggered_stays_in_service, setup),
		cmocka_unit_test_setup(test_single_interrupt_direct, setup),
		cmocka_unit_test_setup(test_displaced_interrupt_waits, setup),
		cmocka_unit_test_setup(test_attention_while_events_wait, setup),
		cmocka_unit_test_setup(test_double_fault_table, setup),
		cmocka_unit_test_setup(test_guest_vectors_0x12_and_0xff, setup),
		cmocka_unit_test_setup(test_spurious_0xff_stays_the_hosts, setup),
		cmocka_unit_test_setup(test_nmi_injected_when_unblocked, setup),
		cmocka_unit_test_setup(test_nmi_blocked_waits_for_window, setup),
		cmocka_unit_test_setup(test_two_nmis_one_per_entry, setup),
		cmocka_unit_test_setup(test_nmi_before_interrupt, setup),
		cmocka_unit_test_setup(test_idle_drops_events, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
