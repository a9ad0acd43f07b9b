/*
 * Which registers enter a sleep state, and whether a guest write to one asks for it (vmm/sleep_reg.c).
 * Pure decisions over the FADT and the DSDT's sleep types: no hardware access, so host tests cover
 * what no emulator's firmware offers (PM1 control in memory space). vmm/sleep.c acts on them.
 */
#ifndef HV_VMM_SLEEP_REG_H
#define HV_VMM_SLEEP_REG_H

#include "acpi.h"
#include "types.h"

enum sleep_reg_kind {
	SLEEP_REG_PM1A,      /* PM1a_CNT: SLP_TYP bits 10-12, SLP_EN bit 13, \_Sx SLP_TYPa */
	SLEEP_REG_PM1B,      /* PM1b_CNT: the same bits, \_Sx SLP_TYPb */
	SLEEP_REG_SLEEP_CTL, /* hardware-reduced SLEEP_CONTROL_REG: SLP_TYP bits 2-4, SLP_EN bit 5 */
};

#define SLEEP_MAX_REGS 3
#define SLEEP_PAGE_SIZE 4096ULL
#define SLEEP_UNKNOWN 0xFF /* a SLP_TYP no \_Sx object names */

struct sleep_reg {
	enum sleep_reg_kind kind;
	bool mmio;        /* System Memory; else System I/O */
	uint64_t address; /* port or physical address of its first byte */
	uint8_t len;      /* bytes */
};

/* Why a register the FADT names is not usable (not I/O or memory space), for the boot log; NULL if none. */
typedef void (*sleep_reg_reject_fn)(const char *name, const struct acpi_gas *g);

/*
 * The sleep registers of this FADT into regs[]: PM1a/PM1b control (I/O or memory), and the sleep
 * control register when the FADT sets HW_REDUCED_ACPI (I/O or memory). Returns how many; a register
 * in another address space is passed to reject (if not NULL) and left out.
 */
unsigned int sleep_regs_from_fadt(const struct acpi_fadt_info *f, struct sleep_reg regs[SLEEP_MAX_REGS],
				  sleep_reg_reject_fn reject);
/* The register's name as the FADT calls it. */
const char *sleep_reg_name(const struct sleep_reg *r);
/* Index of the first register a write of `size` bytes at `address` (in I/O or memory space) touches, or -1. */
int sleep_reg_find(const struct sleep_reg *regs, unsigned int nr, bool mmio, uint64_t address, uint8_t size);
/* The 4 KiB page that holds the register's first byte (memory space). */
uint64_t sleep_reg_page(const struct sleep_reg *r);
/*
 * A write of `size` bytes (1, 2, 4 or 8) of `value` at `address` to register r, which it may
 * overlap only partly: true when it sets SLP_EN in r, with the SLP_TYP written beside it in *typ
 * (bits of r the write does not cover read as 0).
 */
bool sleep_reg_request(const struct sleep_reg *r, uint64_t address, uint8_t size, uint64_t value, unsigned int *typ);
/*
 * The state SLP_TYP `typ` of register r enters, from the DSDT's \_S0-\_S5 packages: 0 (S0: passes
 * through), 1-5, or SLEEP_UNKNOWN. S1-S3 are looked up first: when a type is named twice, the
 * sleep path (the safe one) wins.
 */
unsigned int sleep_reg_state(const struct sleep_reg *r, const struct acpi_sleep_type types[ACPI_NR_SLEEP_STATES],
			     unsigned int typ);

/* Where the guest's boot CPU starts after a wake, as firmware would start it. */
enum sleep_wake_mode {
	SLEEP_WAKE_NONE,    /* no vector that can be entered */
	SLEEP_WAKE_REAL,    /* real mode at real_cs:ip */
	SLEEP_WAKE_FLAT32,  /* 32-bit flat protected mode, paging off, at ip */
};
struct sleep_wake_entry {
	enum sleep_wake_mode mode;
	uint16_t real_cs;
	uint64_t ip;
	bool wanted_64bit; /* OSPM set 64BIT_WAKE_F, which this firmware does not offer */
};
/*
 * ACPI 6.5 table 5.14: the X waking vector when the FACS has one (version 1 and later) and it is
 * non-zero, in 32-bit protected mode (64-bit mode is not offered: see vmm/sleep.c); else the 32-bit
 * vector in real mode, CS = vector >> 4, IP = vector & 0xF.
 */
struct sleep_wake_entry sleep_wake_entry(uint8_t facs_version, uint32_t vector, uint64_t x_vector,
					 uint32_t ospm_flags);

#endif
