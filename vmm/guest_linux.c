/*
 * The Linux loader: a bzImage (boot protocol 2.10 or newer, Documentation/arch/x86/boot.rst)
 * from module 0, its initrd from module 1, entered through the 32-bit boot protocol. The module
 * string is the kernel's command line, unchanged.
 */
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "vmm/guest.h"

#define SETUP_HEADER 0x1F1         /* offset of the setup header in the image and in boot_params */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_BOOT_FLAG 0x1FE        /* 0xAA55 */
#define HDR_MAGIC 0x202            /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define BP_E820_MAX 128
#define BOOT_PARAMS_SIZE 4096

#define BOOT_FLAG 0xAA55
#define HDRS_MAGIC 0x53726448
#define MIN_PROTOCOL 0x020A        /* 2.10: init_size, pref_address, relocatable kernels */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define LOADER_UNDEFINED 0xFF      /* type_of_loader for a loader without an assigned id */
#define DEFAULT_LOAD_ADDRESS 0x100000
#define LINUX_BOOT_AREA (boot_params_bytes + BOOT_CMDLINE_MAX + BOOT_RSDP_MAX)

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __packed;

static const uint64_t boot_params_bytes = BOOT_PARAMS_SIZE;

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint16_t get16(const uint8_t *p, unsigned int off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static int fail(const char *name, const char *why)
{
	pr_err("guest: cannot load Linux '%s': %s", name, why);
	return -E_INVAL;
}

bool guest_is_linux(const struct boot_info *bi)
{
	const uint8_t *img = phys_to_virt(bi->mods[0].start);
	uint64_t size = bi->mods[0].end - bi->mods[0].start;

	return size > HDR_MAGIC + 4 && get16(img, HDR_BOOT_FLAG) == BOOT_FLAG && get32(img, HDR_MAGIC) == HDRS_MAGIC;
}

/* Where the protected-mode kernel goes: its preferred address, else the highest aligned fit. */
static int place_kernel(const struct partition *p, const uint8_t *img, uint64_t need, const struct boot_info *bi,
			uint64_t *load)
{
	uint64_t pref = get32(img, HDR_PREF_ADDRESS) | (uint64_t)get32(img, HDR_PREF_ADDRESS + 4) << 32;
	uint64_t align = get32(img, HDR_KERNEL_ALIGNMENT);
	static struct range_set free;

	range_set_init(&free);
	for (unsigned int i = 0; i < p->ram.nr; i++)
		BUG_ON(range_set_add(&free, p->ram.r[i].start, p->ram.r[i].end));
	for (uint32_t m = 0; m < bi->nr_mods; m++)
		BUG_ON(range_set_remove(&free, bi->mods[m].start, bi->mods[m].end));
	if (!pref)
		pref = DEFAULT_LOAD_ADDRESS;
	if (range_set_contains(&free, pref, pref + need)) {
		*load = pref;
		return 0;
	}
	if (!img[HDR_RELOCATABLE])
		return -E_NOMEM; /* only its preferred address will do, and that is taken */
	if (!align || (align & (align - 1)))
		align = 2 * MiB;
	return range_set_find_top(&free, need, align, 4 * GiB, load) ? -E_NOMEM : 0;
}

/* The initrd: page-aligned, as high as initrd_addr_max allows, clear of the kernel's init_size. */
static int place_initrd(const struct partition *p, const struct boot_info *bi, uint64_t limit, uint64_t kernel,
			uint64_t kernel_need, uint64_t *at)
{
	static struct range_set free;
	uint64_t size = bi->mods[1].end - bi->mods[1].start;

	range_set_init(&free);
	for (unsigned int i = 0; i < p->ram.nr; i++)
		BUG_ON(range_set_add(&free, p->ram.r[i].start, p->ram.r[i].end));
	BUG_ON(range_set_remove(&free, kernel, kernel + kernel_need));
	BUG_ON(range_set_remove(&free, bi->mods[0].start, bi->mods[0].end));
	BUG_ON(range_set_remove(&free, 0, MiB));
	BUG_ON(range_set_align_pages(&free, FRAME_SIZE));
	return range_set_find_top(&free, ALIGN_UP(size, FRAME_SIZE), FRAME_SIZE, limit + 1, at) ? -E_NOMEM : 0;
}

static void build_e820(const struct partition *p, const struct boot_info *bi, uint8_t *bp)
{
	static struct guest_mem_entry entries[BP_E820_MAX];
	unsigned int n = guest_memory_map(p, bi, entries, BP_E820_MAX);
	struct e820_entry *e820 = (struct e820_entry *)(bp + BP_E820_TABLE);

	for (unsigned int i = 0; i < n; i++)
		e820[i] = (struct e820_entry){ entries[i].base, entries[i].len, entries[i].type };
	bp[BP_E820_ENTRIES] = (uint8_t)n;
}

int guest_load_linux(struct partition *p, const struct boot_info *bi)
{
	const char *name = bi->mods[0].cmdline;
	const uint8_t *img = phys_to_virt(bi->mods[0].start);
	uint64_t size = bi->mods[0].end - bi->mods[0].start;
	unsigned int setup_sects, header_end;
	uint64_t pm_offset, pm_size, init_size, load, boot_area, initrd = 0, initrd_size = 0;
	uint32_t cmdline_size;
	static struct range_set busy;
	uint8_t *bp;
	char *cmdline;
	int rc;

	if (get16(img, HDR_VERSION) < MIN_PROTOCOL)
		return fail(name, "boot protocol older than 2.10");
	setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	header_end = HDR_MAGIC + img[HDR_MAGIC - 1]; /* the byte at 0x201 gives the header's length */
	pm_offset = (uint64_t)(setup_sects + 1) * 512;
	if (pm_offset >= size || header_end > BOOT_PARAMS_SIZE || header_end > pm_offset)
		return fail(name, "truncated: the setup header says the kernel starts past the end of the file");
	pm_size = size - pm_offset;
	init_size = get32(img, HDR_INIT_SIZE);
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return fail(name, "not a bzImage (LOADED_HIGH clear)");
	if (init_size < pm_size)
		init_size = pm_size;
	cmdline_size = get32(img, HDR_CMDLINE_SIZE);
	if (strlen(name) > cmdline_size)
		return fail(name, "the command line is longer than the kernel accepts (cmdline_size)");
	if (place_kernel(p, img, init_size, bi, &load))
		return fail(name, "no room in guest RAM for the kernel at an address it accepts");
	if (bi->nr_mods > 1) {
		initrd_size = bi->mods[1].end - bi->mods[1].start;
		if (place_initrd(p, bi, get32(img, HDR_INITRD_ADDR_MAX), load, init_size, &initrd))
			return fail(name, "the initrd does not fit below initrd_addr_max");
	}
	range_set_init(&busy);
	BUG_ON(range_set_add(&busy, load, load + init_size));
	for (uint32_t m = 0; m < bi->nr_mods; m++)
		BUG_ON(range_set_add(&busy, bi->mods[m].start, bi->mods[m].end));
	rc = guest_place_low(p, &busy, LINUX_BOOT_AREA, &boot_area);
	if (rc)
		return rc;

	/* Nothing is overwritten before here: the module may still lie where the kernel goes. */
	if (bi->nr_mods > 1)
		memmove(phys_to_virt(initrd), phys_to_virt(bi->mods[1].start), initrd_size);
	memmove(phys_to_virt(load), img + pm_offset, pm_size);
	bp = phys_to_virt(boot_area);
	memset(bp, 0, LINUX_BOOT_AREA);
	memcpy(bp + SETUP_HEADER, img + SETUP_HEADER, header_end - SETUP_HEADER);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	bp[HDR_HEAP_END_PTR] = 0; /* no real-mode heap: the setup code does not run */
	put32(bp, HDR_CODE32_START, (uint32_t)load);
	put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)initrd);
	put32(bp, HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
	cmdline = (char *)bp + boot_params_bytes;
	strlcpy(cmdline, name, BOOT_CMDLINE_MAX);
	put32(bp, HDR_CMD_LINE_PTR, (uint32_t)(boot_area + boot_params_bytes));
	if (bi->rsdp_len) {
		/* Booted through UEFI there is no RSDP in the BIOS area: give Linux the loader's copy. */
		uint64_t rsdp = boot_area + boot_params_bytes + BOOT_CMDLINE_MAX;

		memcpy(phys_to_virt(rsdp), bi->rsdp, bi->rsdp_len);
		memcpy(bp + BP_ACPI_RSDP_ADDR, &rsdp, sizeof(rsdp));
	}
	build_e820(p, bi, bp);

	p->entry.rip = load;
	memset(&p->entry.regs, 0, sizeof(p->entry.regs));
	p->entry.regs.rsi = boot_area;
	p->entry.linux_selectors = true;
	pr_info("guest: Linux '%s' (boot protocol %u.%02u) loaded at %#llx (%llu KiB, init_size %llu KiB), "
		"initrd %#llx (%llu KiB), boot_params at %#llx",
		name, get16(img, HDR_VERSION) >> 8, get16(img, HDR_VERSION) & 0xFF, (unsigned long long)load,
		(unsigned long long)(pm_size / KiB), (unsigned long long)(init_size / KiB), (unsigned long long)initrd,
		(unsigned long long)(initrd_size / KiB), (unsigned long long)boot_area);
	return 0;
}
