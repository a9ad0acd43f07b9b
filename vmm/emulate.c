/*
 * What hardware does around an instruction the hypervisor completes for the guest: INVD, which
 * must never drop the hypervisor's dirty cache lines, and the single-step trap after an emulated
 * instruction.
 */
#include "vmm/cr.h"
#include "vmm/emulate.h"
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

const void *vcpu_guest_ram(uint64_t gpa, uint64_t len, void *ctx)
{
	return partition_gpa_to_hva(ctx, gpa, len);
}

enum cpu_mode vcpu_cpu_mode(struct vcpu *v)
{
	uint64_t ld = vcpu_ops->read_reg(v, VCPU_CS_LD);

	if (!(vcpu_ops->read_reg(v, VCPU_CR0) & CR0_PE))
		return CPU_MODE_REAL16;
	if ((vcpu_ops->read_reg(v, VCPU_EFER) & EFER_LMA) && (ld & VCPU_CS_L))
		return CPU_MODE_LONG64;
	return (ld & VCPU_CS_D) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

void vcpu_guest_paging(struct vcpu *v, struct guest_paging *g)
{
	*g = (struct guest_paging){
		.cr0 = vcpu_ops->read_reg(v, VCPU_CR0),
		.cr3 = vcpu_ops->read_reg(v, VCPU_CR3),
		.cr4 = vcpu_ops->read_reg(v, VCPU_CR4),
		.efer = vcpu_ops->read_reg(v, VCPU_EFER),
	};
}

int vcpu_fetch_insn(struct vcpu *v, uint8_t bytes[INSN_MAX_LEN], size_t *avail)
{
	struct guest_paging g;
	uint64_t rip = vcpu_ops->read_reg(v, VCPU_RIP);
	uint64_t linear = vcpu_cpu_mode(v) == CPU_MODE_LONG64 ? rip : vcpu_ops->read_reg(v, VCPU_CS_BASE) + rip;
	int rc;

	vcpu_guest_paging(v, &g);
	*avail = INSN_MAX_LEN;
	rc = guest_read_linear(&g, linear, bytes, *avail, GUEST_ACCESS_FETCH, vcpu_guest_ram, v->part, NULL);
	if (rc) {
		/* The bytes after a short instruction may lie in a page the guest never mapped. */
		*avail = 4096 - (linear & 0xFFF);
		*avail = *avail < INSN_MAX_LEN ? *avail : INSN_MAX_LEN;
		rc = guest_read_linear(&g, linear, bytes, *avail, GUEST_ACCESS_FETCH, vcpu_guest_ram, v->part, NULL);
	}
	return rc;
}
