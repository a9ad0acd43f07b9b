/*
 * What hardware does around an instruction the hypervisor completes for the guest: INVD, which
 * must never drop the hypervisor's dirty cache lines, and the single-step trap after an emulated
 * instruction.
 */
#include "vmm/cr.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/traps.h"

/*
 * INVD would discard every modified line in the caches, the hypervisor's included. WBINVD does
 * what INVD promises the guest (memory and caches agree afterwards) and loses nothing. SVM
 * intercepts INVD on request, VMX always.
 */
enum exit_verdict handle_invd(struct vcpu *v)
{
	asm volatile("wbinvd" : : : "memory");
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

/*
 * RFLAGS.TF at the start of an instruction makes a #DB trap after it, with DR6.BS set (SDM vol.
 * 3B, 18.3.1.4). The hardware never ran the emulated instruction, so it will not raise it: the
 * guest would see the trap one instruction late.
 */
void vcpu_single_step_trap(struct vcpu *v)
{
	vcpu_ops->write_reg(v, VCPU_DR6, vcpu_ops->read_reg(v, VCPU_DR6) | DR6_BS);
	vcpu_inject_exception(v, EXC_DB, false, 0);
}

void vcpu_cr_state(struct vcpu *v, struct cr_state *s)
{
	s->cr0 = vcpu_ops->read_reg(v, VCPU_CR0);
	s->cr3 = vcpu_ops->read_reg(v, VCPU_CR3);
	s->cr4 = vcpu_ops->read_reg(v, VCPU_CR4);
	s->efer = vcpu_ops->read_reg(v, VCPU_EFER);
	s->cs_l = (s->efer & EFER_LMA) && (vcpu_ops->read_reg(v, VCPU_CS_LD) & VCPU_CS_L);
}
