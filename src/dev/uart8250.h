/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART, the PC's serial port, as a model that knows nothing of KVM:
 * eight byte-wide registers, a mutex, and four callbacks to the outside
 * world (transmit a byte, take a received byte, is input waiting, set the
 * interrupt line). src/dev/uart8250.c also wires one instance to COM1
 * (ports 0x3F8-0x3FF, IRQ 4) and the console, as a device (device.h).
 *
 * What is modelled (register facts from the 16550A datasheet):
 *   - transmission is instant: LSR.THRE and LSR.TEMT are always set, and a
 *     THR write calls tx() at once and re-arms the "THR empty" interrupt;
 *   - the receive FIFO is the console's input ring: LSR.DR is rx_ready(),
 *     reading RBR calls rx(); there is no character-timeout interrupt
 *     (IIR 0x0C): the RX data interrupt stays up while any byte waits;
 *   - loopback (MCR.LOOP): THR bytes come back through RBR (a 16-byte FIFO,
 *     1 byte with FIFOs off, overrun sets LSR.OE), MSR mirrors the MCR
 *     outputs, and nothing goes to tx() or comes from rx(). Bytes left in
 *     the loopback FIFO are dropped when loopback ends;
 *   - the interrupt output is gated by MCR.OUT2, as on a PC's ISA card,
 *     and is off in loopback (the OUT2 pin is forced inactive there); a
 *     guest that only polls LSR never needs OUT2;
 *   - baud rate, word length, parity and FIFO trigger levels are stored
 *     and read back but change nothing.
 *
 * Thread safety: every entry point takes the UART's mutex; callbacks are
 * called with it held (so they must not call back into the UART).
 */
#ifndef MINIKVM_UART8250_H
#define MINIKVM_UART8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Register numbers (offset from the base port). */
enum {
	UART_RBR = 0, /* read, DLAB=0: receive buffer */
	UART_THR = 0, /* write, DLAB=0: transmit holding */
	UART_DLL = 0, /* DLAB=1: divisor latch, low byte */
	UART_DLM = 1, /* DLAB=1: divisor latch, high byte */
	UART_IER = 1, /* DLAB=0: interrupt enable */
	UART_IIR = 2, /* read: interrupt identification */
	UART_FCR = 2, /* write: FIFO control */
	UART_LCR = 3, /* line control */
	UART_MCR = 4, /* modem control */
	UART_LSR = 5, /* line status */
	UART_MSR = 6, /* modem status */
	UART_SCR = 7, /* scratch */
	UART_NREGS = 8,
};

#define UART_IER_ERBFI 0x01 /* received data available */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI  0x04 /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

#define UART_IIR_NONE  0x01 /* no interrupt pending */
#define UART_IIR_MSI   0x00
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_IIR_RLSI  0x06
#define UART_IIR_FIFO  0xC0 /* FIFOs enabled */

#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

#define UART_LOOP_FIFO 16

struct uart8250_ops {
	void (*tx)(void *ctx, uint8_t byte);
	int (*rx)(void *ctx);           /* next received byte 0..255, or -1 if none */
	bool (*rx_ready)(void *ctx);    /* a byte is waiting */
	void (*set_irq)(void *ctx, int level);
};

struct uart8250 {
	pthread_mutex_t lock;
	const struct uart8250_ops *ops;
	void *ctx;

	uint8_t rbr;        /* last byte received: what an empty RBR reads as */
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors; /* LSR.OE until LSR is read */
	uint8_t msr;        /* status bits 4-7 and delta bits 0-3 */
	bool thr_ipending;  /* the "THR empty" interrupt is armed */
	int irq_level;      /* last level given to set_irq() */

	uint8_t loop[UART_LOOP_FIFO]; /* loopback receive FIFO */
	unsigned loop_head, loop_len;
};

/* Power-on state; ops must outlive the UART. set_irq() is not called here. */
void uart8250_init(struct uart8250 *u, const struct uart8250_ops *ops, void *ctx);
/*
 * Back to power-on state (ops and ctx kept): IER, LCR, MCR, FCR, SCR 0,
 * divisor 12, no pending interrupt or error, loopback FIFO empty. A raised
 * interrupt line is lowered through set_irq().
 */
void uart8250_reset(struct uart8250 *u);
void uart8250_destroy(struct uart8250 *u);
/* Register access; reg >= UART_NREGS reads 0xFF and writes are ignored. */
uint8_t uart8250_read(struct uart8250 *u, unsigned reg);
void uart8250_write(struct uart8250 *u, unsigned reg, uint8_t val);
/* New input may be waiting: re-evaluate LSR.DR and the interrupt. */
void uart8250_rx_notify(struct uart8250 *u);
/*
 * Snapshots (src/snapshot_state.h): every register and the loopback FIFO. Load
 * checks the FIFO's indices and leaves the UART as it was on -EINVAL; it
 * does not drive the interrupt line (the interrupt chips keep its level).
 */
struct state_writer;
struct state_reader;
void uart8250_save(struct uart8250 *u, struct state_writer *w);
int uart8250_load(struct uart8250 *u, struct state_reader *r);

#endif
