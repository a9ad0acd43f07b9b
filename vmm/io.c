/*
 * I/O exits. Only the ports the hypervisor must see are intercepted: the reset controls (the
 * keyboard controller's 0x64 and the FADT reset register), the PM1 control registers (sleep
 * states, vmm/sleep.c) and, under QEMU, the fw_cfg DMA address register (vmm/fwcfg.c). A reset
 * request takes the reboot path; everything else on them is performed for the guest, string I/O
 * (INS/OUTS) included, but for string output to a sleep control port (see string_io).
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
#include "errno.h"
#include "vmm/debugkeys.h"
#include "vmm/emulate.h"
#include "vmm/exit.h"
#include "vmm/fwcfg.h"
#include "vmm/partition.h"
#include "vmm/sleep.h"
#include "vmm/string_io.h"
#include "platform.h"
#include "x86/cpu.h"
#include "x86/traps.h"

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
	fwcfg_intercept(p);
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

static bool is_fwcfg_dma(uint16_t port)
{
	return port >= FWCFG_PORT_DMA && port < FWCFG_PORT_DMA_END;
}

/* Performs an OUT for the guest; a reset request is not performed but named for the reboot path. */
static enum exit_verdict guest_out(struct vcpu *v, uint16_t port, uint8_t size, uint32_t value)
{
	const char *reset = reset_request(port, size, value);

	if (reset)
		return exit_reset(v, reset);
	if (debugkeys_port_hidden(port, size))
		return EXIT_RESUME; /* the hypervisor's console UART: as if nothing were there */
	if (is_fwcfg_dma(port))
		fwcfg_dma_io(v, port, size, false, &value);
	else
		out_sized(port, size, value);
	return EXIT_RESUME;
}

static uint32_t guest_in(struct vcpu *v, uint16_t port, uint8_t size)
{
	uint32_t value = 0;

	if (debugkeys_port_hidden(port, size))
		return ~0U; /* no UART answers there: reads float high */
	if (!is_fwcfg_dma(port))
		return in_sized(port, size);
	fwcfg_dma_io(v, port, size, true, &value);
	return value;
}

#define STRING_IO_LOG_LIMIT 32 /* a guest looping over our memory must not flood the console */

/*
 * Where element bytes [0, size) of a string I/O live in guest RAM: each byte translated on its
 * own page through the guest's page tables, so an element may straddle two pages. 0, or the
 * fault to raise: #PF (error code and address in *fault) or #GP (-E_RANGE: not guest RAM).
 */
static int string_element(struct vcpu *v, const struct guest_paging *g, uint64_t linear, uint8_t size,
			  unsigned int access, uint8_t *hva[4], struct guest_fault *fault)
{
	for (uint8_t i = 0; i < size; i++) {
		uint64_t gpa;
		int rc;

		if (i && ((linear + i) & 0xFFF)) {
			hva[i] = hva[i - 1] + 1;
			continue;
		}
		rc = guest_translate(g, linear + i, access, vcpu_guest_ram, v->part, &gpa, fault);
		if (rc)
			return rc == -E_FAULT ? rc : -E_RANGE;
		hva[i] = partition_gpa_to_hva(v->part, gpa, 1);
		if (!hva[i]) {
			static unsigned int logged;

			if (partition_gpa_is_hypervisor(v->part, gpa) && logged++ < STRING_IO_LOG_LIMIT)
				pr_warn("vcpu%u: string I/O at hypervisor memory GPA %#llx, RIP %#llx: denied, #GP injected",
					v->id, (unsigned long long)gpa, (unsigned long long)v->rip);
			return -E_RANGE;
		}
	}
	return 0;
}

#define RFLAGS_DF (1ULL << 10)

static const enum vcpu_reg segment_base[] = {
	[SEG_ES] = VCPU_ES_BASE, [SEG_CS] = VCPU_CS_BASE, [SEG_SS] = VCPU_SS_BASE,
	[SEG_DS] = VCPU_DS_BASE, [SEG_FS] = VCPU_FS_BASE, [SEG_GS] = VCPU_GS_BASE,
};

#define STRING_IO_BATCH 4096 /* elements per exit: a long REP goes on at the next exit, interrupts in between */

/*
 * INS/OUTS to an intercepted port, element by element as the CPU does: memory through the guest's
 * own page tables (guest RAM only, never the hypervisor's), rSI/rDI stepped by the element size
 * (down with DF), rCX counted down with REP. A fault leaves the registers at the element that
 * faulted, as on hardware. Segment limits are not checked (flat segments are assumed).
 */
static enum exit_verdict string_io(struct vcpu *v)
{
	uint16_t port = v->exit.io.port;
	uint8_t size = v->exit.io.size;
	enum cpu_mode mode = vcpu_cpu_mode(v);
	unsigned int access = vcpu_ops->read_reg(v, VCPU_CPL) == 3 ? GUEST_ACCESS_USER : 0;
	struct string_io_insn insn;
	struct guest_paging g;
	uint8_t bytes[INSN_MAX_LEN];
	size_t avail;
	int64_t step = (v->rflags & RFLAGS_DF) ? -(int64_t)size : size;
	unsigned int reg = v->exit.io.in ? GPR_RDI : GPR_RSI;
	uint64_t count, seg_base = 0;
	bool single = v->rflags & RFLAGS_TF;

	/*
	 * A sleep request must go through vmm/sleep.c, which takes one plain write; no OS writes
	 * PM1 control with OUTS, so that is refused rather than split into elements here.
	 */
	if (!v->exit.io.in && sleep_port(port)) {
		pr_warn("vcpu%u: string output to sleep control port %#x at RIP %#llx: not emulated, #GP injected",
			v->id, port, (unsigned long long)v->rip);
		vcpu_inject_gp(v);
		return EXIT_RESUME;
	}
	if (vcpu_fetch_insn(v, bytes, &avail) || string_io_decode(bytes, avail, mode, &insn) || insn.in != v->exit.io.in) {
		pr_err("vcpu%u: string I/O at port %#x: cannot decode the instruction at RIP %#llx", v->id, port,
		       (unsigned long long)v->rip);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	/* In 64-bit mode only FS and GS have a base. */
	if (mode != CPU_MODE_LONG64 || insn.seg == SEG_FS || insn.seg == SEG_GS)
		seg_base = vcpu_ops->read_reg(v, segment_base[insn.seg]);
	vcpu_guest_paging(v, &g);
	count = insn.rep ? string_io_reg(v->regs.rcx, insn.addr_size) : 1;
	for (unsigned int n = 0; count && n < STRING_IO_BATCH; n++) {
		uint64_t linear = string_io_linear(seg_base, vcpu_gpr(v, reg), insn.addr_size, mode);
		struct guest_fault fault;
		uint8_t *hva[4];
		uint32_t value = 0;
		int rc = string_element(v, &g, linear, size, access | (insn.in ? GUEST_ACCESS_WRITE : 0), hva, &fault);

		if (rc == -E_FAULT) {
			vcpu_ops->write_reg(v, VCPU_CR2, fault.addr);
			vcpu_inject_exception(v, EXC_PF, true, fault.error_code);
			return EXIT_RESUME;
		}
		if (rc) {
			vcpu_inject_gp(v);
			return EXIT_RESUME;
		}
		if (insn.in) {
			value = guest_in(v, port, size);
			for (uint8_t i = 0; i < size; i++)
				*hva[i] = (uint8_t)(value >> (8 * i));
		} else {
			for (uint8_t i = 0; i < size; i++)
				value |= (uint32_t)*hva[i] << (8 * i);
			enum exit_verdict verdict = guest_out(v, port, size, value);

			if (verdict != EXIT_RESUME)
				return verdict;
		}
		vcpu_set_gpr(v, reg, string_io_update(vcpu_gpr(v, reg), insn.addr_size, step));
		count--;
		if (insn.rep)
			vcpu_set_gpr(v, GPR_RCX, string_io_update(v->regs.rcx, insn.addr_size, -1));
		if (single)
			break;
	}
	if (!count) {
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	}
	/* More to do: the instruction runs again (and exits again); TF traps after each element. */
	if (single)
		vcpu_single_step_trap(v);
	return EXIT_RESUME;
}

enum exit_verdict handle_io(struct vcpu *v)
{
	uint16_t port = v->exit.io.port;
	uint8_t size = v->exit.io.size;
	uint32_t mask = size == 4 ? 0xFFFFFFFF : (1U << (size * 8)) - 1;

	if (size != 1 && size != 2 && size != 4) {
		pr_err("vcpu%u: I/O of size %u at intercepted port %#x is not emulated", v->id, size, port);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	if (v->exit.io.string)
		return string_io(v);
	if (v->exit.io.in) {
		uint32_t value = guest_in(v, port, size);

		/* IN to AL/AX keeps the rest of RAX; IN to EAX clears the upper half, as a write to EAX does. */
		v->regs.rax = size == 4 ? value : (v->regs.rax & ~(uint64_t)mask) | value;
	} else {
		uint32_t value = (uint32_t)v->regs.rax & mask;
		enum exit_verdict verdict;

		if (sleep_port(port))
			return sleep_io_write(v, port, size, value);
		verdict = guest_out(v, port, size, value);
		if (verdict != EXIT_RESUME)
			return verdict;
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
