/*
 * The guest partition's memory and intercept state. Guest-physical addresses equal host-physical
 * ones; the nested tables map everything up to the CPU's physical width except hypervisor memory
 * and the AP trampoline page, RAM write-back and the rest (MMIO, firmware, unbacked) uncached.
 */
#include "console.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/cr.h"
#include "vmm/msr_bitmap.h"
#include "vmm/msr_policy.h"
#include "vmm/hypercall.h"
#include "vmm/ioapic.h"
#include "vmm/partition.h"
#include "vmm/xcr0.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"

#define IDLE_GUEST_PA 0x0 /* the parked vCPU's halt loop, its only page */

struct partition guest_partition;

static paddr_t npt_alloc_table(void *opaque)
{
	return frame_alloc_zeroed();
}

static void *npt_table_virt(paddr_t pa, void *opaque)
{
	return phys_to_virt(pa);
}

static void npt_map(struct partition *p, paddr_t root, uint64_t start, uint64_t end, uint64_t flags)
{
	int rc = pt_map(&p->npt, root, start, start, end - start, flags);

	if (rc)
		panic("partition: nested mapping of %#llx-%#llx failed (error %d)", (unsigned long long)start,
		      (unsigned long long)end, rc);
}

/*
 * How far guest-physical space is mapped 1:1: the CPU's whole physical width, so that MMIO above
 * RAM (64-bit BARs) works and unbacked addresses behave as on hardware (the platform answers:
 * master abort, all ones or zeros), never as a nested fault the hypervisor would have to emulate.
 * The tables stay small: with 1 GiB leaves at most 2^46 (128 table pages), with 2 MiB leaves at
 * most 2^39 (256 pages). Above that, up to the physical width, a GiB is mapped when the guest
 * first touches it (partition_map_on_demand), at most NPT_ON_DEMAND_MAX of them.
 */
#define NPT_MAX_BITS_1G 46
#define NPT_MAX_BITS_2M 39
#define NPT_ON_DEMAND_MAX 512 /* GiB regions mapped on first touch: at most 2 MiB of tables */

static uint64_t guest_physical_limit(const struct partition *p)
{
	unsigned int bits = boot_cpu.phys_bits;
	unsigned int cap = p->npt.allow_1g ? NPT_MAX_BITS_1G : NPT_MAX_BITS_2M;
	uint64_t limit = 1ULL << (bits < cap ? bits : cap);

	return limit > hv_layout.physmap_limit ? limit : hv_layout.physmap_limit;
}

static void build_nested_tables(struct partition *p)
{
	const struct range_set *ram = mm_ram_ranges();
	static struct range_set visible;
	uint64_t rwx = PTE_P | PTE_W | PTE_U;
	uint64_t limit;

	vcpu_ops->init_npt_format(&p->npt); /* entry format and whether 1 GiB leaves exist */
	p->npt.alloc_table = npt_alloc_table;
	p->npt.phys_to_virt = npt_table_virt;
	p->npt_root = frame_alloc_zeroed();
	limit = guest_physical_limit(p);
	p->npt_limit = limit;

	range_set_init(&visible);
	BUG_ON(range_set_add(&visible, 0, limit));
	BUG_ON(range_set_remove(&visible, hv_layout.hv_base, hv_layout.hv_end));
	if (hv_layout.trampoline_hidden)
		BUG_ON(range_set_remove(&visible, hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE));
	for (unsigned int i = 0; i < visible.nr; i++)
		npt_map(p, p->npt_root, visible.r[i].start, visible.r[i].end, rwx | PTE_PCD | PTE_PWT);
	/* RAM is remapped write-back over the uncached default; hypervisor memory stays absent. */
	for (unsigned int i = 0; i < ram->nr; i++) {
		for (unsigned int j = 0; j < visible.nr; j++) {
			uint64_t start = MAX(ram->r[i].start, visible.r[j].start);
			uint64_t end = MIN(ram->r[i].end, visible.r[j].end);

			start = ALIGN_UP(start, FRAME_SIZE);
			end = ALIGN_DOWN(end, FRAME_SIZE);
			if (start < end)
				npt_map(p, p->npt_root, start, end, rwx);
		}
	}
	/* Reads of the local APIC go straight through; writes trap so IPIs can be checked. */
	p->apic_page = apic_mmio_base();
	if (p->apic_page)
		npt_map(p, p->npt_root, p->apic_page, p->apic_page + FRAME_SIZE, PTE_P | PTE_U | PTE_PCD | PTE_PWT);
	if (hv_layout.trampoline_hidden)
		pr_info("partition: nested tables at %#llx map %#llx bytes; hypervisor %#llx-%#llx and page %#llx hidden",
			(unsigned long long)p->npt_root, (unsigned long long)limit,
			(unsigned long long)hv_layout.hv_base, (unsigned long long)hv_layout.hv_end - 1,
			(unsigned long long)hv_layout.trampoline);
	else
		pr_info("partition: nested tables at %#llx map %#llx bytes; hypervisor %#llx-%#llx hidden",
			(unsigned long long)p->npt_root, (unsigned long long)limit,
			(unsigned long long)hv_layout.hv_base, (unsigned long long)hv_layout.hv_end - 1);
}

/* Parked vCPUs execute `hlt; jmp $-1` from their own page and can reach nothing else. */
static void build_idle_tables(struct partition *p)
{
	static const uint8_t halt_loop[] = { 0xF4, 0xEB, 0xFD };
	uint8_t *code = alloc_zeroed_frames(FRAME_SIZE, &p->idle_page);

	memcpy(code, halt_loop, sizeof(halt_loop));
	p->idle_npt_root = frame_alloc_zeroed();
	if (pt_map(&p->npt, p->idle_npt_root, IDLE_GUEST_PA, p->idle_page, FRAME_SIZE, PTE_P | PTE_U))
		panic("partition: cannot map the idle page");
}

static void cpuid_raw(uint32_t leaf, uint32_t subleaf, uint32_t out[4], void *ctx)
{
	cpuid_count(leaf, subleaf, &out[0], &out[1], &out[2], &out[3]);
}

static uint64_t host_xcr0_supported(void)
{
	uint32_t a = 0, b, c, d = 0;

	if (!boot_cpu.xsave)
		return 0;
	cpuid_count(0xD, 0, &a, &b, &c, &d);
	return ((uint64_t)d << 32) | a;
}

#define MSR_IA32_MCG_CAP 0x179

/* Whether the hardware has an MSR CPUID promises: emulators list PMUs whose MSRs fault. */
static bool msr_exists(uint32_t msr)
{
	uint64_t value;

	return !rdmsr_safe(msr, &value);
}

/*
 * What CPUID promises must work: a feature whose first MSR faults on this CPU (performance
 * monitoring, machine check) is hidden from the guest, so it is a CPU without it rather than one
 * that lies.
 */
static void hide_missing_msr_features(struct cpuid_policy_config *cfg)
{
	static const struct {
		unsigned int bit;
		uint32_t msr;
		const char *name;
	} amd_ext[] = {
		{ 23, 0xC0010200, "PerfCtrExtCore" },
		{ 24, 0xC0010240, "PerfCtrExtNB" },
		{ 28, 0xC0010230, "PerfCtrExtLLC" },
		{ 9, 0xC0010140, "OSVW" },
	};
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	if ((d & (CPUID_1_EDX_MCE | CPUID_1_EDX_MCA)) && !msr_exists(MSR_IA32_MCG_CAP)) {
		cfg->hide_1_edx |= CPUID_1_EDX_MCE | CPUID_1_EDX_MCA;
		pr_info("partition: CPUID lists machine check (MCE/MCA) but IA32_MCG_CAP faults here: hidden from the guest");
	}
	if (boot_cpu.max_leaf >= 0xA) {
		cpuid_count(0xA, 0, &a, &b, &c, &d);
		if ((a & 0xFF) && (a >> 8 & 0xFF) && (!msr_exists(0xC1) || !msr_exists(0x186))) {
			cfg->hide_arch_pmu = true;
			pr_info("partition: CPUID 0xA lists a PMU whose counters fault here: hidden from the guest");
		}
	}
	if (boot_cpu.max_ext_leaf < 0x80000001)
		return;
	cpuid_count(0x80000001, 0, &a, &b, &c, &d);
	for (unsigned int i = 0; i < ARRAY_SIZE(amd_ext); i++) {
		if ((c & (1U << amd_ext[i].bit)) && !msr_exists(amd_ext[i].msr)) {
			cfg->hide_80000001_ecx |= 1U << amd_ext[i].bit;
			pr_info("partition: CPUID lists %s but its MSRs fault here: hidden from the guest", amd_ext[i].name);
		}
	}
}

/* CR4 bits follow the CPUID the guest is shown, not the hardware's (VMXE and SMXE are hidden). */
static void build_cr4_valid(struct partition *p)
{
	const struct cpuid_guest_state g = { 0 };
	uint32_t l1[4] = { 0 }, l7[4] = { 0 }, l7_1[4] = { 0 }, l0[4] = { 0 };
	struct cr4_cpuid c;

	cpuid_policy_lookup(&p->cpuid, 0, 0, &g, l0);
	cpuid_policy_lookup(&p->cpuid, 1, 0, &g, l1);
	if (l0[0] >= 7)
		cpuid_policy_lookup(&p->cpuid, 7, 0, &g, l7);
	if (l0[0] >= 7 && l7[0] >= 1)
		cpuid_policy_lookup(&p->cpuid, 7, 1, &g, l7_1);
	c = (struct cr4_cpuid){ l1[2], l1[3], l7[1], l7[2], l7[3], l7_1[0] };
	p->cr4_valid = cr4_guest_valid(&c);
}

static void build_cpuid_policy(struct partition *p)
{
	struct cpuid_policy_config cfg = { .hv_version = HV_API_VERSION };
	int rc;

	hide_missing_msr_features(&cfg);

	memcpy(cfg.hv_signature, HV_CPUID_SIGNATURE, sizeof(cfg.hv_signature));
	p->xcr0_allowed = xcr0_guest_allowed(host_xcr0_supported());
	cfg.xcr0_allowed = p->xcr0_allowed;
	cfg.hide_xsaves = true; /* IA32_XSS is not virtualized */
	rc = cpuid_policy_build(&p->cpuid, cpuid_raw, NULL, &cfg);
	if (rc)
		panic("partition: cannot build the CPUID policy (error %d)", rc);
	pr_info("partition: CPUID policy cached (%u entries); XCR0 offered %#llx", p->cpuid.nr,
		(unsigned long long)p->xcr0_allowed);
	build_cr4_valid(p);
}

static void build_msr_bitmap(struct partition *p)
{
	/* NPT switches G_PAT; the VMX controls save and load IA32_PAT. */
	p->msr_features.pat_virtualized = true;
	msr_features_from_cpuid(&p->cpuid, &p->msr_features);
	p->msr_bitmap = alloc_zeroed_frames(msr_bitmap_size(vcpu_ops->msr_bitmap_layout), &p->msr_bitmap_pa);
	msr_policy_build(vcpu_ops->msr_bitmap_layout, p->msr_bitmap, &p->msr_features);
}

#define EXC_COPROCESSOR_SEGMENT 9 /* reserved since the 486 */
#define EXC_RESERVED_15 15
#define EXC_RESERVED_31 31

/* Vectors whose interception is undefined or useless, refused once with a warning. */
static uint32_t filter_exception_mask(uint32_t mask)
{
	static const struct {
		unsigned int vector;
		const char *why;
	} refused[] = {
		{ EXC_NMI, "NMI is the hypervisor's" },
		{ EXC_COPROCESSOR_SEGMENT, "reserved (coprocessor segment overrun)" },
		{ EXC_RESERVED_15, "reserved" },
		{ EXC_RESERVED_31, "reserved" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(refused); i++) {
		uint32_t bit = 1U << refused[i].vector;

		if (mask & bit) {
			pr_warn("force_intercept_exceptions: vector %u refused: %s", refused[i].vector, refused[i].why);
			mask &= ~bit;
		}
	}
	for (unsigned int vector = 0; vector < NR_EXCEPTIONS; vector++) {
		uint32_t bit = 1U << vector;

		if (mask & vcpu_ops->unreflectable_exceptions & bit) {
			pr_warn("force_intercept_exceptions: vector %u refused: %s cannot reflect it exactly", vector,
				vcpu_ops->name);
			mask &= ~bit;
		}
	}
	return mask;
}

void partition_init(struct partition *p, const struct hv_options *opts)
{
	range_set_init(&p->ram);
	for (unsigned int i = 0; i < mm_guest_ram()->nr; i++)
		BUG_ON(range_set_add(&p->ram, mm_guest_ram()->r[i].start, mm_guest_ram()->r[i].end));
	build_nested_tables(p);
	ioapic_trap_all(p);
	build_idle_tables(p);
	build_cpuid_policy(p);
	build_msr_bitmap(p); /* after the CPUID policy: it says which optional MSRs exist */
	p->io_bitmap = alloc_zeroed_frames(IO_BITMAP_SIZE, &p->io_bitmap_pa);
	p->exception_mask = filter_exception_mask(opts->force_intercept_exceptions);
	if (p->exception_mask)
		pr_info("partition: intercepting guest exceptions %#x (force_intercept_exceptions)", p->exception_mask);
	p->test_unhandled_exit = opts->test_unhandled_exit;
	p->test_hypercall_panic = opts->selftest & SELFTEST_BIT(SELFTEST_HCPANIC);
	pr_info("partition: %llu MiB of guest RAM in %u ranges", (unsigned long long)(range_set_total(&p->ram) / MiB),
		p->ram.nr);
}

bool partition_map_on_demand(struct partition *p, uint64_t gpa)
{
	static volatile bool lock;
	static unsigned int regions;
	uint64_t start = ALIGN_DOWN(gpa, GiB);
	bool mapped = false;

	if (gpa < p->npt_limit || gpa >= (1ULL << boot_cpu.phys_bits) || partition_gpa_is_hypervisor(p, gpa))
		return false;
	while (__atomic_exchange_n(&lock, true, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (regions < NPT_ON_DEMAND_MAX) {
		/* Another vCPU may have mapped it meanwhile: mapping it again changes nothing. */
		mapped = !pt_map(&p->npt, p->npt_root, start, start, GiB, PTE_P | PTE_W | PTE_U | PTE_PCD | PTE_PWT);
		regions += mapped;
	}
	__atomic_store_n(&lock, false, __ATOMIC_RELEASE);
	if (mapped)
		pr_info("partition: guest-physical %#llx-%#llx mapped on first touch (uncached, no RAM there)",
			(unsigned long long)start, (unsigned long long)start + GiB - 1);
	return mapped;
}

void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, uint64_t len)
{
	if (!len || gpa + len < gpa || !range_set_contains(&p->ram, gpa, gpa + len))
		return NULL;
	return phys_to_virt(gpa);
}

void partition_trap_mmio_writes(struct partition *p, paddr_t page)
{
	npt_map(p, p->npt_root, page, page + FRAME_SIZE, PTE_P | PTE_U | PTE_PCD | PTE_PWT);
}

bool partition_gpa_is_hypervisor(const struct partition *p, uint64_t gpa)
{
	return (gpa >= hv_layout.hv_base && gpa < hv_layout.hv_end) ||
	       (hv_layout.trampoline_hidden && gpa >= hv_layout.trampoline && gpa < hv_layout.trampoline + FRAME_SIZE);
}

void partition_trap_apic_reads(struct partition *p, bool trap)
{
	uint64_t page = p->apic_page;

	if (!page)
		return;
	/* A handful of instructions, rarely taken: a spin flag, not a lock type of its own. */
	while (__atomic_exchange_n(&p->apic_trap_lock, true, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (trap && p->apic_read_traps++ == 0 && pt_unmap(&p->npt, p->npt_root, page, FRAME_SIZE))
		panic("partition: cannot unmap the local APIC page");
	if (!trap && --p->apic_read_traps == 0)
		npt_map(p, p->npt_root, page, page + FRAME_SIZE, PTE_P | PTE_U | PTE_PCD | PTE_PWT);
	__atomic_store_n(&p->apic_trap_lock, false, __ATOMIC_RELEASE);
}

void io_intercept(struct partition *p, uint16_t port, bool intercept)
{
	if (intercept)
		p->io_bitmap[port / 8] |= 1U << (port % 8);
	else
		p->io_bitmap[port / 8] &= ~(1U << (port % 8));
}

void partition_stop(struct partition *p, const char *why)
{
	if (!__atomic_exchange_n(&p->stopped, true, __ATOMIC_ACQ_REL))
		pr_crit("partition stopped: %s", why); /* printed whatever loglevel= says */
	/* Each vCPU sees it before its next entry (run loops read the flag only when asked to). */
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (p->vcpus[i])
			vcpu_request_attention(p->vcpus[i], VCPU_ATTN_STOP);
}
