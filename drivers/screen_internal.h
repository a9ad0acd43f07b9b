/* The two kinds of screen behind drivers/screen.c: each draws one character cell at a time. */
#ifndef HV_SCREEN_INTERNAL_H
#define HV_SCREEN_INTERNAL_H

#include "bootinfo.h"
#include "types.h"

struct screen_ops {
	const char *name;
	/* Character c (printable ASCII) at column col, row row; highlight for errors. */
	void (*draw)(unsigned int col, unsigned int row, char c, bool highlight);
	/* The whole screen to the background colour. */
	void (*clear)(void);
	/* Is the device still set up as the loader left it (checked on a panic, after the guest ran)? */
	bool (*still_ours)(void);
};

struct screen_geometry {
	unsigned int cols, rows;
};

/*
 * Each probe takes the device if it can be drawn on safely and fills its size in characters;
 * it returns the ops, or NULL with *why saying why not.
 */
const struct screen_ops *screen_fb_probe(const struct boot_info *bi, struct screen_geometry *g, const char **why);
const struct screen_ops *screen_vga_probe(const struct boot_info *bi, struct screen_geometry *g,
					  const char **why);

/* Does [start, start + len) overlap RAM the memory map calls usable (the frame pool may go there)? */
bool screen_range_is_ram(const struct boot_info *bi, paddr_t start, uint64_t len);

#endif
