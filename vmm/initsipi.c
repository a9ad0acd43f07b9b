/*
 * INIT and SIPI, delivered in software on both vendors. The guest's INIT and STARTUP IPIs never
 * reach the hardware: an SVM core in host mode with GIF=1 is reset by an INIT (unless
 * VM_CR.R_INIT), QEMU TCG resets a CPU on a pending INIT whatever GIF says, and Bochs never
 * consumes an intercepted one. So they are caught at the ICR writes (vmm/lapic.c, vmm/msr.c)
 * and handed on here (INIT from other sources: initsipi_hardware_init below):
 *
 *   - the sender decodes the destination (vmm/ipi_dest.c), records INIT or SIPI(vector) in each
 *     target's vcpu.startup with compare-exchange, then kicks the target with an NMI whose
 *     CPU_REQ_KICK flag marks it as the hypervisor's (it never reaches the guest);
 *   - the target looks at vcpu.startup before its next entry (the post sets VCPU_ATTN_STARTUP
 *     in vcpu.attention, which every entry tests): INIT puts it into the wait state
 *     (the idle halt loop in its private page and nested table), SIPI starts it in real mode at
 *     vector << 12 on the partition's nested table, with every register as INIT leaves it;
 *   - the sender waits, bounded, until each target has taken its INIT or SIPI, and kicks again
 *     when a kick was consumed without effect (on VMX an NMI can land in the host just before
 *     VM entry). So INIT-SIPI with no delay works, and a SIPI is never lost: one that arrives
 *     while the INIT is still pending starts the vCPU after the INIT, one that finds the vCPU
 *     running is ignored, as on hardware, and an INIT cancels a SIPI still in flight.
 *
 * Why the idle halt loop on VMX too, not the wait-for-SIPI activity state: nothing sends the
 * hardware an INIT or SIPI, and a logical processor in wait-for-SIPI recognizes a SIPI only (the
 * SDM's activity states of VM entry), not the NMIs the reboot path and the kicks need. One
 * mechanism serves both vendors and is tested on both.
 */
#include "console.h"
#include "lib/string.h"
#include "timer.h"
#include "vmm/exit.h"
#include "vmm/initsipi.h"
#include "vmm/ipi_dest.h"
#include "vmm/lapic.h"
#include "vmm/partition.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/percpu.h"
#include "x86/reboot.h"

#define STARTUP_ACK_US 20000 /* how long a sender waits for its targets to take INIT/SIPI */
#define KICK_AGAIN_US 200    /* a consumed kick without effect is repeated after this */
#define KICK_GRACE_US 250000 /* how late a kick's NMI may come (emulators on a busy host are slow) */
#define STARTUP_LOG_LIMIT 4  /* per vCPU: Linux CPU hotplug repeats INIT-SIPI many times */
#define LOG_LIMIT 16

static bool post_init(struct vcpu *t)
{
	uint32_t old = __atomic_load_n(&t->startup, __ATOMIC_ACQUIRE);

	while (!__atomic_compare_exchange_n(&t->startup, &old, startup_post_init(old), false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
	vcpu_request_attention(t, VCPU_ATTN_STARTUP);
	return true;
}

static bool post_sipi(struct vcpu *t, uint8_t vector)
{
	uint32_t old = __atomic_load_n(&t->startup, __ATOMIC_ACQUIRE), new;

	do {
		new = startup_post_sipi(old, vector);
		if (new == old)
			return false;
	} while (!__atomic_compare_exchange_n(&t->startup, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	vcpu_request_attention(t, VCPU_ATTN_STARTUP);
	return true;
}

static void kick(struct vcpu *t)
{
	__atomic_store_n(&t->cpu->kick_grace_until, tsc_deadline_us(KICK_GRACE_US), __ATOMIC_RELEASE);
	__atomic_fetch_or(&t->cpu->requests, CPU_REQ_KICK, __ATOMIC_RELEASE);
	apic_send_nmi(t->cpu->apic_id);
}

static bool startup_pending(const struct vcpu *t)
{
	return __atomic_load_n(&t->startup, __ATOMIC_ACQUIRE) & (VCPU_INIT_PENDING | VCPU_SIPI_PENDING);
}

/* Until every kicked target has taken what it was sent, or the time is up. */
static void wait_for_targets(struct partition *p, const bool *kicked)
{
	uint64_t deadline = tsc_deadline_us(STARTUP_ACK_US), again = tsc_deadline_us(KICK_AGAIN_US);
	bool waiting = true;

	while (waiting && rdtsc() < deadline) {
		bool resend = rdtsc() >= again;

		waiting = false;
		for (unsigned int i = 0; i < MAX_CPUS; i++) {
			struct vcpu *t = p->vcpus[i];

			if (!kicked[i] || !startup_pending(t))
				continue;
			waiting = true;
			if (resend && !(__atomic_load_n(&t->cpu->requests, __ATOMIC_ACQUIRE) & CPU_REQ_KICK))
				kick(t);
		}
		if (resend)
			again = tsc_deadline_us(KICK_AGAIN_US);
		cpu_relax();
	}
}

void initsipi_send(struct vcpu *v, uint32_t icr_low, uint32_t dest, bool x2apic)
{
	static unsigned int logged;
	bool init = APIC_ICR_MODE(icr_low) == APIC_ICR_MODE(APIC_ICR_INIT);
	uint8_t vector = icr_low & 0xFF;
	struct partition *p = v->part;
	bool kicked[MAX_CPUS] = { false };
	bool any = false;

	/* INIT level de-assert only synchronises arbitration IDs (SDM 11.6.1); nothing is reset. */
	if (init && (icr_low & APIC_ICR_LEVEL) && !(icr_low & APIC_ICR_ASSERT))
		return;
	if (IPI_ICR_SHORTHAND(icr_low) == IPI_SHORTHAND_SELF) {
		if (logged++ < LOG_LIMIT)
			pr_warn("vcpu%u: %s with the self shorthand (ICR %#x) is invalid (SDM 11.6.1); ignored", v->id,
				init ? "INIT" : "STARTUP", icr_low);
		return;
	}
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		struct vcpu *t = p->vcpus[i];
		struct ipi_target target;

		if (!t)
			continue; /* no CPU, or one that could not enable virtualization: it stays halted */
		target = (struct ipi_target){
			.apic_id = t->cpu->apic_id,
			.ldr = __atomic_load_n(&t->xapic_ldr, __ATOMIC_RELAXED),
			.dfr = __atomic_load_n(&t->xapic_dfr, __ATOMIC_RELAXED),
			.self = t == v,
		};
		if (!ipi_reaches(icr_low, dest, x2apic, &target))
			continue;
		if (!(init ? post_init(t) : post_sipi(t, vector)) || t == v)
			continue; /* our own INIT is taken before our next entry */
		kick(t);
		kicked[i] = any = true;
	}
	if (any)
		wait_for_targets(p, kicked);
}

static bool log_startup(struct vcpu *v)
{
	return v->inits + v->sipis < STARTUP_LOG_LIMIT;
}

/* What INIT does to this CPU (SDM vol. 3A, 10.1 and 11.4.7.3): the wait state, the APIC reset. */
static void enter_wait_state(struct vcpu *v)
{
	struct vcpu_start wait = vcpu_start_idle();

	if (log_startup(v))
		pr_info("vcpu%u: INIT: waiting for a SIPI", v->id);
	v->inits++;
	v->idle = true;
	vcpu_ops->vcpu_reset(v, &wait);
	vcpu_ops->write_reg(v, VCPU_CR2, 0);
	if (lapic_guest_enabled(v))
		lapic_init_reset(v);
	memset(v->irq_pending, 0, sizeof(v->irq_pending));
	v->nmi_pending = 0;
	__atomic_store_n(&v->cpu->nmi_pending, 0, __ATOMIC_RELAXED);
}

static void start_at(struct vcpu *v, uint8_t vector)
{
	struct vcpu_start sipi = vcpu_start_sipi(vector);
	uint32_t a, b, c, d;

	if (log_startup(v))
		pr_info("vcpu%u: SIPI vector %#x: starting in real mode at %04x:0000", v->id, vector,
			(unsigned int)vector << 8);
	v->sipis++;
	/* After INIT, EDX holds the processor signature, CPUID 1 EAX (SDM vol. 3A, 10.1.2). */
	cpuid_count(1, 0, &a, &b, &c, &d);
	sipi.regs.rdx = a;
	vcpu_ops->vcpu_reset(v, &sipi);
	vcpu_ops->write_reg(v, VCPU_CR2, 0);
	/*
	 * A waiting CPU takes no NMI, and one counted as the guest's while it waited (a kick whose
	 * flag an earlier NMI had taken) must not reach the new guest code, which has no IDT yet.
	 */
	v->nmi_pending = 0;
	__atomic_store_n(&v->cpu->nmi_pending, 0, __ATOMIC_RELEASE);
	v->idle = false;
}

/*
 * INIT of the boot CPU (SDM vol. 3A, 10.1 and 8.4.1): no wait for a SIPI, the BSP starts at the
 * reset vector with the INIT state, so the guest's firmware runs again, as the guest. Firmware
 * that finds a resume code in the CMOS shutdown status (0x05, 0x0A) jumps through 40:67.
 */
static void restart_at_reset_vector(struct vcpu *v)
{
	struct vcpu_start reset = vcpu_start_reset();
	uint32_t a, b, c, d;

	if (log_startup(v))
		pr_info("vcpu%u: INIT: the boot CPU restarts at the reset vector %04x:%04x", v->id,
			RESET_CS_SELECTOR, RESET_IP);
	v->inits++;
	cpuid_count(1, 0, &a, &b, &c, &d);
	reset.regs.rdx = a;
	vcpu_ops->vcpu_reset(v, &reset);
	vcpu_ops->write_reg(v, VCPU_CR2, 0);
	if (lapic_guest_enabled(v))
		lapic_init_reset(v);
	memset(v->irq_pending, 0, sizeof(v->irq_pending));
	v->nmi_pending = 0;
	__atomic_store_n(&v->cpu->nmi_pending, 0, __ATOMIC_RELEASE);
	v->idle = false;
}

/* The guest's boot CPU: the vCPU that started the guest (vmm/vmm.c runs it on CPU 0). */
static bool is_boot_vcpu(const struct vcpu *v)
{
	return v->id == 0;
}

/*
 * Until nothing is pending: a sender whose INIT was taken may post its SIPI while this CPU is
 * still resetting (and logging), and its kick is then consumed here in the host.
 */
void initsipi_process(struct vcpu *v)
{
	uint32_t old = __atomic_load_n(&v->startup, __ATOMIC_ACQUIRE), new;
	bool init, sipi;

	while (old & (VCPU_INIT_PENDING | VCPU_SIPI_PENDING)) {
		do
			new = startup_take(old, &init, &sipi);
		while (!__atomic_compare_exchange_n(&v->startup, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
		if (init && is_boot_vcpu(v)) {
			restart_at_reset_vector(v);
			/* It runs its firmware, it does not wait: a SIPI finds it running and is ignored. */
			__atomic_fetch_and(&v->startup, ~(VCPU_WAITING | VCPU_SIPI_PENDING | VCPU_SIPI_VECTOR_MASK),
					   __ATOMIC_ACQ_REL);
			sipi = false;
		} else if (init) {
			enter_wait_state(v);
		}
		if (sipi)
			start_at(v, old & VCPU_SIPI_VECTOR_MASK);
		old = __atomic_load_n(&v->startup, __ATOMIC_ACQUIRE);
	}
}

/*
 * A hardware INIT for this CPU. The guest's INIT IPIs are delivered in software, but other
 * sources reach the CPU itself: an I/O APIC redirection entry or an MSI with delivery mode INIT,
 * a platform soft reset (port 0xCF9 bit 2 where the hypervisor does not own it, a keyboard
 * controller pulse, port 0x92 on many chipsets). Each is taken as hardware takes it, by this
 * CPU's vCPU and never by the CPU: an AP's vCPU waits for a SIPI, the boot vCPU restarts at the
 * reset vector. It is posted like a software INIT and taken before the next entry.
 *
 * SVM: the INIT intercept in guest mode; in host mode (a GIF=1 window) VM_CR.R_INIT turns the
 * INIT into #SX (APM vol. 2, 15.29), which arch/x86/traps.c hands here. VMX: the INIT exit (SDM
 * vol. 3C, 26.2); in VMX root operation INIT is blocked until the next entry, which then exits.
 * Each INIT is taken once: on hardware the exit consumes it. An emulator that re-exits on the
 * same INIT forever (Bochs 2.7) keeps this vCPU in its INIT state, logged at powers of two.
 */
void initsipi_hardware_init(struct vcpu *v)
{
	post_init(v);
}

enum exit_verdict handle_init(struct vcpu *v)
{
	/* Cheap, and a CPU that keeps exiting on one INIT (Bochs 2.7) may see no NMI exit. */
	if (reboot_requested())
		reboot_respond();
	v->hardware_inits++;
	/* At every power of two: an emulator that never consumes the INIT (Bochs 2.7) exits forever. */
	if (!(v->hardware_inits & (v->hardware_inits - 1)))
		pr_info("vcpu%u: hardware INIT #%llu on CPU %u (APIC ID %u): taken by the vCPU", v->id,
			(unsigned long long)v->hardware_inits, v->cpu->cpu_id, v->cpu->apic_id);
	initsipi_hardware_init(v);
	return EXIT_RESUME;
}

/* Only a vCPU in the wait-for-SIPI activity state exits on SIPI, and none is ever put there. */
enum exit_verdict handle_sipi(struct vcpu *v)
{
	static unsigned int logged;

	if (logged++ < LOG_LIMIT)
		pr_warn("vcpu%u: hardware SIPI vector %#x: ignored (SIPIs are delivered in software)", v->id,
			v->exit.vector);
	return EXIT_RESUME;
}
