/*
 * String I/O (INS/OUTS, with or without REP) to an intercepted port, emulated element by element:
 * the instruction's prefixes (address size, segment, REP) and how rSI/rDI/rCX step. Pure
 * functions, unit-tested on the host (tests/unit/test_string_io.c); vmm/io.c does the accesses.
 */
#ifndef HV_VMM_STRING_IO_H
#define HV_VMM_STRING_IO_H

#include "types.h"
#include "vmm/insn_decode.h"

/* Segment registers in their encoding order (SDM vol. 3A, 3.4.2). */
enum seg_reg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

struct string_io_insn {
	uint8_t len;       /* prefixes and opcode */
	uint8_t addr_size; /* 2, 4 or 8: the width of rSI/rDI/rCX as the instruction uses them */
	enum seg_reg seg;  /* OUTS: DS or the override; INS: always ES (no override applies) */
	bool rep;          /* F3 or F2 (both repeat INS/OUTS) */
	bool in;           /* INS (6C/6D) rather than OUTS (6E/6F) */
};

/*
 * Decode INS/OUTS in bytes[0..avail). Returns 0, -E_RANGE if cut short, -E_INVAL if the
 * instruction is longer than 15 bytes or not INS/OUTS.
 */
int string_io_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct string_io_insn *out);

/* The value of an addr_size-wide register (its low 2, 4 or 8 bytes). */
uint64_t string_io_reg(uint64_t reg, uint8_t addr_size);

/*
 * reg after adding delta (negative with DF) at addr_size: 16-bit keeps bits 63:16, 32-bit clears
 * 63:32 as a 32-bit register write does in 64-bit mode (outside it the upper half is not visible).
 */
uint64_t string_io_update(uint64_t reg, uint8_t addr_size, int64_t delta);

/* The linear address of the element: segment base + register, modulo 4 GiB outside 64-bit mode. */
uint64_t string_io_linear(uint64_t seg_base, uint64_t reg, uint8_t addr_size, enum cpu_mode mode);

#endif
