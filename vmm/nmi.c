/*
 * NMI exits. The hypervisor sends no NMIs of its own yet, so every NMI belongs to the guest: it is
 * taken in the host (a short GIF/NMI window on SVM) and handed to the guest at the next entry.
 */
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/percpu.h"

enum exit_verdict handle_nmi(struct vcpu *v)
{
	struct vcpu_event nmi = { .type = EVENT_NMI, .vector = 2 };

	vcpu_ops->take_pending_nmi();
	if (__atomic_exchange_n(&v->cpu->nmi_pending, 0, __ATOMIC_ACQ_REL))
		vcpu_ops->inject_event(v, &nmi);
	return EXIT_RESUME;
}
