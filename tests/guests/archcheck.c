/*
 * The hardware's checks, made as the hardware makes them, and legal guest actions that must work
 * (issue 18): hypercalls and XSETBV from ring 3, CR0/CR4/EFER writes the manuals refuse, INVD,
 * INVLPGA, single-stepping over instructions the hypervisor emulates, string I/O to an
 * intercepted port, 1- and 2-byte local APIC writes, and accesses above 4 GiB where there is no
 * RAM. Every check holds on a bare machine too (the guest says where an emulator is known to
 * differ, and skips only there); under the hypervisor the last check is that it still answers.
 *
 * With the argument `cr3hv` the guest instead points CR3 into the hypervisor's memory and turns
 * paging on: as on hardware whose page tables cannot be read, that must end in a triple fault
 * (the hypervisor's shutdown path), never in a #GP/#DF loop.
 *
 * One file per concern: archcheck_ring3.c, archcheck_cpu.c, archcheck_step.c, archcheck_io.c.
 */
#include "archcheck.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "archcheck";

bool under_hv;
bool on_qemu;

/* ---- where are we ---- */

/* QEMU's fw_cfg signature (the guest owns the device under the hypervisor too). */
static bool detect_qemu(void)
{
	char sig[5];

	asm volatile("outw %0, %1" : : "a"((uint16_t)0), "Nd"((uint16_t)0x510));
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(0x511);
	sig[4] = '\0';
	return !strcmp(sig, "QEMU");
}

/* ---- CR3 in hypervisor memory: a triple fault ---- */

static __noreturn void cr3_in_hypervisor(void)
{
	uint64_t base, end;

	if (!hv_range(&base, &end) || end > (1ULL << 32))
		abort_test("no hypervisor range below 4 GiB");
	printf("# CR3 = 0x%llx (hypervisor memory), paging on: expecting a triple fault\n", base);
	write_cr3((uint32_t)base);
	write_cr0(read_cr0() | CR0_PG);
	abort_test("still running with page tables in hypervisor memory");
}

void guest_main(void)
{
	under_hv = hv_signature_present();
	on_qemu = detect_qemu();
	printf("# %s, %s the microhypervisor\n", on_qemu ? "QEMU" : "not QEMU", under_hv ? "under" : "not under");
	if (mb_has_word("cr3hv"))
		cr3_in_hypervisor();
	check_ring3();
	check_control_registers();
	check_instructions();
	check_single_step();
	check_string_io();
	check_apic_odd();
	check_paged();
	check_fw_cfg();
	if (under_hv) {
		/* The boot case expects each line, escaped, and no raw control byte on the console. */
		static const char text[] = "console: esc\x1b[2J bel\a bs\b cr\r nul\0 end\nconsole: second line";

		ok(hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)text, sizeof(text) - 1, 0, NULL) == sizeof(text) - 1,
		   "HC_CONSOLE_WRITE with control bytes and a newline returns its length");
		hypercall(HC_EXIT_STATS, 0, 0, 0, NULL);
		ok(hypervisor_alive(), "the hypervisor still answers hypercall 0");
	}
}
