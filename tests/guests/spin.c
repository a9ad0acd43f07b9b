/*
 * A guest that keeps running while the test runner types debug keys on the hypervisor's own UART
 * (console=com2). It checks that the hypervisor's UART is not the guest's (its scratch register
 * does not answer), asks for the statistics table (hypercall 6), then never ends:
 *   spin.elf exits  loops on CPUID, so the hypervisor takes an exit about every millisecond;
 *   spin.elf cli    spins with interrupts off and never exits: only a timer in the hypervisor
 *                   (the VMX-preemption timer) gets the keys answered.
 *   spin.elf hlt    halts with interrupts off: the same, and `v` must show the vCPU halted (VMX).
 * The run ends when the runner sees the answer to its last key (R reboots the machine).
 */
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "x86.h"

#define COM2_SCRATCH (0x2F8 + 7)

const char guest_name[] = "spin";

void guest_main(void)
{
	bool cli = mb_has_word("cli"), hlt = mb_has_word("hlt");
	struct hc_regs regs;

	outb(COM2_SCRATCH, 0x5A);
	ok(inb(COM2_SCRATCH) == 0xFF, "the hypervisor's UART (COM2) does not answer the guest");
	ok(hypercall(HC_EXIT_TABLE, 0, 0, 0, &regs) == 0, "hypercall %d prints the exit statistics table",
	   HC_EXIT_TABLE);
	if (hlt) {
		printf("# halting with interrupts off: type keys now\n");
		halt_forever();
	}
	printf("# spinning %s: type keys now\n", cli ? "with interrupts off, no exits" : "on CPUID exits");
	if (cli) {
		irq_disable();
		for (;;)
			cpu_relax();
	}
	for (;;) {
		(void)cpuid(0);
		udelay(1000);
	}
}
