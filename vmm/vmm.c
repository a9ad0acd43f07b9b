/* Bringing virtualization up on every CPU, parking the APs, and running the guest. */
#include "console.h"
#include "frame.h"
#include "iommu.h"
#include "mm.h"
#include "panic.h"
#include "screen.h"
#include "timer.h"
#include "lib/string.h"
#include "vmm/debugkeys.h"
#include "vmm/guest.h"
#include "vmm/lapic.h"
#include "vmm/msr.h"
#include "vmm/partition.h"
#include "vmm/selfcheck.h"
#include "vmm/vmm.h"
#include "x86/cpu.h"
#include "x86/smp.h"

#define PARK_TIMEOUT_US 2000000


static volatile unsigned int parked_cpus;

static struct vcpu *vcpu_new(struct partition *p, const struct vcpu_start *start)
{
	struct vcpu *v = alloc_zeroed_frames(vcpu_ops->vcpu_size, NULL); /* the backend's, struct vcpu first */
	struct percpu *cpu = this_cpu();

	v->part = p;
	v->cpu = cpu;
	v->id = cpu->cpu_id;
	v->idle = start->mode == VCPU_START_IDLE;
	v->startup = v->idle ? VCPU_WAITING : 0;
	cpu->vcpu = v;
	p->vcpus[v->id] = v;
	/* Its own MSR bitmap: what passes through depends on the vCPU's APIC mode and TSC offset. */
	v->msr_bitmap = alloc_zeroed_frames(msr_bitmap_size(vcpu_ops->msr_bitmap_layout), &v->msr_bitmap_pa);
	memcpy(v->msr_bitmap, p->msr_bitmap, msr_bitmap_size(vcpu_ops->msr_bitmap_layout));
	if (vcpu_ops->vcpu_create(v, start))
		panic("vmm: cannot create vCPU %u", v->id);
	msr_vcpu_init(v);
	lapic_vcpu_init(v);
	return v;
}

/*
 * Runs on each AP: its vCPU waits for the guest's INIT-SIPI in the idle halt loop, which no
 * hardware INIT ever reaches (vmm/initsipi.c delivers INIT and SIPI in software).
 */
static void park_ap(void)
{
	struct vcpu_start idle = vcpu_start_idle();
	struct vcpu *v;

	if (vcpu_ops->cpu_enable()) {
		pr_err("vmm: CPU %u cannot enable %s; it stays halted", this_cpu_id(), vcpu_ops->name);
		cpu_halt_forever();
	}
	v = vcpu_new(&guest_partition, &idle);
	__atomic_fetch_add(&parked_cpus, 1, __ATOMIC_RELEASE);
	vcpu_run_loop(v);
	cpu_halt_forever();
}

bool vmm_prepare(const struct hv_options *opts)
{
	uint64_t deadline;

	if (virt_select() || vcpu_ops->cpu_enable())
		return false;
	partition_init(&guest_partition, opts);
	iommu_init(&guest_partition); /* DMA confined to the partition's memory before any guest code runs */
	io_intercept_defaults(&guest_partition);
	debugkeys_intercept_ports(&guest_partition); /* the hypervisor's own UART is not the guest's */
	smp_run_on_aps(park_ap);
	deadline = tsc_deadline_us(PARK_TIMEOUT_US);
	while (parked_cpus < smp_cpu_count() - 1 && rdtsc() < deadline)
		cpu_relax();
	pr_info("vmm: %s on %u CPUs; %u vCPUs wait for the guest's SIPI", vcpu_ops->name, parked_cpus + 1,
		parked_cpus);
	return parked_cpus == smp_cpu_count() - 1;
}

void vmm_run_guest(const struct boot_info *bi)
{
	struct vcpu *v;

	if (!bi->nr_mods) {
		pr_warn("vmm: no guest image (the first multiboot module is the guest); nothing to run");
		return;
	}
	if (guest_is_linux(bi) ? guest_load_linux(&guest_partition, bi) : guest_load_multiboot(&guest_partition, bi)) {
		partition_stop(&guest_partition, "the guest image could not be loaded");
		return;
	}
	selfcheck_init(); /* what the guest must never change, as it is before the guest runs */
	v = vcpu_new(&guest_partition, &guest_partition.start);
	pr_info("vmm: starting the guest on CPU 0 at %#llx", (unsigned long long)guest_partition.start.rip);
	screen_handoff(); /* the guest's screen from here; a panic takes it back */
	vcpu_run_loop(v);
}
