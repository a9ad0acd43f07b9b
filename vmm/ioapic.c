/*
 * The guest's I/O APICs. The guest owns them, but a redirection entry with delivery mode INIT
 * would send a CPU a hardware INIT, which QEMU and Bochs take outside guest mode (README,
 * "Hardware INIT"). So their pages are read-only in the nested tables and every write is performed
 * here on the real I/O APIC, with one change: an INIT entry is programmed as a fixed interrupt on
 * HV_INIT_PROXY_VECTOR to the same destination. The CPU that takes that vector gives its vCPU the
 * INIT (arch/x86/irq.c), as the hardware would have. Reads go to the hardware without an exit
 * (Linux reads every entry at boot), so a proxied entry reads back as the proxy. Registers (82093AA datasheet): IOREGSEL at 0x00, IOWIN at 0x10, EOI at 0x40 (version
 * 0x20 and later); redirection entry n is registers 0x10 + 2n (low) and 0x11 + 2n (high).
 */
#include "console.h"
#include "platform.h"
#include "vmm/emulate.h"
#include "vmm/exit.h"
#include "vmm/ioapic.h"
#include "mm.h"
#include "x86/cpu.h"
#include "x86/irq.h"

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_EOI 0x40
#define IOAPIC_PAGE 4096ULL
#define IOAPIC_REDIR_FIRST 0x10
#define IOAPIC_PINS 120 /* IOREGSEL is 8 bits: entries 0x10..0xFF */
struct ioapic {
	paddr_t base;
	volatile uint32_t *mmio;
	bool lock;                            /* IOREGSEL stays put from its read to the IOWIN write */
	bool proxied[IOAPIC_PINS];            /* its hardware entry is the INIT proxy (for the log) */
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned int nr_ioapics;

void ioapic_trap_all(struct partition *p)
{
	for (uint32_t i = 0; i < platform_acpi.nr_ioapics && nr_ioapics < ACPI_MAX_IOAPICS; i++) {
		struct ioapic *io = &ioapics[nr_ioapics];

		io->base = platform_acpi.ioapics[i].address & ~(IOAPIC_PAGE - 1);
		io->mmio = ioremap(io->base, IOAPIC_PAGE);
		if (!io->mmio) {
			pr_err("ioapic: cannot map the I/O APIC at %#llx: its INIT entries would reach the CPUs",
			       (unsigned long long)io->base);
			continue;
		}
		partition_trap_mmio_writes(p, io->base);
		nr_ioapics++;
		pr_info("ioapic: I/O APIC %u at %#llx: writes emulated (INIT entries proxied on vector %#x)",
			platform_acpi.ioapics[i].id, (unsigned long long)io->base, HV_INIT_PROXY_VECTOR);
	}
}

static struct ioapic *find(uint64_t gpa)
{
	for (unsigned int i = 0; i < nr_ioapics; i++)
		if ((gpa & ~(IOAPIC_PAGE - 1)) == ioapics[i].base)
			return &ioapics[i];
	return NULL;
}

bool ioapic_is_mmio(uint64_t gpa)
{
	return find(gpa) != NULL;
}

/* The redirection entry whose low dword register `reg` is, or -1. */
static int low_entry(uint8_t reg)
{
	return reg >= IOAPIC_REDIR_FIRST && !(reg & 1) ? (reg - IOAPIC_REDIR_FIRST) / 2 : -1;
}

/*
 * The guest's IOREGSEL is the hardware's: reads of IOWIN go straight to the I/O APIC. Every write
 * to the page takes io->lock, so no other vCPU can move IOREGSEL between the read that decides
 * whether this is a redirection entry and the IOWIN write (a hostile guest could otherwise slip
 * an INIT entry past the check). Called with the lock held.
 */
static void window_write(struct vcpu *v, struct ioapic *io, uint32_t value)
{
	int pin = low_entry((uint8_t)io->mmio[IOAPIC_REGSEL / 4]);
	uint32_t hw = pin >= 0 ? ioapic_hw_entry(value) : value;

	if (pin >= 0) {
		if (hw != value && !io->proxied[pin])
			pr_info("vcpu%u: I/O APIC %#llx entry %d: delivery mode INIT, proxied on vector %#x", v->id,
				(unsigned long long)io->base, pin, HV_INIT_PROXY_VECTOR);
		io->proxied[pin] = hw != value;
	}
	io->mmio[IOAPIC_WINDOW / 4] = hw;
}

#define ODD_ACCESS_LOG_LIMIT 8

enum exit_verdict ioapic_mmio(struct vcpu *v)
{
	struct ioapic *io = find(v->exit.gpa);
	uint32_t offset = v->exit.gpa & (IOAPIC_PAGE - 1), value;
	uint8_t bytes[INSN_MAX_LEN];
	struct mmio_insn insn;
	size_t avail;

	if (vcpu_fetch_insn(v, bytes, &avail) || insn_decode_mmio(bytes, avail, vcpu_cpu_mode(v), &insn)) {
		pr_err("vcpu%u: cannot emulate the I/O APIC access at %#llx: undecoded instruction", v->id,
		       (unsigned long long)v->exit.gpa);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	/* The registers are 32 bits, accessed whole (82093AA 3.0); other accesses do nothing here. */
	if (insn.size != 4 || (offset & 3) || insn.high_byte) {
		static unsigned int logged;

		if (logged++ < ODD_ACCESS_LOG_LIMIT)
			pr_warn("vcpu%u: %u-byte I/O APIC %s at offset %#x: ignored", v->id, insn.size,
				insn.write ? "write" : "read", offset);
	} else if (insn.write) {
		value = (uint32_t)(insn.has_imm ? insn.imm : vcpu_gpr(v, insn.reg));
		while (__atomic_exchange_n(&io->lock, true, __ATOMIC_ACQUIRE))
			cpu_relax();
		if (offset == IOAPIC_WINDOW)
			window_write(v, io, value);
		else
			io->mmio[offset / 4] = value; /* IOREGSEL, EOI */
		__atomic_store_n(&io->lock, false, __ATOMIC_RELEASE);
	} else {
		/* Reads do not exit (the page is readable); one that does is performed all the same. */
		vcpu_set_gpr(v, insn.reg, io->mmio[offset / 4]); /* a 32-bit load zero-extends */
	}
	vcpu_advance_rip(v, insn.len);
	return EXIT_RESUME;
}
