/*
 * MSIs and the AMD-Vi unit's configuration (issues 14 and 18), on q35 with QEMU's edu device.
 * The module string names one test:
 *
 *   fixed     edu's MSI programmed with a fixed vector at this CPU: raised through edu's interrupt
 *             register, it must arrive exactly once (the IOMMU lets fixed interrupts through)
 *   init      the same MSI with delivery mode INIT at this CPU, after CMOS shutdown status 0x0A
 *             and a 40:67 vector. Where the IOMMU blocks it (INITPass=0), the guest runs on; where
 *             it passes (QEMU's model: interrupt control left off, drivers/iommu_amdvi.c), the
 *             INIT must reach the vCPU, never the CPU: the firmware runs again as the guest and
 *             jumps to attack_resume16.S, which must still reach the hypervisor
 *   capwrite  the AMD-Vi function is absent from port configuration space (a port write to its
 *             MSI data is lost, which ECAM shows); through ECAM a write to its MSI data lands and
 *             one to its capability block is dropped (QEMU makes the block read-only anyway: the
 *             case checks the hypervisor's log); another function (edu) works both ways
 */
#include "acpi.h"
#include "apic.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "msi_init";

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_MSI 0x05
#define PCI_CAP_SECURE 0x0f /* the AMD IOMMU capability (48882 3.2.1) */
#define MSI_ENABLE 0x1
#define MSI_64BIT 0x80
#define EDU_ID 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define AMD_ID 0x1022
#define MSI_VECTOR 0x51
#define MSI_DM_INIT (5u << 8)
#define WAIT_US 100000
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SHUTDOWN_STATUS 0x0f
#define SHUTDOWN_JUMP_467 0x0a
#define BDA_RESUME_VECTOR 0x467
#define RESUME_SEG 0x0800

extern const uint8_t resume16_start[], resume16_end[], resume16_hc1[], resume16_hc2[];

static volatile uint32_t hits;
static uint32_t edu_mmio;

static uint32_t cfg_addr(uint16_t bdf, unsigned int off)
{
	return 0x80000000u | (uint32_t)bdf << 8 | (off & 0xfc);
}

static uint32_t pci_read32(uint16_t bdf, unsigned int off)
{
	outl(PCI_CONFIG_ADDRESS, cfg_addr(bdf, off));
	return inl(PCI_CONFIG_DATA);
}

static void pci_write32(uint16_t bdf, unsigned int off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, cfg_addr(bdf, off));
	outl(PCI_CONFIG_DATA, v);
}

/* bus 0 only (q35 puts both edu and the IOMMU there); 0xffff when absent. */
static uint16_t find_fn(uint16_t vendor, uint16_t device, bool any_device, uint32_t class_code)
{
	for (uint16_t bdf = 0; bdf < 256; bdf++) {
		uint32_t id = pci_read32(bdf, 0);

		if ((id & 0xffff) != vendor || (!any_device && id >> 16 != device))
			continue;
		if (!class_code || pci_read32(bdf, 8) >> 16 == class_code)
			return bdf;
	}
	return 0xffff;
}

static unsigned int find_cap(uint16_t bdf, uint8_t id)
{
	for (unsigned int p = pci_read32(bdf, PCI_CAP_PTR) & 0xfc, n = 0; p && n < 48; n++) {
		uint32_t h = pci_read32(bdf, p);

		if ((h & 0xff) == id)
			return p;
		p = (h >> 8) & 0xfc;
	}
	return 0;
}

static void msi_handler(struct trap_frame *f)
{
	(void)f;
	hits++;
	apic_eoi();
}

/* edu's MSI at this CPU with `data`; returns the offset of its data register. */
static unsigned int edu_msi(uint16_t edu, uint32_t data)
{
	unsigned int cap = find_cap(edu, PCI_CAP_MSI);
	uint32_t ctl;
	unsigned int data_off;

	if (!cap)
		abort_test("edu has no MSI capability");
	ctl = pci_read32(edu, cap) >> 16;
	data_off = cap + ((ctl & MSI_64BIT) ? 0xc : 0x8);
	pci_write32(edu, cap + 4, 0xfee00000u | (uint32_t)apic_id() << 12);
	if (ctl & MSI_64BIT)
		pci_write32(edu, cap + 8, 0);
	pci_write32(edu, data_off, data);
	pci_write32(edu, cap, (ctl | MSI_ENABLE) << 16 | (pci_read32(edu, cap) & 0xffff));
	return data_off;
}

static uint16_t setup_edu(void)
{
	uint16_t edu = find_fn(EDU_ID, EDU_DEVICE, false, 0);

	if (edu == 0xffff)
		abort_test("no edu device on bus 0");
	edu_mmio = pci_read32(edu, PCI_BAR0) & ~0xfu;
	pci_write32(edu, PCI_COMMAND, pci_read32(edu, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	printf("# edu at 00:%02x.%x, registers at 0x%x\n", edu >> 3, edu & 7, edu_mmio);
	return edu;
}

static void test_fixed(void)
{
	uint16_t edu = setup_edu();

	set_irq_handler(MSI_VECTOR, msi_handler);
	edu_msi(edu, MSI_VECTOR);
	irq_enable();
	mmio_write32(edu_mmio + EDU_IRQ_RAISE, 1);
	udelay(WAIT_US);
	irq_disable();
	mmio_write32(edu_mmio + EDU_IRQ_ACK, mmio_read32(edu_mmio + EDU_IRQ_STATUS));
	ok(hits == 1, "edu's fixed MSI on vector 0x%x arrived %u time(s), expected 1", MSI_VECTOR, hits);
	ok(hypervisor_intact(), "hypercall 0 answered, hypervisor memory unchanged");
}

static void test_init(void)
{
	uintptr_t code_pa = RESUME_SEG << 4, vec_pa = BDA_RESUME_VECTOR;
	uint16_t edu = setup_edu();
	uint8_t *code;
	volatile uint16_t *vec;

	asm("" : "+r"(code_pa), "+r"(vec_pa)); /* low addresses, identity mapped */
	code = (uint8_t *)code_pa;
	vec = (volatile uint16_t *)vec_pa;
	memcpy(code, resume16_start, (size_t)(resume16_end - resume16_start));
	if (cpu_vendor() == VENDOR_INTEL) { /* VMCALL is 0f 01 c1 */
		code[resume16_hc1 - resume16_start + 2] = 0xc1;
		code[resume16_hc2 - resume16_start + 2] = 0xc1;
	}
	vec[0] = 0;
	vec[1] = RESUME_SEG;
	outb(CMOS_INDEX, CMOS_SHUTDOWN_STATUS);
	outb(CMOS_DATA, SHUTDOWN_JUMP_467);
	edu_msi(edu, MSI_DM_INIT);
	printf("msi_init: edu raises an INIT MSI at this CPU; resume through 40:67 at %04x:0000\n", RESUME_SEG);
	mmio_write32(edu_mmio + EDU_IRQ_RAISE, 1);
	udelay(WAIT_US);
	mmio_write32(edu_mmio + EDU_IRQ_ACK, mmio_read32(edu_mmio + EDU_IRQ_STATUS));
	printf("msi_init: still running: the INIT MSI was blocked\n");
	ok(hypervisor_intact(), "after a blocked INIT MSI: hypercall 0 answered, hypervisor memory unchanged");
}

/* q35's ECAM base from the MCFG (its first allocation, segment 0 from bus 0). */
static uint32_t ecam_base(void)
{
	const struct acpi_header *m = acpi_find_table("MCFG");

	return m ? *(const uint32_t *)((const uint8_t *)m + 44) : 0;
}

static volatile uint32_t *ecam_fn(uint32_t ecam, uint16_t bdf)
{
	return (volatile uint32_t *)(ecam + ((uint32_t)bdf << 12));
}

/* The AMD IOMMU function on bus 0, found through ECAM (port configuration space hides it). */
static uint16_t find_iommu_ecam(uint32_t ecam)
{
	for (uint16_t bdf = 0; bdf < 256; bdf++)
		if ((ecam_fn(ecam, bdf)[0] & 0xffff) == AMD_ID && ecam_fn(ecam, bdf)[2] >> 16 == 0x0806)
			return bdf;
	return 0xffff;
}

static unsigned int find_cap_ecam(volatile uint32_t *cfg, uint8_t id)
{
	for (unsigned int p = cfg[PCI_CAP_PTR / 4] & 0xfc, n = 0; p && n < 48; n++) {
		if ((cfg[p / 4] & 0xff) == id)
			return p;
		p = (cfg[p / 4] >> 8) & 0xfc;
	}
	return 0;
}

static void test_capwrite(void)
{
	uint16_t edu = setup_edu(), iommu;
	uint32_t ecam = ecam_base(), cap, msi, before, data_off;
	volatile uint32_t *cfg;

	if (!ok(ecam != 0, "an MCFG: ECAM at 0x%x", ecam))
		done();
	iommu = find_iommu_ecam(ecam);
	if (!ok(iommu != 0xffff, "an AMD IOMMU function (class 08.06) on bus 0 through ECAM"))
		done();
	cfg = ecam_fn(ecam, iommu);
	cap = find_cap_ecam(cfg, PCI_CAP_SECURE);
	msi = find_cap_ecam(cfg, PCI_CAP_MSI);
	if (!ok(cap && msi, "its IOMMU capability at 0x%x, MSI capability at 0x%x", cap, msi))
		done();
	ok(pci_read32(iommu, 0) == 0xffffffff, "through 0xCF8/0xCFC the function is absent (ID reads 0x%x)",
	   pci_read32(iommu, 0));
	/* Its MSI data register is writable: a port write must not reach it, an ECAM write must. */
	before = cfg[(msi + 8) / 4];
	pci_write32(iommu, msi + 8, before ^ 0x5a);
	ok(cfg[(msi + 8) / 4] == before, "a port write to its MSI data is lost (0x%x)", cfg[(msi + 8) / 4]);
	cfg[(msi + 8) / 4] = before ^ 0x5a;
	ok(cfg[(msi + 8) / 4] == (before ^ 0x5a), "an ECAM write to its MSI data lands (0x%x)", cfg[(msi + 8) / 4]);
	cfg[(msi + 8) / 4] = before;
	before = cfg[(cap + 4) / 4];
	printf("msi_init: AMD-Vi 00:%02x.%x base low 0x%x; writing it through ECAM\n", iommu >> 3, iommu & 7, before);
	cfg[(cap + 4) / 4] = 0xbeef0001;
	ok(cfg[(cap + 4) / 4] == before, "the base address reads 0x%x as before", before);
	/* Another function is untouched by all this: edu's MSI data, by ports and by ECAM. */
	data_off = edu_msi(edu, 0x42);
	ok(pci_read32(edu, data_off) == 0x42, "a port write to edu's MSI data lands (0x%x)", pci_read32(edu, data_off));
	ecam_fn(ecam, edu)[data_off / 4] = 0x43;
	ok(pci_read32(edu, data_off) == 0x43, "an ECAM write to edu's MSI data lands (0x%x)", pci_read32(edu, data_off));
	outl(PCI_CONFIG_ADDRESS, cfg_addr(iommu, 0));
	ok(inl(PCI_CONFIG_ADDRESS) == cfg_addr(iommu, 0), "0xCF8 reads back the address the guest wrote");
	ok(hypervisor_intact(), "hypercall 0 answered, hypervisor memory unchanged");
}

static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++)
		if ((s == mb_args() || s[-1] == ' ') && !strncmp(s, w, n) && (s[n] == ' ' || !s[n]))
			return true;
	return false;
}

void guest_main(void)
{
	const char *args = mb_args();

	if (!apic_init())
		abort_test("no usable local APIC");
	if (has_word(args, "capwrite"))
		test_capwrite();
	else if (has_word(args, "init"))
		test_init();
	else if (has_word(args, "fixed"))
		test_fixed();
	else
		abort_test("module string names no test (fixed, init, capwrite)");
	done();
}
