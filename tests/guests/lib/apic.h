/*
 * Interrupt controllers for the test guests: the local APIC in xAPIC mode (Intel SDM vol. 3,
 * chapter 11 "Advanced Programmable Interrupt Controller"), the legacy 8259 PICs (only to silence
 * them) and the I/O APIC (82093AA data sheet), found through the ACPI MADT when there is one.
 *
 * The hypervisor keeps vector 0xF3 for its own IPIs (0xFF is the spurious vector); these guests use 0x20-0xEF.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "trap.h"
#include "types.h"

/* Local APIC registers (offsets in the xAPIC page). */
#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_PPR 0x0a0
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ISR 0x100 /* eight 32-bit registers, 0x10 apart */
#define APIC_IRR 0x200
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0

#define APIC_SVR_ENABLE 0x100
#define APIC_LVT_MASKED (1U << 16)
#define APIC_LVT_TIMER_PERIODIC (1U << 17)
#define APIC_TIMER_DIVIDE_16 0x3 /* divide configuration 0b0011 */

#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_BUSY (1U << 12) /* delivery status: send pending */
#define ICR_ASSERT (1U << 14)
#define ICR_DEST_SELF (1U << 18)
#define ICR_DEST_ALL_INCL_SELF (2U << 18)
#define ICR_DEST_ALL_BUT_SELF (3U << 18)

#define FIRST_GUEST_VECTOR 0x20
#define LAST_GUEST_VECTOR 0xef

/*
 * Finds the local APIC (IA32_APIC_BASE), which must be enabled and in xAPIC mode, and software-
 * enables it in the SVR if needed (the spurious vector is left as it is). False otherwise.
 */
bool apic_init(void);
uint32_t apic_base(void);
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t value);
uint8_t apic_id(void);
void apic_eoi(void);
/* Whether `vector` is set in the IRR or the ISR. */
bool apic_irr(unsigned int vector);
bool apic_isr(unsigned int vector);

/* Writes the ICR (destination first) and waits, bounded, until it is sent. False on a timeout. */
bool apic_send_ipi(uint32_t icr_low, uint8_t dest);
/* A fixed, edge-triggered interrupt to this CPU (destination shorthand "self"). */
bool apic_self_ipi(unsigned int vector);
/*
 * An NMI to this CPU: physical destination = own APIC ID, no shorthand (the SDM lists the "self"
 * shorthand as valid with fixed delivery only).
 */
bool apic_self_nmi(void);

/* Timer with divide-by-16: periodic or one-shot on `vector`; stop masks it and zeroes the count. */
void apic_timer_start(unsigned int vector, uint32_t initial, bool periodic);
void apic_timer_stop(void);

/* Remaps both 8259 PICs to vectors 0x20-0x2f and masks every line. */
void pic_disable(void);

/*
 * Everything a guest needs before taking interrupts: apic_init(), pic_disable(), TPR 0, and a
 * catch-all handler on every guest vector (0x20-0xef) that counts and EOIs what arrives there;
 * install the handlers of the vectors under test afterwards. Interrupts stay disabled (IF=0).
 */
bool irq_setup(void);
/* Interrupts the catch-all saw: how many and the last vector. */
extern volatile uint32_t irq_unexpected, irq_unexpected_vector;

/* I/O APIC redirection (82093AA data sheet, 3.2.4). */
#define IOAPIC_DEFAULT_BASE 0xfec00000u
#define IOREDTBL_ACTIVE_LOW (1U << 13)
#define IOREDTBL_LEVEL (1U << 15)
#define IOREDTBL_MASKED (1U << 16)

struct isa_irq_route {
	unsigned int gsi;
	uint32_t flags;  /* IOREDTBL_ACTIVE_LOW and IOREDTBL_LEVEL as the MADT says (ISA: neither) */
	bool overridden; /* the MADT has an interrupt source override for this IRQ */
};

/* Whether an ACPI MADT was found (RSDP in the EBDA or the BIOS area). Scanned once. */
bool acpi_have_madt(void);
/* The GSI and flags of ISA IRQ `irq`: the MADT's override, else identity (edge, active high). */
struct isa_irq_route acpi_isa_irq(unsigned int irq);
/* The I/O APIC serving `gsi` and its pin, from the MADT or the default one. False if none. */
bool ioapic_for_gsi(unsigned int gsi, uint32_t *base, unsigned int *pin);
/* Number of redirection entries of the I/O APIC at `base` (version register). */
unsigned int ioapic_entries(uint32_t base);
/* Points `pin` at `vector` on the CPU with APIC ID `dest` (fixed, physical), unmasked. */
void ioapic_route(uint32_t base, unsigned int pin, unsigned int vector, uint32_t flags, uint8_t dest);
void ioapic_mask(uint32_t base, unsigned int pin);
/* Writes entry `pin` as given (vector, delivery mode, flags, mask in `low`) at APIC ID `dest`. */
void ioapic_program(uint32_t base, unsigned int pin, uint32_t low, uint8_t dest);

#endif
