/*
 * IA32_APIC_BASE as the guest sees it (SDM vol. 3A, 11.4.4 and 11.12.5). The hardware APIC always
 * stays enabled, because the hypervisor's cross-CPU requests are NMIs through it. What the guest
 * asks for is emulated on top:
 *   - a global disable leaves the APIC enabled as a virtual wire (the PIC's INTR through LINT0,
 *     NMI through LINT1), which is what the CPU sees of a disabled APIC; the guest reads bit 11
 *     clear, CPUID's APIC bit clear, its writes to the xAPIC page are dropped and the x2APIC MSRs
 *     #GP;
 *   - enabling it again gives the power-on register state;
 *   - x2APIC mode (where CPUID offers it) switches this CPU's APIC for real, so the guest's x2APIC
 *     MSRs reach the hardware; only the ICR (for INIT/STARTUP) and the LVTs stay intercepted;
 *   - the hardware APIC never leaves x2APIC mode again, because that means a global disable, and
 *     neither QEMU nor Bochs can enable an APIC again after one (a bare Bochs 2.7 guest reads the
 *     enable bit still clear); a guest that goes back to xAPIC gets its page emulated on top of
 *     the x2APIC registers (vmm/lapic.c);
 *   - moving the base is refused: no OS does it, and the nested tables trap the page where it is.
 * Invalid transitions fault with #GP as on hardware.
 */
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "vmm/lapic.h"
#include "vmm/msr.h"
#include "vmm/msr_bitmap.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/msr.h"

#define APIC_BASE_MODE (APIC_BASE_ENABLE | APIC_BASE_X2APIC)
#define MSR_X2APIC_LVT_CMCI 0x82F
#define MSR_X2APIC_LVT_FIRST 0x832 /* timer, thermal, performance, LINT0, LINT1, error */
#define MSR_X2APIC_LVT_LAST 0x837

enum apic_state { APIC_DISABLED = 0, APIC_XAPIC = APIC_BASE_ENABLE, APIC_X2APIC = APIC_BASE_MODE };

static enum apic_state state_of(uint64_t base)
{
	return (enum apic_state)(base & APIC_BASE_MODE);
}

static void x2apic_passthrough(struct vcpu *v, bool pass);

void lapic_vcpu_init(struct vcpu *v)
{
	/* The guest starts with the APIC as firmware left it, in the mode firmware chose. */
	v->apic_base = rdmsr(MSR_IA32_APIC_BASE);
	v->xapic_dfr = 0xFFFFFFFF;
	if (lapic_guest_x2apic(v)) {
		x2apic_passthrough(v, true);
	} else {
		v->xapic_ldr = apic_read(APIC_REG_LDR) & 0xFF000000;
		v->xapic_dfr = apic_read(APIC_REG_DFR) | 0x0FFFFFFF;
	}
	lapic_update_page_trap(v);
}

bool lapic_guest_x2apic(const struct vcpu *v)
{
	return state_of(v->apic_base) == APIC_X2APIC;
}

bool lapic_guest_enabled(const struct vcpu *v)
{
	return v->apic_base & APIC_BASE_ENABLE;
}

/* In x2APIC mode the registers are the guest's own, but for the commands the hypervisor filters. */
static void x2apic_passthrough(struct vcpu *v, bool pass)
{
	for (uint32_t msr = MSR_X2APIC_BASE; msr <= MSR_X2APIC_LAST; msr++) {
		bool filtered = msr == MSR_X2APIC_ICR || msr == MSR_X2APIC_LVT_CMCI ||
				(msr >= MSR_X2APIC_LVT_FIRST && msr <= MSR_X2APIC_LVT_LAST);

		msr_set_intercept(v, msr, MSR_RW, !pass || filtered);
	}
}

static bool transition_allowed(enum apic_state from, enum apic_state to, bool x2apic_offered)
{
	if ((unsigned int)to == APIC_BASE_X2APIC)
		return false; /* x2APIC without enable is invalid */
	if (to == APIC_X2APIC)
		return x2apic_offered && from != APIC_DISABLED;
	return !(from == APIC_X2APIC && to == APIC_XAPIC); /* back to xAPIC only through disabled */
}

int lapic_base_write(struct vcpu *v, uint64_t value)
{
	uint64_t addr_mask = ((1ULL << boot_cpu.phys_bits) - 1) & ~0xFFFULL;
	enum apic_state from = state_of(v->apic_base), to = state_of(value);

	if (value & ~(addr_mask | APIC_BASE_BSP | APIC_BASE_MODE))
		return -E_INVAL;
	if ((value ^ v->apic_base) & addr_mask) {
		pr_warn("vcpu%u: guest moves its local APIC from %#llx to %#llx: refused (#GP)", v->id,
			(unsigned long long)(v->apic_base & addr_mask), (unsigned long long)(value & addr_mask));
		return -E_INVAL;
	}
	if (!transition_allowed(from, to, v->part->msr_features.x2apic))
		return -E_INVAL;
	v->apic_base = value;
	if (from == to)
		return 0; /* the BSP flag, which has no effect here */
	if (to == APIC_DISABLED) {
		/* Interrupts the APIC held are gone with it; the CPU sees a virtual wire. */
		x2apic_passthrough(v, false);
		apic_virtual_wire();
		memset(v->irq_pending, 0, sizeof(v->irq_pending));
	} else if (to == APIC_XAPIC) {
		lapic_init_reset(v);
		memset(v->irq_pending, 0, sizeof(v->irq_pending));
	} else {
		apic_enter_x2apic(); /* the registers carry over, as the SDM specifies */
		x2apic_passthrough(v, true);
	}
	lapic_update_page_trap(v);
	pr_debug("vcpu%u: guest APIC now %s", v->id,
		 to == APIC_DISABLED ? "disabled" : to == APIC_XAPIC ? "in xAPIC mode" : "in x2APIC mode");
	return 0;
}
