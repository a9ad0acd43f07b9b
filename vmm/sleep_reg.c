/*
 * The sleep registers and the meaning of a write to one (include/vmm/sleep_reg.h). ACPI 6.5:
 * PM1 control (section 4.8.3.2.1, table 4.13), the hardware-reduced sleep control register
 * (section 4.8.3.7), the FADT's GAS fields (table 5.9) and \_Sx (section 7.4.2).
 */
#include "vmm/sleep_reg.h"

#define PM1_DEFAULT_LEN 2
#define SLEEP_CTL_DEFAULT_LEN 1
#define MAX_REG_LEN 8

static bool add(struct sleep_reg *r, enum sleep_reg_kind kind, const struct acpi_gas *g, uint8_t len,
		sleep_reg_reject_fn reject)
{
	if (!g->address)
		return false;
	r->kind = kind;
	if (g->space_id != ACPI_GAS_SYSTEM_IO && g->space_id != ACPI_GAS_SYSTEM_MEMORY) {
		if (reject)
			reject(sleep_reg_name(r), g);
		return false;
	}
	r->mmio = g->space_id == ACPI_GAS_SYSTEM_MEMORY;
	r->address = g->address;
	/* PM1_CNT_LEN for PM1 blocks; else the GAS's width; a register is at most a qword. */
	if (!len)
		len = g->bit_width >= 8 ? (uint8_t)(g->bit_width / 8) : 0;
	if (!len)
		len = kind == SLEEP_REG_SLEEP_CTL ? SLEEP_CTL_DEFAULT_LEN : PM1_DEFAULT_LEN;
	r->len = len > MAX_REG_LEN ? MAX_REG_LEN : len;
	return true;
}

unsigned int sleep_regs_from_fadt(const struct acpi_fadt_info *f, struct sleep_reg regs[SLEEP_MAX_REGS],
				  sleep_reg_reject_fn reject)
{
	unsigned int n = 0;

	n += add(&regs[n], SLEEP_REG_PM1A, &f->pm1a_cnt, f->pm1_cnt_len, reject);
	n += add(&regs[n], SLEEP_REG_PM1B, &f->pm1b_cnt, f->pm1_cnt_len, reject);
	/* OSPM uses the sleep control register only on a hardware-reduced platform (table 5.9). */
	if (f->flags_valid && (f->flags & ACPI_FADT_HW_REDUCED_ACPI))
		n += add(&regs[n], SLEEP_REG_SLEEP_CTL, &f->sleep_control, 0, reject);
	return n;
}

const char *sleep_reg_name(const struct sleep_reg *r)
{
	static const char *const names[] = { "PM1a_CNT", "PM1b_CNT", "SLEEP_CONTROL_REG" };

	return names[r->kind];
}

int sleep_reg_find(const struct sleep_reg *regs, unsigned int nr, bool mmio, uint64_t address, uint8_t size)
{
	for (unsigned int i = 0; i < nr; i++)
		if (regs[i].mmio == mmio && address < regs[i].address + regs[i].len && regs[i].address < address + size)
			return (int)i;
	return -1;
}

uint64_t sleep_reg_page(const struct sleep_reg *r)
{
	return r->address & ~(SLEEP_PAGE_SIZE - 1);
}

bool sleep_reg_request(const struct sleep_reg *r, uint64_t address, uint8_t size, uint64_t value, unsigned int *typ)
{
	bool ctl = r->kind == SLEEP_REG_SLEEP_CTL;
	uint64_t en = ctl ? ACPI_SLEEP_CTL_SLP_EN : ACPI_PM1_SLP_EN;
	unsigned int shift = ctl ? ACPI_SLEEP_CTL_SLP_TYP_SHIFT : ACPI_PM1_SLP_TYP_SHIFT;
	uint64_t bits = 0, written = 0;

	/* Byte by byte, so a write that starts before the register or runs past it counts only what lands in it. */
	for (uint8_t i = 0; i < size && i < MAX_REG_LEN; i++) {
		uint64_t at = address + i;

		if (at < r->address || at >= r->address + r->len)
			continue;
		bits |= ((value >> (8 * i)) & 0xFF) << (8 * (at - r->address));
		written |= 0xFFULL << (8 * (at - r->address));
	}
	*typ = (unsigned int)(bits >> shift) & ACPI_SLP_TYP_MASK;
	return written & bits & en;
}

static bool typ_is(const struct acpi_sleep_type *t, bool block_b, unsigned int typ)
{
	return t->valid && (block_b ? t->typ_b : t->typ_a) == typ;
}

unsigned int sleep_reg_state(const struct sleep_reg *r, const struct acpi_sleep_type types[ACPI_NR_SLEEP_STATES],
			     unsigned int typ)
{
	static const unsigned int order[] = { 1, 2, 3, 4, 5 };
	bool block_b = r->kind == SLEEP_REG_PM1B;

	if (typ_is(&types[0], block_b, typ))
		return 0;
	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (typ_is(&types[order[i]], block_b, typ))
			return order[i];
	return SLEEP_UNKNOWN;
}

struct sleep_wake_entry sleep_wake_entry(uint8_t facs_version, uint32_t vector, uint64_t x_vector,
					 uint32_t ospm_flags)
{
	struct sleep_wake_entry e = { .mode = SLEEP_WAKE_NONE };

	if (facs_version >= 1 && x_vector) {
		e.wanted_64bit = ospm_flags & ACPI_FACS_64BIT_WAKE;
		if (x_vector <= 0xFFFFFFFFULL) {
			e.mode = SLEEP_WAKE_FLAT32;
			e.ip = x_vector;
		}
		return e; /* a vector above 4 GiB cannot be entered in protected mode: none */
	}
	if (vector) {
		e.mode = SLEEP_WAKE_REAL;
		e.real_cs = (uint16_t)(vector >> 4);
		e.ip = vector & 0xF;
	}
	return e;
}
