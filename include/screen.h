/*
 * The hypervisor's log on the screen the loader left: a linear framebuffer (32, 24 or 16 bits per
 * pixel) or VGA text mode. It shows the same lines as the serial console until the guest starts,
 * then leaves the screen to the guest, and takes it back on a panic when it safely can.
 */
#ifndef HV_SCREEN_H
#define HV_SCREEN_H

#include "bootinfo.h"
#include "types.h"

/* Which screen console= asks for. */
enum screen_choice {
	SCREEN_OFF,
	SCREEN_ANY, /* whichever the loader left: the framebuffer, else VGA text */
	SCREEN_FB,  /* the linear framebuffer only */
	SCREEN_VGA, /* VGA text mode only */
};

/*
 * Starts drawing on the screen choice allows, if the loader left one that is safe to draw on
 * (bi NULL: the boot information is unusable, no screen). Clears it first. Returns what it uses
 * or why none, for the log.
 */
const char *screen_init(const struct boot_info *bi, enum screen_choice choice);
/*
 * Text for the screen, highlight for error lines; kept but not drawn while the guest owns the
 * screen. Called under the console lock.
 */
void screen_write(const char *s, size_t len, bool highlight);
/* The guest is about to start: it owns the screen from now on. Lines are still kept, not drawn. */
void screen_handoff(void);
/*
 * A panic: draw again, the lines kept included, if the screen is still what the loader described
 * (the guest may have moved or reprogrammed it); else stay silent on it.
 */
void screen_reclaim(void);

#endif
