/*
 * The Linux boot protocol over byte buffers and range sets: setup header, placement, boot_params
 * (Documentation/arch/x86/boot.rst). Offsets are the same in the image and in boot_params.
 */
#include "errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vmm/linux_boot.h"

#define HDR_SETUP_SECTS 0x1F1      /* the setup header starts here */
#define HDR_BOOT_FLAG 0x1FE        /* 0xAA55 */
#define HDR_JUMP_OFFSET 0x201      /* the jump at 0x200 lands on the header's end */
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
#define E820_ENTRY_SIZE 20         /* packed: u64 addr, u64 size, u32 type */

/* struct screen_info at the start of boot_params (include/uapi/linux/screen_info.h). */
#define SI_ORIG_VIDEO_MODE 0x06
#define SI_ORIG_VIDEO_COLS 0x07
#define SI_ORIG_VIDEO_LINES 0x0E
#define SI_ORIG_VIDEO_ISVGA 0x0F
#define SI_ORIG_VIDEO_POINTS 0x10
#define SI_LFB_WIDTH 0x12
#define SI_LFB_HEIGHT 0x14
#define SI_LFB_DEPTH 0x16
#define SI_LFB_BASE 0x18
#define SI_LFB_SIZE 0x1C
#define SI_LFB_LINELENGTH 0x24
#define SI_RED_SIZE 0x26 /* then red_pos, green_size, green_pos, blue_size, blue_pos, rsvd_size, rsvd_pos */
#define SI_CAPABILITIES 0x36
#define SI_EXT_LFB_BASE 0x3A
#define VIDEO_TYPE_VGAC 0x22      /* VGA in colour text mode */
#define VIDEO_TYPE_VLFB 0x23      /* VESA linear framebuffer */
#define VIDEO_TYPE_EFI 0x70       /* EFI GOP framebuffer */
#define VIDEO_CAPABILITY_64BIT_BASE (1U << 1)
#define VGA_TEXT_MODE 3
#define VGA_FONT_HEIGHT 16
#define VESA_LFB_SIZE_UNIT (64 * KiB) /* vesafb counts lfb_size in 64 KiB units, efifb in bytes */

#define SECTOR_SIZE 512
#define DEFAULT_SETUP_SECTS 4      /* what setup_sects 0 means */
#define BOOT_FLAG 0xAA55
#define HDRS_MAGIC 0x53726448
#define MIN_PROTOCOL 0x020A        /* 2.10: init_size, pref_address, relocatable kernels */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define LOADER_UNDEFINED 0xFF      /* type_of_loader for a loader without an assigned id */
#define DEFAULT_LOAD_ADDRESS (1 * MiB)
#define DEFAULT_KERNEL_ALIGNMENT (2 * MiB)
#define LOW_MEMORY_END (1 * MiB)   /* the initrd stays above the BIOS area */
#define PAGE_SIZE_4K 4096
#define LIMIT_32BIT (4 * GiB)

/* Scratch for the placement functions, 4 KiB: kept off the hypervisor stacks. */
static struct range_set scratch;

static uint16_t get16(const uint8_t *p, unsigned int off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	return (uint32_t)get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static uint64_t get64(const uint8_t *p, unsigned int off)
{
	return (uint64_t)get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

static void put16(uint8_t *p, unsigned int off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, unsigned int off, uint64_t v)
{
	put32(p, off, (uint32_t)v);
	put32(p, off + 4, (uint32_t)(v >> 32));
}

int linux_refuse(int rc, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

bool linux_is_bzimage(const uint8_t *img, uint64_t size)
{
	return size > HDR_MAGIC + 4 && get16(img, HDR_BOOT_FLAG) == BOOT_FLAG && get32(img, HDR_MAGIC) == HDRS_MAGIC;
}

int linux_parse_header(const uint8_t *img, uint64_t size, struct linux_header *h, char *why, size_t len)
{
	static const char truncated[] = "truncated: the setup header says the kernel starts past the end of the file";

	if (!linux_is_bzimage(img, size))
		return linux_refuse(-E_INVAL, why, len, "not a bzImage (no setup header magic)");
	if (size < HDR_VERSION + 2)
		return linux_refuse(-E_INVAL, why, len, "%s", truncated);
	h->version = get16(img, HDR_VERSION);
	if (h->version < MIN_PROTOCOL)
		return linux_refuse(-E_INVAL, why, len, "boot protocol older than 2.10");
	h->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : DEFAULT_SETUP_SECTS;
	h->header_end = HDR_MAGIC + img[HDR_JUMP_OFFSET];
	h->pm_offset = (uint64_t)(h->setup_sects + 1) * SECTOR_SIZE;
	if (h->pm_offset >= size || h->header_end > LINUX_BOOT_PARAMS_SIZE || h->header_end > h->pm_offset)
		return linux_refuse(-E_INVAL, why, len, "%s", truncated);
	/* pm_offset >= 5 sectors: every field below lies inside the file from here on. */
	h->pm_size = size - h->pm_offset;
	h->loadflags = img[HDR_LOADFLAGS];
	if (!(h->loadflags & LOADED_HIGH))
		return linux_refuse(-E_INVAL, why, len, "not a bzImage (LOADED_HIGH clear)");
	h->relocatable = img[HDR_RELOCATABLE] != 0;
	h->init_size = MAX((uint64_t)get32(img, HDR_INIT_SIZE), h->pm_size);
	h->pref_address = get64(img, HDR_PREF_ADDRESS);
	if (!h->pref_address)
		h->pref_address = DEFAULT_LOAD_ADDRESS;
	h->kernel_alignment = get32(img, HDR_KERNEL_ALIGNMENT);
	if (!h->kernel_alignment || (h->kernel_alignment & (h->kernel_alignment - 1)))
		h->kernel_alignment = DEFAULT_KERNEL_ALIGNMENT;
	h->initrd_addr_max = get32(img, HDR_INITRD_ADDR_MAX);
	h->cmdline_size = get32(img, HDR_CMDLINE_SIZE);
	return 0;
}

int linux_check_cmdline(const struct linux_header *h, const char *cmdline, char *why, size_t len)
{
	if (strlen(cmdline) > h->cmdline_size)
		return linux_refuse(-E_INVAL, why, len, "the command line is longer than the kernel accepts (cmdline_size)");
	return 0;
}

int linux_place_kernel(const struct linux_header *h, const struct range_set *ram, const struct range_set *mods,
		       uint64_t *load, char *why, size_t len)
{
	static const char no_room[] = "no room in guest RAM for the kernel at an address it accepts";
	uint64_t pref = h->pref_address, need = h->init_size;

	scratch = *ram;
	for (unsigned int i = 0; i < mods->nr; i++)
		if (range_set_remove(&scratch, mods->r[i].start, mods->r[i].end))
			return linux_refuse(-E_NOMEM, why, len, "guest RAM is in too many pieces");
	if (pref <= LIMIT_32BIT && need <= LIMIT_32BIT - pref && range_set_contains(&scratch, pref, pref + need)) {
		*load = pref;
		return 0;
	}
	if (!h->relocatable)
		return linux_refuse(-E_NOMEM, why, len, "%s", no_room); /* only its preferred address will do */
	if (range_set_find_top(&scratch, need, h->kernel_alignment, LIMIT_32BIT, load))
		return linux_refuse(-E_NOMEM, why, len, "%s", no_room);
	return 0;
}

int linux_place_initrd(const struct linux_header *h, const struct range_set *ram, const struct range *image,
		       uint64_t load, uint64_t size, uint64_t *at, char *why, size_t len)
{
	uint64_t limit = (uint64_t)h->initrd_addr_max + 1; /* one past the last byte it may use */
	uint64_t room = limit > LOW_MEMORY_END ? limit - LOW_MEMORY_END : 0;

	if (!size)
		return linux_refuse(-E_INVAL, why, len, "the initrd is empty");
	if (size > room)
		return linux_refuse(-E_NOMEM, why, len,
			      "the initrd (%llu KiB) is larger than the %llu KiB from 1 MiB to initrd_addr_max",
			      (unsigned long long)(size / KiB), (unsigned long long)(room / KiB));
	scratch = *ram;
	if (range_set_remove(&scratch, load, load + h->init_size) ||
	    range_set_remove(&scratch, image->start, image->end) || range_set_remove(&scratch, 0, LOW_MEMORY_END))
		return linux_refuse(-E_NOMEM, why, len, "guest RAM is in too many pieces");
	range_set_align_pages(&scratch, PAGE_SIZE_4K);
	if (range_set_find_top(&scratch, ALIGN_UP(size, PAGE_SIZE_4K), PAGE_SIZE_4K, limit, at))
		return linux_refuse(-E_NOMEM, why, len, "the initrd does not fit below initrd_addr_max");
	return 0;
}

int linux_build_boot_params(uint8_t *bp, const uint8_t *img, const struct linux_header *h,
			    const struct linux_boot_args *args, char *why, size_t len)
{
	if (args->nr_e820 > LINUX_E820_MAX)
		return linux_refuse(-E_RANGE, why, len, "%u memory map entries, boot_params holds %u", args->nr_e820,
			      LINUX_E820_MAX);
	if (args->load > LIMIT_32BIT || h->init_size > LIMIT_32BIT - args->load ||
	    args->initrd > LIMIT_32BIT || args->initrd_size > LIMIT_32BIT - args->initrd ||
	    args->cmdline >= LIMIT_32BIT)
		return linux_refuse(-E_RANGE, why, len, "the kernel, initrd or command line is not below 4 GiB");

	memset(bp, 0, LINUX_BOOT_PARAMS_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, h->header_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put16(bp, HDR_HEAP_END_PTR, 0); /* no real-mode heap: the setup code does not run */
	put32(bp, HDR_CODE32_START, (uint32_t)args->load);
	put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)args->initrd);
	put32(bp, HDR_RAMDISK_SIZE, (uint32_t)args->initrd_size);
	put32(bp, HDR_CMD_LINE_PTR, (uint32_t)args->cmdline);
	if (args->rsdp)
		put64(bp, BP_ACPI_RSDP_ADDR, args->rsdp);
	for (unsigned int i = 0; i < args->nr_e820; i++) {
		unsigned int off = BP_E820_TABLE + i * E820_ENTRY_SIZE;

		put64(bp, off, args->e820[i].base);
		put64(bp, off + 8, args->e820[i].len);
		put32(bp, off + 16, args->e820[i].type);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)args->nr_e820;
	return 0;
}

void linux_fill_screen_info(uint8_t *bp, const struct boot_framebuffer *fb, bool efi)
{
	uint64_t bytes = (uint64_t)fb->pitch * fb->height;
	unsigned int rgb_bits = 0, rsvd_bits;

	if (fb->type == BOOT_FB_EGA_TEXT) {
		bp[SI_ORIG_VIDEO_ISVGA] = VIDEO_TYPE_VGAC;
		bp[SI_ORIG_VIDEO_MODE] = VGA_TEXT_MODE;
		bp[SI_ORIG_VIDEO_COLS] = (uint8_t)MIN(fb->width, 0xFFU);
		bp[SI_ORIG_VIDEO_LINES] = (uint8_t)MIN(fb->height, 0xFFU);
		put16(bp, SI_ORIG_VIDEO_POINTS, VGA_FONT_HEIGHT);
		return;
	}
	if (fb->type != BOOT_FB_RGB)
		return;
	bp[SI_ORIG_VIDEO_ISVGA] = efi ? VIDEO_TYPE_EFI : VIDEO_TYPE_VLFB;
	put16(bp, SI_LFB_WIDTH, (uint16_t)fb->width);
	put16(bp, SI_LFB_HEIGHT, (uint16_t)fb->height);
	put16(bp, SI_LFB_DEPTH, fb->bpp);
	put16(bp, SI_LFB_LINELENGTH, (uint16_t)fb->pitch);
	put32(bp, SI_LFB_BASE, (uint32_t)fb->addr);
	if (fb->addr >> 32) {
		put32(bp, SI_EXT_LFB_BASE, (uint32_t)(fb->addr >> 32));
		put32(bp, SI_CAPABILITIES, VIDEO_CAPABILITY_64BIT_BASE);
	}
	put32(bp, SI_LFB_SIZE, (uint32_t)(efi ? bytes : ALIGN_UP(bytes, VESA_LFB_SIZE_UNIT) / VESA_LFB_SIZE_UNIT));
	/* The multiboot tag gives {position, size}; screen_info wants {size, position}. */
	for (unsigned int c = 0; c < 3; c++) {
		bp[SI_RED_SIZE + 2 * c] = fb->rgb[2 * c + 1];
		bp[SI_RED_SIZE + 2 * c + 1] = fb->rgb[2 * c];
		rgb_bits += fb->rgb[2 * c + 1];
	}
	/* What the colours leave of a pixel is padding above them (xRGB). */
	rsvd_bits = fb->bpp > rgb_bits ? fb->bpp - rgb_bits : 0;
	bp[SI_RED_SIZE + 6] = (uint8_t)rsvd_bits;
	bp[SI_RED_SIZE + 7] = (uint8_t)(rsvd_bits ? rgb_bits : 0);
}
