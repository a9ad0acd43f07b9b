/*
 * Sleep registers in memory space: PM1a/PM1b control given as System Memory GAS, and the sleep
 * control register of hardware-reduced ACPI (QEMU's microvm has it in its Generic Event Device).
 * The page holding such a register is read-only in the nested tables; a write to it exits here,
 * is decoded, and is either performed on the guest's behalf (every other register on the page
 * keeps working) or, when it touches a sleep register, handed to vmm/sleep.c, which judges
 * SLP_EN and SLP_TYP as for an I/O write. A write of the FADT reset value to the FADT reset
 * register, when that register shares the page, takes the reboot path as the I/O forms do.
 */
#include "console.h"
#include "mm.h"
#include "platform.h"
#include "vmm/emulate.h"
#include "vmm/partition.h"
#include "vmm/sleep.h"
#include "vmm/sleep_reg.h"
#include "x86/reboot.h"

#define MAX_PAGES (2 * SLEEP_MAX_REGS) /* a register may straddle two pages */
#define ODD_ACCESS_LOG_LIMIT 8

static struct {
	paddr_t pa;
	volatile uint8_t *va;
} pages[MAX_PAGES];
static unsigned int nr_pages;

static volatile uint8_t *page_va(uint64_t gpa)
{
	for (unsigned int i = 0; i < nr_pages; i++)
		if ((gpa & ~(SLEEP_PAGE_SIZE - 1)) == pages[i].pa)
			return pages[i].va + (gpa & (SLEEP_PAGE_SIZE - 1));
	return NULL;
}

static void trap_page(struct partition *p, paddr_t pa)
{
	if (page_va(pa) || nr_pages == MAX_PAGES)
		return;
	pages[nr_pages].va = ioremap(pa, SLEEP_PAGE_SIZE);
	if (!pages[nr_pages].va) {
		pr_err("sleep: cannot map the page at %#llx: the sleep register there is not intercepted",
		       (unsigned long long)pa);
		return;
	}
	pages[nr_pages].pa = pa;
	partition_trap_mmio_writes(p, pa);
	nr_pages++;
}

void sleep_mmio_trap(struct partition *p, uint64_t address, uint8_t len)
{
	trap_page(p, address & ~(SLEEP_PAGE_SIZE - 1));
	trap_page(p, (address + len - 1) & ~(SLEEP_PAGE_SIZE - 1));
}

bool sleep_is_mmio(uint64_t gpa)
{
	return page_va(gpa) != NULL;
}

/* A write on a trapped page, one access of its size (the hardware sees what the guest did). */
void sleep_mmio_perform(uint64_t gpa, uint8_t size, uint64_t value)
{
	volatile uint8_t *va = page_va(gpa);

	if (!va)
		return;
	switch (size) {
	case 1:
		*va = (uint8_t)value;
		break;
	case 2:
		*(volatile uint16_t *)va = (uint16_t)value;
		break;
	case 4:
		*(volatile uint32_t *)va = (uint32_t)value;
		break;
	default:
		*(volatile uint64_t *)va = value;
		break;
	}
}

/* The FADT reset register in memory space, written with its reset value (ACPI 6.5 section 4.8.3.6). */
static bool reset_request(uint64_t gpa, uint8_t size, uint64_t value)
{
	const struct acpi_fadt_info *f = &platform_acpi.fadt;

	return size == 1 && acpi_reset_reg_usable(&platform_acpi) && f->reset_reg.space_id == ACPI_GAS_SYSTEM_MEMORY &&
	       f->reset_reg.address == gpa && (uint8_t)value == f->reset_value;
}

enum exit_verdict sleep_mmio(struct vcpu *v)
{
	uint64_t gpa = v->exit.gpa, value;
	uint8_t bytes[INSN_MAX_LEN];
	struct mmio_insn insn;
	size_t avail;
	int reg;

	if (vcpu_fetch_insn(v, bytes, &avail) || insn_decode_mmio(bytes, avail, vcpu_cpu_mode(v), &insn) || !insn.write) {
		static unsigned int logged;

		/* String moves and the like: no OS writes a sleep register so; refused as sleep_port's OUTS is. */
		if (logged++ < ODD_ACCESS_LOG_LIMIT)
			pr_warn("vcpu%u: write to the sleep register page at %#llx by an instruction not emulated "
				"(RIP %#llx): #GP injected", v->id, (unsigned long long)gpa, (unsigned long long)v->rip);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	value = insn.has_imm ? insn.imm : vcpu_gpr(v, insn.reg) >> (insn.high_byte ? 8 : 0);
	if (insn.size < 8)
		value &= (1ULL << (8 * insn.size)) - 1;
	/* An access that runs into the next page is not split here (no register sits at a page's end). */
	if ((gpa & (SLEEP_PAGE_SIZE - 1)) + insn.size > SLEEP_PAGE_SIZE || !page_va(gpa)) {
		pr_warn("vcpu%u: %u-byte write across the end of the sleep register page at %#llx: #GP injected", v->id,
			insn.size, (unsigned long long)gpa);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (reset_request(gpa, insn.size, value))
		reboot_machine("guest reset request: FADT reset register", true);
	/* The shared sleep path completes the instruction by the exit's length: here the decoded one. */
	v->exit.insn_len = insn.len;
	reg = sleep_mmio_reg(gpa, insn.size);
	if (reg >= 0)
		return sleep_write(v, reg, gpa, insn.size, value);
	sleep_mmio_perform(gpa, insn.size, value);
	vcpu_advance_rip(v, insn.len);
	return EXIT_RESUME;
}
