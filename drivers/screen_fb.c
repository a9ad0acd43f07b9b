/*
 * Text on the linear framebuffer the loader set up: 8x16 glyphs from the built-in font, 32, 24
 * or 16 bits per pixel, any pitch. It is written through the direct map (which covers the first
 * 4 GiB from the first instruction on) and never read.
 */
#include "font8x16.h"
#include "mm.h"
#include "pci.h"
#include "screen_internal.h"

#define FB_LIMIT (4 * GiB)          /* what the direct map covers before and after mm_init */
#define FB_BAR_REACH (1 * GiB)      /* a BAR this far below the framebuffer can hold it */
#define PCI_BUSES 256
#define PCI_DEVS 32
#define PCI_FNS 8
#define PCI_MULTIFUNCTION 0x80
#define PCI_BAR_IO 0x1
#define PCI_BAR_TYPE_MASK 0x6
#define PCI_BAR_TYPE_64 0x4
#define PCI_BAR_ADDR_MASK 0xFFFFFFF0u

static struct boot_framebuffer fb_info; /* a copy: the loader's description */
static const struct boot_framebuffer *const fb = &fb_info;
static uint8_t *fb_base;
static unsigned int bytes_pp;
static uint32_t color_bg, color_fg, color_err;

/* Where the framebuffer's PCI device decodes it, to see on a panic that the guest left it there. */
static struct {
	bool found;
	struct pci_addr addr;
	uint8_t bar;      /* config offset of the BAR (of its low half for 64-bit BARs) */
	uint32_t id;      /* vendor and device ID */
	uint32_t lo, hi;  /* the BAR as the loader left it */
} fb_pci;

static uint32_t channel(uint8_t value, uint8_t pos, uint8_t size)
{
	uint32_t v = size >= 8 ? (uint32_t)value << (size - 8) : (uint32_t)value >> (8 - size);

	return v << pos;
}

static uint32_t pixel(uint8_t r, uint8_t g, uint8_t b)
{
	return channel(r, fb->rgb[0], fb->rgb[1]) | channel(g, fb->rgb[2], fb->rgb[3]) |
	       channel(b, fb->rgb[4], fb->rgb[5]);
}

static void put_pixel(uint8_t *p, uint32_t v)
{
	switch (bytes_pp) {
	case 4:
		*(volatile uint32_t *)p = v;
		break;
	case 3:
		((volatile uint8_t *)p)[0] = (uint8_t)v;
		((volatile uint8_t *)p)[1] = (uint8_t)(v >> 8);
		((volatile uint8_t *)p)[2] = (uint8_t)(v >> 16);
		break;
	default:
		*(volatile uint16_t *)p = (uint16_t)v;
		break;
	}
}

static void fb_draw(unsigned int col, unsigned int row, char c, bool highlight)
{
	const uint8_t *glyph = font8x16[(uint8_t)c - FONT_FIRST];
	uint32_t fg = highlight ? color_err : color_fg;
	uint8_t *line = fb_base + (size_t)row * FONT_HEIGHT * fb->pitch + (size_t)col * FONT_WIDTH * bytes_pp;

	for (unsigned int y = 0; y < FONT_HEIGHT; y++, line += fb->pitch)
		for (unsigned int x = 0; x < FONT_WIDTH; x++)
			put_pixel(line + x * bytes_pp, glyph[y] & (0x80 >> x) ? fg : color_bg);
}

static void fb_clear(void)
{
	for (uint32_t y = 0; y < fb->height; y++)
		for (uint32_t x = 0; x < fb->width; x++)
			put_pixel(fb_base + (size_t)y * fb->pitch + (size_t)x * bytes_pp, color_bg);
}

static bool fb_still_ours(void)
{
	uint32_t cmd;

	if (!fb_pci.found)
		return true; /* no BAR for the guest to move: it stays the firmware's memory */
	cmd = pci_read32(fb_pci.addr, PCI_COMMAND);
	return pci_read32(fb_pci.addr, PCI_VENDOR_ID) == fb_pci.id && (cmd & PCI_COMMAND_MEMORY) &&
	       pci_read32(fb_pci.addr, fb_pci.bar) == fb_pci.lo &&
	       (!(fb_pci.lo & PCI_BAR_TYPE_64) || pci_read32(fb_pci.addr, fb_pci.bar + 4) == fb_pci.hi);
}

static const struct screen_ops fb_ops = {
	.name = "framebuffer", .draw = fb_draw, .clear = fb_clear, .still_ours = fb_still_ours,
};

/* Keeps the memory BAR of function a with the highest base at or below the framebuffer. */
static void consider_function(struct pci_addr a, uint32_t id, uint64_t *best)
{
	for (uint8_t i = 0; i < PCI_BAR_COUNT; i++) {
		uint8_t off = PCI_BAR0 + 4 * i;
		uint32_t lo = pci_read32(a, off), hi = 0;
		uint64_t base;

		if (lo & PCI_BAR_IO)
			continue;
		if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64 && i + 1 < PCI_BAR_COUNT)
			hi = pci_read32(a, off + 4);
		base = (uint64_t)hi << 32 | (lo & PCI_BAR_ADDR_MASK);
		if (base && base <= fb->addr && fb->addr - base < FB_BAR_REACH && base > *best) {
			*best = base;
			fb_pci.found = true;
			fb_pci.addr = a;
			fb_pci.bar = off;
			fb_pci.id = id;
			fb_pci.lo = lo;
			fb_pci.hi = hi;
		}
		if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64)
			i++;
	}
}

static void find_fb_device(void)
{
	uint64_t best = 0;

	for (unsigned int bus = 0; bus < PCI_BUSES; bus++) {
		for (uint8_t dev = 0; dev < PCI_DEVS; dev++) {
			struct pci_addr a = { (uint8_t)bus, dev, 0 };
			uint8_t fns;

			if ((pci_read32(a, PCI_VENDOR_ID) & 0xFFFF) == 0xFFFF)
				continue; /* no device: its function 0 would answer */
			fns = (pci_read32(a, PCI_HEADER_TYPE & ~3) >> 16) & PCI_MULTIFUNCTION ? PCI_FNS : 1;
			for (a.fn = 0; a.fn < fns; a.fn++) {
				uint32_t id = pci_read32(a, PCI_VENDOR_ID);

				/* Bridges (header type 1) have two BARs of their own; only devices are looked at. */
				if ((id & 0xFFFF) != 0xFFFF && !((pci_read32(a, PCI_HEADER_TYPE & ~3) >> 16) & 0x7F))
					consider_function(a, id, &best);
			}
		}
	}
}

const struct screen_ops *screen_fb_probe(const struct boot_info *bi, struct screen_geometry *g, const char **why)
{
	const struct boot_framebuffer *f = &bi->fb;
	uint64_t size = (uint64_t)f->pitch * f->height;

	if (f->type != BOOT_FB_RGB || (f->bpp != 32 && f->bpp != 24 && f->bpp != 16)) {
		*why = "the framebuffer is not 16, 24 or 32-bit RGB";
		return NULL;
	}
	if (f->width < FONT_WIDTH || f->height < FONT_HEIGHT || f->pitch < (uint64_t)f->width * (f->bpp / 8)) {
		*why = "the framebuffer's size or pitch makes no sense";
		return NULL;
	}
	if (f->addr >= FB_LIMIT || size > FB_LIMIT - f->addr) {
		*why = "the framebuffer is above 4 GiB";
		return NULL;
	}
	if (screen_range_is_ram(bi, f->addr, size)) {
		*why = "the framebuffer overlaps usable RAM";
		return NULL;
	}
	fb_info = *f;
	bytes_pp = f->bpp / 8;
	fb_base = phys_to_virt(f->addr);
	color_bg = pixel(0, 0, 0);
	color_fg = pixel(0xC0, 0xC0, 0xC0);
	color_err = pixel(0xFF, 0x55, 0x55);
	find_fb_device();
	g->cols = f->width / FONT_WIDTH;
	g->rows = f->height / FONT_HEIGHT;
	return &fb_ops;
}
