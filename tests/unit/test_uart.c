/* SPDX-License-Identifier: MIT */
/* The 16550A model, driven through its registers with fake callbacks. */
#include "test.h"

#include "dev/uart8250.h"

struct fake {
	uint8_t tx[256];
	int ntx;
	uint8_t rx[64];
	int rx_head, rx_len;
	int irq[64]; /* every level set_irq() was called with, in order */
	int nirq;
};

static void fake_tx(void *ctx, uint8_t byte)
{
	struct fake *f = ctx;

	if (f->ntx < (int)sizeof(f->tx))
		f->tx[f->ntx++] = byte;
}

static int fake_rx(void *ctx)
{
	struct fake *f = ctx;

	if (!f->rx_len)
		return -1;
	f->rx_len--;
	return f->rx[f->rx_head++];
}

static bool fake_rx_ready(void *ctx)
{
	struct fake *f = ctx;

	return f->rx_len > 0;
}

static void fake_set_irq(void *ctx, int level)
{
	struct fake *f = ctx;

	if (f->nirq < 64)
		f->irq[f->nirq++] = level;
}

static const struct uart8250_ops fake_ops = {
	.tx = fake_tx,
	.rx = fake_rx,
	.rx_ready = fake_rx_ready,
	.set_irq = fake_set_irq,
};

static void setup(struct uart8250 *u, struct fake *f)
{
	memset(f, 0, sizeof(*f));
	uart8250_init(u, &fake_ops, f);
}

static void fake_input(struct fake *f, const char *s)
{
	while (*s)
		f->rx[f->rx_head + f->rx_len++] = (uint8_t)*s++;
}

TEST(uart_reset_values)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0x01);
	CHECK_EQ(uart8250_read(&u, UART_IER), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_LCR), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_MCR), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_MSR), 0xB0);
	CHECK_EQ(uart8250_read(&u, UART_SCR), 0x00);
	CHECK_EQ(f.nirq, 0);
	CHECK_EQ(f.ntx, 0);
	uart8250_destroy(&u);
}

TEST(uart_divisor_latch)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_IER, UART_IER_ERBFI);
	uart8250_write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	CHECK_EQ(uart8250_read(&u, UART_DLL), 12); /* 9600 baud after reset */
	uart8250_write(&u, UART_DLL, 0x01);
	uart8250_write(&u, UART_DLM, 0x02);
	CHECK_EQ(uart8250_read(&u, UART_DLL), 0x01);
	CHECK_EQ(uart8250_read(&u, UART_DLM), 0x02);
	CHECK_EQ(f.ntx, 0); /* DLL writes are not data */
	uart8250_write(&u, UART_LCR, 0x03);
	CHECK_EQ(uart8250_read(&u, UART_LCR), 0x03);
	CHECK_EQ(uart8250_read(&u, UART_IER), UART_IER_ERBFI);
	uart8250_write(&u, UART_THR, 'z');
	CHECK_EQ(f.ntx, 1);
	uart8250_write(&u, UART_LCR, UART_LCR_DLAB);
	CHECK_EQ(uart8250_read(&u, UART_DLL), 0x01);
	CHECK_EQ(uart8250_read(&u, UART_DLM), 0x02);
	uart8250_destroy(&u);
}

TEST(uart_thr_write_transmits)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_THR, 'h');
	uart8250_write(&u, UART_THR, 'i');
	CHECK_EQ(f.ntx, 2);
	CHECK_MEM(f.tx, "hi", 2);
	/* Transmission is instant: the transmitter is always empty. */
	CHECK_EQ(uart8250_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* No IER bits, no interrupt, whatever happened. */
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	uart8250_destroy(&u);
}

TEST(uart_loopback_routes_thr_to_rbr)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	fake_input(&f, "Q"); /* host input must not show up in loopback */
	/* Linux's autoconfig probe: LOOP|OUT2|RTS must read back as DCD|CTS. */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | 0x0A);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0x90);
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, 0);
	uart8250_write(&u, UART_THR, 'A');
	CHECK_EQ(f.ntx, 0);
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(uart8250_read(&u, UART_RBR), 'A');
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, 0);
	CHECK_EQ(f.rx_len, 1);

	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | 0x0F);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0xF0);
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0x00);

	/* FIFOs off: a one-byte receiver, the second byte overruns. */
	uart8250_write(&u, UART_THR, '1');
	uart8250_write(&u, UART_THR, '2');
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60 | UART_LSR_OE | UART_LSR_DR);
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60 | UART_LSR_DR); /* OE clears on read */
	CHECK_EQ(uart8250_read(&u, UART_RBR), '1');

	/* FIFOs on: 16 bytes come back in order, the 17th overruns. */
	uart8250_write(&u, UART_FCR, UART_FCR_ENABLE);
	for (int i = 0; i < 17; i++)
		uart8250_write(&u, UART_THR, (uint8_t)('a' + i));
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_OE, UART_LSR_OE);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(uart8250_read(&u, UART_RBR), 'a' + i);
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, 0);

	/* Leaving loopback: host input again, the loopback bytes are gone. */
	uart8250_write(&u, UART_THR, 'x');
	uart8250_write(&u, UART_MCR, 0);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0xB0);
	CHECK_EQ(uart8250_read(&u, UART_RBR), 'Q');
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, 0);
	CHECK_EQ(f.ntx, 0);
	uart8250_destroy(&u);
}

TEST(uart_msr_delta_bits)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	/* Entering loopback with every output low drops CTS, DSR and DCD. */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP);
	CHECK_EQ(uart8250_read(&u, UART_MSR), UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	CHECK_EQ(uart8250_read(&u, UART_MSR), 0x00); /* deltas clear on read */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	CHECK_EQ(uart8250_read(&u, UART_MSR), UART_MSR_RI); /* RI rising: no TERI */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP);
	CHECK_EQ(uart8250_read(&u, UART_MSR), UART_MSR_TERI); /* trailing edge */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	CHECK_EQ(uart8250_read(&u, UART_MSR), UART_MSR_DSR | UART_MSR_DDSR);

	/* A modem-status interrupt while a delta is pending, cleared by reading MSR. */
	uart8250_write(&u, UART_IER, UART_IER_EDSSI);
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_MSI);
	CHECK_EQ(uart8250_read(&u, UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCTS);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	uart8250_destroy(&u);
}

TEST(uart_thre_interrupt)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2);
	CHECK_EQ(f.nirq, 0);
	/* Enabling ETBEI with THR empty raises the interrupt at once. */
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	CHECK_EQ(f.nirq, 1);
	CHECK_EQ(f.irq[0], 1);
	/* Reading IIR reports it and thereby acknowledges it. */
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_THRI);
	CHECK_EQ(f.nirq, 2);
	CHECK_EQ(f.irq[1], 0);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	/* Linux's THRE test: toggling ETBEI 0 -> 1 re-raises it. */
	uart8250_write(&u, UART_IER, 0);
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_THRI);
	/* Writing THR clears it, and since the byte leaves at once, re-arms it. */
	uart8250_write(&u, UART_THR, 'x');
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_THRI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	/* Writing IER with ETBEI already set does not re-raise. */
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	/* The level only ever toggles: 1 0 1 0 1 0 */
	CHECK_EQ(f.nirq, 6);
	for (int i = 0; i < f.nirq; i++)
		CHECK_EQ(f.irq[i], i % 2 == 0);
	uart8250_destroy(&u);
}

TEST(uart_rx_interrupt)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	uart8250_write(&u, UART_IER, UART_IER_ERBFI);
	CHECK_EQ(f.nirq, 0);
	fake_input(&f, "ok");
	uart8250_rx_notify(&u);
	CHECK_EQ(f.nirq, 1);
	CHECK_EQ(f.irq[0], 1);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_RDI);
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60 | UART_LSR_DR);
	CHECK_EQ(uart8250_read(&u, UART_RBR), 'o');
	CHECK_EQ(f.nirq, 1); /* one byte left: still pending */
	CHECK_EQ(uart8250_read(&u, UART_RBR), 'k');
	CHECK_EQ(f.nirq, 2);
	CHECK_EQ(f.irq[1], 0);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60);
	/* An empty receiver reads as the last byte again. */
	CHECK_EQ(uart8250_read(&u, UART_RBR), 'k');
	/* A notify with nothing new changes nothing. */
	uart8250_rx_notify(&u);
	CHECK_EQ(f.nirq, 2);
	uart8250_destroy(&u);
}

TEST(uart_irq_gated_by_out2_and_loopback)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	/* Pending in IIR, but a PC card drives the line only with OUT2. */
	uart8250_write(&u, UART_MCR, UART_MCR_DTR);
	CHECK_EQ(f.nirq, 0);
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2);
	CHECK_EQ(f.nirq, 1);
	CHECK_EQ(f.irq[0], 1);
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	CHECK_EQ(f.nirq, 2);
	CHECK_EQ(f.irq[1], 0);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_THRI); /* still reported */
	uart8250_destroy(&u);
}

TEST(uart_interrupt_priorities)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP);
	uart8250_write(&u, UART_IER, UART_IER_ELSI | UART_IER_ERBFI | UART_IER_ETBEI);
	uart8250_write(&u, UART_THR, '1');
	uart8250_write(&u, UART_THR, '2'); /* overrun: FIFOs are off */
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_RLSI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_RLSI); /* only LSR clears it */
	uart8250_read(&u, UART_LSR);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_RDI);
	CHECK_EQ(uart8250_read(&u, UART_RBR), '1');
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_THRI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), UART_IIR_NONE);
	CHECK_EQ(f.nirq, 0); /* loopback: the line never moved */
	uart8250_destroy(&u);
}

TEST(uart_fifo_bits_in_iir)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_FCR, UART_FCR_ENABLE);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0xC1);
	/* Clear bits and trigger level do not disturb the FIFO-enabled bits. */
	uart8250_write(&u, UART_FCR, 0xC7);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0xC1);
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2);
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0xC2);
	uart8250_write(&u, UART_FCR, 0);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0x01);
	uart8250_destroy(&u);
}

TEST(uart_scratch_register)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	uart8250_write(&u, UART_SCR, 0x5A);
	CHECK_EQ(uart8250_read(&u, UART_SCR), 0x5A);
	uart8250_write(&u, UART_LCR, UART_LCR_DLAB); /* DLAB does not hide SCR */
	CHECK_EQ(uart8250_read(&u, UART_SCR), 0x5A);
	uart8250_destroy(&u);
}

TEST(uart_hostile_accesses_are_harmless)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	CHECK_EQ(uart8250_read(&u, 8), 0xFF);
	CHECK_EQ(uart8250_read(&u, 1000), 0xFF);
	uart8250_write(&u, 8, 0x12);
	uart8250_write(&u, ~0u, 0x12);
	/* Reserved bits stay zero, as on a 16550A. */
	uart8250_write(&u, UART_IER, 0xFF);
	CHECK_EQ(uart8250_read(&u, UART_IER), 0x0F);
	uart8250_write(&u, UART_MCR, 0xFF);
	CHECK_EQ(uart8250_read(&u, UART_MCR), 0x1F);
	/* LSR and MSR are not writable. */
	uart8250_write(&u, UART_LSR, 0x00);
	uart8250_write(&u, UART_MSR, 0x00);
	uart8250_write(&u, UART_MCR, 0);
	CHECK_EQ(uart8250_read(&u, UART_LSR) & 0x60, 0x60);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0xB0);
	/* Every register, every value: no crash, LSR stays sane. */
	for (unsigned r = 0; r < 8; r++)
		for (unsigned v = 0; v < 256; v++) {
			uart8250_write(&u, r, (uint8_t)v);
			uart8250_read(&u, r);
		}
	CHECK_EQ(uart8250_read(&u, UART_LSR) & 0x60, 0x60);
	uart8250_destroy(&u);
}

/* The register dance of Linux's 8250 autoconfig(), in order, with the answers it wants. */
TEST(uart_linux_autoconfig_sees_16550a)
{
	struct uart8250 u;
	struct fake f;
	uint8_t scratch, scratch2, scratch3;

	setup(&u, &f);
	scratch = uart8250_read(&u, UART_IER);
	uart8250_write(&u, UART_IER, 0);
	scratch2 = uart8250_read(&u, UART_IER) & 0x0F;
	uart8250_write(&u, UART_IER, 0x0F);
	scratch3 = uart8250_read(&u, UART_IER) & 0x0F;
	uart8250_write(&u, UART_IER, scratch);
	CHECK_EQ(scratch2, 0);
	CHECK_EQ(scratch3, 0x0F);

	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | 0x0A);
	CHECK_EQ(uart8250_read(&u, UART_MSR) & 0xF0, 0x90);
	uart8250_write(&u, UART_MCR, 0);

	uart8250_write(&u, UART_LCR, 0xBF);
	uart8250_write(&u, 2, 0); /* EFR on chips that have one: an FCR write here */
	uart8250_write(&u, UART_LCR, 0);
	uart8250_write(&u, UART_FCR, UART_FCR_ENABLE);
	CHECK_EQ(uart8250_read(&u, UART_IIR) >> 6, 3); /* 16550A or later */
	/* No EFR behind LCR=0x80 or 0xBF: reg 2 reads IIR, never 0. */
	uart8250_write(&u, UART_LCR, 0x80);
	CHECK(uart8250_read(&u, 2) != 0);
	uart8250_write(&u, UART_LCR, 0xBF);
	CHECK(uart8250_read(&u, 2) != 0);
	/* Not a TI16750: IIR bit 5 stays clear with the 64-byte FIFO bit set. */
	uart8250_write(&u, UART_LCR, 0);
	uart8250_write(&u, UART_FCR, UART_FCR_ENABLE | 0x20);
	CHECK_EQ(uart8250_read(&u, UART_IIR) & 0x20, 0);
	/* Not an XScale UART: IER bit 6 does not stick. */
	uart8250_write(&u, UART_IER, 0x40);
	CHECK_EQ(uart8250_read(&u, UART_IER), 0);
	uart8250_destroy(&u);
}

TEST(uart_reset_restores_power_on_state)
{
	struct uart8250 u;
	struct fake f;

	setup(&u, &f);
	/* Dirty everything: divisor, line and modem control, scratch, FIFOs, loopback bytes, IRQ. */
	uart8250_write(&u, UART_LCR, UART_LCR_DLAB);
	uart8250_write(&u, UART_DLL, 0x01);
	uart8250_write(&u, UART_DLM, 0x02);
	uart8250_write(&u, UART_LCR, 0x1B);
	uart8250_write(&u, UART_SCR, 0x5A);
	uart8250_write(&u, UART_FCR, UART_FCR_ENABLE);
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	uart8250_write(&u, UART_THR, 'x');
	uart8250_write(&u, UART_MCR, UART_MCR_OUT2);
	uart8250_write(&u, UART_IER, UART_IER_ETBEI);
	CHECK_EQ(f.nirq, 1);
	CHECK_EQ(f.irq[0], 1);
	uart8250_reset(&u);
	/* The raised line falls, and every register reads its power-on value. */
	CHECK_EQ(f.nirq, 2);
	CHECK_EQ(f.irq[1], 0);
	CHECK_EQ(uart8250_read(&u, UART_IER), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_IIR), 0x01);
	CHECK_EQ(uart8250_read(&u, UART_LCR), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_MCR), 0x00);
	CHECK_EQ(uart8250_read(&u, UART_LSR), 0x60);
	CHECK_EQ(uart8250_read(&u, UART_MSR), 0xB0);
	CHECK_EQ(uart8250_read(&u, UART_SCR), 0x00);
	uart8250_write(&u, UART_LCR, UART_LCR_DLAB);
	CHECK_EQ(uart8250_read(&u, UART_DLL), 12);
	CHECK_EQ(uart8250_read(&u, UART_DLM), 0);
	uart8250_write(&u, UART_LCR, 0);
	/* The loopback byte is gone: loopback again finds the receiver empty. */
	uart8250_write(&u, UART_MCR, UART_MCR_LOOP);
	CHECK_EQ(uart8250_read(&u, UART_LSR) & UART_LSR_DR, 0);
	/* The callbacks are still wired: a byte goes out. */
	uart8250_write(&u, UART_MCR, 0);
	uart8250_write(&u, UART_THR, 'y');
	CHECK_EQ(f.ntx, 1);
	CHECK_EQ(f.tx[0], 'y');
	uart8250_destroy(&u);
}
