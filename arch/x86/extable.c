/* Looks up faulting instructions in the exception table built by EXTABLE_ENTRY. */
#include "x86/extable.h"
#include "x86/percpu.h"
#include "x86/traps.h"

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

bool extable_fixup(struct trap_frame *frame)
{
	/* Few entries, and only faults take this path: a linear scan is enough. */
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == frame->rip) {
			if (!(e->flags & EXTABLE_GUEST_GS))
				this_cpu()->fixup_vector = (int)frame->vector;
			frame->rip = e->fixup;
			return true;
		}
	}
	return false;
}
