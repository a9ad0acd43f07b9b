/* Guest local APIC accesses the hypervisor must see (vmm/lapic.c). */
#ifndef HV_VMM_LAPIC_H
#define HV_VMM_LAPIC_H

#include "vmm/exit.h"

struct partition;

/* True if an ICR command (low word, destination) must not reach the hardware. */
bool lapic_icr_filtered(struct vcpu *v, uint32_t icr_low, uint32_t dest);
bool lapic_is_mmio(const struct partition *p, uint64_t gpa);
/* A nested page fault on the APIC page: decode, filter and perform (or emulate) the access. */
enum exit_verdict lapic_mmio(struct vcpu *v);
/* After the guest's APIC mode changed: whether its page reads must be emulated too. */
void lapic_update_page_trap(struct vcpu *v);

/* IA32_APIC_BASE (vmm/lapic_base.c): the guest's view starts enabled, in xAPIC mode. */
void lapic_vcpu_init(struct vcpu *v);
/* A guest write: 0, or -E_INVAL where the hardware would raise #GP. */
int lapic_base_write(struct vcpu *v, uint64_t value);
bool lapic_guest_enabled(const struct vcpu *v);
bool lapic_guest_x2apic(const struct vcpu *v);

#endif
