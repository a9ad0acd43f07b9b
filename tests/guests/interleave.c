/*
 * The console with two CPUs logging at once (issue 18): the guest starts its AP, and both CPUs
 * then send long lines through hypercall 1 as fast as they can, each followed now and then by a
 * hypercall 4, which makes the hypervisor print a line of its own on that CPU. Every line must
 * come out whole: tests/boot/seal_cases.py forbids any line with two prefixes, a line of one
 * CPU's letters that holds another's, or one cut short; and it requires lines of the two CPUs to
 * alternate somewhere, so the CPUs did log at the same time.
 */
#include "apic.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "x86.h"

const char guest_name[] = "interleave";

#define LINES 200
#define PAYLOAD 160
#define STATS_EVERY 8
#define START_PAGE 0x7000u /* free low memory for the AP's real-mode start */
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LEVEL (1U << 15)
#define AP_WAIT_US 2000000

extern const uint8_t ap_start16[], ap_start16_end[];
void ap_main(void);
uint8_t ap_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t ap_running, ap_finished, go;

/* Real mode at START_PAGE: a flat GDT of its own, protected mode, then ap_start32 in the image. */
asm(".pushsection .rodata\n"
    ".code16\n"
    "ap_start16:\n\t"
    "cli\n\t"
    "lgdtl %cs:(ap_gdtr - ap_start16)\n\t"
    "movl %cr0, %eax\n\t"
    "orl $1, %eax\n\t"
    "movl %eax, %cr0\n\t"
    "ljmpl $0x08, $ap_start32\n"
    "ap_gdtr:\n\t"
    ".word ap_gdt_end - ap_gdt - 1\n\t"
    ".long ap_gdt\n"
    "ap_start16_end:\n"
    ".code32\n"
    ".balign 8\n"
    "ap_gdt:\n\t"
    ".quad 0\n\t"
    ".quad 0x00cf9a000000ffff\n\t"
    ".quad 0x00cf92000000ffff\n"
    "ap_gdt_end:\n"
    ".popsection\n"
    ".text\n"
    "ap_start32:\n\t"
    "movw $0x10, %ax\n\t"
    "movw %ax, %ds\n\t"
    "movw %ax, %es\n\t"
    "movw %ax, %ss\n\t"
    "movw %ax, %fs\n\t"
    "movw %ax, %gs\n\t"
    "movl $ap_stack + 4096, %esp\n\t"
    "call ap_main\n"
    "1: cli\n\t"
    "hlt\n\t"
    "jmp 1b\n");

/* LINES long lines of this CPU's letter, with a hypervisor line after every STATS_EVERY of them. */
static void log_lines(unsigned int cpu)
{
	char line[32 + PAYLOAD];
	int n;

	for (unsigned int i = 0; i < LINES; i++) {
		n = snprintf(line, sizeof(line), "interleave cpu%u line %03u ", cpu, i);
		memset(line + n, cpu ? 'b' : 'a', PAYLOAD);
		memcpy(line + n + PAYLOAD, " end\n", 5);
		hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)line, (uint32_t)(n + PAYLOAD + 5), 0, NULL);
		if (i % STATS_EVERY == STATS_EVERY - 1)
			hypercall(HC_EXIT_STATS, 0, 0, 0, NULL);
	}
}

void ap_main(void)
{
	ap_running = 1;
	while (!go)
		cpu_relax();
	log_lines(1);
	__atomic_store_n(&ap_finished, 1, __ATOMIC_RELEASE);
}

void guest_main(void)
{
	unsigned int waited;

	memcpy((void *)START_PAGE, ap_start16, (size_t)(ap_start16_end - ap_start16));
	if (!ok(apic_init(), "the local APIC is enabled in xAPIC mode"))
		return;
	/* INIT and one STARTUP to every other CPU (the case runs with two). */
	apic_send_ipi(ICR_DEST_ALL_BUT_SELF | ICR_INIT | ICR_ASSERT | ICR_LEVEL, 0);
	udelay(10000);
	apic_send_ipi(ICR_DEST_ALL_BUT_SELF | ICR_STARTUP | (START_PAGE >> 12), 0);
	for (waited = 0; !ap_running && waited < AP_WAIT_US; waited += 1000)
		udelay(1000);
	if (!ok(ap_running, "the AP started"))
		return;
	go = 1;
	log_lines(0);
	for (waited = 0; !__atomic_load_n(&ap_finished, __ATOMIC_ACQUIRE) && waited < 60 * AP_WAIT_US; waited += 1000)
		udelay(1000);
	ok(ap_finished, "both CPUs sent %u lines through hypercall 1", LINES);
}
