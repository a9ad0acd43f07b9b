/* SMP bring-up: INIT-SIPI-SIPI to every CPU the MADT lists, one at a time (SDM vol. 3, 9.4.4.1). */
#include "acpi.h"
#include "console.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "timer.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/desc.h"
#include "x86/msr.h"
#include "x86/smp.h"

#define INIT_DELAY_US 10000   /* INIT to first STARTUP */
#define SIPI_DELAY_US 200     /* between the two STARTUPs */
#define AP_ANSWER_US 1000000  /* an AP not online by then is given up (1 s: TCG under load is slow) */

extern const uint8_t trampoline_start[], trampoline_end[], trampoline_params[];

static struct percpu *cpus[MAX_CPUS];
static unsigned int nr_cpus;
static struct trampoline_params *params;
static bool straggler; /* a CPU did not answer in time and may still start, then park, in the trampoline */

unsigned int smp_cpu_count(void)
{
	return nr_cpus;
}

struct percpu *smp_cpu(unsigned int cpu_id)
{
	return cpu_id < nr_cpus ? cpus[cpu_id] : NULL;
}

__noreturn void ap_main(struct percpu *cpu);
__noreturn void ap_main(struct percpu *cpu)
{
	write_cr3(mm_host_root()); /* leave the trampoline's tables */
	percpu_install(cpu);
	desc_init_cpu(cpu);
	apic_init_cpu();
	__atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
	pr_info("smp: CPU %u online (APIC ID %u)", cpu->cpu_id, cpu->apic_id);
	/* Interrupts stay off; the boot CPU hands out work (enabling virtualization) through cpu->work. */
	while (!cpu->work)
		cpu_relax();
	cpu->work();
	cpu_halt_forever();
}

void smp_run_on_aps(void (*fn)(void))
{
	for (unsigned int i = 1; i < nr_cpus; i++)
		cpus[i]->work = fn;
}

struct trampoline_params *smp_install_trampoline(paddr_t page, paddr_t cr3)
{
	size_t size = (size_t)(trampoline_end - trampoline_start);
	struct trampoline_params *tp;

	BUG_ON(size > FRAME_SIZE);
	memcpy(phys_to_virt(page), trampoline_start, size);
	tp = (struct trampoline_params *)((uint8_t *)phys_to_virt(page) + (trampoline_params - trampoline_start));
	tp->cr3 = (uint32_t)cr3;
	tp->efer = (uint32_t)rdmsr(MSR_EFER);
	tp->entry = (uintptr_t)ap_main;
	return tp;
}

static void prepare_trampoline(void)
{
	params = smp_install_trampoline(hv_layout.trampoline, mm_make_identity_cr3(hv_layout.trampoline));
}

static bool wait_online(struct percpu *cpu, uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
		if (rdtsc() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/* INIT-SIPI-SIPI through the trampoline at `page` (params filled in); false if it never came online. */
static bool kick_cpu(struct percpu *cpu, paddr_t page)
{
	apic_send_init(cpu->apic_id);
	udelay(INIT_DELAY_US);
	apic_send_startup(cpu->apic_id, page);
	if (!wait_online(cpu, SIPI_DELAY_US))
		apic_send_startup(cpu->apic_id, page);
	return wait_online(cpu, AP_ANSWER_US);
}

static void set_params(struct trampoline_params *tp, const struct percpu *cpu)
{
	tp->apic_id = cpu->apic_id;
	tp->stack_top = cpu->stack_top;
	tp->percpu = (uintptr_t)cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

unsigned int smp_restart_aps(struct trampoline_params *tp, paddr_t page, void (*fn)(void))
{
	unsigned int started = 0;

	tp->entry = (uintptr_t)ap_main;
	for (unsigned int i = 1; i < nr_cpus; i++) {
		struct percpu *cpu = cpus[i];

		cpu->work = NULL;
		__atomic_store_n(&cpu->online, false, __ATOMIC_RELEASE);
		set_params(tp, cpu);
		if (!kick_cpu(cpu, page)) {
			pr_err("smp: CPU %u (APIC ID %u) did not come back within %u ms; it stays off", i, cpu->apic_id,
			       AP_ANSWER_US / 1000);
			tp->apic_id = UINT32_MAX;
			continue;
		}
		cpu->work = fn;
		started++;
	}
	return started;
}

static void start_cpu(uint32_t apic_id)
{
	struct percpu *cpu;
	uint8_t *stack;

	if (nr_cpus == MAX_CPUS) {
		pr_warn("smp: more than %u CPUs; APIC ID %u stays off", MAX_CPUS, apic_id);
		return;
	}
	/* Never freed: an AP that answers after the timeout may still be using them. */
	cpu = alloc_zeroed_frames(sizeof(*cpu), NULL);
	stack = alloc_zeroed_frames(PERCPU_STACK_SIZE, NULL);
	cpu->self = cpu;
	cpu->cpu_id = nr_cpus;
	cpu->apic_id = apic_id;
	cpu->stack_bottom = (uintptr_t)stack;
	cpu->stack_top = (uintptr_t)stack + PERCPU_STACK_SIZE;

	set_params(params, cpu);
	if (!kick_cpu(cpu, hv_layout.trampoline)) {
		pr_err("smp: CPU with APIC ID %u did not answer INIT-SIPI-SIPI within %u ms; skipped", apic_id,
		       AP_ANSWER_US / 1000);
		params->apic_id = UINT32_MAX; /* a late answer now parks itself in the trampoline */
		straggler = true;
		return;
	}
	cpus[nr_cpus++] = cpu;
}

void smp_init(const struct acpi_info *acpi, uint32_t ghost_apic_id)
{
	uint32_t listed = 1;

	bsp_percpu.apic_id = apic_id();
	bsp_percpu.online = true;
	cpus[0] = &bsp_percpu;
	nr_cpus = 1;
	if (!acpi->madt_valid) {
		pr_warn("smp: no usable MADT: running on the boot CPU alone");
	} else {
		prepare_trampoline();
		for (uint32_t i = 0; i < acpi->nr_cpus; i++) {
			if (acpi->cpus[i].apic_id == bsp_percpu.apic_id)
				continue;
			listed++;
			start_cpu(acpi->cpus[i].apic_id);
		}
		if (ghost_apic_id != UINT32_MAX) {
			pr_info("smp: test option ghost_cpu: starting APIC ID %u, which the MADT does not list", ghost_apic_id);
			listed++;
			start_cpu(ghost_apic_id);
		}
	}
	for (unsigned int i = 0; i < nr_cpus; i++)
		pr_info("smp: CPU %u: APIC ID %u", i, cpus[i]->apic_id);
	pr_info("smp: %u of %u CPUs online", nr_cpus, listed);
	/* Guest code must never reach a page a CPU outside virtualization may execute. */
	if (straggler)
		pr_info("smp: the AP trampoline page stays hidden from the guest: a CPU that did not answer may still run there");
	else
		mm_return_trampoline();
}
