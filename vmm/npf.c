/*
 * Nested/extended page faults. Hypervisor memory and the IOMMUs' registers are absent from the
 * guest's tables: an access is logged and refused with #GP, and the guest goes on (a fault while delivering #DF is a triple
 * fault). Everything else up to the CPU's physical width is mapped (vmm/partition.c): any other
 * fault means the tables and the guest disagree about memory, which is reported and stops the partition.
 */
#include "console.h"
#include "iommu.h"
#include "vmm/exit.h"
#include "vmm/ioapic.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "vmm/sleep.h"
#include "vmm/pci_cfg.h"
#include "x86/traps.h"

#define NPF_LOG_LIMIT 32 /* a guest looping over our memory must not flood the console */

static const char *access_name(uint64_t access)
{
	if (access & NPF_FETCH)
		return "instruction fetch";
	return access & NPF_WRITE ? "write" : "read";
}

enum exit_verdict handle_npf(struct vcpu *v)
{
	static uint64_t denied;
	uint64_t rip = vcpu_ops->read_reg(v, VCPU_RIP);

	if (lapic_is_mmio(v->part, v->exit.gpa) && !(v->exit.qualification & NPF_FETCH))
		return lapic_mmio(v);
	if (ioapic_is_mmio(v->exit.gpa) && !(v->exit.qualification & NPF_FETCH))
		return ioapic_mmio(v);
	if (sleep_is_mmio(v->exit.gpa) && !(v->exit.qualification & NPF_FETCH))
		return sleep_mmio(v);
	if (pci_cfg_is_ecam_trap(v->exit.gpa) && !(v->exit.qualification & NPF_FETCH))
		return pci_cfg_ecam_access(v);
	if (partition_gpa_is_hypervisor(v->part, v->exit.gpa) || iommu_owns_mmio(v->exit.gpa)) {
		/*
		 * A guest that retries forever (real-mode code whose #GP handler just returns) stays
		 * visible: past the limit, every power-of-two denial is still logged, with the count.
		 */
		denied++;
		if (denied <= NPF_LOG_LIMIT || !(denied & (denied - 1)))
			pr_warn("vcpu%u: guest %s of %s at GPA %#llx, RIP %#llx: denied, #GP injected (%llu so far)",
				v->id, access_name(v->exit.qualification),
				iommu_owns_mmio(v->exit.gpa) ? "IOMMU registers" : "hypervisor memory",
				(unsigned long long)v->exit.gpa,
				(unsigned long long)rip, (unsigned long long)denied);
		/*
		 * Delivering a #DF faulted (its IDT entry, stack or the page walk for them lies in our
		 * memory, e.g. CR3 does): that is a triple fault (SDM vol. 3A, 6.15, interrupt 8), and
		 * the guest takes its shutdown path instead of a #GP/#DF loop.
		 */
		if (vcpu_ops->read_reg(v, VCPU_PENDING_EXCEPTION) == EXC_DF)
			return handle_shutdown(v);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (partition_map_on_demand(v->part, v->exit.gpa))
		return EXIT_RESUME; /* the access runs again, now on the platform's behalf */
	pr_err("vcpu%u: guest %s of unmapped GPA %#llx at RIP %#llx", v->id, access_name(v->exit.qualification),
	       (unsigned long long)v->exit.gpa, (unsigned long long)rip);
	vcpu_dump(v);
	return EXIT_STOP;
}
