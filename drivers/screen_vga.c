/*
 * Text on a VGA in text mode: one 16-bit cell per character at 0xB8000 (character, then colour),
 * drawn by the card with its own font. Used when GRUB left text mode (an EGA text framebuffer tag)
 * and after a Multiboot 1 loader, which gives no framebuffer information when it set no mode.
 */
#include "mm.h"
#include "screen_internal.h"
#include "x86/cpu.h"

#define VGA_TEXT_BASE 0xB8000
#define VGA_TEXT_WINDOW 0x8000 /* B8000-BFFFF */
#define VGA_GC_INDEX 0x3CE     /* graphics controller */
#define VGA_GC_DATA 0x3CF
#define VGA_GC_MISC 0x06       /* bit 0: graphics mode; bits 3:2: memory map (3 = B8000-BFFFF) */
#define VGA_GC_MISC_GRAPHICS 0x01
#define VGA_GC_MISC_MAP_SHIFT 2
#define VGA_GC_MISC_MAP_B8000 3
#define VGA_CRTC_INDEX 0x3D4   /* colour CRTC, the one that goes with B8000 */
#define VGA_CRTC_DATA 0x3D5
#define VGA_CRTC_START_HI 0x0C /* where in the window the display starts */
#define VGA_CRTC_START_LO 0x0D
#define VGA_ATTR_NORMAL 0x07   /* light grey on black */
#define VGA_ATTR_ERROR 0x0C    /* light red on black */
#define BDA_COLUMNS 0x44A      /* BIOS data area: columns of the current mode (16-bit) */
#define BDA_ROWS_MINUS_1 0x484 /* rows - 1 (EGA and later BIOSes) */
#define TEXT_COLS_DEFAULT 80
#define TEXT_ROWS_DEFAULT 25

static volatile uint16_t *text;
static unsigned int cols, rows;

/*
 * Is the card in a text mode that shows B8000? No VGA reads 0xFF from the ports, which says
 * graphics. Reading it moves the graphics controller's index: it is put back.
 */
static bool vga_in_text_mode(void)
{
	uint8_t index = inb(VGA_GC_INDEX), misc;

	outb(VGA_GC_INDEX, VGA_GC_MISC);
	misc = inb(VGA_GC_DATA);
	outb(VGA_GC_INDEX, index);
	return !(misc & VGA_GC_MISC_GRAPHICS) && ((misc >> VGA_GC_MISC_MAP_SHIFT) & 3) == VGA_GC_MISC_MAP_B8000;
}

static void vga_draw(unsigned int col, unsigned int row, char c, bool highlight)
{
	text[row * cols + col] = (uint16_t)((highlight ? VGA_ATTR_ERROR : VGA_ATTR_NORMAL) << 8 | (uint8_t)c);
}

static void vga_clear(void)
{
	for (unsigned int i = 0; i < cols * rows; i++)
		text[i] = VGA_ATTR_NORMAL << 8 | ' ';
}

/* Still text mode at B8000; a guest's console may have scrolled the display start: back to 0. */
static bool vga_still_ours(void)
{
	if (!vga_in_text_mode())
		return false;
	outb(VGA_CRTC_INDEX, VGA_CRTC_START_HI);
	outb(VGA_CRTC_DATA, 0);
	outb(VGA_CRTC_INDEX, VGA_CRTC_START_LO);
	outb(VGA_CRTC_DATA, 0);
	return true;
}

static const struct screen_ops vga_ops = {
	.name = "VGA text", .draw = vga_draw, .clear = vga_clear, .still_ours = vga_still_ours,
};

/* The BIOS's idea of the text mode's size, when it is a plausible one. */
static void size_from_bios(void)
{
	const volatile uint8_t *bda = phys_to_virt(0);
	unsigned int c = bda[BDA_COLUMNS] | bda[BDA_COLUMNS + 1] << 8, r = bda[BDA_ROWS_MINUS_1] + 1u;

	cols = TEXT_COLS_DEFAULT;
	rows = TEXT_ROWS_DEFAULT;
	if (c >= 40 && c <= 132 && r >= 25 && r <= 60)
		cols = c, rows = r;
}

const struct screen_ops *screen_vga_probe(const struct boot_info *bi, struct screen_geometry *g, const char **why)
{
	if (bi->has_fb && bi->fb.type != BOOT_FB_EGA_TEXT) {
		*why = "the loader set a graphics mode";
		return NULL;
	}
	if (bi->has_fb) {
		if (bi->fb.addr != VGA_TEXT_BASE) {
			*why = "the loader's text mode is not at 0xB8000";
			return NULL;
		}
		cols = bi->fb.width;
		rows = bi->fb.height;
	} else if (bi->protocol == BOOT_PROTO_MB1) {
		size_from_bios(); /* Multiboot 1 says nothing about the screen: BIOS text mode is the rule */
	} else {
		*why = "the loader described no screen";
		return NULL;
	}
	if (!cols || !rows || (uint64_t)cols * rows * 2 > VGA_TEXT_WINDOW) {
		*why = "the text mode's size makes no sense";
		return NULL;
	}
	/* A machine without legacy VGA (UEFI) may have RAM or nothing there. */
	if (screen_range_is_ram(bi, VGA_TEXT_BASE, VGA_TEXT_WINDOW) || !vga_in_text_mode()) {
		*why = "no VGA in text mode";
		return NULL;
	}
	text = phys_to_virt(VGA_TEXT_BASE);
	g->cols = cols;
	g->rows = rows;
	return &vga_ops;
}
