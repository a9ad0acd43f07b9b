/* archcheck: string I/O to an intercepted port, odd-sized local APIC writes, QEMU fw_cfg DMA. */
#include "archcheck.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "trap.h"
#include "x86.h"

#define KBD_STATUS 0x64
#define KBD_CMD_ENABLE 0xAE
#define APIC_TPR 0x80

/* ---- string I/O to an intercepted port (the keyboard controller's 0x64) ---- */

static uint8_t sbuf[5000];

void check_string_io(void)
{
	uint8_t status = inb(KBD_STATUS);
	uint32_t edi, esi, ecx;
	uint16_t wstatus;
	bool same = true;
	uint64_t base, end;

	memset(sbuf, 0xEE, sizeof(sbuf));
	edi = (uint32_t)(uintptr_t)sbuf;
	ecx = sizeof(sbuf);
	asm volatile("cld\n\trep insb" : "+D"(edi), "+c"(ecx) : "d"(KBD_STATUS) : "memory");
	for (unsigned int i = 0; i < sizeof(sbuf); i++)
		same &= sbuf[i] == status;
	ok(same && ecx == 0 && edi == (uint32_t)(uintptr_t)sbuf + sizeof(sbuf),
	   "rep insb of %u bytes from port 0x64 reads the status 0x%x each time, ECX 0, EDI at the end (ECX %u, EDI +%u)",
	   (unsigned int)sizeof(sbuf), status, ecx, edi - (uint32_t)(uintptr_t)sbuf);

	memset(sbuf, 0xEE, 16);
	edi = (uint32_t)(uintptr_t)&sbuf[14];
	ecx = 4;
	asm volatile("inw %%dx, %%ax" : "=a"(wstatus) : "d"(KBD_STATUS));
	asm volatile("std\n\trep insw\n\tcld" : "+D"(edi), "+c"(ecx) : "d"(KBD_STATUS) : "memory");
	same = true;
	for (unsigned int i = 8; i < 16; i += 2)
		same &= (sbuf[i] | sbuf[i + 1] << 8) == wstatus;
	ok(same && sbuf[7] == 0xEE && ecx == 0 && edi == (uint32_t)(uintptr_t)&sbuf[6],
	   "rep insw with DF=1 fills downwards from port 0x64 (0x%x), ECX 0, EDI stepped back by 8", wstatus);

	sbuf[0] = KBD_CMD_ENABLE;
	sbuf[1] = KBD_CMD_ENABLE;
	esi = (uint32_t)(uintptr_t)sbuf;
	asm volatile("outsb" : "+S"(esi) : "d"(KBD_STATUS) : "memory");
	ok(esi == (uint32_t)(uintptr_t)sbuf + 1, "outsb to port 0x64 steps ESI by 1 (+%u)", esi - (uint32_t)(uintptr_t)sbuf);
	esi = (uint32_t)(uintptr_t)sbuf;
	ecx = 2;
	asm volatile("rep outsb" : "+S"(esi), "+c"(ecx) : "d"(KBD_STATUS) : "memory");
	ok(ecx == 0 && esi == (uint32_t)(uintptr_t)sbuf + 2, "rep outsb of 2 bytes to port 0x64: ECX 0, ESI +2 (%u, +%u)",
	   ecx, esi - (uint32_t)(uintptr_t)sbuf);

	if (!under_hv || !hv_range(&base, &end) || end > (1ULL << 32)) {
		skip("no hypervisor memory below 4 GiB", "rep insb into hypervisor memory is refused");
		return;
	}
	edi = (uint32_t)base;
	ecx = 16;
	trap_arm();
	asm volatile goto("1: rep insb\n\t" ASM_TRY("1b", "%l[fault]") : : "D"(edi), "c"(ecx), "d"(KBD_STATUS) : "memory" : fault);
	ok(false, "rep insb into hypervisor memory at 0x%x is refused (no fault)", edi);
	return;
fault:
	ok(last_trap.vector == X86_GP, "rep insb into hypervisor memory at 0x%x is refused with #GP (vector %d)", edi,
	   last_trap.vector);
}


/* ---- odd-sized local APIC writes ---- */

void check_apic_odd(void)
{
	uint32_t base = (uint32_t)rdmsr(MSR_APIC_BASE) & 0xFFFFF000U;
	uint32_t before = mmio_read32(base + APIC_TPR), after8, after16;

	asm volatile("movb %1, (%0)" : : "r"(base + APIC_TPR), "q"((uint8_t)0x20) : "memory");
	after8 = mmio_read32(base + APIC_TPR);
	asm volatile("movw %1, (%0)" : : "r"(base + APIC_TPR), "r"((uint16_t)0x30) : "memory");
	after16 = mmio_read32(base + APIC_TPR);
	printf("# TPR 0x%x, after a 1-byte write of 0x20: 0x%x, after a 2-byte write of 0x30: 0x%x\n", before, after8,
	       after16);
	ok((after8 == before || after8 == 0x20) && (after16 == after8 || after16 == 0x30),
	   "1- and 2-byte writes to the APIC TPR are performed or ignored, and the guest goes on");
	mmio_write32(base + APIC_TPR, before);
}


/* ---- QEMU fw_cfg DMA ---- */

struct fw_cfg_dma {
	uint32_t control, length;
	uint64_t address;
} __packed;

#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SELECT 0x08

static struct fw_cfg_dma dma __aligned(16);
static char dma_buf[8];

/* The descriptor's address, big-endian: high half, then the low half starts the transfer. */
static void fw_cfg_dma_run(uint64_t descriptor)
{
	outl(0x514, __builtin_bswap32((uint32_t)(descriptor >> 32)));
	outl(0x518, __builtin_bswap32((uint32_t)descriptor));
}

/* Reads fw_cfg item 0 (the signature) by DMA into `target`; returns the control word after. */
static uint32_t fw_cfg_dma_signature(uint64_t target, uint64_t descriptor_at)
{
	dma.control = __builtin_bswap32(FW_CFG_DMA_SELECT | FW_CFG_DMA_READ);
	dma.length = __builtin_bswap32(4);
	dma.address = __builtin_bswap64(target);
	fw_cfg_dma_run(descriptor_at);
	return __builtin_bswap32(dma.control);
}

static uint32_t exit_count(void)
{
	struct hc_regs r;

	hypercall(HC_EXIT_COUNT, 0, 0, 0, &r);
	return r.ebx;
}

void check_fw_cfg(void)
{
	uint64_t base, end;
	uint32_t control, before, after;

	if (!on_qemu) {
		skip("no QEMU fw_cfg", "fw_cfg DMA");
		return;
	}
	outw(0x510, 1);
	if (!(inb(0x511) & 2)) {
		skip("fw_cfg without DMA", "fw_cfg DMA");
		return;
	}
	memset(dma_buf, 0, sizeof(dma_buf));
	control = fw_cfg_dma_signature((uint32_t)(uintptr_t)dma_buf, (uint32_t)(uintptr_t)&dma);
	ok(control == 0 && !memcmp(dma_buf, "QEMU", 4), "fw_cfg DMA into guest memory works: '%.4s', control 0x%x",
	   dma_buf, control);
	if (!under_hv) {
		skip("bare", "fw_cfg DMA at hypervisor memory is refused");
		return;
	}
	before = exit_count();
	outw(0x510, 0);
	for (int i = 0; i < 64; i++)
		(void)inb(0x511);
	after = exit_count();
	ok(after - before == 1, "plain fw_cfg I/O (selector and 64 data reads) makes no exit (%u exits between two calls)",
	   after - before);
	if (!hv_range(&base, &end) || end > (1ULL << 32)) {
		skip("no hypervisor range below 4 GiB", "fw_cfg DMA at hypervisor memory is refused");
		return;
	}
	control = fw_cfg_dma_signature(base + 0x1000, (uint32_t)(uintptr_t)&dma);
	ok(control & FW_CFG_DMA_ERROR, "fw_cfg DMA into hypervisor memory at 0x%llx is refused with the error bit (control 0x%x)",
	   base + 0x1000, control);
	dma.control = __builtin_bswap32(FW_CFG_DMA_SELECT | FW_CFG_DMA_READ);
	fw_cfg_dma_run(base);
	ok(hypervisor_alive(), "fw_cfg DMA with its descriptor in hypervisor memory (0x%llx) does nothing; the hypervisor answers",
	   base);
}
