/*
 * Exception table: an instruction listed here may fault; the trap handler then resumes at its
 * recovery label instead of stopping the machine. Wrappers use asm goto so the recovery path is an
 * ordinary C label:
 *
 *	asm volatile goto("1: rdmsr\n" EXTABLE_ENTRY("1b", "%l[fault]") : ... : fault);
 *	...
 *	fault: return -E_FAULT;
 *
 * Always write `volatile`: GCC 12 treats an asm goto with outputs as removable when the outputs
 * are unused, which silently drops a probe together with its fault.
 *
 * The vector that was recovered is left in this_cpu()->fixup_vector for the caller to report.
 */
#ifndef HV_X86_EXTABLE_H
#define HV_X86_EXTABLE_H

#include "types.h"

struct extable_entry {
	uintptr_t insn;
	uintptr_t fixup;
	uint64_t flags;
};

/*
 * The instruction runs while GS holds guest state (SVM between the guest's VMLOAD and the host's):
 * the fixup must not touch per-CPU data. Assembly files emit entries as three quads.
 */
#define EXTABLE_GUEST_GS 1

#define EXTABLE_ENTRY(insn, fixup)                                                                \
	".pushsection __ex_table, \"a\"\n\t.balign 8\n\t.quad " insn ", " fixup ", 0\n\t.popsection\n\t"

struct trap_frame;
/* Redirects `frame` to the recovery label if its RIP is listed; returns whether it did. */
bool extable_fixup(struct trap_frame *frame);

#endif
