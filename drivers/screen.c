/*
 * The log on the screen: a grid of characters kept in memory (the only copy the drawing code
 * reads, so the framebuffer, slow to read on real hardware, is only ever written), a cursor that
 * wraps long lines, and scrolling that redraws only the cells whose character changed.
 */
#include "screen.h"
#include "font8x16.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "screen_internal.h"

/* 2560x1600 in 8x16 cells; a larger screen shows the log in its top left part. */
#define SCREEN_MAX_COLS 320
#define SCREEN_MAX_ROWS 100
#define TAB_WIDTH 8
#define CELL_HIGHLIGHT 0x80 /* in a cell: an error line's character (printable ASCII is 7 bits) */

enum screen_state {
	SCREEN_NONE,      /* nothing to draw on */
	SCREEN_DRAWING,   /* the hypervisor's until the guest starts */
	SCREEN_GUEST,     /* the guest's: lines are kept in cells[], not drawn */
};

static enum screen_state state;
static const struct screen_ops *ops;
static struct screen_geometry geo;
static unsigned int cur_col, cur_row;
static uint8_t cells[SCREEN_MAX_ROWS][SCREEN_MAX_COLS];

static void put_cell(unsigned int col, unsigned int row, uint8_t cell)
{
	/* An NMI's line on the CPU whose line it interrupted can leave the cursor anywhere. */
	if (col >= geo.cols || row >= geo.rows || cells[row][col] == cell)
		return;
	cells[row][col] = cell;
	if (state == SCREEN_DRAWING)
		ops->draw(col, row, (char)(cell & ~CELL_HIGHLIGHT), cell & CELL_HIGHLIGHT);
}

/*
 * A quarter of the screen at a time: each scroll redraws most cells (a whole framebuffer's worth
 * of writes), so it is done once per several lines rather than per line.
 */
static void scroll_up(void)
{
	unsigned int step = MAX(geo.rows / 4, 1u);

	for (unsigned int row = 0; row < geo.rows; row++)
		for (unsigned int col = 0; col < geo.cols; col++)
			put_cell(col, row, row + step < geo.rows ? cells[row + step][col] : ' ');
	cur_row = geo.rows - step;
}

static void new_line(void)
{
	cur_col = 0;
	if (cur_row + 1 < geo.rows)
		cur_row++;
	else
		scroll_up();
}

static void put_char(char c, bool highlight)
{
	if (c == '\n') {
		new_line();
		return;
	}
	if (c == '\r') {
		cur_col = 0;
		return;
	}
	if (c == '\t') {
		do
			put_char(' ', highlight);
		while (cur_col % TAB_WIDTH);
		return;
	}
	if (c < FONT_FIRST || c > FONT_LAST)
		c = '?';
	if (cur_col >= geo.cols)
		new_line(); /* a long line goes on at the start of the next */
	put_cell(cur_col++, cur_row, (uint8_t)c | (highlight ? CELL_HIGHLIGHT : 0));
}

void screen_write(const char *s, size_t len, bool highlight)
{
	if (state == SCREEN_NONE)
		return;
	for (size_t i = 0; i < len; i++)
		put_char(s[i], highlight);
}

/* Every cell again, after the screen was cleared (or was someone else's). */
static void redraw_all(void)
{
	ops->clear();
	for (unsigned int row = 0; row < geo.rows; row++)
		for (unsigned int col = 0; col < geo.cols; col++)
			if (cells[row][col] != ' ')
				ops->draw(col, row, (char)(cells[row][col] & ~CELL_HIGHLIGHT),
					  cells[row][col] & CELL_HIGHLIGHT);
}

bool screen_range_is_ram(const struct boot_info *bi, paddr_t start, uint64_t len)
{
	for (uint32_t i = 0; i < bi->nr_mmap; i++) {
		const struct boot_mem_range *m = &bi->mmap[i];

		if (m->type == MEM_USABLE && m->base < start + len && start < m->base + m->len)
			return true;
	}
	return false;
}

const char *screen_init(const struct boot_info *bi, enum screen_choice choice)
{
	static char status[160];
	const char *why_fb = "not asked for", *why_vga = "not asked for";

	if (choice == SCREEN_OFF)
		return "off (console=)";
	if (!bi)
		return "off: no usable boot information";
	if (choice != SCREEN_VGA)
		why_fb = !bi->has_fb ? "none from the loader" : bi->fb.type == BOOT_FB_EGA_TEXT ? "text mode" : NULL;
	if (choice != SCREEN_VGA && !why_fb)
		ops = screen_fb_probe(bi, &geo, &why_fb);
	if (!ops && choice != SCREEN_FB)
		ops = screen_vga_probe(bi, &geo, &why_vga);
	if (!ops) {
		snprintf(status, sizeof(status), "off: framebuffer: %s; VGA text: %s", why_fb, why_vga);
		return status;
	}
	geo.cols = MIN(geo.cols, SCREEN_MAX_COLS);
	geo.rows = MIN(geo.rows, SCREEN_MAX_ROWS);
	memset(cells, ' ', sizeof(cells));
	ops->clear();
	state = SCREEN_DRAWING;
	snprintf(status, sizeof(status), "%s, %ux%u characters", ops->name, geo.cols, geo.rows);
	return status;
}

void screen_handoff(void)
{
	if (state == SCREEN_DRAWING)
		state = SCREEN_GUEST;
}

void screen_reclaim(void)
{
	if (state != SCREEN_GUEST || !ops->still_ours())
		return;
	state = SCREEN_DRAWING;
	redraw_all();
}
