/*
 * fw_cfg DMA under QEMU (see include/vmm/fwcfg.h). The guest's descriptor is copied once into
 * hypervisor memory and checked there: its target must be guest RAM. The device is then given the
 * copy, so it never reads a descriptor the guest can change after the check, and the status the
 * device writes back is copied to the guest's descriptor.
 */
#include "console.h"
#include "lib/string.h"
#include "mm.h"
#include "vmm/fwcfg.h"
#include "vmm/partition.h"
#include "x86/cpu.h"

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA 0x511
#define FWCFG_KEY_SIGNATURE 0x0000
#define FWCFG_KEY_ID 0x0001
#define FWCFG_ID_DMA (1U << 1)
#define FWCFG_LOG_LIMIT 16

static bool dma_present;
static volatile bool dma_lock;
static uint32_t dma_high;             /* the guest's write to 0x514, waiting for 0x518 */
static struct fwcfg_dma_access *bounce; /* the descriptor the device sees */
static paddr_t bounce_pa;

bool fwcfg_dma_target(uint32_t control, uint32_t length, uint64_t address, uint64_t *start, uint64_t *end)
{
	if (!(control & (FWCFG_DMA_CTL_READ | FWCFG_DMA_CTL_WRITE)) || !length)
		return false;
	*start = address;
	*end = address + length;
	return true;
}

/* The selector/data protocol, used once at boot to see whether fw_cfg with DMA is there. */
static uint32_t fwcfg_read32(uint16_t key)
{
	uint32_t value = 0;

	outw(FWCFG_PORT_SELECTOR, key);
	for (int i = 0; i < 4; i++)
		value |= (uint32_t)inb(FWCFG_PORT_DATA) << (8 * i);
	return value;
}

void fwcfg_intercept(struct partition *p)
{
	/* "QEMU" read byte by byte from the signature item. */
	if (fwcfg_read32(FWCFG_KEY_SIGNATURE) != 0x554D4551 || !(fwcfg_read32(FWCFG_KEY_ID) & FWCFG_ID_DMA))
		return;
	bounce = alloc_zeroed_frames(sizeof(*bounce), &bounce_pa);
	for (uint16_t port = FWCFG_PORT_DMA; port < FWCFG_PORT_DMA_END; port++)
		io_intercept(p, port, true);
	dma_present = true;
	pr_info("fwcfg: QEMU fw_cfg with DMA: the DMA address register (0x514-0x51b) is intercepted");
}

static void refuse(struct vcpu *v, uint64_t gpa, const char *why)
{
	static unsigned int logged;

	if (logged++ < FWCFG_LOG_LIMIT)
		pr_warn("vcpu%u: fw_cfg DMA with descriptor at %#llx refused: %s", v->id, (unsigned long long)gpa, why);
}

static void run_dma(struct vcpu *v, uint64_t gpa)
{
	struct partition *p = v->part;
	struct fwcfg_dma_access *guest = partition_gpa_to_hva(p, gpa, sizeof(*guest));
	uint64_t start, end;
	uint32_t control, length;
	uint64_t address;

	if (!guest) {
		refuse(v, gpa, "the descriptor is not in guest RAM");
		return; /* the device would read memory the guest does not own: nothing happens */
	}
	memcpy(bounce, guest, sizeof(*bounce));
	control = __builtin_bswap32(bounce->control);
	length = __builtin_bswap32(bounce->length);
	address = __builtin_bswap64(bounce->address);
	if (fwcfg_dma_target(control, length, address, &start, &end) &&
	    (end < start || !partition_gpa_to_hva(p, start, end - start))) {
		refuse(v, gpa, "its target is not guest RAM");
		guest->control = __builtin_bswap32(FWCFG_DMA_CTL_ERROR);
		return;
	}
	/* Big-endian: the high half first, the low half starts the transfer (synchronous in QEMU). */
	outl(FWCFG_PORT_DMA, __builtin_bswap32((uint32_t)(bounce_pa >> 32)));
	outl(FWCFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)bounce_pa));
	asm volatile("" : : : "memory"); /* the device wrote the status into the copy */
	guest->control = bounce->control;
}

void fwcfg_dma_io(struct vcpu *v, uint16_t port, uint8_t size, bool in, uint32_t *value)
{
	if (in) {
		/* Reads return the register's signature ("QEMU CFG"): harmless, from the device. */
		*value = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
		return;
	}
	/* The device takes only 32-bit halves (QEMU fw_cfg_dma_mem_write); anything else does nothing. */
	if (!dma_present || size != 4 || (port != FWCFG_PORT_DMA && port != FWCFG_PORT_DMA + 4))
		return;
	while (__atomic_exchange_n(&dma_lock, true, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (port == FWCFG_PORT_DMA)
		dma_high = __builtin_bswap32(*value);
	else {
		run_dma(v, ((uint64_t)dma_high << 32) | __builtin_bswap32(*value));
		dma_high = 0;
	}
	__atomic_store_n(&dma_lock, false, __ATOMIC_RELEASE);
}
