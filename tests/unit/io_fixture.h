/*
 * What the I/O exit host tests share (test_io.c: IN and OUT; test_io_string.c: INS and OUTS):
 * vmm/io.c over fake ports, the rest of the hypervisor faked around it, and one-exit helpers.
 *
 * The ports are a fake: in_sized()/out_sized() are replaced after their header is read, and the
 * reboot path (should a handler still call it) returns with longjmp. The instruction decoder
 * (vmm/string_io.c) and the guest page walk (vmm/guest_walk.c) are the real ones; paging is off,
 * so linear is physical.
 */
#ifndef TEST_IO_FIXTURE_H
#define TEST_IO_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "x86/cpu.h"

static uint32_t fake_in(uint16_t port, uint8_t size);
static void fake_out(uint16_t port, uint8_t size, uint32_t value);
#define in_sized fake_in
#define out_sized fake_out

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../../lib/string.c"
#include "../../vmm/guest_walk.c"
#include "../../vmm/string_io.c"
#include "../../vmm/io.c"
#pragma GCC diagnostic pop

#define T_PORT_KBD 0x64
#define T_PORT_RESET_CONTROL 0xCF9
#define T_PORT_PM1A_CNT 0x604 /* a sleep control port in this test */
#define T_PORT_HIDDEN_UART 0x2F8
#define T_PORT_SHARED_UART 0x3F8 /* the guest's COM1, emulated while debug keys share it */
#define T_PORT_FWCFG_DMA_LOW 0x518
#define T_PORT_OTHER 0x80
#define T_RFLAGS_TF (1ULL << 8)
#define T_RFLAGS_DF (1ULL << 10)

#define GUEST_RIP 0x7000
#define RAM_BASE 0x100000
#define RAM_SIZE 0x4000
#define HV_BASE 0x800000 /* the hypervisor's memory in this test's guest-physical map */
#define HV_SIZE 0x100000

/* ---- fake ports: what the last OUT wrote, what the next IN reads ---- */

static struct {
	uint16_t port;
	uint8_t size;
	uint32_t value;
} outs[64];
static unsigned int nr_outs, nr_ins;
static uint32_t port_value; /* what every IN reads, masked to its size by the "hardware" */

static uint32_t fake_in(uint16_t port, uint8_t size)
{
	(void)port;
	nr_ins++;
	return size == 4 ? port_value : port_value & ((1U << (8 * size)) - 1);
}

static void fake_out(uint16_t port, uint8_t size, uint32_t value)
{
	assert_true(nr_outs < 64);
	outs[nr_outs].port = port;
	outs[nr_outs].size = size;
	outs[nr_outs++].value = value;
}

/* ---- the rest of the hypervisor ---- */

struct acpi_info platform_acpi;
static bool reset_reg_usable;
static jmp_buf rebooted;
static const char *reboot_reason;
static unsigned int dumps, single_step_traps, sleep_writes, fwcfg_calls;
static int injected_vector, injected_count;
static struct partition part;
static struct vcpu vcpu;
static uint8_t ram[RAM_SIZE];
static uint8_t insn[INSN_MAX_LEN];
static enum cpu_mode mode;

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

bool acpi_reset_reg_usable(const struct acpi_info *info)
{
	(void)info;
	return reset_reg_usable;
}

void reboot_machine(const char *why, bool reset)
{
	assert_true(reset);
	reboot_reason = why;
	longjmp(rebooted, 1);
}

bool debugkeys_port_hidden(uint16_t port, uint8_t size)
{
	return port < T_PORT_HIDDEN_UART + 8 && port + size > T_PORT_HIDDEN_UART;
}

static uint16_t vuart_port;
static uint8_t vuart_size;
static uint32_t vuart_value;
static unsigned int vuart_ins, vuart_outs;

bool vuart_io_claims(uint16_t port, uint8_t size)
{
	return port < T_PORT_SHARED_UART + 8 && port + size > T_PORT_SHARED_UART;
}

uint32_t vuart_io_in(uint16_t port, uint8_t size)
{
	vuart_port = port;
	vuart_size = size;
	vuart_ins++;
	return 0x60; /* LSR: transmitter empty */
}

void vuart_io_out(uint16_t port, uint8_t size, uint32_t value)
{
	vuart_port = port;
	vuart_size = size;
	vuart_value = value;
	vuart_outs++;
}

/* No IOMMU's PCI function to keep from the guest here. */
bool pci_cfg_port_out(uint16_t port, uint8_t size, uint32_t value)
{
	(void)port;
	(void)size;
	(void)value;
	return false;
}

bool pci_cfg_port_in(uint16_t port, uint8_t size, uint32_t *value)
{
	(void)port;
	(void)size;
	(void)value;
	return false;
}

bool sleep_port(uint16_t port)
{
	return port == T_PORT_PM1A_CNT;
}

enum exit_verdict sleep_io_write(struct vcpu *v, uint16_t port, uint8_t size, uint32_t value)
{
	(void)v;
	assert_int_equal(port, T_PORT_PM1A_CNT);
	assert_int_equal(size, 2);
	assert_int_equal(value, 0x3C01);
	sleep_writes++;
	return EXIT_STOP; /* anything but what handle_io would return by itself */
}

void fwcfg_dma_io(struct vcpu *v, uint16_t port, uint8_t size, bool in, uint32_t *value)
{
	(void)v;
	assert_int_equal(port, T_PORT_FWCFG_DMA_LOW);
	assert_int_equal(size, 4);
	assert_false(in);
	assert_int_equal(*value, 0x78563412);
	fwcfg_calls++;
}

void io_intercept(struct partition *p, uint16_t port, bool intercept)
{
	fail_msg("io_intercept(%p, %#x, %d): not under test", (void *)p, port, intercept);
}

void sleep_intercept_ports(struct partition *p)
{
	(void)p;
}

void fwcfg_intercept(struct partition *p)
{
	(void)p;
}

void pci_cfg_intercept(struct partition *p)
{
	(void)p;
}

void vcpu_dump(struct vcpu *v)
{
	(void)v;
	dumps++;
}

void vcpu_single_step_trap(struct vcpu *v)
{
	(void)v;
	single_step_traps++;
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error_code, uint32_t error_code)
{
	(void)v;
	(void)has_error_code;
	(void)error_code;
	injected_vector = vector;
	injected_count++;
}

enum cpu_mode vcpu_cpu_mode(struct vcpu *v)
{
	(void)v;
	return mode;
}

void vcpu_guest_paging(struct vcpu *v, struct guest_paging *g)
{
	(void)v;
	*g = (struct guest_paging){ .cr0 = 1 /* PE, no PG */ };
}

const void *vcpu_guest_ram(uint64_t gpa, uint64_t len, void *ctx)
{
	return partition_gpa_to_hva(ctx, gpa, len);
}

int vcpu_fetch_insn(struct vcpu *v, uint8_t bytes[INSN_MAX_LEN], size_t *avail)
{
	(void)v;
	memcpy(bytes, insn, INSN_MAX_LEN);
	*avail = INSN_MAX_LEN;
	return 0;
}

/* Guest RAM with its pages in reverse order in the host, so an element that straddles two guest
 * pages is two places in the host, as it may be on a real machine. */
static uint8_t *gram(uint64_t gpa)
{
	uint64_t page = (gpa - RAM_BASE) >> 12;

	return ram + ((RAM_SIZE >> 12) - 1 - page) * 0x1000 + (gpa & 0xFFF);
}

void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, uint64_t len)
{
	assert_ptr_equal(p, &part);
	if (gpa < RAM_BASE || gpa + len > RAM_BASE + RAM_SIZE || (gpa & 0xFFF) + len > 0x1000)
		return NULL;
	return gram(gpa);
}

bool partition_gpa_is_hypervisor(const struct partition *p, uint64_t gpa)
{
	(void)p;
	return gpa >= HV_BASE && gpa < HV_BASE + HV_SIZE;
}

static uint64_t fake_read_reg(struct vcpu *v, enum vcpu_reg reg)
{
	(void)v;
	if (reg == VCPU_CPL)
		return 0;
	return 0; /* every segment base is 0: flat segments */
}

static const struct vcpu_ops fake_ops = {
	.name = "fake",
	.read_reg = fake_read_reg,
};
const struct vcpu_ops *vcpu_ops = &fake_ops;

static int setup(void **state)
{
	(void)state;
	memset(&part, 0, sizeof(part));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&platform_acpi, 0, sizeof(platform_acpi));
	memset(ram, 0xEE, sizeof(ram));
	vcpu.part = &part;
	vcpu.rip = GUEST_RIP;
	reset_reg_usable = false;
	reboot_reason = NULL;
	nr_outs = nr_ins = dumps = single_step_traps = sleep_writes = fwcfg_calls = 0;
	injected_count = 0;
	injected_vector = -1;
	port_value = 0;
	mode = CPU_MODE_PROT32;
	return 0;
}

/* ---- helpers: one IN or OUT exit ---- */

static void io_exit(uint16_t port, uint8_t size, bool in, uint8_t insn_len)
{
	vcpu.rip = GUEST_RIP;
	vcpu.exit = (struct vm_exit){ .reason = EXIT_IO, .insn_len = insn_len };
	vcpu.exit.io.port = port;
	vcpu.exit.io.size = size;
	vcpu.exit.io.in = in;
}

static enum exit_verdict out(uint16_t port, uint8_t size, uint64_t rax)
{
	io_exit(port, size, false, 1);
	vcpu.regs.rax = rax;
	return handle_io(&vcpu);
}

static uint64_t in(uint16_t port, uint8_t size, uint64_t rax_before)
{
	io_exit(port, size, true, 1);
	vcpu.regs.rax = rax_before;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
	return vcpu.regs.rax;
}

/* The write must ask the run loop for the reboot path (EXIT_RESET) with `why` and perform nothing. */
static void expect_reset(uint16_t port, uint8_t size, uint32_t value, const char *why)
{
	unsigned int before = nr_outs;

	vcpu.reset_request = NULL;
	if (setjmp(rebooted))
		fail_msg("OUT %#x to port %#x (size %u) rebooted inside the handler (%s)", value, port, size, reboot_reason);
	assert_int_equal(out(port, size, value), EXIT_RESET);
	assert_non_null(vcpu.reset_request);
	assert_string_equal(vcpu.reset_request, why);
	assert_int_equal(nr_outs, before);
}

static void expect_out_performed(uint16_t port, uint8_t size, uint32_t value)
{
	unsigned int before = nr_outs;

	if (setjmp(rebooted))
		fail_msg("OUT %#x to port %#x (size %u) reset the machine (%s)", value, port, size, reboot_reason);
	assert_int_equal(out(port, size, value), EXIT_RESUME);
	assert_int_equal(nr_outs, before + 1);
	assert_int_equal(outs[before].port, port);
	assert_int_equal(outs[before].size, size);
	assert_int_equal(outs[before].value, value);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
}

#endif
