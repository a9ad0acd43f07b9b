/*
 * Guest SMP: the guest starts its APs with INIT and STARTUP IPIs in every destination form, and
 * each AP must run inside the partition, exactly once per start, as a real AP would:
 *   - physical INIT, SIPI, SIPI with the MP-spec delays: each AP starts once (the repeated SIPI
 *     is ignored) in the INIT state (real mode, CS = vector << 8, CR0 = 0x60000010, EDX = the
 *     CPUID signature) and reports its APIC ID from CPUID leaves 1, 0xB and 0x8000001E and its
 *     APIC ID register, which must all match the MADT;
 *   - INIT to a running AP stops it; SIPI then restarts it; INIT and SIPI back to back with no
 *     delay restart it; a SIPI to a running AP is ignored;
 *   - logical flat and cluster INIT (each AP programs its LDR/DFR); a logical SIPI after INIT
 *     reaches nobody (INIT clears the LDR); all-excluding-self, all-including-self and the
 *     physical broadcast 0xFF, which must not disturb the sender.
 * The APs leave real mode through a small trampoline and run C on their own stacks. With
 * `reboot` on the command line the guest then starts every AP again and resets the machine
 * through the keyboard controller while they all run (the reboot loop case).
 */
#include "acpi.h"
#include "apic.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "initsipi";

#define PAGE 0x1000u
#define MAX_APIC 16 /* APIC IDs this guest can track */
#define AP_STACK 4096

#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LEVEL (1U << 15)
#define ICR_LOGICAL (1U << 11)
#define INIT_ASSERT (ICR_INIT | ICR_ASSERT | ICR_LEVEL)
#define INIT_DEASSERT (ICR_INIT | ICR_LEVEL)
#define CR0_AFTER_INIT 0x60000010u /* CD, NW, ET (SDM vol. 3A, table 10-1) */

/* Offsets in the start-up page: code first, then what the trampoline reads and writes. */
#define OFF_GDTR 0x100
#define OFF_FARPTR 0x108
#define OFF_EDX 0x110
#define OFF_CR0 0x114
#define OFF_CS 0x118
#define OFF_STARTS 0x11c
#define OFF_OUTSIDE 0x120

/*
 * Real-mode start: record the INIT state, count the start (inside the partition or not, by the
 * hypervisor's CPUID signature), then load the guest's GDT and jump to ap_entry32 in 32-bit mode.
 */
extern const uint8_t sipi_code[], sipi_code_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "sipi_code:\n\t"
    "cli\n\t"
    "movl %edx, %cs:0x110\n\t"
    "movl %cr0, %eax\n\t"
    "movl %eax, %cs:0x114\n\t"
    "movw %cs, %ax\n\t"
    "movw %ax, %cs:0x118\n\t"
    "movl $0x40000000, %eax\n\t"
    "cpuid\n\t"
    "cmpl $0x7263694d, %ebx\n\t"
    "je 1f\n\t"
    "lock incl %cs:0x120\n"
    "2: hlt\n\t"
    "jmp 2b\n"
    "1: lock incl %cs:0x11c\n\t"
    "lgdtl %cs:0x100\n\t"
    "movl %cr0, %eax\n\t"
    "andl $0x9fffffff, %eax\n\t"
    "orl $1, %eax\n\t"
    "movl %eax, %cr0\n\t"
    "ljmpl *%cs:0x108\n"
    "sipi_code_end:\n"
    ".code32\n"
    ".popsection");

/* 32-bit entry: flat data, a stack by APIC ID (CPUID 1 EBX[31:24]), then ap_main(id). */
void ap_entry32(void);
void ap_main(uint32_t id);
extern uint8_t ap_stacks[MAX_APIC][AP_STACK];
uint8_t ap_stacks[MAX_APIC][AP_STACK] __attribute__((aligned(16)));
asm(".text\n"
    ".globl ap_entry32\n"
    "ap_entry32:\n\t"
    "movw $0x10, %ax\n\t"
    "movw %ax, %ds\n\t"
    "movw %ax, %es\n\t"
    "movw %ax, %ss\n\t"
    "movw %ax, %fs\n\t"
    "movw %ax, %gs\n\t"
    "movl $1, %eax\n\t"
    "cpuid\n\t"
    "shrl $24, %ebx\n\t"
    "andl $15, %ebx\n\t"
    "movl %ebx, %esp\n\t"
    "incl %esp\n\t"
    "shll $12, %esp\n\t"
    "addl $ap_stacks, %esp\n\t"
    "pushl %ebx\n\t"
    "call ap_main\n"
    "3: cli\n\t"
    "hlt\n\t"
    "jmp 3b\n");

enum ldr_mode { LDR_FLAT, LDR_CLUSTER };

struct ap_report {
	volatile uint32_t starts;
	volatile uint32_t heartbeat;
	volatile uint32_t cpuid1_id, cpuid_b_id, cpuid_1f_id, cpuid_amd_id, apic_reg_id;
	volatile bool has_b, has_1f, has_amd;
};

static struct ap_report reports[MAX_APIC];
static volatile enum ldr_mode ldr_mode;
static uint32_t page;

static uint8_t flat_ldr(uint32_t id)
{
	return (uint8_t)(1U << id);
}

/* Cluster 1 and up, so a cluster ID is never mistaken for a flat bit mask. */
static uint8_t cluster_ldr(uint32_t id)
{
	return (uint8_t)((((id >> 2) + 1) << 4) | (1U << (id & 3)));
}

void ap_main(uint32_t id)
{
	struct ap_report *r = &reports[id];
	uint32_t max = cpuid(0).eax, ext_max = cpuid(0x80000000).eax;

	r->cpuid1_id = id;
	r->has_b = max >= 0xB && cpuid_count(0xB, 0).ebx != 0;
	if (r->has_b)
		r->cpuid_b_id = cpuid_count(0xB, 0).edx;
	r->has_1f = max >= 0x1F && cpuid_count(0x1F, 0).ebx != 0;
	if (r->has_1f)
		r->cpuid_1f_id = cpuid_count(0x1F, 0).edx;
	r->has_amd = cpu_vendor() == VENDOR_AMD && ext_max >= 0x8000001E;
	if (r->has_amd)
		r->cpuid_amd_id = cpuid(0x8000001E).eax;
	r->apic_reg_id = apic_read(APIC_ID) >> 24;
	/* INIT left the logical destination cleared: program the model the BSP asked for. */
	if (ldr_mode == LDR_FLAT) {
		apic_write(0x0e0, 0xffffffffu);
		apic_write(0x0d0, (uint32_t)flat_ldr(id) << 24);
	} else {
		apic_write(0x0e0, 0x0fffffffu);
		apic_write(0x0d0, (uint32_t)cluster_ldr(id) << 24);
	}
	__atomic_fetch_add(&r->starts, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		r->heartbeat++;
		cpu_relax();
	}
}

static uint32_t ap_ids[MAX_APIC];
static unsigned int nr_aps;

/*
 * Without a MADT in reach (under OVMF the RSDP is not in the BIOS area, and a multiboot 1 guest
 * is given none), the case names the APs' APIC IDs on the command line: aps=1,2,3.
 */
static bool aps_from_cmdline(void)
{
	const char *s = mb_cmdline();

	for (; *s && strncmp(s, "aps=", 4); s++)
		;
	if (!*s)
		return false;
	for (s += 4; *s >= '0' && *s <= '9' && nr_aps < MAX_APIC;) {
		uint32_t id = 0;

		while (*s >= '0' && *s <= '9')
			id = id * 10 + (uint32_t)(*s++ - '0');
		if (id >= MAX_APIC)
			return false;
		ap_ids[nr_aps++] = id;
		if (*s == ',')
			s++;
	}
	printf("# no MADT found: APIC IDs from the command line\n");
	return nr_aps > 0;
}

/* Local APIC entries (type 0, enabled) of the MADT other than ours. */
static bool find_aps(uint32_t self)
{
	const struct acpi_header *madt = acpi_find_table("APIC");
	const uint8_t *p, *end;

	if (!madt)
		return aps_from_cmdline();
	p = (const uint8_t *)madt + 44;
	end = (const uint8_t *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] != 0 || p[1] < 8 || !(p[4] & 1) || p[3] == self)
			continue;
		if (p[3] >= MAX_APIC || nr_aps >= MAX_APIC)
			return false;
		ap_ids[nr_aps++] = p[3];
	}
	return true;
}

static bool x2apic; /* this CPU's APIC is in x2APIC mode: the ICR is MSR 0x830, one write */

static bool send(uint32_t icr, uint32_t dest)
{
	if (x2apic)
		return wrmsr_safe(0x830, ((uint64_t)dest << 32) | icr) == NO_FAULT;
	return apic_send_ipi(icr, (uint8_t)dest);
}

static bool send_sipi(uint32_t icr, uint32_t dest)
{
	return send(icr | ICR_STARTUP | ICR_ASSERT | (page >> 12), dest);
}

static bool wait_starts(uint32_t id, uint32_t want)
{
	for (unsigned int i = 0; i < 2000 && reports[id].starts < want; i++)
		udelay(1000);
	return reports[id].starts == want;
}

/* The heartbeat moves within 2 s: a started AP's CPU is a thread of a possibly busy host. */
static bool running(uint32_t id)
{
	uint32_t before = reports[id].heartbeat;

	for (unsigned int i = 0; i < 20000 && reports[id].heartbeat == before; i++)
		udelay(100);
	return reports[id].heartbeat != before;
}

/*
 * The heartbeat stands still for 20 ms, within a second: an INIT is taken by the target's CPU
 * some time after the ICR write, which on an emulator whose CPUs are threads of a busy host can
 * take longer than the hypervisor waits for it.
 */
static bool stopped(uint32_t id)
{
	for (unsigned int i = 0; i < 50; i++) {
		uint32_t before = reports[id].heartbeat;

		udelay(20000);
		if (reports[id].heartbeat == before)
			return true;
	}
	return false;
}

static uint32_t expected_starts[MAX_APIC];

/* Every AP started once more, and running. */
static bool all_started(void)
{
	bool good = true;

	for (unsigned int i = 0; i < nr_aps; i++) {
		uint32_t id = ap_ids[i];

		good = wait_starts(id, ++expected_starts[id]) && running(id) && good;
	}
	return good;
}

static bool all_stopped(void)
{
	bool good = true;

	for (unsigned int i = 0; i < nr_aps; i++)
		good = stopped(ap_ids[i]) && good;
	return good;
}

static void check_identity(uint32_t id)
{
	const struct ap_report *r = &reports[id];

	ok(r->cpuid1_id == id && r->apic_reg_id == id,
	   "AP with MADT APIC ID %u: CPUID 1 says %u, its APIC ID register %u", id, r->cpuid1_id, r->apic_reg_id);
	if (r->has_b)
		ok(r->cpuid_b_id == id, "AP %u: CPUID 0xB x2APIC ID %u", id, r->cpuid_b_id);
	if (r->has_1f)
		ok(r->cpuid_1f_id == id, "AP %u: CPUID 0x1F x2APIC ID %u", id, r->cpuid_1f_id);
	if (r->has_amd)
		ok(r->cpuid_amd_id == id, "AP %u: CPUID 0x8000001E extended APIC ID %u", id, r->cpuid_amd_id);
}

/*
 * Bochs 2.7 VMX drops CR0.CD and CR0.NW from the guest CR0 at VM entry: the hypervisor writes
 * 0x60000010 to the VMCS (a VMREAD right after returns it) and the first exit reads 0x10, before
 * the guest wrote CR0. Its cases pass `cr0-cd-nw-dropped`, which excuses those two bits only.
 */
static uint32_t cr0_lost;

static void physical_start(void)
{
	volatile uint32_t *edx = (volatile uint32_t *)(uintptr_t)(page + OFF_EDX);
	volatile uint32_t *cr0 = (volatile uint32_t *)(uintptr_t)(page + OFF_CR0);
	volatile uint16_t *cs = (volatile uint16_t *)(uintptr_t)(page + OFF_CS);

	for (unsigned int i = 0; i < nr_aps; i++) {
		uint32_t id = ap_ids[i];
		bool sent;

		*edx = 0;
		*cr0 = 0;
		*cs = 0;
		/* The MP start-up sequence (SDM vol. 3A, 9.4.4.1): INIT, 10 ms, SIPI, 200 us, SIPI. */
		sent = send(INIT_ASSERT, (uint8_t)id);
		sent = send(INIT_DEASSERT, (uint8_t)id) && sent;
		udelay(10000);
		sent = send_sipi(0, (uint8_t)id) && sent;
		udelay(200);
		sent = send_sipi(0, (uint8_t)id) && sent;
		sent = sent && wait_starts(id, 1) && running(id);
		ok(sent, "physical INIT, SIPI, SIPI start AP %u", id);
		udelay(20000);
		ok(reports[id].starts == 1, "AP %u started once: the repeated SIPI was ignored (%u starts)", id,
		   reports[id].starts);
		ok(*cs == (page >> 4) && (*cr0 | cr0_lost) == CR0_AFTER_INIT && *edx == cpuid(1).eax,
		   "AP %u began in the INIT state: CS %#x, CR0 %#x, EDX %#x (signature %#x)", id, *cs, *cr0, *edx,
		   cpuid(1).eax);
		check_identity(id);
	}
}

static void init_and_restart(uint32_t id)
{
	bool good;

	send(INIT_ASSERT, (uint8_t)id);
	ok(stopped(id), "INIT to running AP %u stops it", id);
	send_sipi(0, (uint8_t)id);
	good = wait_starts(id, 2) && running(id);
	ok(good, "a SIPI restarts AP %u (%u starts)", id, reports[id].starts);
	send(INIT_ASSERT, (uint8_t)id);
	send_sipi(0, (uint8_t)id);
	good = wait_starts(id, 3) && running(id);
	ok(good, "INIT and SIPI with no delay restart AP %u (%u starts)", id, reports[id].starts);
	send_sipi(0, (uint8_t)id);
	udelay(20000);
	good = reports[id].starts == 3 && running(id);
	ok(good, "a SIPI to running AP %u is ignored (%u starts)", id, reports[id].starts);
}

static void logical_forms(void)
{
	uint8_t mask = 0;

	for (unsigned int i = 0; i < nr_aps; i++)
		mask |= flat_ldr(ap_ids[i]);
	if (!ok(nr_aps && ap_ids[nr_aps - 1] < 8, "APIC IDs fit the flat logical model (mask %#x)", mask))
		return;
	/* Every AP runs with its flat LDR from its last start. */
	send(INIT_ASSERT | ICR_LOGICAL, mask);
	ok(all_stopped(), "logical flat INIT (destination %#x) stops every AP", mask);
	send_sipi(ICR_LOGICAL, mask);
	ok(all_stopped(), "a logical SIPI after INIT reaches no AP: INIT cleared their LDRs");
	ldr_mode = LDR_CLUSTER;
	send_sipi(ICR_DEST_ALL_BUT_SELF, 0);
	ok(all_started(), "SIPI to all excluding self starts every AP");

	for (unsigned int i = 0; i < nr_aps; i++) {
		uint8_t other_cluster = (uint8_t)(cluster_ldr(ap_ids[i]) + 0x10);

		send(INIT_ASSERT | ICR_LOGICAL, other_cluster);
		ok(running(ap_ids[i]), "logical cluster INIT to another cluster (%#x) leaves AP %u running",
		   other_cluster, ap_ids[i]);
		send(INIT_ASSERT | ICR_LOGICAL, cluster_ldr(ap_ids[i]));
		ok(stopped(ap_ids[i]), "logical cluster INIT (destination %#x) stops AP %u", cluster_ldr(ap_ids[i]),
		   ap_ids[i]);
	}
	ldr_mode = LDR_FLAT;
	send_sipi(0, 0xff);
	ok(all_started(), "SIPI to the physical broadcast 0xFF starts every AP and leaves this CPU alone");

	send(INIT_ASSERT | ICR_DEST_ALL_BUT_SELF, 0);
	ok(all_stopped(), "INIT to all excluding self stops every AP");
	send_sipi(ICR_DEST_ALL_INCL_SELF, 0);
	ok(all_started(), "SIPI to all including self starts every AP and leaves this CPU alone");
}

static bool overlaps(uint32_t a, uint32_t a_end, uint32_t b, uint32_t b_end)
{
	return a < b_end && b < a_end;
}

/* A usable page below 1 MiB that holds none of the multiboot data we were given. */
static uint32_t find_startup_page(void)
{
	const struct mb1_info *mbi = mb_info();
	uint32_t cmd = (uint32_t)(uintptr_t)mb_cmdline();

	for (uint32_t p = 0x9e000; p >= 0x10000; p -= PAGE) {
		if (!mb_usable_contains(p, p + PAGE))
			continue;
		if (overlaps(p, p + PAGE, (uint32_t)(uintptr_t)mbi, (uint32_t)(uintptr_t)mbi + sizeof(*mbi)) ||
		    overlaps(p, p + PAGE, mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length) ||
		    overlaps(p, p + PAGE, cmd, cmd + strlen(mb_cmdline()) + 1) ||
		    overlaps(p, p + PAGE, mbi->mods_addr, mbi->mods_addr + 16 * mb_module_count()))
			continue;
		return p;
	}
	return 0;
}

static void setup_page(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) gdtr;
	struct {
		uint32_t offset;
		uint16_t selector;
	} __attribute__((packed)) far = { (uint32_t)(uintptr_t)ap_entry32, SEL_CODE };

	asm volatile("sgdt %0" : "=m"(gdtr));
	memset((void *)(uintptr_t)page, 0, PAGE);
	memcpy((void *)(uintptr_t)page, sipi_code, (size_t)(sipi_code_end - sipi_code));
	memcpy((void *)(uintptr_t)(page + OFF_GDTR), &gdtr, sizeof(gdtr));
	memcpy((void *)(uintptr_t)(page + OFF_FARPTR), &far, sizeof(far));
}

/*
 * The same through the x2APIC ICR MSR, where CPUID offers x2APIC: this CPU switches to x2APIC
 * mode (the APs stay in xAPIC mode, as they may), then physical and x2APIC logical destinations.
 */
static void x2apic_forms(void)
{
	uint32_t id = ap_ids[0];
	uint32_t logical = ((id >> 4) << 16) | (1U << (id & 0xF));

	if (!(cpuid(1).ecx & (1U << 21))) {
		skip("CPUID offers no x2APIC", "INIT/SIPI through the x2APIC ICR");
		return;
	}
	if (!ok(wrmsr_safe(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_X2APIC) == NO_FAULT,
		"this CPU's APIC switches to x2APIC mode"))
		return;
	x2apic = true;
	send(INIT_ASSERT, id);
	ok(stopped(id), "x2APIC physical INIT stops AP %u", id);
	send_sipi(0, id);
	ok(wait_starts(id, ++expected_starts[id]) && running(id), "x2APIC physical SIPI starts AP %u", id);
	send(INIT_ASSERT | ICR_LOGICAL, logical + 0x10000);
	ok(running(id), "x2APIC logical INIT to another cluster (%#x) leaves AP %u running", logical + 0x10000, id);
	send(INIT_ASSERT | ICR_LOGICAL, logical);
	ok(stopped(id), "x2APIC logical INIT (%#x) stops AP %u", logical, id);
	send_sipi(0, 0xffffffffu);
	ok(wait_starts(id, ++expected_starts[id]) && running(id), "SIPI to the x2APIC broadcast starts AP %u", id);
	send(INIT_ASSERT | ICR_DEST_ALL_BUT_SELF, 0);
	ok(all_stopped(), "x2APIC INIT to all excluding self stops every AP");
}

/*
 * A guest INIT/SIPI storm: the hypervisor serves every command, and the AP ends up running. An
 * INIT may reset the AP before its start was counted (as on hardware), so each pair counts at most once.
 */
#define STORM 100
static void storm(void)
{
	uint32_t id = ap_ids[0], before = reports[id].starts;
	bool sent = true;

	for (unsigned int i = 0; i < STORM; i++) {
		sent = send(INIT_ASSERT, id) && sent;
		sent = send_sipi(0, id) && send_sipi(0, id) && sent;
	}
	bool runs = running(id);

	expected_starts[id] = reports[id].starts;
	ok(sent && runs && expected_starts[id] > before && expected_starts[id] <= before + STORM,
	   "%u INIT-SIPI-SIPI in a row: AP %u runs, started %u times (commands %s, %s)", STORM, id,
	   expected_starts[id] - before, sent ? "sent" : "NOT all sent", runs ? "running" : "NOT running");
	send(INIT_ASSERT, id);
	ok(stopped(id), "AP %u waits again", id);
}

/*
 * Every AP back in guest code, then the reset the hypervisor must take every CPU out of SVM/VMX
 * for: the keyboard controller's pulse, which it intercepts (0xCF9 goes to the chipset on `pc`).
 */
static void reset_with_aps_running(void)
{
	send_sipi(ICR_DEST_ALL_BUT_SELF, 0);
	if (!ok(all_started(), "every AP runs again before the reset"))
		return;
	printf("guest: requesting reset via kbd with %u APs running\n", nr_aps);
	for (unsigned int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		cpu_relax();
	outb(0x64, 0xfe);
	udelay(100000);
	ok(false, "the machine did not reset");
}

void guest_main(void)
{
	volatile uint32_t *outside;
	uint32_t self;
	bool found;

	page = find_startup_page();
	if (!ok(page != 0, "a usable page below 1 MiB for the start-up code (0x%x)", page))
		return;
	if (!apic_init()) {
		skip("no local APIC in xAPIC mode", "INIT/SIPI tests");
		return;
	}
	self = apic_id();
	found = find_aps(self);
	if (!ok(found, "the MADT lists this CPU's APs (%u besides APIC ID %u)", nr_aps, self))
		return;
	setup_page();
	outside = (volatile uint32_t *)(uintptr_t)(page + OFF_OUTSIDE);
	printf("# start-up page 0x%x; %u APs\n", page, nr_aps);
	if (!nr_aps) {
		/* One CPU: an INIT/SIPI broadcast to nobody must change nothing. */
		send(INIT_ASSERT | ICR_DEST_ALL_BUT_SELF, 0);
		send_sipi(ICR_DEST_ALL_BUT_SELF, 0);
		udelay(20000);
		ok(*outside == 0, "INIT/SIPI to no other CPU ran nothing");
		ok(hypervisor_alive(), "the hypervisor still answers HC_VERSION");
		return;
	}
	if (mb_has_word("cr0-cd-nw-dropped"))
		cr0_lost = 0x60000000u;
	ldr_mode = LDR_FLAT;
	physical_start();
	init_and_restart(ap_ids[0]);
	for (unsigned int i = 0; i < nr_aps; i++)
		expected_starts[ap_ids[i]] = reports[ap_ids[i]].starts;
	logical_forms();
	storm();
	send(INIT_ASSERT | ICR_DEST_ALL_BUT_SELF, 0);
	ok(all_stopped(), "the APs are left waiting for a SIPI");
	x2apic_forms();
	ok(*outside == 0, "no CPU ran the start-up code outside the partition (%u did)", *outside);
	ok(hypervisor_alive(), "the hypervisor still answers HC_VERSION");
	if (mb_has_word("reboot"))
		reset_with_aps_running();
}
