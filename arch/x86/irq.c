/* Interrupts that reach the hypervisor's own IDT: its reserved vectors, or guest vectors to hand on. */
#include "vmm/initsipi.h"
#include "vmm/vcpu.h"
#include "x86/apic.h"
#include "x86/irq.h"
#include "x86/percpu.h"

#define APIC_ISR_STRIDE 0x10 /* eight 32-bit ISR registers, 16 bytes apart */

void host_interrupt(unsigned int vector)
{
	struct percpu *cpu = this_cpu();

	if (vector == SPURIOUS_VECTOR && !apic_vector_in_service(SPURIOUS_VECTOR))
		return; /* a spurious interrupt: no EOI, and nothing for the guest (SDM 11.9) */
	if (vector == HV_IPI_VECTOR) {
		cpu->hv_ipis++;
		apic_eoi();
		return;
	}
	if (vector == HV_INIT_PROXY_VECTOR) {
		/* The guest's I/O APIC INIT, sent as this vector (vmm/ioapic.c): an INIT for this vCPU. */
		apic_eoi();
		if (cpu->vcpu)
			initsipi_hardware_init(cpu->vcpu);
		return;
	}
	/* Acknowledged at the APIC but not EOI'd: the guest's handler will do that. */
	__atomic_fetch_or(&cpu->irq_latched[vector / 64], 1ULL << (vector % 64), __ATOMIC_RELAXED);
	if (cpu->vcpu)
		vcpu_request_attention(cpu->vcpu, VCPU_ATTN_EVENT);
}

/*
 * The APIC's spurious vector is also a vector the guest may send (a fixed IPI, an I/O APIC or
 * MSI entry on 0xFF). A spurious interrupt sets no ISR bit, a delivered one does: that one is
 * the guest's and its EOI is the guest's to give, or the vector would stay in service and block
 * every interrupt on this CPU.
 */
bool apic_vector_in_service(unsigned int vector)
{
	return apic_read(APIC_REG_ISR + vector / 32 * APIC_ISR_STRIDE) & (1U << (vector % 32));
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
