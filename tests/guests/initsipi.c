/*
 * INIT and SIPI from the guest must never start a CPU outside virtualization. The guest sends
 * INIT, SIPI, SIPI to all other CPUs (xAPIC ICR, or the x2APIC ICR MSR when the APIC is in
 * x2APIC mode) with a start-up vector pointing at code that counts in memory where it ran:
 * outside any partition (the hypervisor's CPUID signature absent) or inside one. The first
 * count must stay zero; the second may not (a hypervisor may hand the SIPI to a guest vCPU).
 * Afterwards the hypervisor must still answer hypercalls.
 */
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "initsipi";

#define APIC_ID 0x020
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_SVR_ENABLE 0x100
#define MSR_X2APIC_ICR 0x830
#define ICR_BUSY (1U << 12) /* delivery status: send pending (xAPIC only) */
#define ICR_INIT_ALL_BUT_SELF 0x000c4500u /* INIT, level assert, shorthand all excluding self */
#define ICR_SIPI_ALL_BUT_SELF 0x000c4600u /* start-up, vector in bits 7:0 */
#define ICR_POLL_LIMIT 1000000u

#define PAGE 0x1000u
#define MARK_OUTSIDE 0x800 /* offsets in the start-up page, as the code below uses them */
#define MARK_INSIDE 0x804

/*
 * Real-mode start-up code, copied to the page the SIPI vector names (CS = vector << 8, IP = 0).
 * CPUID 0x40000000 EBX is "Micr" only inside the microhypervisor's partition.
 */
extern const uint8_t sipi_code[], sipi_code_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "sipi_code:\n\t"
    "cli\n\t"
    "mov $0x40000000, %eax\n\t"
    "cpuid\n\t"
    "cmp $0x7263694d, %ebx\n\t"
    "je 1f\n\t"
    "lock incl %cs:0x800\n\t"
    "jmp 2f\n"
    "1: lock incl %cs:0x804\n"
    "2: hlt\n\t"
    "jmp 2b\n"
    "sipi_code_end:\n"
    ".code32\n"
    ".popsection");

static uint32_t apic_base;
static bool x2apic;

static bool overlaps(uint32_t a, uint32_t a_end, uint32_t b, uint32_t b_end)
{
	return a < b_end && b < a_end;
}

/* A usable page below 1 MiB that holds none of the multiboot data we were given. */
static uint32_t find_startup_page(void)
{
	const struct mb1_info *mbi = mb_info();
	uint32_t cmd = (uint32_t)(uintptr_t)mb_cmdline();

	for (uint32_t page = 0x9e000; page >= 0x10000; page -= PAGE) {
		if (!mb_usable_contains(page, page + PAGE))
			continue;
		if (overlaps(page, page + PAGE, (uint32_t)(uintptr_t)mbi, (uint32_t)(uintptr_t)mbi + sizeof(*mbi)) ||
		    overlaps(page, page + PAGE, mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length) ||
		    overlaps(page, page + PAGE, cmd, cmd + strlen(mb_cmdline()) + 1) ||
		    overlaps(page, page + PAGE, mbi->mods_addr, mbi->mods_addr + 16 * mb_module_count()))
			continue;
		return page;
	}
	return 0;
}

static bool icr_send(uint32_t low)
{
	if (x2apic)
		return wrmsr_safe(MSR_X2APIC_ICR, low) == NO_FAULT;
	mmio_write32(apic_base + APIC_ICR_HI, 0);
	mmio_write32(apic_base + APIC_ICR_LO, low);
	for (unsigned int i = 0; i < ICR_POLL_LIMIT; i++) {
		if (!(mmio_read32(apic_base + APIC_ICR_LO) & ICR_BUSY))
			return true;
		cpu_relax();
	}
	return false;
}

void guest_main(void)
{
	uint64_t base_msr = rdmsr(MSR_APIC_BASE);
	uint32_t page = find_startup_page();
	volatile uint32_t *outside, *inside;
	uint32_t vector, svr;
	bool sent;

	if (!ok(page != 0, "a usable page below 1 MiB for the start-up code (0x%x)", page))
		return;
	if (!(base_msr & APIC_BASE_ENABLE)) {
		skip("local APIC disabled", "INIT/SIPI tests");
		return;
	}
	x2apic = base_msr & APIC_BASE_X2APIC;
	apic_base = (uint32_t)base_msr & ~(PAGE - 1);
	printf("# local APIC at 0x%x in %s mode; start-up page 0x%x\n", apic_base, x2apic ? "x2APIC" : "xAPIC",
	       page);

	memcpy((void *)(uintptr_t)page, sipi_code, (size_t)(sipi_code_end - sipi_code));
	outside = (volatile uint32_t *)(uintptr_t)(page + MARK_OUTSIDE);
	inside = (volatile uint32_t *)(uintptr_t)(page + MARK_INSIDE);
	*outside = 0;
	*inside = 0;
	vector = page >> 12;

	if (!x2apic) {
		svr = mmio_read32(apic_base + APIC_SVR);
		if (!(svr & APIC_SVR_ENABLE))
			mmio_write32(apic_base + APIC_SVR, svr | APIC_SVR_ENABLE | 0xff);
	}

	/* The MP start-up sequence (SDM vol. 3, 9.4.4.1): INIT, 10 ms, SIPI, 200 us, SIPI. */
	sent = icr_send(ICR_INIT_ALL_BUT_SELF);
	udelay(10000);
	sent = icr_send(ICR_SIPI_ALL_BUT_SELF | vector) && sent;
	udelay(200);
	sent = icr_send(ICR_SIPI_ALL_BUT_SELF | vector) && sent;
	ok(sent, "INIT, SIPI, SIPI to all other CPUs sent (vector 0x%x)", vector);
	udelay(100000); /* an AP that really started would have run its dozen instructions by now */

	ok(*outside == 0, "no CPU ran the start-up code outside virtualization (%u did)", *outside);
	printf("# CPUs that ran the start-up code inside the partition: %u\n", *inside);
	ok(hypervisor_alive(), "the hypervisor still answers HC_VERSION");
}
