/*
 * Decoder for the MOV forms compilers emit for memory-mapped I/O.
 *
 * After a nested page fault on a trapped page (the local APIC page) the hardware may give no
 * instruction bytes and no length. The caller fetches up to 15 bytes at CS.base + RIP (see
 * vmm/guest_walk.h), decodes them here, checks the result against the fault (a store must come
 * with a write fault), emulates the access at the faulting guest-physical address and advances
 * RIP by len. The decoder only measures and classifies: the memory operand's address is not
 * computed, because the fault already gives it.
 *
 * Accepted (Intel SDM vol. 2, AMD APM vol. 3):
 *   88 /r  MOV r/m8, r8        89 /r  MOV r/m16/32/64, r     (stores)
 *   8A /r  MOV r8, r/m8        8B /r  MOV r16/32/64, r/m     (loads)
 *   C6 /0 ib  MOV r/m8, imm8   C7 /0 iw/id  MOV r/m16/32/64, imm (REX.W: imm32 sign-extended)
 *   0F B6 /r  MOVZX r, r/m8    0F B7 /r  MOVZX r, r/m16      (loads)
 *   A0 / A1  MOV AL / rAX, moffs   A2 / A3  MOV moffs, AL / rAX (moffs as wide as the address size)
 * with the prefixes 66 (operand size), 67 (address size), segment overrides 2E 36 3E 26 64 65
 * (ignored: the fault gives the address) and, in 64-bit mode, REX right before the opcode (a REX
 * followed by another prefix is ignored, as the CPU does).
 */
#ifndef HV_VMM_INSN_DECODE_H
#define HV_VMM_INSN_DECODE_H

#include "types.h"
#include "vmm/gpr.h"

#define INSN_MAX_LEN 15 /* longer instructions raise #GP */

/* The mode the instruction runs in, from CR0.PE, EFER.LMA, CS.L and CS.D. */
enum cpu_mode {
	CPU_MODE_REAL16, /* real mode (and virtual-8086) */
	CPU_MODE_PROT16, /* protected mode, CS.D = 0 (also compatibility mode with CS.D = 0) */
	CPU_MODE_PROT32, /* protected mode, CS.D = 1 (also compatibility mode with CS.D = 1) */
	CPU_MODE_LONG64, /* 64-bit mode: EFER.LMA = 1, CS.L = 1 */
};


struct mmio_insn {
	uint8_t len;       /* total length including prefixes, 1..15 */
	uint8_t size;      /* bytes of memory accessed: 1, 2, 4 or 8 */
	bool write;        /* a store to memory (true) or a load from it (false) */
	bool has_imm;      /* a store of imm, not of a register */
	uint64_t imm;      /* the value stored: imm8/imm16/imm32 zero-extended, imm32 with REX.W sign-extended */
	uint8_t reg;       /* the register operand (enum gpr); with high_byte, 0..3 for AH, CH, DH, BH */
	bool high_byte;    /* reg names bits 15:8 of rAX, rCX, rDX or rBX (8-bit operand without REX) */
	uint8_t reg_size;  /* bytes of the register operand: equal to size, except for MOVZX */
	bool zero_extend;  /* MOVZX: the loaded value is zero-extended to reg_size */
};

/*
 * Decode the instruction in bytes[0..avail) (avail may exceed 15; bytes past 15 are never read).
 * Returns 0 with *out filled, or
 *   -E_INVAL   not a memory access (ModRM mod = 3), the instruction would exceed 15 bytes, or
 *              mode is not an enum cpu_mode;
 *   -E_NOSUPP  anything outside the list above (other opcodes, C6/C7 other than /0, LOCK,
 *              REP/REPNE, 40-4F outside 64-bit mode, where they are INC/DEC);
 *   -E_RANGE   the instruction continues past avail (the caller could fetch no more bytes).
 *
 * Writing the result back is the caller's job, with the usual x86 rules: a 32-bit register write
 * in 64-bit mode clears bits 63:32, while 8- and 16-bit writes keep the other bits.
 */
int insn_decode_mmio(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct mmio_insn *out);

#endif
