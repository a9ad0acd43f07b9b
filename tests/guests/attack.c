/*
 * Attacks on what the hypervisor must own (issue 18): INIT, SMI, its interrupt vectors and NMI.
 * The module string names one attack; `other=N` names another CPU's APIC ID (a parked vCPU:
 * this guest never starts it). Every attack ends with hypercall 0 answered and the self-check
 * (hypercall 5) reporting the hypervisor's code and read-only data unchanged.
 *
 *   vectors     fixed IPIs on vectors 16-31 and 0xFF, to this CPU (each must reach this guest's
 *               IDT entry exactly once) and to the other CPU (dropped there, with an EOI);
 *               `bochs-svr` works around Bochs' spurious-vector EOI (see attack_vectors)
 *   nmi-idle    NMIs to the other CPU, then a reset through the keyboard controller: every CPU
 *               must still answer the reboot path's NMI (the case reads the hypervisor's log)
 *   smi         SMI IPIs to this CPU and to the other one
 *   init-other  an I/O APIC redirection entry with delivery mode INIT at the other CPU, then a
 *               reset the other CPU must answer (`no-reset`: none)
 *   init-self   the same at this CPU, after CMOS shutdown status 0x0A and a 40:67 vector: the
 *               firmware runs again, as the guest, and jumps to attack_resume16.S, which must
 *               still reach the hypervisor (a bare CPU cannot)
 *   init-self-ipi  the same with an INIT IPI at this CPU's own APIC ID (caught at the ICR)
 */
#include "apic.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "attack";

#define NO_CPU 0xffffffffu
#define WAIT_US 100000
#define ICR_SMI 0x200
#define ICR_INIT 0x500
#define IOREDTBL_INIT (5U << 8) /* delivery mode INIT (82093AA data sheet, 3.2.4) */
#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_CMD_CH0_LOHI_MODE0 0x30
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SHUTDOWN_STATUS 0x0f
#define SHUTDOWN_JUMP_467 0x0a /* jump through 40:67 without an EOI */
#define BDA_RESUME_VECTOR 0x467
#define RESUME_SEG 0x0800 /* the resume code runs at 0800:0000 */

extern const uint8_t resume16_start[], resume16_end[], resume16_hc1[], resume16_hc2[];

static volatile uint32_t hits[256];
static volatile bool isr_in_handler[256];

static uint32_t other_cpu(void)
{
	for (const char *s = mb_args(); *s; s++)
		if ((s == mb_args() || s[-1] == ' ') && !strncmp(s, "other=", 6))
			return (uint32_t)(s[6] - '0');
	return NO_CPU;
}

static void count_handler(struct trap_frame *f)
{
	hits[f->vector & 0xff]++;
	isr_in_handler[f->vector & 0xff] = apic_isr(f->vector);
	if (apic_isr(f->vector)) /* a spurious 0xFF has no ISR bit and gets no EOI */
		apic_eoi();
}

static bool intact(const char *after)
{
	return ok(hypervisor_intact(), "after %s: hypercall 0 answered, hypervisor memory unchanged", after);
}

/* Vectors 17, 21, 29 and 30 are exceptions with an error code: this guest's IDT stubs expect one. */
static bool stub_takes_interrupt(unsigned int v)
{
	return v != 17 && v != 21 && v != 29 && v != 30;
}

static void self_vector(unsigned int v)
{
	bool isr;

	hits[v] = 0;
	irq_enable();
	apic_self_ipi(v);
	for (unsigned int i = 0; i < WAIT_US / 100 && !hits[v]; i++)
		udelay(100);
	udelay(1000);
	irq_disable();
	isr = apic_isr(v);
	ok(hits[v] == 1 && !isr && hypervisor_alive(),
	   "fixed self-IPI on vector %#x reaches this guest's IDT entry once (%u), completed (ISR %u, at the handler %u)",
	   v, hits[v], isr, isr_in_handler[v]);
}

static void attack_vectors(uint32_t other, bool bochs_svr)
{
	if (!irq_setup())
		abort_test("no usable local APIC");
	for (unsigned int v = 16; v < 32; v++)
		set_irq_handler(v, count_handler);
	set_irq_handler(0xff, count_handler);
	/*
	 * Bochs 2.7 ignores an EOI while the spurious vector is the highest in service
	 * (bx_local_apic_c::receive_EOI), so a fixed interrupt on the SVR's vector wedges its APIC,
	 * bare as well: with `bochs-svr`, this CPU's spurious vector moves to 0x3f and the parked
	 * CPU (whose SVR is the hypervisor's 0xff) gets no 0xff.
	 */
	if (bochs_svr)
		apic_write(APIC_SVR, (apic_read(APIC_SVR) & ~0xffu) | 0x3f);
	for (unsigned int v = 16; v < 32; v++)
		if (stub_takes_interrupt(v))
			self_vector(v);
	self_vector(0xff);
	ok(irq_unexpected == 0, "no interrupt on another vector (%u, last %#x)", irq_unexpected, irq_unexpected_vector);
	intact("fixed self-IPIs on vectors 16-31 and 0xff");
	if (other == NO_CPU)
		return;
	memset((void *)hits, 0, sizeof(hits));
	/* 0xFF first: the hypervisor logs its first few dropped vectors on a parked CPU. */
	if (!bochs_svr) {
		ok(apic_send_ipi(ICR_ASSERT | ICR_FIXED | 0xff, (uint8_t)other), "fixed IPI 0xff to CPU %u sent", other);
		udelay(WAIT_US);
	}
	for (unsigned int v = 16; v < 32; v++) {
		apic_send_ipi(ICR_ASSERT | ICR_FIXED | v, (uint8_t)other);
		udelay(2000);
	}
	for (unsigned int i = 0; i < 4; i++) {
		apic_send_ipi(ICR_ASSERT | ICR_FIXED | 0x12, (uint8_t)other);
		if (!bochs_svr)
			apic_send_ipi(ICR_ASSERT | ICR_FIXED | 0xff, (uint8_t)other);
		udelay(2000);
	}
	udelay(WAIT_US);
	intact("fixed IPIs on vectors 16-31 and 0xff to the other CPU");
	/* The vectors must not have reached this CPU instead. */
	ok(irq_unexpected == 0 && !hits[0x12], "none of them arrived here");
}

/* The reboot path must find every CPU answering its NMI; the case reads the hypervisor's log. */
static void reset_through_kbd(void)
{
	printf("attack: requesting reset via kbd\n");
	for (unsigned int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		;
	outb(0x64, 0xfe);
	udelay(2000000);
	ok(false, "the reset through the keyboard controller happened");
}

static void attack_nmi_idle(uint32_t other)
{
	if (!apic_init() || other == NO_CPU)
		abort_test("needs a local APIC and other=N");
	for (unsigned int i = 0; i < 5; i++) {
		apic_send_ipi(ICR_ASSERT | ICR_NMI, (uint8_t)other);
		udelay(20000);
	}
	intact("NMIs to the parked CPU");
	reset_through_kbd();
}

#define SMM_DEFAULT_ENTRY 0x38000u /* SMBASE 0x30000 at reset, entry at SMBASE + 0x8000 */
#define RSM_OPCODE 0xAA0Fu         /* 0F AA, little-endian */

static void attack_smi(uint32_t other)
{
	if (!apic_init())
		abort_test("no usable local APIC");
	for (unsigned int i = 0; i < 3; i++) {
		ok(apic_send_ipi(ICR_ASSERT | ICR_SMI, apic_id()), "SMI IPI to this CPU sent");
		udelay(20000);
	}
	intact("SMIs to this CPU");
	if (other == NO_CPU)
		return;
	/*
	 * The firmware relocated only the boot CPU's SMBASE (tests/boot/attack_cases.py): the other
	 * CPU's SMM entry is the default 0x30000 + 0x8000, in this guest's RAM. An RSM there returns it
	 * from SMM at once, so the run does not depend on whatever bytes happen to lie there (a triple
	 * fault in SMM resets the machine).
	 */
	*(volatile uint16_t *)SMM_DEFAULT_ENTRY = RSM_OPCODE;
	for (unsigned int i = 0; i < 3; i++) {
		bool sent = apic_send_ipi(ICR_ASSERT | ICR_SMI, (uint8_t)other);

		/* The other CPU logs its SMI exit on the UART this guest shares: let that line out first. */
		udelay(20000);
		ok(sent, "SMI IPI to CPU %u sent", other);
	}
	intact("SMIs to the parked CPU");
}

/*
 * One INIT at `dest` through the I/O APIC: ISA IRQ0 with delivery mode INIT, and the PIT in mode 0
 * (interrupt on terminal count), whose output rises once, 1 ms on, and stays high: one edge.
 */
static void ioapic_init_once(uint8_t dest, unsigned int ms)
{
	struct isa_irq_route irq0 = acpi_isa_irq(0);
	uint32_t io;
	unsigned int pin;
	uint32_t count = PIT_HZ / 1000;

	if (!ioapic_for_gsi(irq0.gsi, &io, &pin))
		abort_test("no I/O APIC for GSI %u", irq0.gsi);
	pic_disable();
	outb(PIT_CMD, PIT_CMD_CH0_LOHI_MODE0); /* output low until the count runs out */
	printf("# I/O APIC %#x pin %u (GSI %u): delivery mode INIT at APIC ID %u\n", io, pin, irq0.gsi, dest);
	ioapic_program(io, pin, IOREDTBL_INIT | (irq0.flags & (IOREDTBL_ACTIVE_LOW | IOREDTBL_LEVEL)), dest);
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, (count >> 8) & 0xff);
	udelay(ms * 1000);
	ioapic_mask(io, pin);
}

static void attack_init_other(uint32_t other)
{
	if (!apic_init() || other == NO_CPU)
		abort_test("needs a local APIC and other=N");
	ioapic_init_once((uint8_t)other, 50);
	udelay(WAIT_US);
	intact("an I/O APIC INIT at the parked CPU");
	if (!mb_has_word("no-reset"))
		reset_through_kbd(); /* the other CPU must still be under the hypervisor to answer */
}

static void attack_init_self(bool by_ipi)
{
	bool intel = cpu_vendor() == VENDOR_INTEL;
	uintptr_t code_pa = RESUME_SEG << 4, vec_pa = BDA_RESUME_VECTOR;
	uint8_t *code;
	volatile uint16_t *vec;

	/* Low physical addresses, identity mapped: hidden from GCC's object-size checks. */
	asm("" : "+r"(code_pa), "+r"(vec_pa));
	code = (uint8_t *)code_pa;
	vec = (volatile uint16_t *)vec_pa;

	if (!apic_init())
		abort_test("no usable local APIC");
	memcpy(code, resume16_start, (size_t)(resume16_end - resume16_start));
	if (intel) { /* VMCALL is 0f 01 c1 */
		code[resume16_hc1 - resume16_start + 2] = 0xc1;
		code[resume16_hc2 - resume16_start + 2] = 0xc1;
	}
	vec[0] = 0;
	vec[1] = RESUME_SEG;
	outb(CMOS_INDEX, CMOS_SHUTDOWN_STATUS);
	outb(CMOS_DATA, SHUTDOWN_JUMP_467);
	printf("attack: INIT to this CPU; resume through 40:67 at %04x:0000\n", RESUME_SEG);
	if (by_ipi) /* physical destination: own APIC ID (the self shorthand is invalid for INIT) */
		apic_send_ipi(ICR_ASSERT | ICR_INIT, apic_id());
	else
		ioapic_init_once(apic_id(), 20);
	udelay(WAIT_US);
	ok(false, "the INIT arrived (this CPU went on instead)");
}

void guest_main(void)
{
	uint32_t other = other_cpu();

	ok(hypervisor_intact(), "before: hypercall 0 answered, self-check 0");
	if (mb_has_word("vectors"))
		attack_vectors(other, mb_has_word("bochs-svr"));
	else if (mb_has_word("nmi-idle"))
		attack_nmi_idle(other);
	else if (mb_has_word("smi"))
		attack_smi(other);
	else if (mb_has_word("init-other"))
		attack_init_other(other);
	else if (mb_has_word("init-self"))
		attack_init_self(false);
	else if (mb_has_word("init-self-ipi"))
		attack_init_self(true);
	else
		abort_test("no attack named: vectors, nmi-idle, smi, init-other, init-self or init-self-ipi");
}
