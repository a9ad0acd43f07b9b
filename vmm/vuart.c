/*
 * The guest's 16550A on a shared console (include/vmm/vuart.h).
 *
 * Why all eight ports are intercepted: catching Ctrl-A means reading every received byte before
 * the guest does, so RBR exits, and THR with it (one I/O-bitmap bit covers both directions). LSR
 * must exit too, or its DR bit would announce bytes the hypervisor keeps; IIR too, or it would
 * hide bytes already moved out of the real FIFO. A driver that polls LSR before each byte (Linux's
 * console, the test guests) thus takes two exits per byte printed, whatever else is passed through.
 * The other registers exit only when the guest sets the port up or brackets a console line (IER
 * saved, cleared, restored), so emulating them costs little, and it keeps the guest away from the
 * real line settings: a guest that sets DLAB can no longer turn the hypervisor's next byte into a
 * divisor. Baud rate and line format are the guest's to read back, not to apply.
 *
 * Interrupts come from the real UART, not from injection: the guest routes IRQ 4 (PIC or I/O
 * APIC, edge triggered) and the hypervisor need not know where. The real IER follows the guest's,
 * so a received byte (the real FIFO triggers at one byte) and an emptied THR raise the line as
 * they would. Guest reads of IIR, LSR and RBR first drain the real FIFO into this model, which
 * lowers the line; IIR is computed here, reading the real IIR only to learn (and so clear) a
 * THRE or modem status interrupt. What the real UART cannot raise by itself is "bytes held here"
 * after the guest enables RDI again (Linux clears IER while it prints a console line, and bytes
 * arriving then are drained by its LSR reads): then the real THRI is set from 0 to 1, which makes
 * any 16550 raise a THRE interrupt, and the next guest IIR read drops it again (the "kick").
 */
#include "uart16550.h"
#include "vmm/vuart.h"

#define DRAIN_LIMIT 64 /* real bytes read per drain: a stuck DR bit cannot hold a CPU */
#define IIR_TRIES 4

static void rx_push(struct vuart *u, uint8_t c)
{
	if (u->rx_count == VUART_RX_SIZE) {
		u->lsr_errors |= LSR_OE; /* as a full FIFO does: the new byte is lost */
		return;
	}
	u->rx[(u->rx_head + u->rx_count++) % VUART_RX_SIZE] = c;
}

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
	u->rx_count--;
	return c;
}

static void key_push(struct vuart *u, uint16_t event)
{
	if (u->keys_count < VUART_KEYS_SIZE)
		u->keys[u->keys_count++] = event;
}

static void deliver(struct vuart *u, uint8_t c)
{
	if (u->input_to_hv)
		key_push(u, c);
	else
		rx_push(u, c);
}

/*
 * Ctrl-A is held back until it is known whether three come in a row: the third switches input
 * and none of the three reaches anyone; any other byte first hands on the ones held.
 */
static void route(struct vuart *u, uint8_t c)
{
	if (c == VUART_SWITCH_CHAR) {
		if (++u->held_switch < VUART_SWITCH_COUNT)
			return;
		u->held_switch = 0;
		u->input_to_hv = !u->input_to_hv;
		key_push(u, u->input_to_hv ? VUART_INPUT_TO_HV : VUART_INPUT_TO_GUEST);
		return;
	}
	for (; u->held_switch; u->held_switch--)
		deliver(u, VUART_SWITCH_CHAR);
	deliver(u, c);
}

/* Moves what the real UART received into the model; returns the real LSR last read. */
static uint8_t drain(struct vuart *u)
{
	uint8_t lsr = 0;

	for (int i = 0; i < DRAIN_LIMIT; i++) {
		lsr = u->hw->in(UART_LSR);
		u->lsr_errors |= lsr & LSR_ERRORS;
		if (!(lsr & LSR_DR))
			break;
		route(u, u->hw->in(UART_DATA));
	}
	return lsr;
}

static bool loopback(const struct vuart *u)
{
	return u->mcr & MCR_LOOP;
}

/* In loopback the modem inputs are the guest's own outputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD). */
static uint8_t loopback_msr(uint8_t mcr)
{
	return (uint8_t)(((mcr & MCR_RTS) ? MSR_CTS : 0) | ((mcr & MCR_DTR) ? MSR_DSR : 0) |
			 ((mcr & MCR_OUT1) ? MSR_RI : 0) | ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

/* The real MCR: the hypervisor's DTR and RTS, the guest's OUT2 (the PC's interrupt gate) but in loopback. */
static void update_hw_mcr(struct vuart *u)
{
	u->hw->out(UART_MCR, MCR_DTR | MCR_RTS | (loopback(u) ? 0 : (u->mcr & MCR_OUT2)));
}

static void update_hw_ier(struct vuart *u)
{
	u->hw->out(UART_IER, u->ier | (u->kick ? IER_THRI : 0));
}

void vuart_init(struct vuart *u, const struct vuart_hw *hw)
{
	*u = (struct vuart){ .hw = hw };
	u->lcr = hw->in(UART_LCR) & ~LCR_DLAB;
	u->mcr = hw->in(UART_MCR) & MCR_MASK & ~MCR_LOOP;
	hw->out(UART_LCR, u->lcr | LCR_DLAB);
	u->dll = hw->in(UART_DATA);
	u->dlm = hw->in(UART_IER);
	hw->out(UART_LCR, u->lcr);
	u->fcr = FCR_FIFO_ENABLE;
	/* Received bytes raise the line at once (trigger level 1): the guest's trigger level is its own. */
	hw->out(UART_FCR, FCR_ENABLE_CLEAR);
	vuart_resync(u);
}

void vuart_resync(struct vuart *u)
{
	u->hw->out(UART_FCR, FCR_FIFO_ENABLE); /* trigger level 1, nothing received thrown away */
	update_hw_ier(u);
	update_hw_mcr(u);
}

static uint8_t read_iir(struct vuart *u)
{
	uint8_t hw_iir, id = IIR_NO_INT;

	/*
	 * A byte that arrives between the drain and the real IIR read is reported there instead of
	 * THRE: drain again, so the real line is low when the guest's handler ends and the next byte
	 * raises it anew (IRQ 4 is edge triggered).
	 */
	for (int tries = 0; tries < IIR_TRIES; tries++) {
		drain(u);
		hw_iir = u->hw->in(UART_IIR) & IIR_ID_MASK;
		if (hw_iir != IIR_RDI && hw_iir != IIR_RX_TIMEOUT && hw_iir != IIR_RLSI)
			break;
	}
	if (hw_iir == IIR_THRI && (u->ier & IER_THRI))
		u->thre_pending = true;
	else if (hw_iir == IIR_MSI)
		u->msr_deltas |= u->hw->in(UART_MSR) & MSR_DELTAS; /* read to clear it; kept for the guest */
	if (u->kick) {
		u->kick = false; /* the guest is in its handler: the extra edge did its work */
		update_hw_ier(u);
	}
	/* The 16550's priority: line status, received data, THR empty, modem status. */
	if ((u->ier & IER_RLSI) && u->lsr_errors) {
		id = IIR_RLSI;
	} else if ((u->ier & IER_RDI) && u->rx_count) {
		id = IIR_RDI;
	} else if ((u->ier & IER_THRI) && u->thre_pending) {
		id = IIR_THRI;
		u->thre_pending = false; /* reading IIR clears a THRE interrupt it reports */
	} else if ((u->ier & IER_MSI) && u->msr_deltas) {
		id = IIR_MSI;
	}
	return (uint8_t)(id | ((u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFOS : 0));
}

static uint8_t read_lsr(struct vuart *u)
{
	uint8_t hw_lsr = drain(u);
	uint8_t lsr = u->lsr_errors | (u->rx_count ? LSR_DR : 0);

	lsr |= loopback(u) ? LSR_THRE | LSR_TEMT : hw_lsr & (LSR_THRE | LSR_TEMT);
	if (u->lsr_errors && (u->fcr & FCR_FIFO_ENABLE))
		lsr |= LSR_FIFO_ERROR;
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t read_msr(struct vuart *u)
{
	uint8_t msr = loopback(u) ? loopback_msr(u->mcr) : u->hw->in(UART_MSR);

	msr |= u->msr_deltas;
	u->msr_deltas = 0;
	return msr;
}

uint8_t vuart_read(struct vuart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_DATA:
		if (dlab)
			return u->dll;
		drain(u);
		return rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return read_lsr(u);
	case UART_MSR:
		return read_msr(u);
	case UART_SCR:
		return u->scr;
	default:
		return 0xFF;
	}
}

static void write_ier(struct vuart *u, uint8_t value)
{
	uint8_t old = u->ier;

	u->ier = value & IER_MASK;
	if (!(old & IER_THRI) && (u->ier & IER_THRI))
		u->thre_pending = true; /* a 16550 (QEMU's, Bochs') interrupts when THRI is enabled with THR empty */
	if ((u->ier & IER_RDI) && u->rx_count && !loopback(u)) {
		/* Bytes already here: a THRI edge raises the line (the kick), as RDI would on a real FIFO. */
		u->hw->out(UART_IER, u->ier & ~IER_THRI);
		u->kick = !(u->ier & IER_THRI);
		u->hw->out(UART_IER, u->ier | IER_THRI);
		return;
	}
	/* Nothing held for an enabled RDI: an earlier kick is moot, and must not keep the line up. */
	u->kick = false;
	update_hw_ier(u);
}

static void write_mcr(struct vuart *u, uint8_t value)
{
	uint8_t before = loopback_msr(u->mcr);

	u->mcr = value & MCR_MASK;
	if (loopback(u)) {
		uint8_t after = loopback_msr(u->mcr), changed = before ^ after;

		/* Deltas as the lines move: CTS, DSR, DCD either way; RI on its trailing edge only. */
		u->msr_deltas |= (uint8_t)((changed >> 4) & ~MSR_TERI);
		if ((before & MSR_RI) && !(after & MSR_RI))
			u->msr_deltas |= MSR_TERI;
	}
	update_hw_mcr(u);
}

void vuart_write(struct vuart *u, unsigned int reg, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_DATA:
		if (dlab) {
			u->dll = value;
		} else if (loopback(u)) {
			rx_push(u, value); /* the byte comes straight back, THR is empty again at once */
			u->thre_pending = true;
		} else {
			u->thre_pending = false;
			u->hw->tx(value);
		}
		break;
	case UART_IER:
		if (dlab)
			u->dlm = value;
		else
			write_ier(u, value);
		break;
	case UART_FCR:
		if ((value ^ u->fcr) & FCR_FIFO_ENABLE || (value & FCR_CLEAR_RX))
			u->rx_count = 0; /* changing the FIFO mode clears the FIFOs, as the data sheet says */
		u->fcr = value & FCR_FIFO_ENABLE;
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		write_mcr(u, value);
		break;
	case UART_SCR:
		u->scr = value;
		break;
	default:
		break; /* LSR and MSR: factory test writes, ignored */
	}
}

unsigned int vuart_poll(struct vuart *u, uint16_t *out, unsigned int max)
{
	unsigned int n;

	drain(u);
	n = u->keys_count < max ? u->keys_count : max;
	for (unsigned int i = 0; i < n; i++)
		out[i] = u->keys[i];
	for (unsigned int i = n; i < u->keys_count; i++)
		u->keys[i - n] = u->keys[i];
	u->keys_count -= n;
	return n;
}
