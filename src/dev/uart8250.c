/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART model (see uart8250.h for what is and is not modelled),
 * and at the bottom the glue that makes one of them COM1.
 */
#include "uart8250.h"

#include <string.h>

#include "console.h"
#include "device.h"
#include "iobus.h"
#include "layout.h" /* the arch's: where the board puts its UART */
#include "snapshot_state.h"

#include <errno.h>

/* Every register as after the MR (master reset) pin, bar what a BIOS leaves. */
static void power_on(struct uart8250 *u)
{
	u->rbr = 0;
	u->ier = u->fcr = u->lcr = u->mcr = u->scr = 0;
	/* Divisor 12: 9600 baud from the PC's 1.8432 MHz clock, what a BIOS leaves. */
	u->dll = 12;
	u->dlm = 0;
	u->lsr_errors = 0;
	/* Not in loopback: a connected line (clear to send, data set ready, carrier). */
	u->msr = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	u->thr_ipending = false;
	u->loop_head = u->loop_len = 0;
}

void uart8250_init(struct uart8250 *u, const struct uart8250_ops *ops, void *ctx)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->ops = ops;
	u->ctx = ctx;
	power_on(u);
}

void uart8250_destroy(struct uart8250 *u)
{
	pthread_mutex_destroy(&u->lock);
}

static bool loopback(const struct uart8250 *u)
{
	return u->mcr & UART_MCR_LOOP;
}

static bool data_ready(struct uart8250 *u)
{
	if (loopback(u))
		return u->loop_len > 0;
	return u->ops->rx_ready && u->ops->rx_ready(u->ctx);
}

/* The modem status inputs (MSR bits 4-7) as the MCR and mode make them. */
static uint8_t modem_lines(const struct uart8250 *u)
{
	uint8_t m = 0;

	if (!loopback(u))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	/* Loopback wires each output to an input (16550A datasheet, MCR bit 4). */
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

/* The highest-priority pending, enabled interrupt, as IIR bits 0-3. */
static uint8_t pending_iir(struct uart8250 *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_errors)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && data_ready(u))
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0F))
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

/* Recompute the interrupt output after any change; tell the outside only on a change. */
static void update_irq(struct uart8250 *u)
{
	/*
	 * A PC serial card passes INTR to the ISA bus through a buffer enabled
	 * by OUT2; in loopback the OUT2 pin is forced inactive.
	 */
	int level = pending_iir(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2) && !loopback(u);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops->set_irq)
			u->ops->set_irq(u->ctx, level);
	}
}

void uart8250_save(struct uart8250 *u, struct state_writer *w)
{
	pthread_mutex_lock(&u->lock);
	state_put_u8(w, u->rbr);
	state_put_u8(w, u->ier);
	state_put_u8(w, u->fcr);
	state_put_u8(w, u->lcr);
	state_put_u8(w, u->mcr);
	state_put_u8(w, u->scr);
	state_put_u8(w, u->dll);
	state_put_u8(w, u->dlm);
	state_put_u8(w, u->lsr_errors);
	state_put_u8(w, u->msr);
	state_put_bool(w, u->thr_ipending);
	state_put_bool(w, u->irq_level != 0);
	state_put(w, u->loop, sizeof(u->loop));
	state_put_u8(w, (uint8_t)u->loop_head);
	state_put_u8(w, (uint8_t)u->loop_len);
	pthread_mutex_unlock(&u->lock);
}

int uart8250_load(struct uart8250 *u, struct state_reader *r)
{
	struct uart8250 s;

	s.rbr = state_get_u8(r);
	s.ier = state_get_u8(r);
	s.fcr = state_get_u8(r);
	s.lcr = state_get_u8(r);
	s.mcr = state_get_u8(r);
	s.scr = state_get_u8(r);
	s.dll = state_get_u8(r);
	s.dlm = state_get_u8(r);
	s.lsr_errors = state_get_u8(r);
	s.msr = state_get_u8(r);
	s.thr_ipending = state_get_bool(r);
	s.irq_level = state_get_bool(r);
	state_get(r, s.loop, sizeof(s.loop));
	s.loop_head = state_get_u8(r);
	s.loop_len = state_get_u8(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	/* Head and length index the loopback FIFO. */
	if (s.loop_head >= UART_LOOP_FIFO || s.loop_len > UART_LOOP_FIFO)
		return state_reject(r, "UART loopback FIFO head %u, length %u: it holds %d bytes",
				    s.loop_head, s.loop_len, UART_LOOP_FIFO);
	pthread_mutex_lock(&u->lock);
	u->rbr = s.rbr;
	u->ier = s.ier;
	u->fcr = s.fcr;
	u->lcr = s.lcr;
	u->mcr = s.mcr;
	u->scr = s.scr;
	u->dll = s.dll;
	u->dlm = s.dlm;
	u->lsr_errors = s.lsr_errors;
	u->msr = s.msr;
	u->thr_ipending = s.thr_ipending;
	u->irq_level = s.irq_level;
	memcpy(u->loop, s.loop, sizeof(u->loop));
	u->loop_head = s.loop_head;
	u->loop_len = s.loop_len;
	pthread_mutex_unlock(&u->lock);
	return 0;
}

void uart8250_reset(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	power_on(u);
	/* IER is 0 now: a raised interrupt line falls. */
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static uint8_t read_rbr(struct uart8250 *u)
{
	if (loopback(u)) {
		if (u->loop_len) {
			u->rbr = u->loop[u->loop_head];
			u->loop_head = (u->loop_head + 1) % UART_LOOP_FIFO;
			u->loop_len--;
		}
	} else if (u->ops->rx) {
		int c = u->ops->rx(u->ctx);

		if (c >= 0)
			u->rbr = (uint8_t)c;
	}
	/* Empty: the receiver still holds the last byte, as the hardware does. */
	return u->rbr;
}

static void write_thr(struct uart8250 *u, uint8_t val)
{
	if (loopback(u)) {
		unsigned cap = (u->fcr & UART_FCR_ENABLE) ? UART_LOOP_FIFO : 1;

		if (u->loop_len < cap) {
			u->loop[(u->loop_head + u->loop_len) % UART_LOOP_FIFO] = val;
			u->loop_len++;
		} else {
			u->lsr_errors |= UART_LSR_OE;
		}
	} else if (u->ops->tx) {
		u->ops->tx(u->ctx, val);
	}
	/* Sent instantly, so THR is empty again: writing THR clears and re-arms THRE. */
	u->thr_ipending = true;
}

static void clear_loop_fifo(struct uart8250 *u)
{
	u->loop_head = u->loop_len = 0;
}

static void write_fcr(struct uart8250 *u, uint8_t val)
{
	/* Turning the FIFOs on or off empties them (16550A datasheet, FCR bit 0). */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		clear_loop_fifo(u);
	/*
	 * Clearing RX empties only the loopback FIFO: outside loopback the
	 * receive FIFO is the console's input buffer, and a guest driver that
	 * resets its FIFOs at open should not eat what the user typed ahead.
	 */
	if (val & UART_FCR_CLEAR_RX)
		clear_loop_fifo(u);
	/* Bits 1-2 clear themselves, bits 4-5 are reserved. */
	u->fcr = val & (UART_FCR_ENABLE | 0x08 | 0xC0);
}

static void write_mcr(struct uart8250 *u, uint8_t val)
{
	bool was_loop = loopback(u);
	uint8_t before = modem_lines(u), after;

	u->mcr = val & 0x1F; /* bits 5-7 are always 0 on a 16550A */
	after = modem_lines(u);
	if ((before ^ after) & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if ((before ^ after) & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if ((before ^ after) & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	/* TERI: the trailing edge of a ring, MSR.RI going from 1 to 0. */
	if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
	u->msr = (u->msr & 0x0F) | after;
	/* The loopback FIFO is a model artefact: its bytes are never seen as input. */
	if (was_loop && !loopback(u))
		clear_loop_fifo(u);
}

uint8_t uart8250_read(struct uart8250 *u, unsigned reg)
{
	uint8_t val = 0xFF;

	if (reg >= UART_NREGS)
		return val;
	pthread_mutex_lock(&u->lock);
	switch (reg) {
	case UART_RBR:
		val = (u->lcr & UART_LCR_DLAB) ? u->dll : read_rbr(u);
		break;
	case UART_IER:
		val = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = pending_iir(u);
		/* Reading IIR acknowledges a THRE interrupt, and only that one. */
		if (val == UART_IIR_THRI)
			u->thr_ipending = false;
		if (u->fcr & UART_FCR_ENABLE)
			val |= UART_IIR_FIFO;
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_errors;
		if (data_ready(u))
			val |= UART_LSR_DR;
		u->lsr_errors = 0;
		break;
	case UART_MSR:
		val = u->msr;
		u->msr &= 0xF0;
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return val;
}

void uart8250_write(struct uart8250 *u, unsigned reg, uint8_t val)
{
	if (reg >= UART_NREGS)
		return;
	pthread_mutex_lock(&u->lock);
	switch (reg) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = val;
		else
			write_thr(u, val);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
		} else {
			/*
			 * Enabling ETBEI while THR is empty (always, here) raises
			 * the THRE interrupt at once; Linux's 8250 driver checks
			 * this at startup and relies on it to start transmitting.
			 */
			if (!(u->ier & UART_IER_ETBEI) && (val & UART_IER_ETBEI))
				u->thr_ipending = true;
			u->ier = val & 0x0F; /* bits 4-7 are always 0 on a 16550A */
		}
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		write_mcr(u, val);
		break;
	case UART_LSR: /* factory test only */
	case UART_MSR: /* read-only */
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

void uart8250_rx_notify(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

/*
 * ---- The board's UART, wired to the console: COM1 on the PC (ports
 * 0x3F8-0x3FF, IRQ 4), the NS16550A at 0x1000_0000 on RISC-V's virt board;
 * where it sits is the arch's layout.h (LAYOUT_SERIAL_*). ----
 */

#define COM1_BASE LAYOUT_SERIAL_BASE
#define COM1_IRQ  LAYOUT_SERIAL_IRQ

/* One VM per process, so one COM1. */
static struct uart8250 com1;
static struct io_device com1_dev;

static void com1_tx(void *ctx, uint8_t byte)
{
	const struct device_host *host = ctx;

	console_putc(host->console, byte);
}

static int com1_rx(void *ctx)
{
	const struct device_host *host = ctx;
	int c = console_getc(host->console);

	/* End of input looks like "nothing yet" to a UART: there is no EOF on a wire. */
	return c >= 0 ? c : -1;
}

static bool com1_rx_ready(void *ctx)
{
	const struct device_host *host = ctx;

	return console_input_pending(host->console);
}

static void com1_set_irq(void *ctx, int level)
{
	const struct device_host *host = ctx;

	/* A failing KVM_IRQ_LINE only costs the guest an interrupt; it can still poll. */
	(void)host->irq_line(host, COM1_IRQ, level);
}

static const struct uart8250_ops com1_ops = {
	.tx = com1_tx,
	.rx = com1_rx,
	.rx_ready = com1_rx_ready,
	.set_irq = com1_set_irq,
};

static void com1_input(void *ctx)
{
	uart8250_rx_notify(ctx);
}

/*
 * An ISA bus splits a wide access to an 8-bit device into byte cycles at
 * consecutive ports, so inw from 0x3F8 reads RBR then IER. The bus hands
 * us only accesses inside the 8 ports (or the MMIO window, whose bytes
 * past the 8 registers read 0xFF); the check keeps that a local fact.
 */
static void serial_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			    unsigned size)
{
	(void)vcpu;
	for (unsigned i = 0; i < size; i++)
		data[i] = offset + i < UART_NREGS ? uart8250_read(opaque, (unsigned)offset + i) : 0xFF;
}

static void serial_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			     unsigned size)
{
	(void)vcpu;
	for (unsigned i = 0; i < size; i++)
		if (offset + i < UART_NREGS)
			uart8250_write(opaque, (unsigned)offset + i, data[i]);
}

/* Port I/O on the PC, MMIO on RISC-V. */
static struct iobus *serial_bus(const struct device_host *host)
{
	return LAYOUT_SERIAL_MMIO ? host->mmio : host->pio;
}

static int serial_init(const struct device_host *host)
{
	uart8250_init(&com1, &com1_ops, (void *)host);
	com1_dev = (struct io_device){
		.name = LAYOUT_SERIAL_NAME,
		.base = COM1_BASE,
		.len = LAYOUT_SERIAL_LEN,
		.opaque = &com1,
		.read = serial_pio_read,
		.write = serial_pio_write,
	};
	host->console->input_ctx = &com1;
	host->console->input_cb = com1_input;
	return iobus_register(serial_bus(host), &com1_dev);
}

static void serial_reset(const struct device_host *host)
{
	(void)host;
	uart8250_reset(&com1);
}

static void serial_save(const struct device_host *host, struct state_writer *w)
{
	(void)host;
	uart8250_save(&com1, w);
}

static int serial_load(const struct device_host *host, struct state_reader *r)
{
	(void)host;
	return uart8250_load(&com1, r);
}

static void serial_exit(const struct device_host *host)
{
	iobus_unregister(serial_bus(host), &com1_dev);
	host->console->input_cb = NULL;
	host->console->input_ctx = NULL;
	uart8250_destroy(&com1);
}

static const struct device serial_device = {
	.name = LAYOUT_SERIAL_NAME,
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = serial_init,
	.reset = serial_reset,
	.exit = serial_exit,
	.save = serial_save,
	.load = serial_load,
};

device_register(serial_device);
