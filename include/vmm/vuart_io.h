/*
 * The guest's COM1 when the console is shared and the debug keys are on (debugkeys=on): its eight
 * ports exit and vmm/vuart.c answers them (design and cost there and in the README).
 */
#ifndef HV_VMM_VUART_IO_H
#define HV_VMM_VUART_IO_H

#include "types.h"

struct partition;

/* Emulates the UART at `base` for the guest from now on (at boot, before any vCPU runs). */
void vuart_io_init(uint16_t base);
/* Whether a guest access to [port, port + size) touches the emulated UART. */
bool vuart_io_claims(uint16_t port, uint8_t size);
/* A guest IN or OUT that vuart_io_claims(); bytes of it outside the UART go to their ports. */
uint32_t vuart_io_in(uint16_t port, uint8_t size);
void vuart_io_out(uint16_t port, uint8_t size, uint32_t value);
/* Intercepts the emulated UART's ports (nothing when off). */
void vuart_io_intercept(struct partition *p);
/* The real UART was programmed again (after S3): the guest's interrupt enables on it again. */
void vuart_io_resync(void);
/* The hypervisor's side: keys and input switches received since the last call (vuart_poll()). */
unsigned int vuart_io_poll(uint16_t *out, unsigned int max);

#endif
