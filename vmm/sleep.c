/*
 * Sleep states through the hypervisor (ACPI 6.5 sections 4.8.3.2, 4.8.3.7, 5.2.10 and 16.1).
 *
 * The firmware wakes a machine from S2/S3 by jumping to the FACS waking vector on a bare CPU. A
 * guest that owns the sleep registers and the FACS would get its own code run there, outside
 * SVM/VMX, with the hypervisor's memory in place. So the sleep registers are intercepted (PM1a/PM1b
 * control, and the hardware-reduced sleep control register, in I/O space by their ports, in memory
 * space by a write-trapped page: vmm/sleep_mmio.c), and nothing else: a guest that never sleeps
 * pays nothing. A write with SLP_EN is judged by its SLP_TYP against the DSDT's \_Sx values read
 * at boot (vmm/sleep_reg.c):
 *   - S0, or no SLP_EN: passes through;
 *   - S4/S5: every CPU leaves SVM/VMX, then the write passes through (the machine powers off);
 *   - S1-S3, or a type the DSDT does not name: every CPU leaves the guest and SVM/VMX, the guest's
 *     waking vectors are kept and the FACS points at the hypervisor's wake page, caches are written
 *     back, and only then the guest's write is performed.
 * On wake the firmware enters the wake page (the AP start trampoline, copied there): long mode, the
 * hypervisor's tables and per-CPU state, SVM/VMX on the boot CPU and (INIT-SIPI) on every AP, the
 * guest's FACS as it wrote it, then the guest's boot CPU at its waking vector as firmware would,
 * with its other vCPUs waiting for SIPIs. A platform that returns from the write without sleeping
 * (S1 keeps the CPUs' context; an emulator without S3) gets every vCPU back where it was.
 */
#include "console.h"
#include "iommu.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "serial.h"
#include "timer.h"
#include "vmm/lapic.h"
#include "vmm/hypercall.h"
#include "vmm/partition.h"
#include "vmm/sleep.h"
#include "vmm/sleep_reg.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/desc.h"
#include "x86/percpu.h"
#include "x86/reboot.h"
#include "x86/smp.h"

#define SLEEP_ENTRY_WAIT_US 500000 /* a platform still running this long after the write did not sleep */
#define RESUME_WAIT_US 2000000     /* for the APs to enter SVM/VMX again */
#define INIT_TO_SIPI_US 10000      /* SDM vol. 3A, 9.4.4.1 */
#define SNAP_RSDP 36   /* the ACPI 2.0 RSDP */
#define SNAP_ROOT 1024 /* the RSDT/XSDT header and its first entries */
#define SNAP_FADT 276  /* a whole ACPI 6 FADT */

/*
 * The tables firmware walks at wake to find the FACS (SeaBIOS and the Bochs BIOS do it again then):
 * as they were at boot. A suspend finds them changed only if the guest rewrote them, and is refused.
 */
struct snapshot {
	paddr_t pa;
	uint32_t len;
	uint8_t *bytes;
};
static uint8_t snap_rsdp[SNAP_RSDP], snap_root[SNAP_ROOT], snap_fadt[SNAP_FADT];
static struct snapshot snapshots[] = { { 0, 0, snap_rsdp }, { 0, 0, snap_root }, { 0, 0, snap_fadt } };

/* One guest write to a sleep register, kept to be performed on the guest's behalf. */
struct sleep_write {
	const struct sleep_reg *reg;
	uint64_t address; /* port or physical address */
	uint8_t size;
	uint64_t value;
};

static struct {
	struct sleep_reg regs[SLEEP_MAX_REGS]; /* PM1a, PM1b where the FADT has one, SLEEP_CONTROL_REG */
	unsigned int nr;
	bool wake_ready;               /* a FACS and a wake page: S1-S3 can be entered */
	struct trampoline_params *tp;  /* the trampoline's parameters in the wake page */
	paddr_t wake_cr3;
	/* A PM1a SLP_EN write held until the PM1b one (both blocks are written to enter a state). */
	bool held;
	struct sleep_write held_write;
	/* The suspend in progress. */
	struct partition *part;
	unsigned int state;            /* 1-5, SLEEP_UNKNOWN */
	const char *through;           /* the register's name, for the log */
	struct vcpu *initiator;
	bool in_place;                 /* the write returned: every vCPU goes on where it was */
	uint32_t guest_vector;
	uint64_t guest_x_vector;
	uint32_t guest_ospm_flags;
	uint8_t facs_version;          /* at boot: the X waking vector exists from version 1 on */
	volatile unsigned int aps_back;
} sleep;

static volatile void *facs_field(unsigned int off)
{
	return (volatile uint8_t *)phys_to_virt(platform_acpi.facs_pa) + off;
}

/*
 * To the guest the hypervisor is the firmware that wakes it (ACPI 6.5 section 5.2.10). It enters
 * the X waking vector in 32-bit protected mode and never in 64-bit mode, which would take identity
 * page tables in memory the guest does not own. So the guest's FACS does not advertise
 * 64BIT_WAKE_SUPPORTED_F, and an OSPM that follows the specification never sets 64BIT_WAKE_F.
 */
static void facs_hide_64bit_wake(void)
{
	volatile uint32_t *flags = facs_field(ACPI_FACS_FLAGS);
	uint32_t was = *flags;

	sleep.facs_version = *(volatile uint8_t *)facs_field(ACPI_FACS_VERSION);
	if (!(was & ACPI_FACS_64BIT_WAKE_SUPPORTED))
		return;
	*flags = was & ~ACPI_FACS_64BIT_WAKE_SUPPORTED;
	pr_info("sleep: the firmware offers a 64-bit wake (FACS flags %#x): not offered to the guest, which wakes in "
		"real or 32-bit protected mode", was);
}

static void snapshot_take(struct snapshot *snap, paddr_t pa, uint32_t len, uint32_t cap)
{
	snap->pa = pa;
	snap->len = len < cap ? len : cap;
	if (pa)
		memcpy(snap->bytes, phys_to_virt(pa), snap->len);
}

static void snapshots_take(void)
{
	const struct acpi_info *a = &platform_acpi;
	uint32_t root_len = *(const volatile uint32_t *)((const uint8_t *)phys_to_virt(a->root_pa) + 4);

	snapshot_take(&snapshots[0], a->rsdp_pa, a->rsdp_revision >= 2 ? SNAP_RSDP : 20, SNAP_RSDP);
	snapshot_take(&snapshots[1], a->root_pa, root_len, SNAP_ROOT);
	snapshot_take(&snapshots[2], a->fadt_pa, a->fadt.length, SNAP_FADT);
}

static bool snapshots_match(void)
{
	for (unsigned int i = 0; i < sizeof(snapshots) / sizeof(snapshots[0]); i++)
		if (snapshots[i].pa && memcmp(snapshots[i].bytes, phys_to_virt(snapshots[i].pa), snapshots[i].len))
			return false;
	return true;
}

static const char *state_name(unsigned int state)
{
	static const char *const names[] = { "S0", "S1", "S2", "S3", "S4", "S5" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "a sleep state the DSDT does not name";
}

bool sleep_port(uint16_t port)
{
	return sleep_reg_find(sleep.regs, sleep.nr, false, port, 1) >= 0;
}

int sleep_mmio_reg(uint64_t gpa, uint8_t size)
{
	return sleep_reg_find(sleep.regs, sleep.nr, true, gpa, size);
}

static void reject(const char *name, const struct acpi_gas *g)
{
	pr_warn("sleep: %s is in address space %u, neither I/O nor memory: not intercepted, and sleep states are "
		"not supported here", name, g->space_id);
}

static void intercept(struct partition *p, const struct sleep_reg *r)
{
	if (r->mmio) {
		/* Writes to its page exit and are emulated (vmm/sleep_mmio.c); reads go to the hardware. */
		sleep_mmio_trap(p, r->address, r->len);
		pr_info("sleep: %s at memory %#llx (%u bytes) intercepted: its page is write-trapped", sleep_reg_name(r),
			(unsigned long long)r->address, r->len);
		return;
	}
	/* One bitmap bit per port: each byte of the register, so a byte write to SLP_EN's byte exits too. */
	for (unsigned int b = 0; b < r->len; b++)
		io_intercept(p, (uint16_t)(r->address + b), true);
	pr_info("sleep: %s at port %#llx intercepted", sleep_reg_name(r), (unsigned long long)r->address);
}

void sleep_intercept_ports(struct partition *p)
{
	const struct acpi_fadt_info *f = &platform_acpi.fadt;
	const struct acpi_sleep_type *t = platform_acpi.sleep_types;

	if (!platform_acpi.fadt_valid)
		return;
	sleep.nr = sleep_regs_from_fadt(f, sleep.regs, reject);
	if (!sleep.nr)
		return;
	for (unsigned int i = 0; i < sleep.nr; i++)
		intercept(p, &sleep.regs[i]);
	if (platform_acpi.facs_valid && hv_layout.wake_page) {
		sleep.wake_ready = true;
		sleep.wake_cr3 = mm_make_identity_cr3(hv_layout.wake_page);
		snapshots_take();
		facs_hide_64bit_wake();
	}
	pr_info("sleep: SLP_TYP of S0-S5: %d %d %d %d %d %d; FACS at %#llx, wake page %#llx%s",
		t[0].valid ? t[0].typ_a : -1, t[1].valid ? t[1].typ_a : -1, t[2].valid ? t[2].typ_a : -1,
		t[3].valid ? t[3].typ_a : -1, t[4].valid ? t[4].typ_a : -1, t[5].valid ? t[5].typ_a : -1,
		(unsigned long long)platform_acpi.facs_pa, (unsigned long long)hv_layout.wake_page,
		sleep.wake_ready ? "" : ": S1-S3 are refused (no FACS or wake page)");
}

static void perform(const struct sleep_write *w)
{
	if (w->reg->mmio)
		sleep_mmio_perform(w->address, w->size, w->value);
	else
		out_sized((uint16_t)w->address, w->size, (uint32_t)w->value);
}

/* The held PM1a write first: both blocks are written to enter a state, a before b. */
static void perform_writes(const struct sleep_write *w)
{
	if (sleep.held)
		perform(&sleep.held_write);
	sleep.held = false;
	perform(w);
}

/* S4/S5: nothing resumes through the waking vector, but the machine must not stay in root mode. */
static __noreturn void power_off(struct vcpu *v, const struct sleep_write *w)
{
	pr_info("sleep: guest enters %s through %s on vCPU %u: every CPU leaves %s, then the write passes "
		"through", state_name(sleep.state), sleep.through, v->id, vcpu_ops->name);
	virt_leave_all("sleep");
	/* The guest's exit counters, for `make bench` (every other CPU is parked: they hold still). */
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (v->part->vcpus[i])
			vcpu_print_exit_stats(v->part->vcpus[i]);
	iommu_disable_all(); /* last, as on the reboot path: firmware expects the units off */
	asm volatile("wbinvd" ::: "memory");
	perform_writes(w);
	udelay(SLEEP_ENTRY_WAIT_US);
	pr_err("sleep: the machine is still running %u ms after the %s write; halting", SLEEP_ENTRY_WAIT_US / 1000,
	       state_name(sleep.state));
	cpu_halt_forever();
}

/* Keep the guest's waking vectors and point the firmware at the wake page, in real mode. */
static void facs_take(void)
{
	sleep.guest_vector = *(volatile uint32_t *)facs_field(ACPI_FACS_WAKING_VECTOR);
	sleep.guest_x_vector = *(volatile uint64_t *)facs_field(ACPI_FACS_X_WAKING_VECTOR);
	sleep.guest_ospm_flags = *(volatile uint32_t *)facs_field(ACPI_FACS_OSPM_FLAGS);
	*(volatile uint32_t *)facs_field(ACPI_FACS_WAKING_VECTOR) = (uint32_t)hv_layout.wake_page;
	*(volatile uint64_t *)facs_field(ACPI_FACS_X_WAKING_VECTOR) = 0;
	*(volatile uint32_t *)facs_field(ACPI_FACS_OSPM_FLAGS) = sleep.guest_ospm_flags & ~ACPI_FACS_64BIT_WAKE;
}

static void facs_give_back(void)
{
	*(volatile uint32_t *)facs_field(ACPI_FACS_WAKING_VECTOR) = sleep.guest_vector;
	*(volatile uint64_t *)facs_field(ACPI_FACS_X_WAKING_VECTOR) = sleep.guest_x_vector;
	*(volatile uint32_t *)facs_field(ACPI_FACS_OSPM_FLAGS) = sleep.guest_ospm_flags;
}

__noreturn void sleep_resume_main(struct percpu *cpu);

/* The wake page runs the boot CPU into sleep_resume_main on its own stack. */
static void prepare_wake_page(void)
{
	struct percpu *bsp = smp_cpu(0);

	sleep.tp = smp_install_trampoline(hv_layout.wake_page, sleep.wake_cr3);
	sleep.tp->apic_id = bsp->apic_id;
	sleep.tp->stack_top = bsp->stack_top;
	sleep.tp->percpu = (uintptr_t)bsp;
	sleep.tp->entry = (uintptr_t)sleep_resume_main;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The write returned: take the same way back as a wake, from the boot CPU. */
static __noreturn void resume_in_place(void)
{
	struct percpu *bsp = smp_cpu(0);

	sleep.in_place = true;
	if (this_cpu_id() == 0)
		asm volatile("mov %0, %%rsp\n\t"
			     "xor %%ebp, %%ebp\n\t"
			     "jmp *%1"
			     :
			     : "r"(bsp->stack_top), "r"(sleep_resume_main), "D"(bsp)
			     : "memory");
	/* The boot CPU is parked outside virtualization: start it at the wake page, as firmware would. */
	apic_send_init(bsp->apic_id);
	udelay(INIT_TO_SIPI_US);
	apic_send_startup(bsp->apic_id, hv_layout.wake_page);
	cpu_halt_forever();
}

static __noreturn void suspend(struct vcpu *v, const struct sleep_write *w, unsigned int typ)
{
	pr_info("sleep: guest enters %s (SLP_TYP %u) through %s on vCPU %u: suspending the machine",
		state_name(sleep.state), typ, sleep.through, v->id);
	sleep.part = v->part;
	sleep.initiator = v;
	sleep.in_place = false;
	sleep.aps_back = 0;
	virt_leave_all("sleep");
	prepare_wake_page(); /* the way back, whichever way it is taken */
	if (!snapshots_match()) {
		pr_err("sleep: %s refused: the guest changed the ACPI tables (RSDP, RSDT/XSDT or FADT) the firmware "
		       "follows to the waking vector; every vCPU goes on, the write dropped", state_name(sleep.state));
		sleep.held = false;
		resume_in_place();
	}
	facs_take();
	pr_info("sleep: FACS at %#llx: guest waking vector %#x (64-bit %#llx, OSPM flags %#x) kept; the firmware "
		"wakes the hypervisor at %#llx", (unsigned long long)platform_acpi.facs_pa, sleep.guest_vector,
		(unsigned long long)sleep.guest_x_vector, sleep.guest_ospm_flags,
		(unsigned long long)hv_layout.wake_page);
	pr_info("sleep: entering %s", state_name(sleep.state));
	/* Last, once the wake page is ready: until here no DMA reaches it or any hypervisor memory. */
	iommu_disable_all();
	/* Memory keeps its contents in S3 but caches do not (ACPI 6.5 section 16.1.3.1). */
	asm volatile("wbinvd" ::: "memory");
	perform_writes(w);
	udelay(SLEEP_ENTRY_WAIT_US);
	pr_warn("sleep: the platform did not enter %s (still running %u ms after the write): every vCPU goes on "
		"where it was", state_name(sleep.state), SLEEP_ENTRY_WAIT_US / 1000);
	facs_give_back();
	resume_in_place();
}

enum exit_verdict sleep_write(struct vcpu *v, int reg, uint64_t address, uint8_t size, uint64_t value)
{
	const struct sleep_reg *r = &sleep.regs[reg];
	struct sleep_write w = { r, address, size, value };
	unsigned int typ, state;

	state = sleep_reg_request(r, address, size, value, &typ) ? sleep_reg_state(r, platform_acpi.sleep_types, typ) : 0;
	if (!state) {
		perform(&w);
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	if ((state <= 3 || state == SLEEP_UNKNOWN) && !sleep.wake_ready) {
		pr_warn("sleep: %s refused: no FACS or wake page (the write is dropped)", state_name(state));
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	/* Both blocks are written to enter a state: PM1a's write waits for PM1b's (Linux writes a, then b). */
	if (r->kind == SLEEP_REG_PM1A && sleep.nr > 1 && sleep.regs[1].kind == SLEEP_REG_PM1B) {
		sleep.held = true;
		sleep.held_write = w;
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	irq_disable();
	/* One initiator: a reboot or another suspend under way is answered instead. */
	if (!reboot_claim())
		reboot_respond();
	sleep.state = state; /* from here on this CPU is the only one in the hypervisor */
	sleep.through = r->kind == SLEEP_REG_SLEEP_CTL ? sleep_reg_name(r) : "PM1_CNT";
	if (state == 4 || state == 5)
		power_off(v, &w);
	suspend(v, &w, typ);
}

enum exit_verdict sleep_io_write(struct vcpu *v, uint16_t port, uint8_t size, uint32_t value)
{
	return sleep_write(v, sleep_reg_find(sleep.regs, sleep.nr, false, port, size), port, size, value);
}

/* ---- resume ---- */

/* What the platform's reset or the firmware changed under a vCPU: as INIT and firmware leave it. */
static void vcpu_wake(struct vcpu *v, const struct vcpu_start *start)
{
	vcpu_ops->vcpu_reload(v);
	if (sleep.in_place) {
		if (v == sleep.initiator)
			vcpu_skip_instruction(v); /* the PM1 write is done */
		return;
	}
	v->idle = start->mode == VCPU_START_IDLE;
	__atomic_store_n(&v->startup, v->idle ? VCPU_WAITING : 0, __ATOMIC_RELEASE);
	vcpu_ops->vcpu_reset(v, start);
	vcpu_ops->write_reg(v, VCPU_CR2, 0);
	memset(v->irq_pending, 0, sizeof(v->irq_pending));
	memset(v->irq_deferred, 0, sizeof(v->irq_deferred));
	v->nmi_pending = 0;
	__atomic_store_n(&v->cpu->nmi_pending, 0, __ATOMIC_RELEASE);
	/* The TSC restarts with the platform: a kick's grace deadline from before would last for ages. */
	__atomic_store_n(&v->cpu->kick_grace_until, 0, __ATOMIC_RELEASE);
	memset((void *)v->cpu->irq_latched, 0, sizeof(v->cpu->irq_latched));
	lapic_vcpu_init(v);
}

static void resume_ap(void)
{
	struct vcpu *v = this_cpu()->vcpu;
	struct vcpu_start wait = vcpu_start_idle();

	if (vcpu_ops->cpu_enable()) {
		pr_err("sleep: CPU %u cannot enter %s again; it stays halted", this_cpu_id(), vcpu_ops->name);
		cpu_halt_forever();
	}
	pr_info("sleep: CPU %u re-entered %s", this_cpu_id(), vcpu_ops->name);
	__atomic_fetch_add(&sleep.aps_back, 1, __ATOMIC_RELEASE);
	if (!v)
		cpu_halt_forever();
	vcpu_wake(v, &wait);
	vcpu_run_loop(v);
	cpu_halt_forever();
}

/* Where the guest's boot CPU starts: its waking vector, entered as firmware would (sleep_wake_entry). */
static bool guest_wake_start(struct vcpu_start *start)
{
	struct sleep_wake_entry e = sleep_wake_entry(sleep.facs_version, sleep.guest_vector, sleep.guest_x_vector,
						     sleep.guest_ospm_flags);

	if (e.wanted_64bit && e.mode == SLEEP_WAKE_FLAT32)
		pr_warn("sleep: the guest asked for a 64-bit wake, which its FACS does not offer; entering its X waking "
			"vector in 32-bit protected mode");
	if (e.mode == SLEEP_WAKE_FLAT32) {
		*start = vcpu_start_flat32(e.ip, FLAT32_CODE_SEL, FLAT32_DATA_SEL);
		pr_info("sleep: resuming the guest's boot CPU at its X waking vector %#llx in 32-bit protected mode",
			(unsigned long long)e.ip);
		return true;
	}
	if (e.mode == SLEEP_WAKE_NONE) {
		pr_err("sleep: no waking vector to enter (32-bit %#x, X %#llx above 4 GiB or none, FACS version %u)",
		       sleep.guest_vector, (unsigned long long)sleep.guest_x_vector, sleep.facs_version);
		return false;
	}
	*start = vcpu_start_real(e.real_cs, e.ip);
	pr_info("sleep: resuming the guest's boot CPU at its waking vector %04x:%04llx in real mode", start->code_sel,
		(unsigned long long)start->rip);
	return true;
}

/* The firmware (or resume_in_place) entered the wake page on the boot CPU: long mode, own tables. */
__noreturn void sleep_resume_main(struct percpu *cpu)
{
	struct vcpu_start start = vcpu_start_idle();
	struct vcpu *v = cpu->vcpu;
	unsigned int aps;
	uint64_t deadline;

	write_cr3(mm_host_root());
	percpu_install(cpu);
	desc_init_cpu(cpu);
	serial_reinit();
	pr_info("sleep: %s on CPU 0 through the wake page", sleep.in_place ? "back" : "woke from S3");
	apic_init_cpu();
	if (vcpu_ops->cpu_enable())
		panic("sleep: CPU 0 cannot enter %s again after the resume", vcpu_ops->name);
	pr_info("sleep: CPU 0 re-entered %s", vcpu_ops->name);
	iommu_resume_all(); /* before any vCPU (and so any guest driver) runs again */
	if (!sleep.in_place)
		facs_give_back();
	reboot_rearm();
	aps = smp_restart_aps(sleep.tp, hv_layout.wake_page, resume_ap);
	deadline = tsc_deadline_us(RESUME_WAIT_US);
	while (__atomic_load_n(&sleep.aps_back, __ATOMIC_ACQUIRE) < aps && rdtsc() < deadline)
		cpu_relax();
	pr_info("sleep: resumed: %s on %u of %u CPUs", vcpu_ops->name, sleep.aps_back + 1, smp_cpu_count());
	if (!v)
		cpu_halt_forever();
	if (!sleep.in_place && !guest_wake_start(&start)) {
		partition_stop(sleep.part, "the guest left no waking vector in the FACS that can be entered");
		cpu_halt_forever();
	}
	vcpu_wake(v, &start);
	vcpu_run_loop(v);
	cpu_halt_forever();
}
