/* String I/O instruction decoding and register stepping (see include/vmm/string_io.h). */
#include "errno.h"
#include "vmm/string_io.h"

#define PREFIX_ADSIZE 0x67
#define OP_INSB 0x6C
#define OP_OUTSD 0x6F

int string_io_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct string_io_insn *out)
{
	bool adsize = false, rep = false;
	enum seg_reg seg = SEG_DS;

	for (size_t i = 0; i < INSN_MAX_LEN; i++) {
		uint8_t b;

		if (i >= avail)
			return -E_RANGE;
		b = bytes[i];
		switch (b) {
		case PREFIX_ADSIZE:
			adsize = true;
			continue;
		case 0xF2:
		case 0xF3:
			rep = true;
			continue;
		case 0x66:
		case 0xF0:
			continue;
		case 0x26:
			seg = SEG_ES;
			continue;
		case 0x2E:
			seg = SEG_CS;
			continue;
		case 0x36:
			seg = SEG_SS;
			continue;
		case 0x3E:
			seg = SEG_DS;
			continue;
		case 0x64:
			seg = SEG_FS;
			continue;
		case 0x65:
			seg = SEG_GS;
			continue;
		default:
			break;
		}
		if (mode == CPU_MODE_LONG64 && (b & 0xF0) == 0x40)
			continue; /* REX: W does not widen INS/OUTS */
		if (b < OP_INSB || b > OP_OUTSD)
			return -E_INVAL;
		out->len = (uint8_t)(i + 1);
		out->in = b <= OP_INSB + 1;
		out->seg = out->in ? SEG_ES : seg;
		out->rep = rep;
		if (mode == CPU_MODE_LONG64)
			out->addr_size = adsize ? 4 : 8;
		else if (mode == CPU_MODE_PROT32)
			out->addr_size = adsize ? 2 : 4;
		else
			out->addr_size = adsize ? 4 : 2;
		return 0;
	}
	return -E_INVAL;
}

uint64_t string_io_reg(uint64_t reg, uint8_t addr_size)
{
	if (addr_size == 2)
		return reg & 0xFFFF;
	return addr_size == 4 ? reg & 0xFFFFFFFF : reg;
}

uint64_t string_io_update(uint64_t reg, uint8_t addr_size, int64_t delta)
{
	uint64_t sum = reg + (uint64_t)delta;

	if (addr_size == 2)
		return (reg & ~0xFFFFULL) | (sum & 0xFFFF);
	return addr_size == 4 ? sum & 0xFFFFFFFF : sum;
}

uint64_t string_io_linear(uint64_t seg_base, uint64_t reg, uint8_t addr_size, enum cpu_mode mode)
{
	uint64_t linear = seg_base + string_io_reg(reg, addr_size);

	return mode == CPU_MODE_LONG64 ? linear : linear & 0xFFFFFFFF;
}
