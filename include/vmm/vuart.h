/*
 * The guest's UART on a console it shares with the hypervisor (COM1 with debugkeys=on): a 16550A
 * as the guest sees it, over the real one, with the real UART's input filtered for the Ctrl-A
 * toggle and the debug keys. Pure (no port I/O of its own: the real UART is reached through
 * struct vuart_hw), so the host tests drive it against a fake UART; vmm/vuart_io.c holds the
 * machine's one instance, its lock and the guest's port exits.
 */
#ifndef HV_VMM_VUART_H
#define HV_VMM_VUART_H

#include "types.h"

#define VUART_RX_SIZE 64    /* bytes held for the guest: the guest sees a deeper FIFO, never fewer bytes */
#define VUART_KEYS_SIZE 32  /* events held for the hypervisor between two polls */
#define VUART_SWITCH_CHAR 0x01 /* Ctrl-A */
#define VUART_SWITCH_COUNT 3   /* in a row, as in Xen */

/* What vuart_poll() hands the hypervisor besides keys (which are 0..255). */
#define VUART_INPUT_TO_HV 0x100    /* Ctrl-A x3: from now on every byte is a debug key */
#define VUART_INPUT_TO_GUEST 0x101 /* Ctrl-A x3 again: bytes go to the guest again */

/* The real UART's registers (offsets UART_*), and its transmitter (waits for THRE, bounded). */
struct vuart_hw {
	uint8_t (*in)(unsigned int reg);
	void (*out)(unsigned int reg, uint8_t value);
	void (*tx)(uint8_t byte);
};

struct vuart {
	const struct vuart_hw *hw;
	/* The guest's registers; the real UART keeps the hypervisor's line settings. */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t lsr_errors;  /* OE PE FE BI since the guest last read LSR */
	uint8_t msr_deltas;  /* modem status deltas the guest has not read yet */
	bool thre_pending;   /* the THRE interrupt, until an IIR read reports it or THR is written */
	bool kick;           /* the real IER has THRI only to raise the interrupt line (see vuart.c) */
	uint8_t rx[VUART_RX_SIZE];
	unsigned int rx_head, rx_count;
	uint16_t keys[VUART_KEYS_SIZE];
	unsigned int keys_count;
	unsigned int held_switch; /* Ctrl-A seen in a row, not yet handed on */
	bool input_to_hv;
};

/* Takes the real UART as the loader or serial_init() left it; the guest starts with its settings. */
void vuart_init(struct vuart *u, const struct vuart_hw *hw);
/* A guest read or write of register `reg` (0..7). */
uint8_t vuart_read(struct vuart *u, unsigned int reg);
void vuart_write(struct vuart *u, unsigned int reg, uint8_t value);
/* The real UART was reset (S3): program it again for the guest's settings. */
void vuart_resync(struct vuart *u);
/*
 * The hypervisor's poll: reads what the real UART received (bytes for the guest are kept for
 * it), then moves up to `max` events (keys and VUART_INPUT_TO_*) to `out`, oldest first.
 */
unsigned int vuart_poll(struct vuart *u, uint16_t *out, unsigned int max);

#endif
