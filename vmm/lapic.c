/*
 * The guest's accesses to the local APIC. The APIC is passed through, but its xAPIC page is
 * read-only in the nested tables and the x2APIC ICR MSR is intercepted, so that the hypervisor
 * sees every IPI command: INIT and STARTUP must never reach a parked CPU (an SVM core in host
 * mode is reset by INIT, and a pending INIT re-exits forever from an idle vCPU). Every other
 * write is performed on the real APIC for the guest.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/guest_walk.h"
#include "vmm/initsipi.h"
#include "vmm/insn_decode.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/traps.h"

bool lapic_icr_filtered(struct vcpu *v, uint32_t icr_low, uint32_t dest)
{
	unsigned int mode = APIC_ICR_MODE(icr_low);

	if (mode != APIC_ICR_MODE(APIC_ICR_INIT) && mode != APIC_ICR_MODE(APIC_ICR_STARTUP))
		return false;
	initsipi_send(v, icr_low, dest, lapic_guest_x2apic(v));
	return true;
}

void lapic_init_reset(struct vcpu *v)
{
	apic_reset_registers();
	__atomic_store_n(&v->apic_ldr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&v->apic_dfr, 0xFFFFFFFF, __ATOMIC_RELAXED);
}

/* The logical destination registers, which senders on other CPUs decode INIT/STARTUP against. */
static void track_logical_id(struct vcpu *v, uint32_t offset, uint32_t value)
{
	if (offset == APIC_REG_LDR)
		__atomic_store_n(&v->apic_ldr, value & 0xFF000000, __ATOMIC_RELAXED);
	else if (offset == APIC_REG_DFR)
		__atomic_store_n(&v->apic_dfr, value | 0x0FFFFFFF, __ATOMIC_RELAXED);
}

bool lapic_is_mmio(const struct partition *p, uint64_t gpa)
{
	return p->apic_page && (gpa & ~0xFFFULL) == p->apic_page;
}

static const void *guest_ram(uint64_t gpa, uint64_t len, void *ctx)
{
	return partition_gpa_to_hva(ctx, gpa, len);
}

static enum cpu_mode guest_mode(struct vcpu *v)
{
	uint64_t ld = vcpu_ops->read_reg(v, VCPU_CS_LD);

	if (!(vcpu_ops->read_reg(v, VCPU_CR0) & CR0_PE))
		return CPU_MODE_REAL16;
	if ((vcpu_ops->read_reg(v, VCPU_EFER) & EFER_LMA) && (ld & VCPU_CS_L))
		return CPU_MODE_LONG64;
	return (ld & VCPU_CS_D) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

/* The instruction at CS:RIP, read through the guest's own page tables. */
static int fetch_and_decode(struct vcpu *v, struct mmio_insn *insn)
{
	struct guest_paging g = {
		.cr0 = vcpu_ops->read_reg(v, VCPU_CR0),
		.cr3 = vcpu_ops->read_reg(v, VCPU_CR3),
		.cr4 = vcpu_ops->read_reg(v, VCPU_CR4),
		.efer = vcpu_ops->read_reg(v, VCPU_EFER),
	};
	enum cpu_mode mode = guest_mode(v);
	uint64_t rip = vcpu_ops->read_reg(v, VCPU_RIP);
	uint64_t linear = mode == CPU_MODE_LONG64 ? rip : vcpu_ops->read_reg(v, VCPU_CS_BASE) + rip;
	uint8_t bytes[INSN_MAX_LEN];
	size_t avail = INSN_MAX_LEN;
	int rc;

	/* Up to 15 bytes, or to the end of the page if the next one is not mapped. */
	rc = guest_read_linear(&g, linear, bytes, avail, GUEST_ACCESS_FETCH, guest_ram, v->part, NULL);
	if (rc) {
		avail = 4096 - (linear & 0xFFF);
		avail = avail < INSN_MAX_LEN ? avail : INSN_MAX_LEN;
		rc = guest_read_linear(&g, linear, bytes, avail, GUEST_ACCESS_FETCH, guest_ram, v->part, NULL);
	}
	return rc ? rc : insn_decode_mmio(bytes, avail, mode, insn);
}

enum exit_verdict lapic_mmio(struct vcpu *v)
{
	uint32_t offset = v->exit.gpa & 0xFFF;
	struct mmio_insn insn;
	uint32_t value;
	int rc = fetch_and_decode(v, &insn);

	if (rc || !insn.write || insn.size != 4 || (offset & 3)) {
		pr_err("vcpu%u: cannot emulate the local APIC access at offset %#x (error %d, %s of %u bytes)", v->id,
		       offset, rc, rc ? "undecoded" : insn.write ? "write" : "read", rc ? 0 : insn.size);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	value = (uint32_t)(insn.has_imm ? insn.imm : vcpu_gpr(v, insn.reg));
	/* A disabled APIC, or one in x2APIC mode, does not answer at its page: the write goes nowhere. */
	if (lapic_guest_enabled(v) && !lapic_guest_x2apic(v) &&
	    (offset != APIC_REG_ICR_LOW || !lapic_icr_filtered(v, value, apic_read(APIC_REG_ICR_HIGH) >> 24))) {
		apic_write(offset, value);
		track_logical_id(v, offset, value);
	}
	/*
	 * A TPR or EOI write may have unmasked a pending interrupt, an ICR write sent one to this CPU:
	 * take it now, so it is injected right after this instruction, as the hardware would deliver it.
	 */
	vcpu_ops->take_host_interrupts();
	vcpu_advance_rip(v, insn.len);
	return EXIT_RESUME;
}
