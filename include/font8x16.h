/*
 * The console font: 8x16 glyphs of printable ASCII, generated at build time by scripts/mkfont.py
 * from GRUB's unicode.pf2 (GNU Unifont). One byte per row, the leftmost pixel in bit 7.
 */
#ifndef HV_FONT8X16_H
#define HV_FONT8X16_H

#include "types.h"

#define FONT_WIDTH 8
#define FONT_HEIGHT 16
#define FONT_FIRST 0x20
#define FONT_LAST 0x7E

extern const uint8_t font8x16[FONT_LAST - FONT_FIRST + 1][FONT_HEIGHT];

#endif
