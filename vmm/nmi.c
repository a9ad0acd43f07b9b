/*
 * NMI exits. The hypervisor sends no NMIs of its own yet, so every NMI belongs to the guest: it is
 * taken in the host (a short GIF/NMI window on SVM, the exit itself on VMX), counted per CPU, and
 * handed to the guest by vcpu_deliver_events() when the guest's NMI blocking allows.
 */
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/percpu.h"
#include "x86/reboot.h"

enum exit_verdict handle_nmi(struct vcpu *v)
{
	/* On VMX the exit consumed the NMI: the reboot path's request is seen here, not in the handler. */
	if (reboot_requested())
		reboot_respond();
	vcpu_ops->take_pending_nmi();
	return EXIT_RESUME;
}
