/*
 * Exceptions reach the guest's own handlers with the right vector and error code: #DE, #BP,
 * #UD, #GP and #NP from segment loads, and #PF (not present and write-protect) with CR2. Run
 * with the hypervisor option force_intercept_exceptions=MASK, each one first exits to the
 * hypervisor, which logs it and reflects it back: the guest must not see a difference.
 */
#include "guest.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "exceptions";

#define PDE_P 0x001
#define PDE_RW 0x002
#define PDE_PS 0x080 /* 4 MiB page (CR4.PSE) */
#define CR0_WP (1U << 16)
#define PF_ERR_P 0x1 /* the page was present: a protection fault */
#define PF_ERR_W 0x2
#define NOT_PRESENT_VA 0xc0000123u /* in the 4 MiB region left unmapped */
#define READ_ONLY_VA 0xc0400456u   /* in the 4 MiB region mapped read-only */

static uint32_t page_dir[1024] __aligned(4096);

static int raise_de(void)
{
	trap_arm();
	asm volatile goto("mov $1, %%eax\n\t"
			  "xor %%edx, %%edx\n\t"
			  "xor %%ecx, %%ecx\n"
			  "1: divl %%ecx\n\t" ASM_TRY("1b", "%l[fault]")
			  :
			  :
			  : "eax", "ecx", "edx", "memory"
			  : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

/* #BP is a trap: the reported EIP is the instruction after INT3, so that is the listed one. */
static int raise_bp(void)
{
	trap_arm();
	asm volatile goto("int3\n"
			  "1:\n\t" ASM_TRY("1b", "%l[fault]")
			  :
			  :
			  : "memory"
			  : fault);
	return NO_FAULT; /* not reached: the handler always moves EIP to the fixup */
fault:
	return last_trap.vector;
}

static int raise_ud(void)
{
	trap_arm();
	asm volatile goto("1: ud2\n\t" ASM_TRY("1b", "%l[fault]") : : : "memory" : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

static int load_es(uint32_t sel)
{
	trap_arm();
	asm volatile goto("1: mov %0, %%es\n\t" ASM_TRY("1b", "%l[fault]") : : "r"(sel) : "memory" : fault);
	asm volatile("mov %0, %%es" : : "r"(SEL_DATA));
	return NO_FAULT;
fault:
	return last_trap.vector;
}

/* Loading SS with the null selector is #GP(0) (SDM vol. 2, MOV: "If attempt is made to load SS
 * register with NULL segment selector"). */
static int load_null_ss(void)
{
	trap_arm();
	asm volatile goto("1: mov %0, %%ss\n\t" ASM_TRY("1b", "%l[fault]") : : "r"(0) : "memory" : fault);
	return NO_FAULT;
fault:
	return last_trap.vector;
}

static void check(int v, int want, uint32_t error_code, const char *what)
{
	if (v == NO_FAULT) {
		ok(false, "%s raises %s: nothing was raised", what, exception_name(want));
		return;
	}
	ok(v == want && last_trap.error_code == error_code,
	   "%s raises %s with error code 0x%x (got vector %d, error code 0x%x, eip 0x%x)", what,
	   exception_name(want), error_code, v, last_trap.error_code, last_trap.eip);
}

static void check_page_faults(void)
{
	uint32_t cr0 = read_cr0(), cr4 = read_cr4();
	uint32_t value;
	int v;

	/* Identity map 4 GiB with 4 MiB pages, leaving one region out and one read-only. */
	for (uint32_t i = 0; i < 1024; i++)
		page_dir[i] = (i << 22) | PDE_PS | PDE_RW | PDE_P;
	page_dir[NOT_PRESENT_VA >> 22] = 0;
	page_dir[READ_ONLY_VA >> 22] &= ~PDE_RW;
	write_cr4(cr4 | CR4_PSE);
	write_cr3((uint32_t)(uintptr_t)page_dir);
	write_cr0(cr0 | CR0_PG | CR0_WP);

	v = read32_safe(NOT_PRESENT_VA, &value);
	check(v, X86_PF, 0, "a read of a not-present page");
	ok(v == X86_PF && last_trap.cr2 == NOT_PRESENT_VA, "#PF reports CR2 0x%x (0x%x)", NOT_PRESENT_VA,
	   last_trap.cr2);
	v = write32_safe(NOT_PRESENT_VA + 4, 1);
	check(v, X86_PF, PF_ERR_W, "a write to a not-present page");
	ok(v == X86_PF && last_trap.cr2 == NOT_PRESENT_VA + 4, "#PF reports CR2 0x%x (0x%x)", NOT_PRESENT_VA + 4,
	   last_trap.cr2);
	v = write32_safe(READ_ONLY_VA, 1);
	check(v, X86_PF, PF_ERR_P | PF_ERR_W, "a write to a read-only page with CR0.WP set");
	ok(v == X86_PF && last_trap.cr2 == READ_ONLY_VA, "#PF reports CR2 0x%x (0x%x)", READ_ONLY_VA,
	   last_trap.cr2);

	write_cr0(cr0);
	write_cr4(cr4);
}

void guest_main(void)
{
	uint32_t beyond = GDT_LIMIT + 1;

	check(raise_de(), X86_DE, 0, "DIV by zero");
	check(raise_bp(), X86_BP, 0, "INT3");
	check(raise_ud(), X86_UD, 0, "UD2");
	check(load_es(beyond | 3), X86_GP, beyond, "loading ES with the selector just past the GDT limit");
	check(load_es(0xfff8), X86_GP, 0xfff8, "loading ES with selector 0xfff8");
	check(load_es(0x1233), X86_GP, 0x1230, "loading ES with selector 0x1233");
	check(load_null_ss(), X86_GP, 0, "loading SS with the null selector");
	check(load_es(SEL_NOT_PRESENT), X86_NP, SEL_NOT_PRESENT, "loading ES with a not-present segment");
	check_page_faults();
	check(raise_ud(), X86_UD, 0, "UD2 again after paging is off");
}
