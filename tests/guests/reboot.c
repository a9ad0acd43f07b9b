/*
 * Asks for a machine reset in the way the command line names: the hypervisor must catch the
 * request, take every CPU out of virtualization and reset the machine, so this guest never comes
 * back and never reaches isa-debug-exit. Module string "reboot.elf METHOD":
 *
 *   cf9     port 0xCF9: SYS_RST (0x02), then SYS_RST|RST_CPU (0x06), as firmware does
 *   kbd     keyboard controller: wait for its input buffer to drain, command 0xFE to port 0x64
 *   fadt    the ACPI FADT reset register (ACPI 6.x, 5.2.9: RESET_REG at 116, RESET_VALUE at 128,
 *           flags bit 10 RESET_REG_SUP); without a usable one the check is skipped and the guest ends
 *   triple  an IDT with limit 0, then INT3: #BP, #GP, #DF cannot be delivered, a triple fault
 *
 * If the guest still runs 1 s after the request, that is a failed check and the guest ends.
 *
 * With the word "apicreset" as well, the guest first does an OS's APIC reset: a global disable
 * through IA32_APIC_BASE, enable again (the APIC is then in its power-on state, software-disabled),
 * and x2APIC mode where CPUID offers it. The hypervisor's NMIs of the reboot path must still work.
 */
#include "acpi.h"
#include "guest.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "reboot";

#define PORT_RESET_CONTROL 0xcf9
#define RESET_CONTROL_SYS_RST 0x02
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBD_STATUS 0x64
#define KBD_STATUS_INPUT_FULL 0x02
#define KBD_CMD_PULSE_RESET 0xfe
#define KBD_POLL_LIMIT 1000000u
#define STILL_RUNNING_US 1000000u

/* The FADT's reset register (ACPI 6.x, 5.2.9), the table found through lib/acpi.c. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;

#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO 1
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_RESET_REG_SUP (1U << 10)

static const struct acpi_header *find_fadt(void)
{
	const struct acpi_rsdp *r = acpi_find_rsdp();
	const struct acpi_header *fadt;

	if (!r) {
		printf("# no ACPI RSDP in the EBDA or at 0x%x-0x%x\n", ACPI_BIOS_AREA_START, ACPI_BIOS_AREA_END - 1);
		return NULL;
	}
	printf("# RSDP at 0x%x, revision %u, using the %s\n", (uint32_t)(uintptr_t)r, r->revision,
	       acpi_rsdp_uses_xsdt(r) ? "XSDT" : "RSDT");
	fadt = acpi_find_table("FACP");
	if (!fadt)
		printf("# no valid FACP table in the %s\n", acpi_rsdp_uses_xsdt(r) ? "XSDT" : "RSDT");
	return fadt;
}

static const char *space_name(uint8_t id)
{
	switch (id) {
	case GAS_SYSTEM_MEMORY:
		return "memory";
	case GAS_SYSTEM_IO:
		return "I/O";
	case 2:
		return "PCI configuration";
	default:
		return "other";
	}
}

/* The FADT's reset register, or false (and why, on the console). */
static bool fadt_reset_register(struct acpi_gas *reg, uint8_t *value)
{
	const struct acpi_header *fadt = find_fadt();
	const uint8_t *p = (const uint8_t *)fadt;
	uint32_t flags;

	if (!fadt)
		return false;
	printf("# FADT at 0x%x, revision %u, length %u\n", (uint32_t)(uintptr_t)fadt, fadt->revision,
	       fadt->length);
	if (fadt->length <= FADT_RESET_VALUE) {
		printf("# FADT too short for the reset register (ends before offset %u)\n", FADT_RESET_VALUE + 1);
		return false;
	}
	memcpy(&flags, p + FADT_FLAGS, sizeof(flags));
	memcpy(reg, p + FADT_RESET_REG, sizeof(*reg));
	*value = p[FADT_RESET_VALUE];
	printf("# FADT flags 0x%x, reset register: %s space, address 0x%llx, width %u, value 0x%02x\n", flags,
	       space_name(reg->space_id), (unsigned long long)reg->address, reg->bit_width, *value);
	if (!(flags & FADT_RESET_REG_SUP)) {
		printf("# FADT flags: RESET_REG_SUP (bit 10) clear\n");
		return false;
	}
	if (reg->space_id == GAS_SYSTEM_IO && reg->address && reg->address <= 0xffff)
		return true;
	if (reg->space_id == GAS_SYSTEM_MEMORY && reg->address && reg->address < 0x100000000ULL)
		return true;
	printf("# the reset register is not a usable I/O port or 32-bit memory address\n");
	return false;
}

static void reset_fadt(void)
{
	struct acpi_gas reg;
	uint8_t value;

	if (!fadt_reset_register(&reg, &value)) {
		skip("no FADT reset register", "reset through the FADT reset register");
		done();
	}
	ok(true, "FADT reset register: %s 0x%llx, value 0x%02x", space_name(reg.space_id),
	   (unsigned long long)reg.address, value);
	printf("guest: requesting reset via fadt\n");
	if (reg.space_id == GAS_SYSTEM_IO)
		outb((uint16_t)reg.address, value);
	else
		*(volatile uint8_t *)(uintptr_t)reg.address = value;
}

static void reset_cf9(void)
{
	printf("guest: requesting reset via cf9\n");
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST);
	outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
}

static void reset_kbd(void)
{
	unsigned int i;

	for (i = 0; i < KBD_POLL_LIMIT && (inb(PORT_KBD_STATUS) & KBD_STATUS_INPUT_FULL); i++)
		;
	if (i == KBD_POLL_LIMIT)
		printf("# keyboard controller input buffer still full; sending the command anyway\n");
	printf("guest: requesting reset via kbd\n");
	outb(PORT_KBD_STATUS, KBD_CMD_PULSE_RESET);
}

static void reset_triple(void)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __packed no_idt = { 0, 0 };

	printf("guest: requesting reset via triple\n");
	/* INT3 finds no IDT entry: #GP, which finds none either: #DF, likewise: shutdown. */
	asm volatile("lidt %0\n\tint3" : : "m"(no_idt) : "memory");
}

/*
 * The method is any word of the command line: booted bare, QEMU passes "PATH METHOD" and GRUB
 * "METHOD"; under the hypervisor the module string is "PATH reboot.elf METHOD" (QEMU -initrd) or
 * "/boot/moduleN reboot.elf METHOD" (GRUB). Returns NULL when no word names a method.
 */
static const char *const methods[] = { "cf9", "kbd", "fadt", "triple" };

static const char *find_word(const char *const *words, size_t nr)
{
	for (const char *s = mb_cmdline(); *s;) {
		size_t n = 0;

		while (s[n] && s[n] != ' ')
			n++;
		for (size_t i = 0; i < nr; i++) {
			if (strlen(words[i]) == n && !memcmp(s, words[i], n))
				return words[i];
		}
		s += n;
		while (*s == ' ')
			s++;
	}
	return NULL;
}

static const char *find_method(void)
{
	return find_word(methods, sizeof(methods) / sizeof(methods[0]));
}

#define CPUID_1_ECX_X2APIC (1U << 21)

static void apic_reset(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	unsigned int faults = 0;

	faults += wrmsr_safe(MSR_APIC_BASE, base & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC)) != NO_FAULT;
	faults += wrmsr_safe(MSR_APIC_BASE, (base & ~APIC_BASE_X2APIC) | APIC_BASE_ENABLE) != NO_FAULT;
	if (cpuid(1).ecx & CPUID_1_ECX_X2APIC)
		faults += wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC) != NO_FAULT;
	ok(faults == 0, "APIC reset through IA32_APIC_BASE without a fault (%u faults)", faults);
	printf("guest: APIC reset: IA32_APIC_BASE 0x%llx before, 0x%llx now\n", base, rdmsr(MSR_APIC_BASE));
}

void guest_main(void)
{
	const char *name = find_method();

	static const char *const apic_word[] = { "apicreset" };

	if (!name)
		abort_test("no reset method on the command line '%s' (cf9, kbd, fadt or triple)", mb_cmdline());
	if (find_word(apic_word, 1))
		apic_reset();
	if (!strcmp(name, "cf9"))
		reset_cf9();
	else if (!strcmp(name, "kbd"))
		reset_kbd();
	else if (!strcmp(name, "fadt"))
		reset_fadt();
	else
		reset_triple();

	udelay(STILL_RUNNING_US);
	ok(false, "still running after reset request via %s", name);
}
