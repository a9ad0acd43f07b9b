/*
 * Host tests for the I/O exits (vmm/io.c): IN and OUT performed for the guest with the register
 * widths the manuals give, reset requests taking the reboot path, the hidden console UART and
 * fw_cfg DMA ports, and INS/OUTS element by element through guest RAM (never the hypervisor's).
 *
 * The ports are a fake: in_sized()/out_sized() are replaced after their header is read, and the
 * reboot path (should a handler still call it) returns with longjmp. The instruction decoder (vmm/string_io.c) and the
 * guest page walk (vmm/guest_walk.c) are the real ones; paging is off, so linear is physical.
 */
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

/* ---- IN and OUT ---- */

static void test_in_widths(void **state __unused)
{
	port_value = 0x87654321;
	/* IN AL and IN AX write only their part; IN EAX clears the upper half as any 32-bit write. */
	assert_int_equal(in(T_PORT_OTHER, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBB21ULL);
	assert_int_equal(in(T_PORT_OTHER, 2, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBB4321ULL);
	assert_int_equal(in(T_PORT_OTHER, 4, 0xAAAAAAAABBBBBBBBULL), 0x87654321ULL);
	assert_int_equal(nr_ins, 3);
}

static void test_out_masks_rax(void **state __unused)
{
	expect_out_performed(T_PORT_OTHER, 1, 0x21);
	assert_int_equal(out(T_PORT_OTHER, 2, 0xFFFFFFFF87654321ULL), EXIT_RESUME);
	assert_int_equal(outs[1].value, 0x4321);
	assert_int_equal(out(T_PORT_OTHER, 4, 0xFFFFFFFF87654321ULL), EXIT_RESUME);
	assert_int_equal(outs[2].value, 0x87654321);
}

static void test_bad_size_stops(void **state __unused)
{
	assert_int_equal(out(T_PORT_OTHER, 3, 0), EXIT_STOP);
	assert_int_equal(nr_outs, 0);
	assert_int_equal(dumps, 1);
	assert_int_equal(vcpu.rip, GUEST_RIP);
}

static void test_sleep_port_goes_to_sleep_code(void **state __unused)
{
	assert_int_equal(out(T_PORT_PM1A_CNT, 2, 0xFFFF3C01), EXIT_STOP); /* sleep_io_write's verdict */
	assert_int_equal(sleep_writes, 1);
	assert_int_equal(nr_outs, 0);
}

static void test_keyboard_reset(void **state __unused)
{
	expect_reset(T_PORT_KBD, 1, 0xFE, "guest reset request: keyboard controller");
}

static void test_not_a_reset(void **state __unused)
{
	expect_out_performed(T_PORT_KBD, 1, 0xAE);  /* enable the keyboard */
	expect_out_performed(T_PORT_KBD, 2, 0xFE);  /* only a byte write pulses the reset line */
	expect_out_performed(T_PORT_RESET_CONTROL, 1, 0x02); /* hard-reset select without RST_CPU */
}

static void test_port_cf9_reset(void **state __unused)
{
	expect_reset(T_PORT_RESET_CONTROL, 1, 0x06, "guest reset request: port 0xcf9");
}

static void test_fadt_reset_register(void **state __unused)
{
	platform_acpi.fadt.reset_reg.space_id = ACPI_GAS_SYSTEM_IO;
	platform_acpi.fadt.reset_reg.address = 0xB2;
	platform_acpi.fadt.reset_value = 0x0F;
	expect_out_performed(0xB2, 1, 0x0F); /* the FADT does not say the register is usable */
	reset_reg_usable = true;
	expect_out_performed(0xB2, 1, 0x0E); /* another value */
	expect_reset(0xB2, 1, 0x0F, "guest reset request: FADT reset register");
}

static void test_fadt_reset_register_in_memory(void **state __unused)
{
	reset_reg_usable = true;
	platform_acpi.fadt.reset_reg.space_id = ACPI_GAS_SYSTEM_MEMORY;
	platform_acpi.fadt.reset_reg.address = 0xB2;
	platform_acpi.fadt.reset_value = 0x0F;
	expect_out_performed(0xB2, 1, 0x0F); /* not an I/O port: port 0xB2 is just a port */
}

static void test_hidden_uart(void **state __unused)
{
	port_value = 0x12345678;
	/* Nothing answers there: reads float high, in the bytes IN writes only. */
	assert_int_equal(in(T_PORT_HIDDEN_UART + 5, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBBFFULL);
	assert_int_equal(in(T_PORT_HIDDEN_UART, 2, 0x1111), 0xFFFF);
	assert_int_equal(in(T_PORT_HIDDEN_UART + 4, 4, 0), 0xFFFFFFFF);
	assert_int_equal(nr_ins, 0);
	assert_int_equal(out(T_PORT_HIDDEN_UART, 1, 'x'), EXIT_RESUME);
	assert_int_equal(nr_outs, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
}

/* The shared UART's ports go to its emulation, never to the hardware. */
static void test_shared_uart(void **state __unused)
{
	vuart_ins = vuart_outs = 0;
	assert_int_equal(in(T_PORT_SHARED_UART + 5, 1, 0xAAAAAAAABBBBBBBBULL), 0xAAAAAAAABBBBBB60ULL);
	assert_int_equal(vuart_ins, 1);
	assert_int_equal(vuart_port, T_PORT_SHARED_UART + 5);
	assert_int_equal(vuart_size, 1);
	assert_int_equal(out(T_PORT_SHARED_UART, 1, 0x1234567841), EXIT_RESUME);
	assert_int_equal(vuart_outs, 1);
	assert_int_equal(vuart_port, T_PORT_SHARED_UART);
	assert_int_equal(vuart_value & 0xFF, 0x41);
	assert_int_equal(nr_ins, 0);
	assert_int_equal(nr_outs, 0);
}

static void test_fwcfg_dma_port(void **state __unused)
{
	assert_int_equal(out(T_PORT_FWCFG_DMA_LOW, 4, 0x78563412), EXIT_RESUME);
	assert_int_equal(fwcfg_calls, 1);
	assert_int_equal(nr_outs, 0);
}

/* ---- INS and OUTS ---- */

static void string_exit(uint16_t port, uint8_t size, bool in, const uint8_t *bytes, size_t len)
{
	memset(insn, 0x90, sizeof(insn));
	memcpy(insn, bytes, len);
	io_exit(port, size, in, (uint8_t)len);
	vcpu.exit.io.string = true;
}

static void test_rep_insb(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	port_value = 0x5A;
	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = RAM_BASE + 0x10;
	vcpu.regs.rcx = 5;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_memory_equal(gram(RAM_BASE + 0x10), "\x5A\x5A\x5A\x5A\x5A", 5);
	assert_int_equal(*gram(RAM_BASE + 0x15), 0xEE);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + 0x15);
	assert_int_equal(vcpu.regs.rcx, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 2);
	assert_int_equal(nr_ins, 5);
}

static void test_rep_insw_downwards(void **state __unused)
{
	static const uint8_t rep_insw[] = { 0x66, 0xF3, 0x6D };

	port_value = 0xBEEF;
	string_exit(T_PORT_KBD, 2, true, rep_insw, sizeof(rep_insw));
	vcpu.rflags = T_RFLAGS_DF;
	vcpu.regs.rdi = RAM_BASE + 0x20;
	vcpu.regs.rcx = 3;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_memory_equal(gram(RAM_BASE + 0x1C), "\xEF\xBE\xEF\xBE\xEF\xBE", 6);
	assert_int_equal(*gram(RAM_BASE + 0x1B), 0xEE);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + 0x1A);
	assert_int_equal(vcpu.regs.rcx, 0);
}

static void test_outsb_across_a_page(void **state __unused)
{
	static const uint8_t outsd[] = { 0x6F };

	memcpy(gram(RAM_BASE + 0xFFE), "\x01\x02", 2); /* one element on two pages */
	memcpy(gram(RAM_BASE + 0x1000), "\x03\x04", 2);
	string_exit(T_PORT_OTHER, 4, false, outsd, sizeof(outsd));
	vcpu.regs.rsi = RAM_BASE + 0xFFE;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_outs, 1);
	assert_int_equal(outs[0].value, 0x04030201);
	assert_int_equal(vcpu.regs.rsi, RAM_BASE + 0x1002);
	assert_int_equal(vcpu.rip, GUEST_RIP + 1);
}

static void test_string_io_into_hypervisor_memory(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = HV_BASE;
	vcpu.regs.rcx = 16;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(injected_vector, EXC_GP);
	assert_int_equal(injected_count, 1);
	/* The fault leaves the registers at the element that faulted; nothing was read. */
	assert_int_equal(vcpu.regs.rdi, HV_BASE);
	assert_int_equal(vcpu.regs.rcx, 16);
	assert_int_equal(vcpu.rip, GUEST_RIP);
	assert_int_equal(nr_ins, 0);
}

static void test_string_output_to_sleep_port_refused(void **state __unused)
{
	static const uint8_t outsw[] = { 0x66, 0x6F };

	string_exit(T_PORT_PM1A_CNT, 2, false, outsw, sizeof(outsw));
	vcpu.regs.rsi = RAM_BASE;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(injected_vector, EXC_GP);
	assert_int_equal(sleep_writes, 0);
	assert_int_equal(nr_outs, 0);
}

static void test_string_io_undecodable_stops(void **state __unused)
{
	static const uint8_t outsb[] = { 0x6E };

	string_exit(T_PORT_KBD, 1, true, outsb, sizeof(outsb)); /* the exit says INS, the bytes OUTS */
	assert_int_equal(handle_io(&vcpu), EXIT_STOP);
	assert_int_equal(dumps, 1);
	assert_int_equal(nr_ins + nr_outs, 0);
}

/* A long REP goes on at the next exit, with interrupts in between. */
static void test_rep_in_batches(void **state __unused)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };

	port_value = 0x11;
	string_exit(T_PORT_KBD, 1, true, rep_insb, sizeof(rep_insb));
	vcpu.regs.rdi = RAM_BASE;
	vcpu.regs.rcx = STRING_IO_BATCH + 3;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_ins, STRING_IO_BATCH);
	assert_int_equal(vcpu.regs.rcx, 3);
	assert_int_equal(vcpu.regs.rdi, RAM_BASE + STRING_IO_BATCH);
	assert_int_equal(vcpu.rip, GUEST_RIP); /* the instruction runs again */
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_ins, STRING_IO_BATCH + 3);
	assert_int_equal(vcpu.regs.rcx, 0);
	assert_int_equal(vcpu.rip, GUEST_RIP + 2);
	assert_int_equal(*gram(RAM_BASE + STRING_IO_BATCH + 2), 0x11);
	assert_int_equal(*gram(RAM_BASE + STRING_IO_BATCH + 3), 0xEE);
}

/* With TF, one element per exit and a single-step trap after each. */
static void test_rep_single_step(void **state __unused)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };

	string_exit(T_PORT_OTHER, 1, false, rep_outsb, sizeof(rep_outsb));
	vcpu.regs.rsi = RAM_BASE;
	vcpu.regs.rcx = 5;
	vcpu.rflags = T_RFLAGS_TF;
	assert_int_equal(handle_io(&vcpu), EXIT_RESUME);
	assert_int_equal(nr_outs, 1);
	assert_int_equal(vcpu.regs.rcx, 4);
	assert_int_equal(vcpu.regs.rsi, RAM_BASE + 1);
	assert_int_equal(vcpu.rip, GUEST_RIP);
	assert_int_equal(single_step_traps, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_in_widths),
		T(test_out_masks_rax),
		T(test_bad_size_stops),
		T(test_sleep_port_goes_to_sleep_code),
		T(test_keyboard_reset),
		T(test_not_a_reset),
		T(test_port_cf9_reset),
		T(test_fadt_reset_register),
		T(test_fadt_reset_register_in_memory),
		T(test_hidden_uart),
		T(test_fwcfg_dma_port),
		T(test_rep_insb),
		T(test_rep_insw_downwards),
		T(test_outsb_across_a_page),
		T(test_string_io_into_hypervisor_memory),
		T(test_string_output_to_sleep_port_refused),
		T(test_string_io_undecodable_stops),
		T(test_rep_in_batches),
		T(test_rep_single_step),
	};
#undef T

	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
