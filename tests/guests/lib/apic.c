/* Local APIC (xAPIC), 8259 PICs and I/O APIC for the test guests; see apic.h. */
#include "acpi.h"
#include "apic.h"
#include "guest.h"
#include "lib/string.h"
#include "x86.h"

#define PAGE_MASK 0xfffff000u
#define ICR_POLL_LIMIT 1000000u

static uint32_t base;

bool apic_init(void)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);
	uint32_t svr;

	if (!(msr & APIC_BASE_ENABLE) || (msr & APIC_BASE_X2APIC))
		return false;
	base = (uint32_t)msr & PAGE_MASK;
	svr = apic_read(APIC_SVR);
	if (!(svr & APIC_SVR_ENABLE))
		apic_write(APIC_SVR, svr | APIC_SVR_ENABLE);
	return true;
}

uint32_t apic_base(void)
{
	return base;
}

uint32_t apic_read(uint32_t reg)
{
	return mmio_read32(base + reg);
}

void apic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(base + reg, value);
}

uint8_t apic_id(void)
{
	return (uint8_t)(apic_read(APIC_ID) >> 24);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

static bool vector_bit(uint32_t reg, unsigned int vector)
{
	return apic_read(reg + (vector / 32) * 0x10) & (1U << (vector % 32));
}

bool apic_irr(unsigned int vector)
{
	return vector_bit(APIC_IRR, vector);
}

bool apic_isr(unsigned int vector)
{
	return vector_bit(APIC_ISR, vector);
}

bool apic_send_ipi(uint32_t icr_low, uint8_t dest)
{
	apic_write(APIC_ICR_HI, (uint32_t)dest << 24);
	apic_write(APIC_ICR_LO, icr_low);
	for (unsigned int i = 0; i < ICR_POLL_LIMIT; i++) {
		if (!(apic_read(APIC_ICR_LO) & ICR_BUSY))
			return true;
		cpu_relax();
	}
	return false;
}

bool apic_self_ipi(unsigned int vector)
{
	return apic_send_ipi(ICR_DEST_SELF | ICR_ASSERT | ICR_FIXED | (vector & 0xff), 0);
}

bool apic_self_nmi(void)
{
	return apic_send_ipi(ICR_ASSERT | ICR_NMI, apic_id());
}

void apic_timer_start(unsigned int vector, uint32_t initial, bool periodic)
{
	apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_16);
	apic_write(APIC_LVT_TIMER, (vector & 0xff) | (periodic ? APIC_LVT_TIMER_PERIODIC : 0));
	apic_write(APIC_TIMER_INITIAL, initial);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, apic_read(APIC_LVT_TIMER) | APIC_LVT_MASKED);
	apic_write(APIC_TIMER_INITIAL, 0);
}

/* 8259A initialization words (8259A data sheet): edge, cascaded, 8086 mode. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086 0x01

void pic_disable(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, 0x20); /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04); /* ICW3: the slave sits on IRQ2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: every line masked */
	outb(PIC2_DATA, 0xff);
}

volatile uint32_t irq_unexpected, irq_unexpected_vector;

static void unexpected_irq(struct trap_frame *f)
{
	irq_unexpected++;
	irq_unexpected_vector = f->vector;
	apic_eoi();
}

bool irq_setup(void)
{
	irq_disable();
	if (!apic_init())
		return false;
	pic_disable();
	apic_write(APIC_TPR, 0);
	for (unsigned int v = FIRST_GUEST_VECTOR; v <= LAST_GUEST_VECTOR; v++)
		set_irq_handler(v, unexpected_irq);
	return true;
}

/* The MADT (ACPI 6.x, 5.2.12), found through lib/acpi.c. */
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_ENTRIES_OFFSET 44 /* header, local APIC address, flags */
#define MADT_MAX_IOAPICS 8
#define MADT_MAX_OVERRIDES 16

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __packed;

struct madt_override {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags; /* bits 1:0 polarity (1 high, 3 low), 3:2 trigger (1 edge, 3 level) */
} __packed;

static bool madt_scanned, madt_found;
static unsigned int n_ioapics, n_overrides;
static struct madt_ioapic ioapics[MADT_MAX_IOAPICS];
static struct madt_override overrides[MADT_MAX_OVERRIDES];

static const struct acpi_header *find_madt(void)
{
	return acpi_find_table("APIC");
}

static void madt_scan(void)
{
	const struct acpi_header *madt;
	const uint8_t *p, *end;

	if (madt_scanned)
		return;
	madt_scanned = true;
	madt = find_madt();
	if (!madt || madt->length < MADT_ENTRIES_OFFSET)
		return;
	madt_found = true;
	p = (const uint8_t *)madt + MADT_ENTRIES_OFFSET;
	end = (const uint8_t *)madt + madt->length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		if (p[0] == MADT_IOAPIC && p[1] >= sizeof(struct madt_ioapic) && n_ioapics < MADT_MAX_IOAPICS)
			memcpy(&ioapics[n_ioapics++], p, sizeof(struct madt_ioapic));
		if (p[0] == MADT_OVERRIDE && p[1] >= sizeof(struct madt_override) && n_overrides < MADT_MAX_OVERRIDES)
			memcpy(&overrides[n_overrides++], p, sizeof(struct madt_override));
		p += p[1];
	}
}

bool acpi_have_madt(void)
{
	madt_scan();
	return madt_found;
}

struct isa_irq_route acpi_isa_irq(unsigned int irq)
{
	struct isa_irq_route r = { .gsi = irq, .flags = 0, .overridden = false };

	madt_scan();
	for (unsigned int i = 0; i < n_overrides; i++) {
		if (overrides[i].bus != 0 || overrides[i].source != irq)
			continue;
		r.gsi = overrides[i].gsi;
		r.overridden = true;
		if ((overrides[i].flags & 3) == 3)
			r.flags |= IOREDTBL_ACTIVE_LOW;
		if (((overrides[i].flags >> 2) & 3) == 3)
			r.flags |= IOREDTBL_LEVEL;
	}
	return r;
}

/* IOREGSEL at offset 0, IOWIN at 0x10; register 1 is the version, 0x10 + 2n entry n. */
static uint32_t ioapic_read(uint32_t io, uint32_t reg)
{
	mmio_write32(io, reg);
	return mmio_read32(io + 0x10);
}

static void ioapic_write(uint32_t io, uint32_t reg, uint32_t value)
{
	mmio_write32(io, reg);
	mmio_write32(io + 0x10, value);
}

unsigned int ioapic_entries(uint32_t io)
{
	return ((ioapic_read(io, 1) >> 16) & 0xff) + 1;
}

bool ioapic_for_gsi(unsigned int gsi, uint32_t *io, unsigned int *pin)
{
	madt_scan();
	if (!n_ioapics) {
		*io = IOAPIC_DEFAULT_BASE;
		*pin = gsi;
		return gsi < ioapic_entries(*io);
	}
	for (unsigned int i = 0; i < n_ioapics; i++) {
		uint32_t b = ioapics[i].address;

		if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapic_entries(b)) {
			*io = b;
			*pin = gsi - ioapics[i].gsi_base;
			return true;
		}
	}
	return false;
}

void ioapic_route(uint32_t io, unsigned int pin, unsigned int vector, uint32_t flags, uint8_t dest)
{
	ioapic_write(io, 0x10 + 2 * pin, IOREDTBL_MASKED);
	ioapic_write(io, 0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_write(io, 0x10 + 2 * pin, (vector & 0xff) | (flags & (IOREDTBL_ACTIVE_LOW | IOREDTBL_LEVEL)));
}

void ioapic_program(uint32_t io, unsigned int pin, uint32_t low, uint8_t dest)
{
	ioapic_write(io, 0x10 + 2 * pin, IOREDTBL_MASKED);
	ioapic_write(io, 0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_write(io, 0x10 + 2 * pin, low);
}

void ioapic_mask(uint32_t io, unsigned int pin)
{
	ioapic_write(io, 0x10 + 2 * pin, ioapic_read(io, 0x10 + 2 * pin) | IOREDTBL_MASKED);
}
