/* Interrupts that reach the hypervisor's own IDT: its reserved vectors, or guest vectors to hand on. */
#include "vmm/vcpu.h"
#include "x86/apic.h"
#include "x86/irq.h"
#include "x86/percpu.h"

void host_interrupt(unsigned int vector)
{
	struct percpu *cpu = this_cpu();

	if (vector == SPURIOUS_VECTOR)
		return; /* no EOI for a spurious interrupt (SDM 11.9) */
	if (vector == HV_IPI_VECTOR) {
		cpu->hv_ipis++;
		apic_eoi();
		return;
	}
	/* Acknowledged at the APIC but not EOI'd: the guest's handler will do that. */
	__atomic_fetch_or(&cpu->irq_latched[vector / 64], 1ULL << (vector % 64), __ATOMIC_RELAXED);
	if (cpu->vcpu)
		vcpu_request_attention(cpu->vcpu, VCPU_ATTN_EVENT);
}

bool host_take_latched(uint64_t pending[4])
{
	struct percpu *cpu = this_cpu();
	bool any = false;

	for (unsigned int i = 0; i < 4; i++) {
		uint64_t bits = __atomic_exchange_n(&cpu->irq_latched[i], 0, __ATOMIC_RELAXED);

		pending[i] |= bits;
		any |= bits != 0;
	}
	return any;
}
