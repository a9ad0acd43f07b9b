/*
 * I/O exits. Only the ports the hypervisor must see are intercepted: the reset controls (0xCF9
 * and the keyboard controller's 0x64). Everything else on them is performed for the guest.
 */
#include "console.h"
#include "vmm/exit.h"
#include "vmm/partition.h"
#include "x86/cpu.h"

#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBD_COMMAND 0x64
#define KBD_CMD_PULSE_RESET 0xFE

void io_intercept_defaults(struct partition *p)
{
	io_intercept(p, PORT_RESET_CONTROL, true);
	io_intercept(p, PORT_KBD_COMMAND, true);
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

static bool is_reset_request(uint16_t port, uint8_t size, uint32_t value)
{
	if (size != 1)
		return false;
	return (port == PORT_RESET_CONTROL && (value & RESET_CONTROL_RST_CPU)) ||
	       (port == PORT_KBD_COMMAND && (value & 0xFF) == KBD_CMD_PULSE_RESET);
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

		if (is_reset_request(port, size, value)) {
			pr_info("vcpu%u: guest requested a reset: %#x written to port %#x", v->id, value, port);
			partition_stop(v->part, "guest reset request (the machine reset path is not built yet)");
			return EXIT_STOP;
		}
		port_out(port, size, value);
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
