/* Stopping the machine: panic() for the hypervisor's own fatal errors. */
#ifndef HV_PANIC_H
#define HV_PANIC_H

#include "types.h"

/* Logs the reason, then resets the machine or halts (command line `panic=reboot|halt`). */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
void panic_set_reboot(bool reboot);
/* Resets the machine: 0xCF9, then the keyboard controller, then a triple fault. */
__noreturn void machine_reset(void);

#define BUG_ON(cond)                                                                              \
	do {                                                                                      \
		if (cond)                                                                         \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                    \
	} while (0)

#endif
