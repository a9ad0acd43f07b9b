/*
 * External interrupts and NMIs for the guest. The hardware acknowledges an interrupt at the
 * (passed-through) APIC on the way out of the guest; the vector waits here until the guest can
 * take it and is then injected. The guest's own EOI completes it. NMIs the hypervisor did not
 * send are the guest's and are handed on the same way, one at a time, as the guest's NMI
 * blocking allows.
 *
 * Priority order is the APIC's job (SDM vol. 3, 11.8.3-11.8.4: the highest IRR vector above the
 * PPR is delivered; an in-service vector holds back every vector of its class and below), so the
 * APIC's ISR must hold only what the guest really has in service. A vector acknowledged while the
 * guest cannot take it would sit in the ISR as if in service and hold back later vectors of its
 * own class, higher ones included (32 taken at the ICR write keeps 33 in the IRR, and the guest
 * would get 32 first). So such a vector is taken back: an EOI removes it from the ISR and it
 * waits here, deferred; when the guest can take an interrupt, the deferred vectors are sent again
 * to this CPU as self-IPIs and the APIC picks the highest one above the guest's TPR and ISR, which
 * is then acknowledged and injected at once. Only edge-triggered vectors are taken back: an EOI
 * for a level-triggered one would reach the I/O APIC before the guest served the device.
 */
#include "console.h"
#include "lib/string.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/irq.h"
#include "x86/percpu.h"

#define APIC_REG_STRIDE 0x10

static int highest_pending(const uint64_t pending[4])
{
	for (int word = 3; word >= 0; word--)
		if (pending[word])
			return word * 64 + 63 - __builtin_clzll(pending[word]);
	return -1;
}

static bool set_any(const uint64_t set[4])
{
	return (set[0] | set[1] | set[2] | set[3]) != 0;
}

/* Whether the set holds two vectors or more. */
static bool set_several(const uint64_t set[4])
{
	unsigned int words = 0;

	for (unsigned int i = 0; i < 4; i++) {
		if (set[i] & (set[i] - 1))
			return true;
		words += set[i] != 0;
	}
	return words > 1;
}

static void set_clear(uint64_t set[4], unsigned int vector)
{
	set[vector / 64] &= ~(1ULL << (vector % 64));
}

static void record_vector(struct vcpu *v, unsigned int vector)
{
	if (vector == HV_IPI_VECTOR || vector == HV_INIT_PROXY_VECTOR ||
	    (vector == SPURIOUS_VECTOR && !apic_vector_in_service(vector))) {
		/* Ours (acknowledged on exit): complete it here; it never reaches the guest. */
		host_interrupt(vector);
		return;
	}
	v->irq_pending[vector / 64] |= 1ULL << (vector % 64);
	vcpu_request_attention(v, VCPU_ATTN_EVENT);
}

/* A parked CPU has no guest to run a handler: complete what it acknowledged, and drop it. */
static void drop_for_idle(struct vcpu *v)
{
	static unsigned int logged;
	int vector;

	while ((vector = highest_pending(v->irq_pending)) >= 0) {
		set_clear(v->irq_pending, (unsigned int)vector);
		apic_eoi();
		if (logged++ < 4)
			pr_warn("vcpu%u: interrupt vector %#x on a parked CPU dropped", v->id, vector);
	}
	memset(v->irq_deferred, 0, sizeof(v->irq_deferred));
}

/* The highest vector in the APIC's ISR, or -1. */
static int apic_isr_highest(void)
{
	for (int reg = 7; reg >= 0; reg--) {
		uint32_t bits = apic_read(APIC_REG_ISR + (uint32_t)reg * APIC_REG_STRIDE);

		if (bits)
			return reg * 32 + 31 - __builtin_clz(bits);
	}
	return -1;
}

static bool apic_level_triggered(unsigned int vector)
{
	return apic_read(APIC_REG_TMR + vector / 32 * APIC_REG_STRIDE) & (1U << (vector % 32));
}

/*
 * Takes the acknowledged vectors the guest cannot have yet back out of the APIC's ISR, top down:
 * each must be the ISR's highest (an EOI completes that one), and edge-triggered.
 */
static void defer_acknowledged(struct vcpu *v)
{
	int vector;

	while ((vector = highest_pending(v->irq_pending)) >= 0) {
		if (apic_isr_highest() != vector || apic_level_triggered((unsigned int)vector))
			return;
		apic_eoi();
		set_clear(v->irq_pending, (unsigned int)vector);
		v->irq_deferred[vector / 64] |= 1ULL << (vector % 64);
	}
}

/* Sends the deferred vectors again and lets the APIC pick: what it delivers is acknowledged now. */
static void resend_deferred(struct vcpu *v)
{
	int vector;

	while ((vector = highest_pending(v->irq_deferred)) >= 0) {
		set_clear(v->irq_deferred, (unsigned int)vector);
		apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_ASSERT | APIC_ICR_FIXED | (uint32_t)vector);
	}
	vcpu_ops->take_host_interrupts();
	host_take_latched(v->irq_pending);
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

/*
 * SVM's SMI intercept: the SMI is still pending (APM vol. 2, 15.13.3). The host's GIF window lets
 * the CPU take it, so SMM starts from host mode with the host's paging, never through the guest's
 * nested table; interrupts pending in that window are latched as on an interrupt exit. An
 * emulator that takes it only later exits again at the next entry, until it has.
 */
enum exit_verdict handle_smi(struct vcpu *v)
{
	v->smi_exits++;
	if (!(v->smi_exits & (v->smi_exits - 1)))
		pr_info("vcpu%u: SMI exit #%llu: SMM runs from host mode", v->id, (unsigned long long)v->smi_exits);
	v->exit.has_vector = false;
	return handle_extint(v);
}

enum exit_verdict handle_event_window(struct vcpu *v)
{
	return EXIT_RESUME; /* vcpu_deliver_events() injects before the next entry */
}

/* SDM vol. 3, table 6-4: the classes that decide whether two exceptions make a double fault. */
#define CONTRIBUTORY_EXCEPTIONS                                                                     \
	((1U << EXC_DE) | (1U << EXC_TS) | (1U << EXC_NP) | (1U << EXC_SS) | (1U << EXC_GP) | (1U << EXC_CP))
#define PAGE_FAULT_EXCEPTIONS ((1U << EXC_PF) | (1U << EXC_VE))

static bool in_class(const struct vcpu_event *e, uint32_t mask)
{
	return e->type == EVENT_EXCEPTION && e->vector < 32 && (mask & (1U << e->vector));
}

bool vcpu_events_double_fault(const struct vcpu_event *first, const struct vcpu_event *second)
{
	if (in_class(first, CONTRIBUTORY_EXCEPTIONS))
		return in_class(second, CONTRIBUTORY_EXCEPTIONS);
	if (in_class(first, PAGE_FAULT_EXCEPTIONS))
		return in_class(second, CONTRIBUTORY_EXCEPTIONS | PAGE_FAULT_EXCEPTIONS);
	return false;
}

void vcpu_event_displaced(struct vcpu *v, const struct vcpu_event *e)
{
	if (e->type == EVENT_INTERRUPT)
		v->irq_pending[e->vector / 64] |= 1ULL << (e->vector % 64); /* still in the APIC's ISR */
	else if (e->type == EVENT_NMI)
		v->nmi_pending++;
	else
		return;
	vcpu_request_attention(v, VCPU_ATTN_EVENT);
}

/* Whether anything at all waits, checked without atomics (vcpu.attention spares most exits even this). */
static bool events_waiting(const struct vcpu *v)
{
	const struct percpu *cpu = v->cpu;

	return v->nmi_pending | __atomic_load_n(&cpu->nmi_pending, __ATOMIC_RELAXED) |
	       set_any(v->irq_pending) | set_any(v->irq_deferred) |
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
			e.vector = EXC_NMI;
			vcpu_ops->inject_event(v, &e);
			v->nmi_pending--;
			nmi_injected = true;
		} else {
			vcpu_ops->request_event_window(v, EVENT_NMI);
		}
	}
	if (!set_any(v->irq_pending) && !set_any(v->irq_deferred))
		return;
	if (nmi_injected || !vcpu_ops->event_allowed(v, EVENT_INTERRUPT)) {
		defer_acknowledged(v);
		vcpu_ops->request_event_window(v, EVENT_INTERRUPT);
		return;
	}
	/*
	 * More than one waiting: the APIC decides which goes first, from its IRR with the guest's TPR
	 * and ISR, as it would have without us. A vector it holds back arrives later by itself.
	 */
	if (set_any(v->irq_deferred) || set_several(v->irq_pending)) {
		defer_acknowledged(v);
		resend_deferred(v);
	}
	vector = highest_pending(v->irq_pending);
	if (vector < 0)
		return;
	e.type = EVENT_INTERRUPT;
	e.vector = (uint8_t)vector;
	vcpu_ops->inject_event(v, &e);
	set_clear(v->irq_pending, (unsigned int)vector);
	v->injected_irqs++;
}

bool vcpu_deliver_events(struct vcpu *v)
{
	if (!events_waiting(v))
		return false;
	deliver_waiting_events(v);
	return events_waiting(v);
}
