/*
 * ACPI FADT ("FACP") parser: DSDT address, PM1 control blocks, boot architecture flags, the reset
 * register, and what sleep states need: the FACS (waking vector), the hardware-reduced sleep
 * control register and the DSDT's \_Sx sleep types.
 *
 * Called by acpi.c with a table that is already mapped, length-checked and checksummed.
 * References are to the ACPI 6.5 specification.
 */
#include "acpi.h"
#include "acpi_internal.h"

/* Fixed ACPI Description Table field offsets (5.2.9, table 5.9). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM1_CNT_LEN 89
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM1B_CNT_BLK 184
#define FADT_SLEEP_CONTROL_REG 244
#define GAS_LEN 12

/* AML opcodes (ACPI 6.5 section 20.2) of `Name (_Sx, Package () { ... })`. */
#define AML_NAME_OP 0x08
#define AML_ROOT_CHAR 0x5C
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0A
#define DSDT_MAX_LEN (4u << 20)

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
	if (covers(len, FADT_FIRMWARE_CTRL, 4))
		f->facs = acpi_rd32(t + FADT_FIRMWARE_CTRL);
	if (covers(len, FADT_X_FIRMWARE_CTRL, 8) && acpi_rd64(t + FADT_X_FIRMWARE_CTRL))
		f->facs = acpi_rd64(t + FADT_X_FIRMWARE_CTRL);
	if (covers(len, FADT_SLEEP_CONTROL_REG, GAS_LEN))
		gas_read(&f->sleep_control, t + FADT_SLEEP_CONTROL_REG);
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

/* ---- sleep states: the FACS and the DSDT's \_Sx objects ---- */

/* An integer constant element: ZeroOp, OneOp or BytePrefix n. Returns its length, 0 if another form. */
static uint32_t aml_small_int(const uint8_t *p, uint32_t avail, uint8_t *value)
{
	if (avail >= 1 && (p[0] == AML_ZERO_OP || p[0] == AML_ONE_OP)) {
		*value = p[0];
		return 1;
	}
	if (avail >= 2 && p[0] == AML_BYTE_PREFIX) {
		*value = p[1];
		return 2;
	}
	return 0;
}

bool acpi_aml_sleep_type(const uint8_t *aml, uint32_t len, unsigned int state, struct acpi_sleep_type *out)
{
	const uint8_t name[4] = { '_', 'S', (uint8_t)('0' + state), '_' };

	for (uint32_t i = 1; i + 4 < len; i++) {
		uint32_t at, pkg_len_bytes, used;

		if (aml[i] != name[0] || aml[i + 1] != name[1] || aml[i + 2] != name[2] || aml[i + 3] != name[3])
			continue;
		/* NameOp, optionally with the root prefix, right before the name. */
		if (!(aml[i - 1] == AML_NAME_OP || (aml[i - 1] == AML_ROOT_CHAR && i >= 2 && aml[i - 2] == AML_NAME_OP)))
			continue;
		at = i + 4;
		if (at + 2 > len || aml[at] != AML_PACKAGE_OP)
			continue;
		/* PkgLength: bits 7:6 of the lead byte count the bytes that follow it; then NumElements. */
		pkg_len_bytes = 1 + (aml[at + 1] >> 6);
		at += 1 + pkg_len_bytes + 1;
		if (at >= len)
			continue;
		used = aml_small_int(aml + at, len - at, &out->typ_a);
		if (!used)
			continue;
		at += used;
		if (!aml_small_int(aml + at, len - at, &out->typ_b))
			out->typ_b = out->typ_a; /* a one-element package: the same type for both blocks */
		out->valid = true;
		return true;
	}
	return false;
}

static void sleep_log(struct acpi_parser *p, int level, const char *sig, paddr_t pa, const char *what)
{
	struct msg m;

	acpi_msg_table(&m, sig, pa);
	acpi_msg_str(&m, what);
	acpi_msg_emit(p, level, &m);
}

void acpi_sleep_parse(struct acpi_parser *p)
{
	struct acpi_info *out = p->out;
	const struct acpi_fadt_info *f = &out->fadt;
	const uint8_t *t;
	uint32_t len;

	if (f->facs) {
		t = phys_map(p->mem, f->facs, ACPI_FACS_MIN_LEN);
		len = t ? acpi_rd32(t + HDR_LENGTH) : 0;
		if (t && t[0] == 'F' && t[1] == 'A' && t[2] == 'C' && t[3] == 'S' && len >= ACPI_FACS_MIN_LEN) {
			out->facs_valid = true;
			out->facs_pa = f->facs;
			out->facs_length = len;
		} else {
			sleep_log(p, ACPI_LOG_WARN, "FACS", f->facs, "signature or length wrong: sleep states are refused");
		}
	}
	if (!f->dsdt)
		return;
	t = phys_map(p->mem, f->dsdt, HDR_LEN);
	len = t ? acpi_rd32(t + HDR_LENGTH) : 0;
	/* Without a readable DSDT no sleep type is known; the hypervisor's sleep log line shows it. */
	if (!t || t[0] != 'D' || t[1] != 'S' || t[2] != 'D' || t[3] != 'T' || len < HDR_LEN || len > DSDT_MAX_LEN ||
	    !(t = phys_map(p->mem, f->dsdt, len)))
		return;
	for (unsigned int s = 0; s < ACPI_NR_SLEEP_STATES; s++)
		acpi_aml_sleep_type(t + HDR_LEN, len - HDR_LEN, s, &out->sleep_types[s]);
}
