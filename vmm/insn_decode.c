/*
 * The MMIO MOV decoder (see vmm/insn_decode.h). Encodings: Intel SDM vol. 2 chapter 2 (prefixes,
 * ModRM/SIB, tables 2-1 and 2-2) and the MOV/MOVZX pages.
 */
#include "errno.h"
#include "lib/string.h"
#include "vmm/insn_decode.h"

#define PREFIX_OPSIZE 0x66
#define PREFIX_ADSIZE 0x67
#define PREFIX_LOCK 0xF0
#define PREFIX_REPNE 0xF2
#define PREFIX_REP 0xF3
#define OPCODE_ESCAPE 0x0F

#define REX_MASK 0xF0
#define REX_BASE 0x40
#define REX_W 0x08
#define REX_R 0x04

#define MODRM_MOD(b) ((b) >> 6)
#define MODRM_REG(b) (((b) >> 3) & 7)
#define MODRM_RM(b) ((b) & 7)
#define SIB_BASE(b) ((b) & 7)

#define MOD_NO_DISP 0
#define MOD_DISP8 1
#define MOD_DISP_FULL 2
#define MOD_REGISTER 3
#define RM_SIB 4        /* 32/64-bit addressing: a SIB byte follows */
#define RM_DISP32 5     /* 32/64-bit addressing, mod 0: disp32 (RIP-relative in 64-bit mode) */
#define SIB_BASE_NONE 5 /* mod 0: no base, disp32 */
#define RM16_DISP16 6   /* 16-bit addressing, mod 0: disp16 alone */

/* The bytes decoded so far; never reads past min(avail, 15). */
struct cursor {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;
};

/* Claims the next n bytes: past 15 the instruction is invalid, past avail it is cut short. */
static int take(struct cursor *c, size_t n, const uint8_t **p)
{
	if (c->pos + n > INSN_MAX_LEN)
		return -E_INVAL;
	if (c->pos + n > c->avail)
		return -E_RANGE;
	*p = c->bytes + c->pos;
	c->pos += n;
	return 0;
}

static int take_byte(struct cursor *c, uint8_t *b)
{
	const uint8_t *p;
	int rc = take(c, 1, &p);

	if (rc == 0)
		*b = *p;
	return rc;
}

/* A little-endian immediate of n bytes, zero-extended. */
static int take_imm(struct cursor *c, size_t n, uint64_t *value)
{
	const uint8_t *p;
	int rc = take(c, n, &p);

	if (rc)
		return rc;
	*value = 0;
	for (size_t i = 0; i < n; i++)
		*value |= (uint64_t)p[i] << (8 * i);
	return 0;
}

static bool is_segment_override(uint8_t b)
{
	return b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65;
}

/*
 * Consumes ModRM and whatever addressing bytes follow it (SIB, displacement) and returns its reg
 * field. A register operand (mod 3) is not a memory access.
 */
static int take_modrm(struct cursor *c, unsigned addr_size, unsigned *reg)
{
	uint8_t modrm, sib;
	const uint8_t *disp;
	size_t disp_len = 0;
	unsigned mod;
	int rc;

	rc = take_byte(c, &modrm);
	if (rc)
		return rc;
	mod = MODRM_MOD(modrm);
	if (mod == MOD_REGISTER)
		return -E_INVAL;
	*reg = MODRM_REG(modrm);

	if (addr_size == 2) {
		/* Table 2-1: [bx+si] ... [bx], disp16 alone at mod 0 rm 6, no SIB. */
		if (mod == MOD_DISP8)
			disp_len = 1;
		else if (mod == MOD_DISP_FULL || MODRM_RM(modrm) == RM16_DISP16)
			disp_len = 2;
	} else {
		/* Table 2-2 and 2-3; REX.B does not change these rules, only the low three bits count. */
		if (MODRM_RM(modrm) == RM_SIB) {
			rc = take_byte(c, &sib);
			if (rc)
				return rc;
			if (mod == MOD_NO_DISP && SIB_BASE(sib) == SIB_BASE_NONE)
				disp_len = 4;
		} else if (mod == MOD_NO_DISP && MODRM_RM(modrm) == RM_DISP32) {
			disp_len = 4;
		}
		if (mod == MOD_DISP8)
			disp_len = 1;
		else if (mod == MOD_DISP_FULL)
			disp_len = 4;
	}
	return disp_len ? take(c, disp_len, &disp) : 0;
}

/* The register operand from ModRM.reg and REX.R, with the legacy high-byte registers for 8-bit operands. */
static void set_reg(struct mmio_insn *out, unsigned reg, uint8_t rex, unsigned reg_size)
{
	if (rex & REX_R)
		reg += 8;
	/* Without any REX, byte registers 4..7 are AH, CH, DH, BH; with one they are SPL..DIL. */
	if (reg_size == 1 && !rex && reg >= GPR_RSP && reg <= GPR_RDI) {
		out->high_byte = true;
		reg -= GPR_RSP;
	}
	out->reg = reg;
	out->reg_size = reg_size;
}

int insn_decode_mmio(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct mmio_insn *out)
{
	struct cursor c = { .bytes = bytes, .avail = MIN(avail, (size_t)INSN_MAX_LEN), .pos = 0 };
	bool opsize_prefix = false, adsize_prefix = false, mode16;
	unsigned op_size, addr_size, reg = 0;
	const uint8_t *moffs;
	uint8_t op, rex = 0;
	int rc;

	if (mode != CPU_MODE_REAL16 && mode != CPU_MODE_PROT16 && mode != CPU_MODE_PROT32 &&
	    mode != CPU_MODE_LONG64)
		return -E_INVAL;
	mode16 = mode == CPU_MODE_REAL16 || mode == CPU_MODE_PROT16;

	for (;;) {
		rc = take_byte(&c, &op);
		if (rc)
			return rc;
		if (mode == CPU_MODE_LONG64 && (op & REX_MASK) == REX_BASE) {
			rex = op;
			continue;
		}
		if (op == PREFIX_OPSIZE)
			opsize_prefix = true;
		else if (op == PREFIX_ADSIZE)
			adsize_prefix = true;
		else if (op == PREFIX_LOCK || op == PREFIX_REPNE || op == PREFIX_REP)
			return -E_NOSUPP;
		else if (!is_segment_override(op))
			break;
		rex = 0; /* a REX not right before the opcode is ignored */
	}

	if (mode == CPU_MODE_LONG64 && (rex & REX_W))
		op_size = 8;
	else
		op_size = (mode16 != opsize_prefix) ? 2 : 4;
	if (mode == CPU_MODE_LONG64)
		addr_size = adsize_prefix ? 4 : 8;
	else
		addr_size = (mode16 != adsize_prefix) ? 2 : 4;

	memset(out, 0, sizeof(*out));
	switch (op) {
	case 0x88: /* MOV r/m8, r8 */
	case 0x8A: /* MOV r8, r/m8 */
		op_size = 1;
		/* fall through */
	case 0x89: /* MOV r/m, r */
	case 0x8B: /* MOV r, r/m */
		rc = take_modrm(&c, addr_size, &reg);
		if (rc)
			return rc;
		out->write = op == 0x88 || op == 0x89;
		set_reg(out, reg, rex, op_size);
		break;

	case 0xC6: /* MOV r/m8, imm8 */
	case 0xC7: /* MOV r/m, imm16/imm32 */
		if (op == 0xC6)
			op_size = 1;
		rc = take_modrm(&c, addr_size, &reg);
		if (rc)
			return rc;
		if (reg != 0) /* only /0 is MOV */
			return -E_NOSUPP;
		rc = take_imm(&c, MIN(op_size, 4U), &out->imm);
		if (rc)
			return rc;
		if (op_size == 8 && (out->imm & (1ULL << 31)))
			out->imm |= 0xFFFFFFFF00000000ULL;
		out->write = true;
		out->has_imm = true;
		break;

	case 0xA0: /* MOV AL, moffs8 */
	case 0xA1: /* MOV rAX, moffs */
	case 0xA2: /* MOV moffs8, AL */
	case 0xA3: /* MOV moffs, rAX */
		if (op == 0xA0 || op == 0xA2)
			op_size = 1;
		rc = take(&c, addr_size, &moffs);
		if (rc)
			return rc;
		out->write = op == 0xA2 || op == 0xA3;
		out->reg = GPR_RAX;
		out->reg_size = op_size;
		break;

	case OPCODE_ESCAPE:
		rc = take_byte(&c, &op);
		if (rc)
			return rc;
		if (op != 0xB6 && op != 0xB7) /* MOVZX r, r/m8 and r, r/m16 */
			return -E_NOSUPP;
		rc = take_modrm(&c, addr_size, &reg);
		if (rc)
			return rc;
		set_reg(out, reg, rex, op_size);
		out->zero_extend = true;
		op_size = op == 0xB6 ? 1 : 2;
		break;

	default:
		return -E_NOSUPP;
	}

	out->len = c.pos;
	out->size = op_size;
	return 0;
}
