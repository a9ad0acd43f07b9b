/*
 * S3 under the hypervisor (issue 19): the guest points the FACS waking vector at its own code,
 * arms the RTC alarm as a wake event and enters S3 through the FADT's PM1a control register. On
 * wake its code must run as a guest again: CPUID 0x40000000 still names the hypervisor, hypervisor
 * memory still raises #GP, and the FACS holds the waking vector as the guest wrote it.
 *
 * With `redirect` the guest plays the attacker of issue 19 once more: it builds a FACS of its own,
 * with its own waking vector, and points the FADT at it (SeaBIOS and the Bochs BIOS walk the tables
 * again at wake). The hypervisor must refuse that suspend: the write returns.
 *
 * With `typ=N` on its command line the guest writes SLP_TYP N instead of the DSDT's \_S3 value: a
 * type the DSDT does not name, which the hypervisor takes as a sleep and QEMU and Bochs ignore, so
 * the write returns. The guest then checks that it still runs under the hypervisor after it.
 *
 * With `xvector` the guest also fills the FACS X_FIRMWARE_WAKING_VECTOR (FACS version 1 and later)
 * with a 32-bit entry in its image: firmware, and so the hypervisor, must enter that one, in 32-bit
 * flat protected mode with paging off, and ignore the real-mode vector (ACPI 6.5 table 5.14).
 *
 * With `s5ctl` (hardware-reduced ACPI, QEMU's microvm) the guest powers off through the FADT's
 * SLEEP_CONTROL_REG in memory space: first a write without SLP_EN, which must pass through and
 * return, then SLP_TYP of \_S5 with SLP_EN, which must power the machine off (the write never returns).
 * With `s5ctl typ=N` the second write has SLP_TYP N instead, which the DSDT does not name: taken
 * as a sleep, and refused without a FACS, so the write returns.
 * With `resetreg` it writes the FADT reset value to the reset register in memory space, which sits
 * on the same trapped page on microvm: the hypervisor must take its reboot path.
 */
#include "acpi.h"
#include "guest.h"
#include "hypercall.h"
#include "multiboot.h"
#include "lib/string.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "sleep";

#define HV_SIGNATURE "MicroHVisor "
#define WAKE_ADDR 0x8000u /* free low memory for the real-mode waking vector */
#define FAKE_FACS 0x9000u /* free low memory for the redirect attack's FACS (64-byte aligned) */
#define FACS_LEN 64
#define HDR_CHECKSUM 9

/* FADT and FACS offsets (ACPI 6.5, tables 5.9 and 5.14). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_EVT_LEN 88
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_HW_REDUCED_ACPI (1u << 20)
#define GAS_SYSTEM_MEMORY 0
#define GAS_ADDRESS 4
#define FACS_WAKING_VECTOR 12
#define FACS_FLAGS 20
#define FACS_X_WAKING_VECTOR 24
#define FACS_VERSION 32
#define SLEEP_CTL_SLP_TYP_SHIFT 2
#define SLEEP_CTL_SLP_EN (1u << 5)
#define CR0_PE 1u
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)
#define PM1_STS_WAK (1u << 15)
#define PM1_STS_RTC (1u << 10)
#define PM1_EN_RTC (1u << 10)

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS_ALARM 0x05
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_A_UIP 0x80
#define RTC_B_BINARY 0x04
#define RTC_B_AIE 0x20
#define RTC_ALARM_ANY 0xC0
#define WAKE_AFTER_S 3

extern const uint8_t sleep_wake16[], sleep_wake16_end[];
extern const uint8_t sleep_wake_x32[];
extern uint32_t sleep_woke_x, sleep_woke_cr0;
void sleep_enter(uint32_t port, uint32_t value);
void sleep_woke(void);

static volatile uint8_t *facs;

static uint32_t rd32(const volatile void *p)
{
	return *(const volatile uint32_t *)p;
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t value)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, value);
}

/* SLP_TYPa of \_Sx in the DSDT: Name (_Sx, Package () { a, b, ... }), or -1. */
static int dsdt_sleep_type(const struct acpi_header *dsdt, char state)
{
	const uint8_t *a = (const uint8_t *)dsdt;
	const char name[4] = { '_', 'S', state, '_' };

	for (uint32_t i = sizeof(*dsdt); i + 8 < dsdt->length; i++) {
		const uint8_t *e;

		if (memcmp(a + i, name, 4) || a[i + 4] != 0x12)
			continue;
		e = a + i + 5 + 1 + (a[i + 5] >> 6) + 1; /* PkgLength, NumElements */
		if (e[0] <= 1)
			return e[0]; /* ZeroOp, OneOp */
		if (e[0] == 0x0A)
			return e[1]; /* BytePrefix */
	}
	return -1;
}

/* `typ=N` (one digit) in the command line replaces the DSDT's value. */
static int slp_typ_option(int dsdt_value)
{
	for (const char *c = mb_cmdline(); *c; c++)
		if (!memcmp(c, " typ=", 5) && c[5] >= '0' && c[5] <= '7')
			return c[5] - '0';
	return dsdt_value;
}

static bool option(const char *word)
{
	size_t n = strlen(word);

	for (const char *c = mb_cmdline(); *c; c++)
		if (c[0] == ' ' && !memcmp(c + 1, word, n) && (c[1 + n] == ' ' || !c[1 + n]))
			return true;
	return false;
}

/* A FACS of the guest's own, with its waking vector, and the FADT pointing at it (checksum kept). */
static void redirect_facs(uint8_t *fadt, uint32_t len)
{
	uint8_t sum = 0;

	memcpy((void *)FAKE_FACS, (const void *)facs, FACS_LEN);
	*(volatile uint32_t *)(FAKE_FACS + FACS_WAKING_VECTOR) = WAKE_ADDR;
	*(volatile uint32_t *)(fadt + FADT_FIRMWARE_CTRL) = FAKE_FACS;
	if (len >= FADT_X_FIRMWARE_CTRL + 8)
		memset(fadt + FADT_X_FIRMWARE_CTRL, 0, 8);
	fadt[HDR_CHECKSUM] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + fadt[i]);
	fadt[HDR_CHECKSUM] = (uint8_t)-sum;
	printf("guest: the FADT now names a FACS of the guest's own at 0x%x\n", FAKE_FACS);
}

/* The RTC alarm fires WAKE_AFTER_S seconds from now (minutes and hours: any). */
static void arm_rtc_alarm(void)
{
	uint8_t b = cmos_read(RTC_REG_B), sec;
	bool binary = b & RTC_B_BINARY;

	while (cmos_read(RTC_REG_A) & RTC_A_UIP)
		;
	sec = cmos_read(RTC_SECONDS);
	if (!binary)
		sec = (uint8_t)((sec >> 4) * 10 + (sec & 0xF));
	sec = (uint8_t)((sec + WAKE_AFTER_S) % 60);
	if (!binary)
		sec = (uint8_t)(((sec / 10) << 4) | (sec % 10));
	cmos_write(RTC_SECONDS_ALARM, sec);
	cmos_write(RTC_MINUTES_ALARM, RTC_ALARM_ANY);
	cmos_write(RTC_HOURS_ALARM, RTC_ALARM_ANY);
	cmos_read(RTC_REG_C);
	cmos_write(RTC_REG_B, b | RTC_B_AIE);
}

/* Still a guest of the hypervisor: its CPUID leaf, and its memory out of reach. */
static void check_under_hypervisor(const char *when)
{
	struct cpuid_regs r = cpuid(0x40000000);
	char sig[13];
	uint64_t base, end;
	uint32_t value = 0;

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	ok(!memcmp(sig, HV_SIGNATURE, 12), "%s: CPUID 0x40000000 signature is '" HV_SIGNATURE "'", when);
	if (!ok(hv_range(&base, &end), "%s: HC_HV_RANGE returns the hypervisor's range", when))
		return;
	ok(read32_safe((uint32_t)base, &value) == X86_GP, "%s: reading hypervisor memory at 0x%llx raises #GP",
	   when, base);
}

void sleep_woke(void)
{
	desc_init(); /* our GDT and IDT: the real-mode stub only had a flat GDT */
	if (sleep_woke_x) {
		printf("guest: woke up at the X waking vector 0x%x\n", (uint32_t)sleep_wake_x32);
		ok(option("xvector"), "the X waking vector ran only because the guest set it");
		ok((sleep_woke_cr0 & CR0_PE) && !(sleep_woke_cr0 & CR0_PG),
		   "entered in protected mode with paging off (CR0 0x%x at entry)", sleep_woke_cr0);
	} else {
		printf("guest: woke up at the waking vector 0x%x\n", WAKE_ADDR);
		ok(!option("xvector") || facs[FACS_VERSION] == 0,
		   "the real-mode vector ran: no X waking vector was set, or the FACS (version %u) has none",
		   facs[FACS_VERSION]);
	}
	ok(true, "the guest's own waking vector ran after the wake");
	check_under_hypervisor("after the wake");
	ok(rd32(facs + FACS_WAKING_VECTOR) == WAKE_ADDR,
	   "the FACS waking vector reads 0x%x as the guest wrote it (read 0x%x)", WAKE_ADDR,
	   rd32(facs + FACS_WAKING_VECTOR));
	done();
}

/*
 * Hardware-reduced ACPI: S5 through SLEEP_CONTROL_REG in memory space (ACPI 6.5 section 4.8.3.7).
 * The write without SLP_EN passes through; the one with it powers off and does not return.
 */
static void sleep_control_s5(const uint8_t *fadt, uint32_t len)
{
	const uint8_t *gas = fadt + FADT_SLEEP_CONTROL_REG;
	volatile uint8_t *reg;
	int s5, typ;

	if (!ok(len >= FADT_SLEEP_CONTROL_REG + 12 && (rd32(fadt + FADT_FLAGS) & FADT_HW_REDUCED_ACPI),
		"the FADT is hardware-reduced and has SLEEP_CONTROL_REG"))
		return;
	if (!ok(gas[0] == GAS_SYSTEM_MEMORY && rd32(gas + GAS_ADDRESS), "SLEEP_CONTROL_REG is in memory space at 0x%x",
		rd32(gas + GAS_ADDRESS)))
		return;
	reg = (volatile uint8_t *)rd32(gas + GAS_ADDRESS);
	s5 = dsdt_sleep_type((const struct acpi_header *)rd32(fadt + FADT_DSDT), '5');
	if (!ok(s5 >= 0, "the DSDT declares \\_S5 (SLP_TYP %d)", s5))
		return;
	check_under_hypervisor("before the power-off");
	*reg = (uint8_t)(s5 << SLEEP_CTL_SLP_TYP_SHIFT); /* no SLP_EN: no sleep */
	ok(true, "a write to SLEEP_CONTROL_REG without SLP_EN returned");
	typ = slp_typ_option(s5);
	if (typ != s5) {
		/* A type the DSDT does not name is taken as a sleep: refused here, without a FACS. */
		printf("guest: entering sleep (SLP_TYP %d) through SLEEP_CONTROL_REG at 0x%x\n", typ, (uint32_t)reg);
		*reg = (uint8_t)((typ << SLEEP_CTL_SLP_TYP_SHIFT) | SLEEP_CTL_SLP_EN);
		printf("guest: the sleep write returned: this platform did not sleep\n");
		check_under_hypervisor("after the returned sleep write");
		return;
	}
	printf("guest: entering S5 (SLP_TYP %d) through SLEEP_CONTROL_REG at 0x%x\n", s5, (uint32_t)reg);
	*reg = (uint8_t)((s5 << SLEEP_CTL_SLP_TYP_SHIFT) | SLEEP_CTL_SLP_EN);
	ok(false, "the S5 write to SLEEP_CONTROL_REG powered the machine off (it returned)");
}

/* The FADT reset register in memory space, with its reset value: the machine must reset. */
static void reset_register(const uint8_t *fadt, uint32_t len)
{
	const uint8_t *gas = fadt + FADT_RESET_REG;

	if (!ok(len > FADT_RESET_VALUE && gas[0] == GAS_SYSTEM_MEMORY && rd32(gas + GAS_ADDRESS),
		"the FADT reset register is in memory space"))
		return;
	printf("guest: writing 0x%x to the reset register at 0x%x\n", fadt[FADT_RESET_VALUE], rd32(gas + GAS_ADDRESS));
	*(volatile uint8_t *)rd32(gas + GAS_ADDRESS) = fadt[FADT_RESET_VALUE];
	ok(false, "the reset register write reset the machine (it returned)");
}

void guest_main(void)
{
	const uint8_t *fadt = (const uint8_t *)acpi_find_table("FACP");
	const struct acpi_header *dsdt;
	uint32_t len, facs_pa, pm1a_evt, pm1a_cnt, evt_len;
	int s3;

	if (!fadt)
		abort_test("no FADT");
	len = ((const struct acpi_header *)fadt)->length;
	if (option("s5ctl"))
		return sleep_control_s5(fadt, len);
	if (option("resetreg"))
		return reset_register(fadt, len);
	facs_pa = rd32(fadt + FADT_FIRMWARE_CTRL);
	if (len >= FADT_X_FIRMWARE_CTRL + 8 && rd32(fadt + FADT_X_FIRMWARE_CTRL))
		facs_pa = rd32(fadt + FADT_X_FIRMWARE_CTRL);
	facs = (volatile uint8_t *)facs_pa;
	if (!ok(facs_pa && !memcmp((const void *)facs, "FACS", 4), "the FADT names a FACS (at 0x%x)", facs_pa))
		return;
	dsdt = (const struct acpi_header *)rd32(fadt + FADT_DSDT);
	s3 = dsdt_sleep_type(dsdt, '3');
	if (!ok(s3 >= 0, "the DSDT declares \\_S3 (SLP_TYP %d)", s3))
		return;
	s3 = slp_typ_option(s3);
	pm1a_evt = rd32(fadt + FADT_PM1A_EVT_BLK);
	evt_len = fadt[FADT_PM1_EVT_LEN];
	pm1a_cnt = rd32(fadt + FADT_PM1A_CNT_BLK);
	check_under_hypervisor("before the suspend");

	memcpy((void *)WAKE_ADDR, sleep_wake16, (size_t)(sleep_wake16_end - sleep_wake16));
	*(volatile uint32_t *)(facs + FACS_WAKING_VECTOR) = WAKE_ADDR;
	*(volatile uint32_t *)(facs + FACS_X_WAKING_VECTOR) = 0;
	*(volatile uint32_t *)(facs + FACS_X_WAKING_VECTOR + 4) = 0;
	printf("guest: FACS version %u, flags 0x%x\n", facs[FACS_VERSION], rd32(facs + FACS_FLAGS));
	if (option("xvector"))
		*(volatile uint32_t *)(facs + FACS_X_WAKING_VECTOR) = (uint32_t)sleep_wake_x32;
	if (option("redirect"))
		redirect_facs((uint8_t *)fadt, len);
	arm_rtc_alarm();
	outw((uint16_t)pm1a_evt, PM1_STS_WAK | PM1_STS_RTC);
	outw((uint16_t)(pm1a_evt + evt_len / 2), PM1_EN_RTC);
	printf("guest: entering sleep (SLP_TYP %d) through PM1a_CNT at port 0x%x, waking vector 0x%x\n", s3, pm1a_cnt,
	       WAKE_ADDR);
	sleep_enter(pm1a_cnt, (inw((uint16_t)pm1a_cnt) & ~(7u << PM1_SLP_TYP_SHIFT)) |
				      ((uint32_t)s3 << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	printf("guest: the sleep write returned: this platform did not sleep\n");
	check_under_hypervisor("after the returned sleep write");
}
