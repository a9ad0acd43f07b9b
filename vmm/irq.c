/*
 * External interrupts and NMIs for the guest. The hardware acknowledges an interrupt at the
 * (passed-through) APIC on the way out of the guest; the vector waits here until the guest can
 * take it and is then injected, highest priority first. The guest's own EOI completes it.
 * NMIs the hypervisor did not send are the guest's and are handed on the same way, one at a
 * time, as the guest's NMI blocking allows.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/irq.h"
#include "x86/percpu.h"

static int highest_pending(const uint64_t pending[4])
{
	for (int word = 3; word >= 0; word--)
		if (pending[word])
			return word * 64 + 63 - __builtin_clzll(pending[word]);
	return -1;
}

static void record_vector(struct vcpu *v, unsigned int vector)
{
	if (vector == HV_IPI_VECTOR || vector == SPURIOUS_VECTOR) {
		/* Ours (acknowledged on exit): complete it here; it never reaches the guest. */
		host_interrupt(vector);
		return;
	}
	v->irq_pending[vector / 64] |= 1ULL << (vector % 64);
}

/* A parked CPU has no guest to run a handler: complete what it acknowledged, and drop it. */
static void drop_for_idle(struct vcpu *v)
{
	static unsigned int logged;
	int vector;

	while ((vector = highest_pending(v->irq_pending)) >= 0) {
		v->irq_pending[vector / 64] &= ~(1ULL << (vector % 64));
		apic_eoi();
		if (logged++ < 4)
			pr_warn("vcpu%u: interrupt vector %#x on a parked CPU dropped", v->id, vector);
	}
}

enum exit_verdict handle_extint(struct vcpu *v)
{
	if (v->exit.has_vector)
		record_vector(v, v->exit.vector);
	else
		vcpu_ops->take_host_interrupts();
	host_take_latched(v->irq_pending);
	if (v->idle)
		drop_for_idle(v);
	return EXIT_RESUME;
}

enum exit_verdict handle_event_window(struct vcpu *v)
{
	return EXIT_RESUME; /* vcpu_deliver_events() injects before the next entry */
}

/* Whether anything at all waits: the common case on the exit path, checked without atomics. */
static bool events_waiting(const struct vcpu *v)
{
	const struct percpu *cpu = v->cpu;

	return v->nmi_pending | __atomic_load_n(&cpu->nmi_pending, __ATOMIC_RELAXED) |
	       (v->irq_pending[0] | v->irq_pending[1] | v->irq_pending[2] | v->irq_pending[3]) |
	       (__atomic_load_n(&cpu->irq_latched[0], __ATOMIC_RELAXED) |
		__atomic_load_n(&cpu->irq_latched[1], __ATOMIC_RELAXED) |
		__atomic_load_n(&cpu->irq_latched[2], __ATOMIC_RELAXED) |
		__atomic_load_n(&cpu->irq_latched[3], __ATOMIC_RELAXED));
}

/* Kept out of line, so the common case below costs no frame and no event record. */
static __attribute__((noinline)) void deliver_waiting_events(struct vcpu *v)
{
	struct vcpu_event e = { 0 };
	bool nmi_injected = false;
	int vector;

	v->nmi_pending += __atomic_exchange_n(&v->cpu->nmi_pending, 0, __ATOMIC_ACQ_REL);
	host_take_latched(v->irq_pending);
	if (v->idle) {
		drop_for_idle(v);
		v->nmi_pending = 0; /* a parked CPU has no NMI handler either */
		return;
	}
	if (v->nmi_pending) {
		if (vcpu_ops->event_allowed(v, EVENT_NMI)) {
			e.type = EVENT_NMI;
			e.vector = 2;
			vcpu_ops->inject_event(v, &e);
			v->nmi_pending--;
			nmi_injected = true;
		} else {
			vcpu_ops->request_event_window(v, EVENT_NMI);
		}
	}
	vector = highest_pending(v->irq_pending);
	if (vector < 0)
		return;
	if (!nmi_injected && vcpu_ops->event_allowed(v, EVENT_INTERRUPT)) {
		e.type = EVENT_INTERRUPT;
		e.vector = (uint8_t)vector;
		vcpu_ops->inject_event(v, &e);
		v->irq_pending[vector / 64] &= ~(1ULL << (vector % 64));
		v->injected_irqs++;
		return;
	}
	vcpu_ops->request_event_window(v, EVENT_INTERRUPT);
}

void vcpu_deliver_events(struct vcpu *v)
{
	if (events_waiting(v))
		deliver_waiting_events(v);
}
