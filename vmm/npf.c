/*
 * Nested/extended page faults. Hypervisor memory is absent from the guest's tables: an access is
 * logged and refused with #GP, and the guest goes on. Any other fault means the tables and the
 * guest disagree about memory, which is reported and stops the partition.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"

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
	if (partition_gpa_is_hypervisor(v->part, v->exit.gpa)) {
		/*
		 * A guest that retries forever (real-mode code whose #GP handler just returns) stays
		 * visible: past the limit, every power-of-two denial is still logged, with the count.
		 */
		denied++;
		if (denied <= NPF_LOG_LIMIT || !(denied & (denied - 1)))
			pr_warn("vcpu%u: guest %s of hypervisor memory at GPA %#llx, RIP %#llx: denied, #GP injected (%llu so far)",
				v->id, access_name(v->exit.qualification), (unsigned long long)v->exit.gpa,
				(unsigned long long)rip, (unsigned long long)denied);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	pr_err("vcpu%u: guest %s of unmapped GPA %#llx at RIP %#llx", v->id, access_name(v->exit.qualification),
	       (unsigned long long)v->exit.gpa, (unsigned long long)rip);
	vcpu_dump(v);
	return EXIT_STOP;
}
