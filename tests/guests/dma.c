/*
 * DMA protection: QEMU's `edu` device (PCI 1234:11e8) copies between guest memory and its own
 * 4 KiB buffer, and this guest aims it at guest RAM and at the hypervisor (the range HC_HV_RANGE
 * reports). With an IOMMU, DMA into guest RAM works and DMA into the hypervisor is blocked:
 *   (a) guest RAM -> edu buffer -> other guest RAM gives back the same bytes;
 *   (b) edu buffer -> hypervisor code: HC_SELF_CHECK still finds its code and read-only data as at
 *       boot (the case also looks for the hypervisor's fault line naming edu's BDF);
 *   (c) hypervisor code -> edu buffer -> guest RAM: what arrives is the buffer's earlier contents
 *       or zeros (QEMU's answer to a blocked DMA read), never the hypervisor's bytes.
 * And the ACPI tables the guest finds (through the RSDP in the BIOS area) list no DMAR or IVRS,
 * while the root table's checksum still holds and the FADT and MADT are still listed.
 * With the word `unconfined` on the command line (a machine without an IOMMU) the guest expects
 * (c) to return the hypervisor's bytes, which proves the check can fail, and skips (b): writing
 * into the running hypervisor's code would not be a test result but a crash.
 *
 * edu (QEMU 7.2 hw/misc/edu.c, docs/specs/edu.rst): BAR0 registers 0x80 source, 0x88 destination,
 * 0x90 count, 0x98 command (bit 0 start, cleared when done; bit 1 set: buffer to RAM, clear: RAM
 * to buffer). The buffer sits at device address 0x40000; a transfer outside it stops QEMU, so all
 * transfers stay inside it. DMA addresses are masked to 28 bits unless the case sets dma_mask.
 */
#include "acpi.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "x86.h"

const char guest_name[] = "dma";

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY (1U << 1)
#define PCI_COMMAND_MASTER (1U << 2)
#define PCI_BAR0 0x10

#define EDU_ID 0x1234u
#define EDU_DEVICE 0x11e8u
#define EDU_IDENT 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_RUN 0x1u
#define EDU_CMD_TO_RAM 0x2u
#define EDU_BUFFER 0x40000u
/*
 * QEMU 7.2's edu_check_range() takes the end of a transfer as exclusive-within the buffer, so a
 * transfer that ends exactly at the buffer's end stops QEMU ("DMA range 0x40000-0x40fff out of
 * bounds (0x40000-0x40fff)", seen with count 4096): transfers use the first half of the buffer.
 */
#define EDU_BUFFER_SIZE 4096u
#define XFER 2048u
#define DMA_TIMEOUT_MS 3000 /* edu runs each transfer from a 100 ms timer */

/* Offsets into the hypervisor's range that fall in its code, past the 32-bit boot section. */
static const uint32_t hv_targets[] = { 0x10000, 0x20000 };

static uint8_t ram_src[XFER] __attribute__((aligned(4096)));
static uint8_t ram_dst[XFER] __attribute__((aligned(4096)));
static uint32_t edu_mmio;

static uint32_t pci_read32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int off)
{
	outl(PCI_CONFIG_ADDRESS, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(PCI_CONFIG_DATA);
}

static void pci_write32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	outl(PCI_CONFIG_DATA, v);
}

/* edu on bus 0 (where q35 puts a -device without a bus): memory decoding and bus mastering on. */
static bool find_edu(void)
{
	for (unsigned int dev = 0; dev < 32; dev++) {
		for (unsigned int fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read32(0, dev, fn, 0);

			if (id != (EDU_DEVICE << 16 | EDU_ID))
				continue;
			edu_mmio = pci_read32(0, dev, fn, PCI_BAR0) & ~0xfu;
			pci_write32(0, dev, fn, PCI_COMMAND,
				    pci_read32(0, dev, fn, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
			printf("# edu at 00:%02x.%x, registers at 0x%x\n", dev, fn, edu_mmio);
			return edu_mmio != 0;
		}
	}
	return false;
}

/* One transfer; false when edu did not finish it in time. */
static bool edu_dma(uint32_t src, uint32_t dst, uint32_t count, uint32_t cmd)
{
	mmio_write32(edu_mmio + EDU_DMA_SRC, src);
	mmio_write32(edu_mmio + EDU_DMA_DST, dst);
	mmio_write32(edu_mmio + EDU_DMA_COUNT, count);
	mmio_write32(edu_mmio + EDU_DMA_CMD, cmd | EDU_CMD_RUN);
	for (unsigned int ms = 0; ms < DMA_TIMEOUT_MS; ms++) {
		if (!(mmio_read32(edu_mmio + EDU_DMA_CMD) & EDU_CMD_RUN))
			return true;
		udelay(1000);
	}
	return false;
}

static bool to_buffer(uint32_t src)
{
	return edu_dma(src, EDU_BUFFER, XFER, 0);
}

static bool from_buffer(uint32_t dst)
{
	return edu_dma(EDU_BUFFER, dst, XFER, EDU_CMD_TO_RAM);
}

static uint8_t pattern(unsigned int i, unsigned int seed)
{
	return (uint8_t)(i * 7 + seed + (i >> 8));
}

/* (a): guest RAM -> edu -> other guest RAM, byte for byte. */
static void check_ram_copy(unsigned int seed, const char *when)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < XFER; i++)
		ram_src[i] = pattern(i, seed);
	memset(ram_dst, 0xee, sizeof(ram_dst));
	if (!ok(to_buffer((uint32_t)ram_src) && from_buffer((uint32_t)ram_dst), "%s: edu finishes both transfers", when))
		return;
	for (unsigned int i = 0; i < XFER; i++)
		bad += ram_dst[i] != pattern(i, seed);
	ok(!bad, "%s: DMA guest RAM 0x%x -> edu -> guest RAM 0x%x gives the same %u bytes (%u differ)", when,
	   (uint32_t)ram_src, (uint32_t)ram_dst, XFER, bad);
}

/* (b): DMA writes into the hypervisor's code must not land. */
static void check_write_blocked(uint64_t base, uint64_t end)
{
	memset(ram_src, 0xcc, sizeof(ram_src)); /* int3: unmistakable in code */
	if (!ok(to_buffer((uint32_t)ram_src), "edu buffer loaded with the bytes aimed at the hypervisor"))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(hv_targets); i++) {
		uint64_t target = base + hv_targets[i];

		if (target + XFER > end)
			continue;
		ok(from_buffer((uint32_t)target), "edu finishes a %u-byte DMA write to hypervisor memory at 0x%llx",
		   XFER, target);
	}
	ok(hypervisor_intact(), "HC_SELF_CHECK: the hypervisor's code and read-only data are unchanged");
}

/* What a DMA read of hypervisor memory delivered, as seen after copying the buffer back to RAM. */
enum read_result { READ_UNCHANGED, READ_ZEROS, READ_OTHER };

static enum read_result read_hypervisor(uint64_t target)
{
	unsigned int fill = 0, zeros = 0;

	memset(ram_src, 0x5a, sizeof(ram_src));
	if (!to_buffer((uint32_t)ram_src) || !to_buffer((uint32_t)target))
		return READ_OTHER;
	memset(ram_dst, 0x11, sizeof(ram_dst));
	if (!from_buffer((uint32_t)ram_dst))
		return READ_OTHER;
	for (unsigned int i = 0; i < XFER; i++) {
		fill += ram_dst[i] == 0x5a;
		zeros += ram_dst[i] == 0;
	}
	printf("# DMA read of 0x%llx: %u bytes still 0x5a, %u zero, first bytes %02x %02x %02x %02x\n", target, fill,
	       zeros, ram_dst[0], ram_dst[1], ram_dst[2], ram_dst[3]);
	if (fill == XFER)
		return READ_UNCHANGED;
	return zeros == XFER ? READ_ZEROS : READ_OTHER;
}

/* The firmware's DMAR/IVRS are the hypervisor's: the root table the guest finds lists neither. */
static void check_tables(void)
{
	const struct acpi_rsdp *r = acpi_find_rsdp();

	if (!ok(r != NULL, "an RSDP in the BIOS area"))
		return;
	printf("# RSDP revision %u, RSDT 0x%x\n", r->revision, r->rsdt);
	ok(acpi_find_table("FACP") && acpi_find_table("APIC"),
	   "the root table's checksum holds and it still lists the FADT and the MADT");
	ok(!acpi_find_table("DMAR") && !acpi_find_table("IVRS"), "the root table lists no DMAR or IVRS");
}

void guest_main(void)
{
	bool unconfined = mb_has_word("unconfined");
	uint64_t base, end;
	enum read_result r;

	if (!find_edu())
		abort_test("no edu device (PCI 1234:11e8) on bus 0");
	ok(mmio_read32(edu_mmio + EDU_IDENT) >> 16 == 0x0100, "edu identifies itself (0x%x)",
	   mmio_read32(edu_mmio + EDU_IDENT));
	check_tables();
	check_ram_copy(3, "before");
	if (!ok(hv_range(&base, &end), "HC_HV_RANGE returns the hypervisor's range"))
		return;
	printf("# hypervisor memory: 0x%llx-0x%llx\n", base, end);
	if (end > (1ULL << 32) || base + hv_targets[0] + XFER > end) {
		skip("hypervisor above 4 GiB or too small", "DMA into hypervisor memory");
		return;
	}
	r = read_hypervisor(base + hv_targets[0]);
	if (unconfined) {
		ok(r == READ_OTHER, "no IOMMU: a DMA read of the hypervisor's code returns its bytes (DMA is not confined)");
		skip("no IOMMU: the write would land in the running hypervisor", "DMA writes to hypervisor memory blocked");
	} else {
		ok(r != READ_OTHER, "a DMA read of the hypervisor's code at 0x%llx is blocked (%s)", base + hv_targets[0],
		   r == READ_ZEROS ? "zeros arrived" : r == READ_UNCHANGED ? "the buffer kept its bytes" : "its bytes arrived");
		check_write_blocked(base, end);
	}
	check_ram_copy(5, "after");
	/* The statistics path polls the IOMMUs' faults first: the fault lines are out before the guest ends. */
	hypercall(HC_EXIT_TABLE, 0, 0, 0, NULL);
}
