/*
 * PCI configuration filter (include/vmm/pci_cfg.h). An AMD-Vi unit's PCI function carries its
 * IOMMU capability block (48882 section 3.2: header, base address low/high, range, misc); a
 * guest that rewrote the base address could move the unit's registers into its own memory.
 *
 * ECAM: the function's 4 KiB page is mapped read-only, so only writes exit (rare: nothing writes
 * an IOMMU's configuration in normal operation), and those to the block are dropped.
 *
 * Ports (mechanism 1): 0xCF8 latches an address, 0xCFC-0xCFF then reach it. Only 0xCF8 exits
 * (on q35 it does anyway: a 4-byte access there covers the reset port 0xCF9). When the guest
 * latches the address of a unit's function, the hardware gets it with the enable bit clear, so
 * the data ports reach nothing: that function is absent from port configuration space (reads
 * float high, writes are lost) and the data ports never exit. Reads of 0xCF8 return what the
 * guest wrote. Intercepting the data ports instead cost 25,650 more
 * exits in one Linux boot on q35 (Linux uses mechanism 1 for the first 256 bytes, ECAM beyond).
 */
#include "acpi.h"
#include "console.h"
#include "frame.h"
#include "iommu.h"
#include "iommu_amdvi.h"
#include "lib/string.h"
#include "mm.h"
#include "platform.h"
#include "vmm/emulate.h"
#include "vmm/partition.h"
#include "vmm/pci_cfg.h"
#include "x86/cpu.h"

#define PORT_CONFIG_ADDRESS 0xCF8
#define PORT_CONFIG_DATA 0xCFC
#define CONFIG_ENABLE (1u << 31)
#define AMDVI_CAP_BLOCK_LEN 0x18 /* header, base low/high, range, misc 0/1 */
#define MAX_FUNCTIONS 8
#define LOG_LIMIT 16

/* MCFG (PCI Firmware Specification 3.2, 4.1.2): allocations after 44 bytes, 16 bytes each. */
#define MCFG_ALLOCS 44
#define MCFG_ALLOC_LEN 16

struct protected_fn {
	uint16_t segment, bdf, cap;
	paddr_t ecam_page;        /* 0: no ECAM for its segment and bus */
	volatile uint8_t *ecam;   /* the hypervisor's uncached mapping of that page */
};

static struct protected_fn fns[MAX_FUNCTIONS];
static unsigned int nr_fns;
static bool ports_filtered;
static volatile bool port_lock;
static uint32_t address_shadow; /* the guest's view of 0xCF8 */
static unsigned int dropped, hidden;

/* The ECAM page of segment:bdf from the MCFG, or 0. */
static paddr_t ecam_page_of(uint16_t segment, uint16_t bdf)
{
	for (unsigned int i = 0; i < platform_acpi.nr_tables; i++) {
		const struct acpi_table_ref *t = &platform_acpi.tables[i];
		const uint8_t *m;

		if (!t->valid || memcmp(t->sig, "MCFG", 4) || t->length < MCFG_ALLOCS)
			continue;
		m = phys_map(physmap_view(), t->pa, t->length);
		if (!m)
			continue;
		for (uint32_t off = MCFG_ALLOCS; off + MCFG_ALLOC_LEN <= t->length; off += MCFG_ALLOC_LEN) {
			uint64_t base;
			uint16_t seg;
			uint8_t first, last;

			memcpy(&base, m + off, 8);
			memcpy(&seg, m + off + 8, 2);
			first = m[off + 10];
			last = m[off + 11];
			if (seg == segment && PCI_BDF_BUS(bdf) >= first && PCI_BDF_BUS(bdf) <= last)
				return base + ((uint64_t)(PCI_BDF_BUS(bdf) - first) << 20) + ((uint64_t)(bdf & 0xFF) << 12);
		}
	}
	return 0;
}

static bool hits_cap(const struct protected_fn *f, uint32_t reg, uint8_t size)
{
	return reg < (uint32_t)f->cap + AMDVI_CAP_BLOCK_LEN && reg + size > f->cap;
}

static void log_drop(const struct protected_fn *f, const char *how, uint32_t reg, uint8_t size, uint64_t value)
{
	if (dropped++ < LOG_LIMIT)
		pr_warn("pci: guest %u-byte write of %#llx to the AMD-Vi capability of %02x:%02x.%x (offset %#x, %s): dropped",
			size, (unsigned long long)value, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf),
			reg, how);
}

void pci_cfg_intercept(struct partition *p)
{
	uint16_t segment, bdf, cap;

	for (unsigned int i = 0; nr_fns < MAX_FUNCTIONS && amdvi_function(i, &segment, &bdf, &cap); i++) {
		struct protected_fn *f = &fns[nr_fns++];

		*f = (struct protected_fn){ .segment = segment, .bdf = bdf, .cap = cap };
		f->ecam_page = ecam_page_of(segment, bdf);
		if (f->ecam_page)
			f->ecam = ioremap(f->ecam_page, FRAME_SIZE);
		if (f->ecam)
			partition_trap_mmio_writes(p, f->ecam_page);
		else
			f->ecam_page = 0;
		pr_info("pci: AMD-Vi function %04x:%02x:%02x.%x: capability at %#x write-protected (ECAM page %#llx%s)",
			segment, PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), cap,
			(unsigned long long)f->ecam_page, f->ecam_page ? "" : ": none");
	}
	if (!nr_fns)
		return;
	address_shadow = in_sized(PORT_CONFIG_ADDRESS, 4);
	ports_filtered = true;
	io_intercept(p, PORT_CONFIG_ADDRESS, true); /* its 4-byte accesses; 0xCF9 keeps its own rule */
}

/* ---- ports ---- */

static void lock(void)
{
	while (__atomic_exchange_n(&port_lock, true, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&port_lock, false, __ATOMIC_RELEASE);
}

/* Byte and word accesses to 0xCF8-0xCFB are other registers (0xCF9: reset control). */
static bool is_address_port(uint16_t port, uint8_t size)
{
	return ports_filtered && port == PORT_CONFIG_ADDRESS && size == 4;
}

static const struct protected_fn *addressed_fn(uint32_t addr)
{
	if (!(addr & CONFIG_ENABLE))
		return NULL;
	for (unsigned int i = 0; i < nr_fns; i++)
		if (!fns[i].segment && fns[i].bdf == (uint16_t)(addr >> 8))
			return &fns[i];
	return NULL;
}

bool pci_cfg_port_out(uint16_t port, uint8_t size, uint32_t value)
{
	const struct protected_fn *f;

	if (!is_address_port(port, size))
		return false;
	f = addressed_fn(value);
	if (f && hidden++ < LOG_LIMIT)
		pr_info("pci: guest addressed the AMD-Vi function %02x:%02x.%x through port 0xcf8 (%#x): absent there",
			PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), value);
	lock();
	address_shadow = value;
	out_sized(PORT_CONFIG_ADDRESS, 4, f ? value & ~CONFIG_ENABLE : value);
	unlock();
	return true;
}

bool pci_cfg_port_in(uint16_t port, uint8_t size, uint32_t *value)
{
	if (!is_address_port(port, size))
		return false;
	*value = __atomic_load_n(&address_shadow, __ATOMIC_RELAXED);
	return true;
}

/* ---- ECAM ---- */

static struct protected_fn *ecam_fn(uint64_t gpa)
{
	for (unsigned int i = 0; i < nr_fns; i++)
		if (fns[i].ecam_page && gpa >= fns[i].ecam_page && gpa < fns[i].ecam_page + FRAME_SIZE)
			return &fns[i];
	return NULL;
}

bool pci_cfg_is_ecam_trap(uint64_t gpa)
{
	return ecam_fn(gpa) != NULL;
}

static uint64_t ecam_read(volatile uint8_t *p, uint8_t size)
{
	switch (size) {
	case 1: return *p;
	case 2: return *(volatile uint16_t *)p;
	case 4: return *(volatile uint32_t *)p;
	default: return *(volatile uint64_t *)p;
	}
}

static void ecam_write(volatile uint8_t *p, uint8_t size, uint64_t v)
{
	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
	case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
	default: *(volatile uint64_t *)p = v; break;
	}
}

/* A load that exited anyway: performed, into the register as the CPU would have written it. */
static void ecam_load(struct vcpu *v, const struct mmio_insn *insn, uint64_t value)
{
	uint64_t old = vcpu_gpr(v, insn->reg);

	if (insn->high_byte)
		vcpu_set_gpr(v, insn->reg, (old & ~0xFF00ULL) | ((value & 0xFF) << 8));
	else if (insn->zero_extend || insn->reg_size >= 4)
		vcpu_set_gpr(v, insn->reg, value);
	else
		vcpu_set_gpr(v, insn->reg, (old & ~((1ULL << (8 * insn->reg_size)) - 1)) | value);
}

enum exit_verdict pci_cfg_ecam_access(struct vcpu *v)
{
	struct protected_fn *f = ecam_fn(v->exit.gpa);
	uint32_t reg = v->exit.gpa & (FRAME_SIZE - 1);
	uint8_t bytes[INSN_MAX_LEN];
	struct mmio_insn insn;
	size_t avail;
	uint64_t value;

	if (vcpu_fetch_insn(v, bytes, &avail) || insn_decode_mmio(bytes, avail, vcpu_cpu_mode(v), &insn) ||
	    reg + insn.size > FRAME_SIZE) {
		pr_err("vcpu%u: cannot emulate the PCI configuration access at %#llx", v->id,
		       (unsigned long long)v->exit.gpa);
		vcpu_dump(v);
		return EXIT_STOP;
	}
	if (!insn.write) {
		ecam_load(v, &insn, ecam_read(f->ecam + reg, insn.size));
	} else {
		value = insn.has_imm ? insn.imm : vcpu_gpr(v, insn.reg);
		if (insn.high_byte)
			value >>= 8;
		if (insn.size < 8)
			value &= (1ULL << (8 * insn.size)) - 1;
		if (hits_cap(f, reg, insn.size))
			log_drop(f, "ECAM", reg, insn.size, value);
		else
			ecam_write(f->ecam + reg, insn.size, value);
	}
	vcpu_advance_rip(v, insn.len);
	return EXIT_RESUME;
}
