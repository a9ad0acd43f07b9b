/* 16550 UART registers and bits (PC16550D data sheet), offsets from the UART's I/O base. */
#ifndef HV_UART16550_H
#define HV_UART16550_H

#define UART_PORTS 8

#define UART_DATA 0 /* read RBR, write THR; DLL when LCR.DLAB */
#define UART_IER 1  /* DLM when LCR.DLAB */
#define UART_IIR 2  /* read; write FCR */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01   /* received data available */
#define IER_THRI 0x02  /* transmit holding register empty */
#define IER_RLSI 0x04  /* receiver line status */
#define IER_MSI 0x08   /* modem status */
#define IER_MASK 0x0F  /* the 16550 has no other bits */

#define IIR_NO_INT 0x01
#define IIR_ID_MASK 0x0F
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_RX_TIMEOUT 0x0C /* received bytes below the trigger level, waiting */
#define IIR_FIFOS 0xC0 /* both set when the FIFOs are on (a 16550A) */

#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_ENABLE_CLEAR 0x07 /* FIFOs on and cleared, receive trigger at 1 byte */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08 /* on a PC, gates the UART's interrupt line */
#define MCR_LOOP 0x10
#define MCR_MASK 0x1F

#define LSR_DR 0x01   /* data ready */
#define LSR_OE 0x02   /* overrun */
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10   /* break */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define LSR_FIFO_ERROR 0x80
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DELTAS 0x0F /* DCTS, DDSR, TERI, DDCD */
#define MSR_TERI 0x04
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define UART_CLOCK_BAUD 115200 /* input clock / 16: baud = 115200 / divisor */

#endif
