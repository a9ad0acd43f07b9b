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
#include "vmm/insn_decode.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
#include "x86/traps.h"

#define LAPIC_LOG_LIMIT 16

bool lapic_icr_filtered(struct vcpu *v, uint32_t icr_low, uint32_t dest)
{
	static unsigned int logged;
	unsigned int mode = APIC_ICR_MODE(icr_low);

	if (mode != APIC_ICR_MODE(APIC_ICR_INIT) && mode != APIC_ICR_MODE(APIC_ICR_STARTUP))
		return false;
	/* The partition has one vCPU: every other CPU is parked, and the guest may not start them. */
	if (logged++ < LAPIC_LOG_LIMIT)
		pr_info("vcpu%u: guest %s IPI (ICR %#x, destination %#x) dropped: the other CPUs are parked", v->id,
			mode == APIC_ICR_MODE(APIC_ICR_INIT) ? "INIT" : "STARTUP", icr_low, dest);
	return true;
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

/*
 * The guest's page when the hardware cannot answer for it. Disabled or in x2APIC mode, nothing
 * answers at the page: reads float high, writes go nowhere. An xAPIC guest whose CPU's APIC is in
 * x2APIC mode (it was there, then came back through disabled, which the hardware APIC never does:
 * see lapic_base.c) reaches the same registers through their MSRs; the few that differ between
 * the modes are kept here.
 */
static bool page_answers(const struct vcpu *v)
{
	return lapic_guest_enabled(v) && !lapic_guest_x2apic(v);
}

static uint32_t page_read(struct vcpu *v, uint32_t offset)
{
	uint64_t value;

	if (!page_answers(v))
		return 0xFFFFFFFF;
	if (!apic_is_x2apic())
		return apic_read(offset);
	switch (offset) {
	case APIC_REG_ID:
		return apic_id() << 24;
	case APIC_REG_LDR:
		return v->xapic_ldr;
	case APIC_REG_DFR:
		return v->xapic_dfr;
	case APIC_REG_ICR_HIGH:
		return v->xapic_icr_high;
	case APIC_REG_ICR_LOW:
		return (uint32_t)rdmsr(MSR_X2APIC_ICR);
	default:
		return rdmsr_safe(MSR_X2APIC_BASE + offset / 16, &value) ? 0 : (uint32_t)value;
	}
}

static void page_write(struct vcpu *v, uint32_t offset, uint32_t value)
{
	if (!page_answers(v))
		return;
	if (offset == APIC_REG_ICR_HIGH)
		v->xapic_icr_high = value & 0xFF000000; /* the filter below needs the destination */
	if (offset == APIC_REG_ICR_LOW && lapic_icr_filtered(v, value, v->xapic_icr_high >> 24))
		return;
	if (!apic_is_x2apic()) {
		apic_write(offset, value);
		return;
	}
	switch (offset) {
	case APIC_REG_LDR:
		v->xapic_ldr = value & 0xFF000000;
		break;
	case APIC_REG_DFR:
		v->xapic_dfr = value | 0x0FFFFFFF;
		break;
	case APIC_REG_ICR_HIGH:
		break;
	case APIC_REG_ICR_LOW:
		/* Physical and shorthand destinations mean the same in both modes. */
		(void)wrmsr_safe(MSR_X2APIC_ICR, ((uint64_t)(v->xapic_icr_high >> 24) << 32) | value);
		break;
	default:
		(void)wrmsr_safe(MSR_X2APIC_BASE + offset / 16, value);
		break;
	}
}

enum exit_verdict lapic_mmio(struct vcpu *v)
{
	uint32_t offset = v->exit.gpa & 0xFFF;
	struct mmio_insn insn;
	int rc = fetch_and_decode(v, &insn);

	/* APIC registers are 32 bits wide, read and written whole (SDM vol. 3A, 11.4.1). */
	if (rc || insn.size != 4 || (offset & 3) || (!insn.write && insn.reg_size != 4) || insn.high_byte) {
		pr_err("vcpu%u: cannot emulate the local APIC access at offset %#x (error %d, %s of %u bytes)", v->id,
		       offset, rc, rc ? "undecoded" : insn.write ? "write" : "read", rc ? 0 : insn.size);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	if (insn.write)
		page_write(v, offset, (uint32_t)(insn.has_imm ? insn.imm : vcpu_gpr(v, insn.reg)));
	else
		vcpu_set_gpr(v, insn.reg, page_read(v, offset)); /* a 32-bit load zero-extends */
	/*
	 * A TPR or EOI write may have unmasked a pending interrupt, an ICR write sent one to this CPU:
	 * take it now, so it is injected right after this instruction, as the hardware would deliver it.
	 */
	vcpu_ops->take_host_interrupts();
	vcpu_advance_rip(v, insn.len);
	return EXIT_RESUME;
}

void lapic_update_page_trap(struct vcpu *v)
{
	bool trap = !page_answers(v) || apic_is_x2apic();

	if (trap == v->apic_page_trapped)
		return;
	v->apic_page_trapped = trap;
	partition_trap_apic_reads(v->part, trap);
	vcpu_ops->flush_nested_tlb(v);
}
