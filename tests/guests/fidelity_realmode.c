/* The fidelity guest's trip to real mode and back: the checks; the 16-bit code is fidelity_realmode16.S. */
#include "apic.h"
#include "fidelity.h"
#include "fidelity_realmode.h"
#include "guest.h"
#include "lib/string.h"
#include "multiboot.h"
#include "x86.h"

/* ---- real mode ---- */

struct rm_results {
	uint16_t magic, cr0, seg_read, bda_kb, sp_before, int40_ax, sp_after, int40_count, int40_ip, int40_cs;
	uint16_t int40_flags, int40_inner_flags, int41_cs, farcall_cs, farcall2_cs, farjmp_cs;
	uint32_t eax32;
	uint16_t bios_kb, unexpected, done;
	uint32_t unreal, cpuid_ebx;
	uint16_t kbd_status, sti_flags;
	uint32_t apic_tpr;
	uint16_t low_stack, low_sp;
} __packed;
_Static_assert(sizeof(struct rm_results) == RM_R_SIZE, "struct rm_results matches fidelity_realmode.h");
_Static_assert(__builtin_offsetof(struct rm_results, done) == RM_R_DONE, "RM_R_DONE");

extern const char rm_blob[], rm_blob_end[], rm_results[], rm_after_int40[], rm_int40[], rm_int41[], rm_unexpected[],
	rm_unreal_addr[], rm_apic_tpr_addr[], rm_low_stack_ok[];
static const uint32_t unreal_probe = 0x600dc0de; /* above 1 MiB, read from real mode through FS */
void realmode_run(void);

#define RM_OFF(sym) ((uint16_t)((uintptr_t)(sym) - (uintptr_t)rm_blob))
#define ALIAS_SEG (RM_SEG - 0x10)
#define FLAGS_IF_TF 0x300

#define LOW_STACK_PAGE 0xf000 /* under 0:FFFE */
#define BDA_BASE_MEMORY_KB 0x413 /* BIOS data area: base memory size in KiB */

/* A word in the first page, which GCC would otherwise take for a NULL dereference. */
static uint16_t read_low16(uint32_t addr)
{
	asm("" : "+r"(addr));
	return *(volatile uint16_t *)(uintptr_t)addr;
}

static bool range_clear_of_boot_info(uint32_t base, uint32_t end)
{
	const struct mb1_info *mi = mb_info();
	uint32_t info = (uint32_t)(uintptr_t)mi;

	if (info < end && info + sizeof(*mi) > base)
		return false;
	if ((mi->flags & MB1_INFO_MMAP) && mi->mmap_addr < end && mi->mmap_addr + mi->mmap_length > base)
		return false;
	return true;
}

void check_real_mode(void)
{
	uint8_t *low = (uint8_t *)(uintptr_t)RM_BASE;
	uint32_t *ivt = (uint32_t *)(uintptr_t)(RM_BASE + RM_IVT_OFF);
	volatile struct rm_results *res;
	bool low_stack_ok;
	uint16_t bda_kb = read_low16(BDA_BASE_MEMORY_KB);

	if (!ok(mb_usable_contains(RM_BASE, RM_BASE + RM_SIZE) && range_clear_of_boot_info(RM_BASE, RM_BASE + RM_SIZE) &&
		rm_blob_end - rm_blob <= RM_IVT_OFF,
		"real-mode area 0x%x-0x%x is usable RAM, clear of the boot information, and the %u-byte blob fits",
		RM_BASE, RM_BASE + RM_SIZE, (unsigned int)(rm_blob_end - rm_blob)))
		return;
	memset(low, 0, RM_SIZE);
	memcpy(low, rm_blob, (size_t)(rm_blob_end - rm_blob));
	for (unsigned int v = 0; v < 256; v++)
		ivt[v] = (uint32_t)RM_SEG << 16 | RM_OFF(rm_unexpected);
	ivt[0x40] = (uint32_t)RM_SEG << 16 | RM_OFF(rm_int40);
	ivt[0x41] = (uint32_t)ALIAS_SEG << 16 | (RM_OFF(rm_int41) + 0x100);
	res = (volatile struct rm_results *)(uintptr_t)(RM_BASE + RM_OFF(rm_results));
	*(volatile uint32_t *)(uintptr_t)(RM_BASE + RM_OFF(rm_unreal_addr)) = (uint32_t)(uintptr_t)&unreal_probe;
	*(volatile uint32_t *)(uintptr_t)(RM_BASE + RM_OFF(rm_apic_tpr_addr)) = apic_base() + APIC_TPR;
	low_stack_ok = mb_usable_contains(LOW_STACK_PAGE, LOW_STACK_PAGE + 0x1000) &&
		       range_clear_of_boot_info(LOW_STACK_PAGE, LOW_STACK_PAGE + 0x1000);
	*(volatile uint16_t *)(uintptr_t)(RM_BASE + RM_OFF(rm_low_stack_ok)) = low_stack_ok;

	realmode_run();

	ok(res->magic == RM_MAGIC && !(res->cr0 & 1), "real mode reached: CR0.PE clear (CR0 low word 0x%x)", res->cr0);
	ok(res->done == RM_DONE, "real-mode code ran to the end and came back to protected mode");
	ok(res->seg_read == 0xbeef, "real mode: a word written through ES reads back through DS (0x%x)", res->seg_read);
	ok(res->bda_kb == bda_kb, "real mode: FS=0 reads the BIOS data area (base memory %u KiB, %u from protected mode)",
	   res->bda_kb, bda_kb);
	ok(res->int40_count == 1 && res->int40_ax == 0x3333, "real mode: INT 0x40 through the IVT ran its handler once "
	   "and IRET returned its AX (count %u, AX 0x%x)", res->int40_count, res->int40_ax);
	ok(res->int40_cs == RM_SEG && res->int40_ip == RM_OFF(rm_after_int40) && res->sp_after == res->sp_before,
	   "real mode: INT pushed CS:IP 0x%x:0x%x of the next instruction (expected 0x%x:0x%x), IRET restored SP", res->int40_cs,
	   res->int40_ip, RM_SEG, RM_OFF(rm_after_int40));
	ok(!(res->int40_inner_flags & FLAGS_IF_TF) && (res->int40_flags & 0x2),
	   "real mode: the handler ran with IF and TF clear (FLAGS 0x%x, pushed 0x%x)", res->int40_inner_flags,
	   res->int40_flags);
	ok(res->int41_cs == ALIAS_SEG, "real mode: INT 0x41 loaded CS 0x%x from the IVT (0x%x)", ALIAS_SEG, res->int41_cs);
	ok(res->farcall_cs == RM_SEG && res->farcall2_cs == ALIAS_SEG,
	   "real mode: far CALL direct (CS 0x%x) and indirect through memory (CS 0x%x), far RET back", res->farcall_cs,
	   res->farcall2_cs);
	ok(res->farjmp_cs == ALIAS_SEG, "real mode: far JMP into another segment and back (CS 0x%x)", res->farjmp_cs);
	ok(res->eax32 == 0x12345678, "real mode: 32-bit operand (0x%x)", res->eax32);
	/* A PC has RAM there (the BIOS's map says so); a hypervisor that keeps the page breaks real-mode code. */
	if (ok(low_stack_ok, "the page under a real-mode stack at 0:FFFE (0x%x-0x%x) is usable RAM in the memory map",
	       LOW_STACK_PAGE, LOW_STACK_PAGE + 0xfff))
		ok(res->low_stack == 0x7e57 && res->low_sp == 0xfffe,
		   "real mode: SS=0, SP=0: a push lands at 0:FFFE and pops back (0x%x, SP was 0x%x)", res->low_stack,
		   res->low_sp);
	ok(res->cpuid_ebx == cpuid(0).ebx, "real mode: CPUID (intercepted) returns leaf 0 as in protected mode (EBX 0x%x)",
	   res->cpuid_ebx);
	printf("# real mode: port 0x64 (intercepted) read 0x%x\n", res->kbd_status & 0xff);
	ok(res->sti_flags & EFLAGS_IF, "real mode: STI sets IF (FLAGS 0x%x)", res->sti_flags);
	ok(res->unreal == unreal_probe, "big real mode: FS with a 4 GiB limit reads 0x%x above 1 MiB (0x%x)", unreal_probe,
	   res->unreal);
	ok(res->apic_tpr == 0x10 && apic_read(APIC_TPR) == 0,
	   "big real mode: a TPR write through FS reads back 0x10 (0x%x), and TPR 0 again after", res->apic_tpr);
	ok(res->bios_kb == bda_kb, "real mode: BIOS INT 12h through the BIOS IVT returns %u KiB (%u)", bda_kb, res->bios_kb);
	ok(res->unexpected == 0, "real mode: no other vector of our IVT was taken (%u)", res->unexpected);
}
