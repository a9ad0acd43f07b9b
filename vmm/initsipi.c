/*
 * INIT and SIPI. A parked CPU runs an idle vCPU with INIT intercepted, so a guest INIT can neither
 * reset it nor start guest code on it outside virtualization; it is logged and ignored until
 * guest SMP is built.
 *
 * The guest's own INIT IPIs are filtered at its ICR writes (lapic.c), so an INIT that reaches the
 * guest's running vCPU comes from the platform: a soft reset through port 0xCF9, which is not
 * intercepted (io.c). It takes the reboot path, as the other reset requests do.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/reboot.h"

enum exit_verdict handle_init(struct vcpu *v)
{
	if (!v->idle)
		reboot_machine("guest reset request: INIT (a platform soft reset)", true);
	pr_info("vcpu%u: INIT intercepted on CPU %u (APIC ID %u); ignored, the CPU stays parked", v->id,
		v->cpu->cpu_id, v->cpu->apic_id);
	return EXIT_RESUME;
}

enum exit_verdict handle_sipi(struct vcpu *v)
{
	pr_info("vcpu%u: SIPI vector %#x intercepted; ignored", v->id, v->exit.vector);
	return EXIT_RESUME;
}
