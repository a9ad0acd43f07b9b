/*
 * The guest's accesses to the local APIC. The APIC is passed through, but its xAPIC page is
 * read-only in the nested tables and the x2APIC ICR MSR is intercepted, so that the hypervisor
 * sees every IPI command: INIT and STARTUP must never reach a parked CPU (an SVM core in host
 * mode is reset by INIT, and a pending INIT re-exits forever from an idle vCPU). Every other
 * write is performed on the real APIC for the guest.
 */
#include "console.h"
#include "vmm/emulate.h"
#include "vmm/exit.h"
#include "vmm/guest_walk.h"
#include "vmm/initsipi.h"
#include "vmm/insn_decode.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
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
	__atomic_store_n(&v->xapic_ldr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&v->xapic_dfr, 0xFFFFFFFF, __ATOMIC_RELAXED);
	v->xapic_icr_high = 0;
}

bool lapic_is_mmio(const struct partition *p, uint64_t gpa)
{
	return p->apic_page && (gpa & ~0xFFFULL) == p->apic_page;
}

/* The instruction at CS:RIP, read through the guest's own page tables. */
static int fetch_and_decode(struct vcpu *v, struct mmio_insn *insn)
{
	uint8_t bytes[INSN_MAX_LEN];
	size_t avail;
	int rc = vcpu_fetch_insn(v, bytes, &avail);

	return rc ? rc : insn_decode_mmio(bytes, avail, vcpu_cpu_mode(v), insn);
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
	/* The logical destination, which senders on other CPUs decode INIT/STARTUP against. */
	if (offset == APIC_REG_LDR)
		__atomic_store_n(&v->xapic_ldr, value & 0xFF000000, __ATOMIC_RELAXED);
	else if (offset == APIC_REG_DFR)
		__atomic_store_n(&v->xapic_dfr, value | 0x0FFFFFFF, __ATOMIC_RELAXED);
	if (!apic_is_x2apic()) {
		apic_write(offset, value);
		return;
	}
	switch (offset) {
	case APIC_REG_LDR:
	case APIC_REG_DFR:
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

/* A loaded value into the instruction's register, as x86 writes registers of that width. */
static void load_register(struct vcpu *v, const struct mmio_insn *insn, uint64_t value)
{
	uint64_t old = vcpu_gpr(v, insn->reg);
	uint8_t width = insn->zero_extend ? insn->reg_size : insn->size;

	if (insn->size < 8)
		value &= (1ULL << (insn->size * 8)) - 1;
	if (insn->high_byte)
		value = (old & ~0xFF00ULL) | (value << 8);
	else if (width == 1)
		value = (old & ~0xFFULL) | value;
	else if (width == 2)
		value = (old & ~0xFFFFULL) | value;
	vcpu_set_gpr(v, insn->reg, value); /* 4 and 8 bytes: the whole register (a 32-bit load zero-extends) */
}

#define ODD_ACCESS_LOG_LIMIT 8

/*
 * APIC registers are 32 bits wide, read and written whole; smaller or unaligned accesses are
 * model-specific (SDM vol. 3A, 11.4.1). Here a narrower or unaligned read returns those bytes of
 * the dword, and such a write is ignored, as QEMU and Bochs do. Either way the guest goes on.
 */
static void odd_access(struct vcpu *v, const struct mmio_insn *insn, uint32_t offset)
{
	static unsigned int logged;
	uint32_t dword = offset & ~3U, shift = (offset & 3) * 8;

	if (logged++ < ODD_ACCESS_LOG_LIMIT)
		pr_warn("vcpu%u: %u-byte local APIC %s at offset %#x: %s", v->id, insn->size,
			insn->write ? "write" : "read", offset, insn->write ? "ignored" : "bytes of the register");
	if (insn->write)
		return;
	load_register(v, insn, ((uint64_t)page_read(v, dword) | (uint64_t)page_read(v, (dword + 4) & 0xFFF) << 32) >> shift);
}

enum exit_verdict lapic_mmio(struct vcpu *v)
{
	uint32_t offset = v->exit.gpa & 0xFFF;
	struct mmio_insn insn;
	int rc = fetch_and_decode(v, &insn);

	if (rc) {
		pr_err("vcpu%u: cannot emulate the local APIC access at offset %#x: undecoded instruction (error %d)", v->id,
		       offset, rc);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	if (insn.size != 4 || (offset & 3) || (!insn.write && insn.reg_size != 4) || insn.high_byte)
		odd_access(v, &insn, offset);
	else if (insn.write)
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
