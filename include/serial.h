/* Polled 16550 UART. */
#ifndef HV_SERIAL_H
#define HV_SERIAL_H

#include "types.h"

#define COM1_PORT 0x3F8
#define COM2_PORT 0x2F8
#define COM3_PORT 0x3E8
#define COM4_PORT 0x2E8

/* Programs the UART at `port` for 8N1 at `baud`; returns false if no UART answers there. */
bool serial_init(uint16_t port, uint32_t baud);
void serial_putc(char c);
/* Sends one byte as it is (no CR before LF), once the transmitter has room (bounded wait). */
void serial_tx_byte(uint8_t c);
void serial_write(const char *s, size_t len);
/* Returns a received byte, or -1 when none is waiting. */
int serial_getc(void);
uint16_t serial_port(void);
/* The UART was reset (a resume from S3): program it again as it was. */
void serial_reinit(void);

#endif
