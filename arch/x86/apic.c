/* Local APIC: xAPIC through an uncached MMIO mapping or x2APIC through MSRs. */
#include "console.h"
#include "mm.h"
#include "panic.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/percpu.h"
#include "x86/safe_insn.h"

#define ICR_BUSY_SPIN_LIMIT 1000000

static volatile uint32_t *xapic_regs;
static bool x2apic_at_boot; /* the mode firmware left, which every CPU starts in */
static paddr_t xapic_phys;

/* Per CPU: a guest in x2APIC mode has switched its CPU's APIC, and the hypervisor follows. */
bool apic_is_x2apic(void)
{
	return this_cpu()->x2apic;
}

uint32_t apic_read(uint32_t reg)
{
	if (apic_is_x2apic())
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16);
	return xapic_regs[reg / 4];
}

void apic_write(uint32_t reg, uint32_t value)
{
	if (apic_is_x2apic())
		wrmsr(MSR_X2APIC_BASE + reg / 16, value);
	else
		xapic_regs[reg / 4] = value;
}

void apic_init(uint64_t madt_address)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	paddr_t pa = madt_address ? madt_address : (base & APIC_BASE_ADDR_MASK);

	if (!(base & APIC_BASE_ENABLE))
		panic("apic: the local APIC is disabled in IA32_APIC_BASE (%#llx)", (unsigned long long)base);
	x2apic_at_boot = base & APIC_BASE_X2APIC;
	this_cpu()->x2apic = x2apic_at_boot;
	xapic_phys = pa & ~0xFFFULL;
	if (!x2apic_at_boot) {
		xapic_regs = ioremap(pa, 4096);
		if (!xapic_regs)
			panic("apic: cannot map the local APIC at %#llx", (unsigned long long)pa);
	}
	pr_info("apic: %s mode%s, boot CPU APIC ID %u, version %#x", x2apic_at_boot ? "x2APIC" : "xAPIC",
		x2apic_at_boot ? "" : " (MMIO)", apic_id(), apic_read(APIC_REG_VERSION) & 0xFF);
	apic_init_cpu();
}

void apic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	/* INIT puts an AP's APIC back in xAPIC mode; x2APIC is entered from there (SDM 11.12.5). */
	if (x2apic_at_boot && !(base & APIC_BASE_X2APIC))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	this_cpu()->x2apic = x2apic_at_boot;
	apic_write(APIC_REG_SVR, apic_read(APIC_REG_SVR) | APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

paddr_t apic_mmio_base(void)
{
	return xapic_phys;
}

uint32_t apic_id(void)
{
	if (apic_is_x2apic())
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + APIC_REG_ID / 16);
	return xapic_regs[APIC_REG_ID / 4] >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

void apic_send_ipi(uint32_t dest, uint32_t icr)
{
	if (apic_is_x2apic()) {
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | icr);
		return;
	}
	xapic_regs[APIC_REG_ICR_HIGH / 4] = dest << 24;
	xapic_regs[APIC_REG_ICR_LOW / 4] = icr;
	for (int spin = 0; spin < ICR_BUSY_SPIN_LIMIT && (xapic_regs[APIC_REG_ICR_LOW / 4] & APIC_ICR_BUSY); spin++)
		cpu_relax();
}

void apic_send_nmi(uint32_t dest)
{
	apic_send_ipi(dest, APIC_ICR_NMI | APIC_ICR_ASSERT);
}

void apic_send_nmi_all_but_self(void)
{
	apic_send_ipi(0, APIC_ICR_NMI | APIC_ICR_ASSERT | APIC_ICR_ALL_BUT_SELF);
}

void apic_send_init(uint32_t dest)
{
	apic_send_ipi(dest, APIC_ICR_INIT | APIC_ICR_ASSERT | APIC_ICR_LEVEL);
}

void apic_send_startup(uint32_t dest, paddr_t page)
{
	apic_send_ipi(dest, APIC_ICR_STARTUP | APIC_ICR_ASSERT | (uint32_t)(page >> 12));
}

void apic_enter_x2apic(void)
{
	if (this_cpu()->x2apic)
		return;
	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	this_cpu()->x2apic = true;
}

/* The highest LVT entry this APIC has (version register bits 23:16). */
static unsigned int apic_max_lvt(void)
{
	return (apic_read(APIC_REG_VERSION) >> 16) & 0xFF;
}

/* Registers an APIC may lack (LVTs past its count): a missing x2APIC MSR must not fault here. */
static void apic_write_optional(uint32_t reg, uint32_t value)
{
	if (apic_is_x2apic())
		(void)wrmsr_safe(MSR_X2APIC_BASE + reg / 16, value);
	else
		xapic_regs[reg / 4] = value;
}

void apic_reset_registers(void)
{
	unsigned int max_lvt = apic_max_lvt();

	apic_write(APIC_REG_SVR, APIC_SPURIOUS_VECTOR); /* software-disabled: every LVT masked */
	apic_write(APIC_REG_TPR, 0);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
	if (max_lvt >= 4)
		apic_write_optional(APIC_REG_LVT_PERF, APIC_LVT_MASKED);
	if (max_lvt >= 5)
		apic_write_optional(APIC_REG_LVT_THERMAL, APIC_LVT_MASKED);
	if (max_lvt >= 6)
		apic_write_optional(APIC_REG_LVT_CMCI, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_INITIAL, 0);
	apic_write(APIC_REG_TIMER_DIVIDE, 0);
	if (!apic_is_x2apic()) {
		/* Read-only (LDR) or absent (DFR) in x2APIC mode. */
		apic_write(APIC_REG_DFR, 0xFFFFFFFF);
		apic_write(APIC_REG_LDR, 0);
	}
	apic_write_optional(APIC_REG_ESR, 0);
	apic_write_optional(APIC_REG_ESR, 0);
	/* In-service interrupts end with EOIs; one per bit at most. */
	for (unsigned int n = 0; n < 256 && apic_in_service(); n++)
		apic_eoi();
}

bool apic_in_service(void)
{
	for (uint32_t reg = APIC_REG_ISR; reg < APIC_REG_ISR + 8 * 0x10; reg += 0x10)
		if (apic_read(reg))
			return true;
	return false;
}

void apic_virtual_wire(void)
{
	apic_reset_registers();
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_write(APIC_REG_LVT_LINT0, APIC_LVT_EXTINT);
	apic_write(APIC_REG_LVT_LINT1, APIC_LVT_NMI);
}
