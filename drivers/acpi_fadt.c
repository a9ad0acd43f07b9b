/*
 * ACPI FADT ("FACP") parser: DSDT address, PM1 control blocks, boot architecture flags and the
 * reset register.
 *
 * Called by acpi.c with a table that is already mapped, length-checked and checksummed.
 * References are to the ACPI 6.5 specification.
 */
#include "acpi.h"
#include "acpi_internal.h"

/* Fixed ACPI Description Table field offsets (5.2.9, table 5.9). */
#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM1_CNT_LEN 89
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM1B_CNT_BLK 184
#define GAS_LEN 12

static bool covers(uint32_t len, uint32_t off, uint32_t size)
{
	return off + size <= len;
}

/* ---- FADT ---- */

static void gas_read(struct acpi_gas *g, const uint8_t *p)
{
	g->space_id = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access_size = p[3];
	g->address = acpi_rd64(p + 4);
}

/* PM1x_CNT_BLK: the X_ GAS when the table has it and it is non-zero, else the 32-bit port. */
static void fadt_pm1_cnt(struct acpi_gas *g, const uint8_t *t, uint32_t len, uint32_t port_off,
			 uint32_t x_off, uint8_t cnt_len)
{
	if (covers(len, x_off, GAS_LEN) && acpi_rd64(t + x_off + 4)) {
		gas_read(g, t + x_off);
		return;
	}
	if (!covers(len, port_off, 4) || !acpi_rd32(t + port_off))
		return;
	g->space_id = ACPI_GAS_SYSTEM_IO;
	g->bit_width = (uint8_t)(cnt_len * 8);
	g->address = acpi_rd32(t + port_off);
}

/* Old FADTs are short (ACPI 1.0: 116 bytes): only fields inside `len` are read. */
void acpi_fadt_parse(struct acpi_parser *p, paddr_t pa, const uint8_t *t, uint32_t len)
{
	struct acpi_fadt_info *f = &p->out->fadt;

	p->out->fadt_valid = true;
	p->out->fadt_pa = pa;
	f->length = len;
	f->revision = t[HDR_REVISION];
	if (covers(len, FADT_DSDT, 4))
		f->dsdt = acpi_rd32(t + FADT_DSDT);
	if (covers(len, FADT_X_DSDT, 8) && acpi_rd64(t + FADT_X_DSDT))
		f->dsdt = acpi_rd64(t + FADT_X_DSDT);
	if (covers(len, FADT_SMI_CMD, 4))
		f->smi_cmd = acpi_rd32(t + FADT_SMI_CMD);
	if (covers(len, FADT_PM1_CNT_LEN, 1))
		f->pm1_cnt_len = t[FADT_PM1_CNT_LEN];
	fadt_pm1_cnt(&f->pm1a_cnt, t, len, FADT_PM1A_CNT_BLK, FADT_X_PM1A_CNT_BLK, f->pm1_cnt_len);
	fadt_pm1_cnt(&f->pm1b_cnt, t, len, FADT_PM1B_CNT_BLK, FADT_X_PM1B_CNT_BLK, f->pm1_cnt_len);
	if (covers(len, FADT_IAPC_BOOT_ARCH, 2)) {
		f->iapc_boot_arch = acpi_rd16(t + FADT_IAPC_BOOT_ARCH);
		f->iapc_boot_arch_valid = true;
	}
	if (covers(len, FADT_FLAGS, 4)) {
		f->flags = acpi_rd32(t + FADT_FLAGS);
		f->flags_valid = true;
		f->reset_reg_sup = f->flags & ACPI_FADT_RESET_REG_SUP;
	}
	if (covers(len, FADT_RESET_REG, GAS_LEN) && covers(len, FADT_RESET_VALUE, 1)) {
		gas_read(&f->reset_reg, t + FADT_RESET_REG);
		f->reset_value = t[FADT_RESET_VALUE];
		f->reset_reg_valid = true;
	}
}
