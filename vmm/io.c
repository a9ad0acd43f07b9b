/*
 * I/O exits. Only the ports the hypervisor must see are intercepted: the reset controls (the
 * keyboard controller's 0x64 and the FADT reset register) and the PM1 control registers (sleep
 * states, vmm/sleep.c). A reset request takes the reboot path; everything else on them is
 * performed for the guest.
 *
 * Port 0xCF9 (reset control) is intercepted only where the FADT names it as the reset register.
 * An I/O bitmap has one bit per port and a 4-byte access is intercepted if any of its bytes is
 * (AMD APM vol. 2, 15.10.1; Intel SDM vol. 3, 26.1.3), so intercepting 0xCF9 makes every
 * `outl 0xCF8` (the PCI configuration address, mechanism 1) exit: 17,000 exits in one Linux boot.
 * Elsewhere a guest write to 0xCF9 reaches the chipset: a hard reset resets the whole platform,
 * every CPU with it, and a soft reset (INIT) arrives as an INIT exit on the guest's vCPU, which
 * takes the reboot path (initsipi.c).
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "vmm/sleep.h"
#include "platform.h"
#include "x86/cpu.h"
#include "x86/reboot.h"

#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBD_COMMAND 0x64
#define KBD_CMD_PULSE_RESET 0xFE

/* The FADT reset register, when it is an I/O port (QEMU q35 has 0xCF9 there). */
static bool fadt_reset_port(uint16_t *port, uint8_t *value)
{
	const struct acpi_fadt_info *f = &platform_acpi.fadt;

	if (!acpi_reset_reg_usable(&platform_acpi) || f->reset_reg.space_id != ACPI_GAS_SYSTEM_IO)
		return false;
	*port = (uint16_t)f->reset_reg.address;
	*value = f->reset_value;
	return true;
}

void io_intercept_defaults(struct partition *p)
{
	uint16_t port;
	uint8_t value;

	io_intercept(p, PORT_KBD_COMMAND, true);
	if (fadt_reset_port(&port, &value))
		io_intercept(p, port, true);
	sleep_intercept_ports(p); /* the PM1 control registers: sleep states go through vmm/sleep.c */
}

static uint32_t port_in(uint16_t port, uint8_t size)
{
	if (size == 1)
		return inb(port);
	return size == 2 ? inw(port) : inl(port);
}

static void port_out(uint16_t port, uint8_t size, uint32_t value)
{
	if (size == 1)
		outb(port, (uint8_t)value);
	else if (size == 2)
		outw(port, (uint16_t)value);
	else
		outl(port, value);
}

/* Which reset a write asks for, or NULL. */
static const char *reset_request(uint16_t port, uint8_t size, uint32_t value)
{
	uint16_t fadt_port;
	uint8_t fadt_value;

	if (size != 1)
		return NULL;
	if (fadt_reset_port(&fadt_port, &fadt_value) && port == fadt_port && value == fadt_value)
		return "guest reset request: FADT reset register";
	/* Seen only where 0xCF9 is the FADT register and intercepted, but the value is any reset. */
	if (port == PORT_RESET_CONTROL && (value & RESET_CONTROL_RST_CPU))
		return "guest reset request: port 0xcf9";
	if (port == PORT_KBD_COMMAND && value == KBD_CMD_PULSE_RESET)
		return "guest reset request: keyboard controller";
	return NULL;
}

enum exit_verdict handle_io(struct vcpu *v)
{
	uint16_t port = v->exit.io.port;
	uint8_t size = v->exit.io.size;
	uint32_t mask = size == 4 ? 0xFFFFFFFF : (1U << (size * 8)) - 1;

	if (v->exit.io.string || (size != 1 && size != 2 && size != 4)) {
		pr_err("vcpu%u: %s I/O of size %u at intercepted port %#x is not emulated", v->id,
		       v->exit.io.string ? "string" : "odd", size, port);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	if (v->exit.io.in) {
		uint32_t value = port_in(port, size);

		/* IN to AL/AX keeps the rest of RAX; IN to EAX clears the upper half, as a write to EAX does. */
		v->regs.rax = size == 4 ? value : (v->regs.rax & ~(uint64_t)mask) | value;
	} else {
		uint32_t value = (uint32_t)v->regs.rax & mask;
		const char *reset = reset_request(port, size, value);

		if (sleep_port(port))
			return sleep_io_write(v, port, size, value);
		if (reset)
			reboot_machine(reset, true);
		port_out(port, size, value);
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
