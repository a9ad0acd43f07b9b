/*
 * Local APIC access, xAPIC (MMIO) or x2APIC (MSRs) behind one interface (SDM vol. 3, ch. 11).
 * Every CPU starts in the mode firmware left on the boot CPU; a guest that switches its APIC to
 * x2APIC mode switches that CPU, and the hypervisor's access follows (apic_enter_x2apic()).
 */
#ifndef HV_X86_APIC_H
#define HV_X86_APIC_H

#include "types.h"

#define APIC_REG_ID 0x20
#define APIC_REG_VERSION 0x30
#define APIC_REG_TPR 0x80
#define APIC_REG_EOI 0xB0
#define APIC_REG_SVR 0xF0
#define APIC_REG_LDR 0xD0
#define APIC_REG_DFR 0xE0
#define APIC_REG_ISR 0x100 /* ISR, TMR, IRR: eight 32-bit registers each, 0x10 apart */
#define APIC_REG_TMR 0x180
#define APIC_REG_IRR 0x200
#define APIC_REG_ESR 0x280
#define APIC_REG_LVT_CMCI 0x2F0
#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_THERMAL 0x330
#define APIC_REG_LVT_PERF 0x340
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INITIAL 0x380
#define APIC_REG_TIMER_DIVIDE 0x3E0

#define APIC_LVT_MASKED (1U << 16)
#define APIC_LVT_NMI (4U << 8)
#define APIC_LVT_EXTINT (7U << 8)

#define APIC_SVR_ENABLE (1U << 8)
#define APIC_SPURIOUS_VECTOR 0xFF

#define APIC_ICR_MODE(icr) (((icr) >> 8) & 7)
#define APIC_ICR_FIXED (0U << 8)
#define APIC_ICR_NMI (4U << 8)
#define APIC_ICR_INIT (5U << 8)
#define APIC_ICR_STARTUP (6U << 8)
#define APIC_ICR_BUSY (1U << 12) /* xAPIC delivery status */
#define APIC_ICR_ASSERT (1U << 14)
#define APIC_ICR_LEVEL (1U << 15)
#define APIC_ICR_SELF (1U << 18)
#define APIC_ICR_ALL_BUT_SELF (3U << 18)

#define MSR_X2APIC_BASE 0x800 /* x2APIC register r lives at MSR 0x800 + r / 16 */
#define MSR_X2APIC_LAST 0x8FF /* the x2APIC range's last MSR */
#define MSR_X2APIC_ICR 0x830

#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ULL

/* Picks the mode and maps the registers; `madt_address` is the MADT's (0 = use the MSR). */
void apic_init(uint64_t madt_address);
/* Per CPU: the same mode as the boot CPU, software-enabled. */
void apic_init_cpu(void);
bool apic_is_x2apic(void);
/* The xAPIC register page's physical address (also where the guest sees it). */
paddr_t apic_mmio_base(void);
/* Register access by xAPIC offset, in either mode. */
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t value);
uint32_t apic_id(void);
void apic_eoi(void);
/* Sends an IPI (ICR delivery mode and flags in `icr`) to `dest` (ignored with a shorthand). */
void apic_send_ipi(uint32_t dest, uint32_t icr);
void apic_send_nmi(uint32_t dest);
void apic_send_nmi_all_but_self(void);
void apic_send_init(uint32_t dest);
void apic_send_startup(uint32_t dest, paddr_t page);
/* Puts this CPU's APIC in x2APIC mode (from xAPIC mode, which keeps every register). */
void apic_enter_x2apic(void);
/* The register state of an APIC after power-on or reset (SDM vol. 3A, 11.4.7.1), ID and mode kept. */
void apic_reset_registers(void);
/* Whether any interrupt is in service (ISR bit set). */
bool apic_in_service(void);
/* Reset state, then enabled as a virtual wire: LINT0 takes the PIC's ExtINT, LINT1 the NMI pin. */
void apic_virtual_wire(void);

#endif
