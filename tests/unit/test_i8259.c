/* SPDX-License-Identifier: MIT */
/* The 8259A pair and the ELCR, driven through their ports as a guest would. */
#include "test.h"
#include "portio.h"

#include <stdlib.h>

#include "dev/i8259.h"
#include "iobus.h"

#define MASTER 0x20
#define SLAVE  0xA0
#define ELCR   0x4D0

#define EOI           0x20
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B

/* The PICs alone on a port bus; their INTR callback just counts. */
struct pics {
	struct iobus pio;
	struct i8259 *pic;
	int raised;
};

static void count_intr(void *ctx)
{
	((struct pics *)ctx)->raised++;
}

static const struct i8259_ops count_ops = { .intr_raised = count_intr };

static struct pics *pic_new(void)
{
	struct pics *t = calloc(1, sizeof(*t));

	t->pio.name = "pio";
	t->pic = i8259_create(&t->pio, &count_ops, t);
	CHECK(t->pic != NULL);
	return t;
}

static void pic_free(struct pics *t)
{
	i8259_free(t->pic);
	CHECK_EQ(t->pio.n, 0); /* its ports left the bus */
	free(t);
}

static uint8_t read_isr(struct pics *t, uint16_t chip)
{
	uint8_t v;

	out(&t->pio, chip, OCW3_READ_ISR);
	v = in(&t->pio, chip);
	out(&t->pio, chip, OCW3_READ_IRR);
	return v;
}

/* As Linux's init_8259A() does it, with vectors 0x20-0x2F. */
static void init_pics(struct pics *t, uint8_t icw4)
{
	out(&t->pio, MASTER, 0x11);     /* ICW1: cascade, ICW4 follows */
	out(&t->pio, MASTER + 1, 0x20); /* ICW2: vector base */
	out(&t->pio, MASTER + 1, 0x04); /* ICW3: slave on pin 2 */
	out(&t->pio, MASTER + 1, icw4);
	out(&t->pio, SLAVE, 0x11);
	out(&t->pio, SLAVE + 1, 0x28);
	out(&t->pio, SLAVE + 1, 0x02);  /* ICW3: slave ID 2 */
	out(&t->pio, SLAVE + 1, icw4);
}

static void pulse(struct pics *t, int irq)
{
	i8259_set_irq(t->pic, irq, 1);
	i8259_set_irq(t->pic, irq, 0);
}

TEST(i8259_init_sequence_and_registers)
{
	struct pics *t = pic_new();

	out(&t->pio, MASTER + 1, 0xA5);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0xA5);
	init_pics(t, 0x01);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0x00); /* ICW1 clears the IMR; ICWs do not land in it */
	out(&t->pio, MASTER + 1, 0xFB);
	out(&t->pio, SLAVE + 1, 0xFF);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0xFB);
	CHECK_EQ(in(&t->pio, SLAVE + 1), 0xFF);
	/* IRR, then ISR after OCW3; the selection sticks until changed. */
	out(&t->pio, MASTER + 1, 0x00);
	i8259_set_irq(t->pic, 1, 1);
	CHECK_EQ(in(&t->pio, MASTER), 0x02);
	CHECK(i8259_pending(t->pic));
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);
	out(&t->pio, MASTER, OCW3_READ_ISR);
	CHECK_EQ(in(&t->pio, MASTER), 0x02);
	CHECK_EQ(in(&t->pio, MASTER), 0x02);
	out(&t->pio, MASTER, EOI);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);
	CHECK(!i8259_pending(t->pic));
	/* Single mode skips ICW3; without IC4 there is no ICW4 (a real-mode BIOS's 8/0x70 base). */
	out(&t->pio, MASTER, 0x13);
	out(&t->pio, MASTER + 1, 0x08);
	out(&t->pio, MASTER + 1, 0x01);
	out(&t->pio, MASTER + 1, 0xFE);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0xFE);
	out(&t->pio, SLAVE, 0x10);
	out(&t->pio, SLAVE + 1, 0x70);
	out(&t->pio, SLAVE + 1, 0x02);
	out(&t->pio, SLAVE + 1, 0x7F);
	CHECK_EQ(in(&t->pio, SLAVE + 1), 0x7F);
	i8259_set_irq(t->pic, 15, 1);
	out(&t->pio, MASTER + 1, 0xFF);
	out(&t->pio, MASTER, 0x11);
	out(&t->pio, MASTER + 1, 0x08);
	out(&t->pio, MASTER + 1, 0x04);
	out(&t->pio, MASTER + 1, 0x01);
	CHECK_EQ(i8259_ack(t->pic), 0x77);
	pic_free(t);
}

TEST(i8259_fixed_priority_and_nesting)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	pulse(t, 5);
	pulse(t, 3);
	CHECK_EQ(in(&t->pio, MASTER), 0x28);
	CHECK_EQ(i8259_ack(t->pic), 0x23);
	CHECK(!i8259_pending(t->pic));          /* 5 ranks below 3, which is in service */
	pulse(t, 1);
	CHECK(i8259_pending(t->pic));           /* 1 outranks it: nests */
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	CHECK_EQ(read_isr(t, MASTER), 0x0A);
	out(&t->pio, MASTER, EOI);               /* non-specific: the highest, 1 */
	CHECK_EQ(read_isr(t, MASTER), 0x08);
	CHECK(!i8259_pending(t->pic));
	out(&t->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(t->pic), 0x25);
	out(&t->pio, MASTER, EOI);
	/* A masked request waits in IRR, and IRQ 2 is no ISA line. */
	out(&t->pio, MASTER + 1, 0x40);
	pulse(t, 6);
	pulse(t, 2);
	CHECK_EQ(in(&t->pio, MASTER), 0x40);
	CHECK(!i8259_pending(t->pic));
	out(&t->pio, MASTER + 1, 0x00);
	CHECK_EQ(i8259_ack(t->pic), 0x26);
	pic_free(t);
}

TEST(i8259_specific_eoi_and_rotation)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	pulse(t, 3);
	CHECK_EQ(i8259_ack(t->pic), 0x23);
	pulse(t, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	out(&t->pio, MASTER, 0x63);              /* specific EOI for 3, though 1 ranks higher */
	CHECK_EQ(read_isr(t, MASTER), 0x02);
	out(&t->pio, MASTER, 0x61);
	CHECK_EQ(read_isr(t, MASTER), 0x00);
	/* Set priority: 4 lowest, so 5 highest: 6 beats 3. */
	out(&t->pio, MASTER, 0xC4);
	pulse(t, 3);
	pulse(t, 6);
	CHECK_EQ(i8259_ack(t->pic), 0x26);
	/* Rotate on non-specific EOI: 6 ends and becomes lowest; 7 is now highest. */
	out(&t->pio, MASTER, 0xA0);
	pulse(t, 7);
	CHECK_EQ(i8259_ack(t->pic), 0x27);
	/* Rotate on specific EOI 7: 0 highest again, then 1, ... 3. */
	out(&t->pio, MASTER, 0xE7);
	pulse(t, 0);
	CHECK_EQ(i8259_ack(t->pic), 0x20);
	out(&t->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(t->pic), 0x23);
	pic_free(t);
}

TEST(i8259_auto_eoi)
{
	struct pics *t = pic_new();

	init_pics(t, 0x03);                /* ICW4: 8086 mode, auto-EOI */
	pulse(t, 4);
	CHECK_EQ(i8259_ack(t->pic), 0x24);
	CHECK_EQ(read_isr(t, MASTER), 0x00);
	CHECK(!i8259_pending(t->pic));
	/* Rotate in auto-EOI: each acknowledged level becomes the lowest. */
	out(&t->pio, MASTER, 0x80);
	pulse(t, 3);
	pulse(t, 5);
	CHECK_EQ(i8259_ack(t->pic), 0x23);      /* now 4 is highest */
	pulse(t, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x25);
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	/* Cleared: fixed priority again from wherever the rotation left it (1 lowest). */
	out(&t->pio, MASTER, 0x00);
	pulse(t, 1);
	pulse(t, 3);
	CHECK_EQ(i8259_ack(t->pic), 0x23);
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	pic_free(t);
}

TEST(i8259_cascade_through_slave)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	pulse(t, 12);
	CHECK_EQ(in(&t->pio, SLAVE), 0x10);
	CHECK_EQ(in(&t->pio, MASTER), 0x04);     /* the slave's INTR on pin 2 */
	CHECK_EQ(i8259_ack(t->pic), 0x2C);
	CHECK_EQ(read_isr(t, MASTER), 0x04);
	CHECK_EQ(read_isr(t, SLAVE), 0x10);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);
	pulse(t, 3);
	CHECK(!i8259_pending(t->pic));          /* below the cascade level in service */
	pulse(t, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x21);
	out(&t->pio, MASTER, EOI);
	/* The slave is done, but master level 2 still blocks further slave requests. */
	out(&t->pio, SLAVE, EOI);
	pulse(t, 9);
	CHECK_EQ(in(&t->pio, MASTER), 0x0C);
	CHECK(!i8259_pending(t->pic));
	out(&t->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(t->pic), 0x29);
	/* A masked slave pin never reaches the master. */
	out(&t->pio, SLAVE, EOI);
	out(&t->pio, MASTER, EOI);
	out(&t->pio, SLAVE + 1, 0x80);
	pulse(t, 15);
	CHECK_EQ(i8259_ack(t->pic), 0x23);      /* 3 was waiting */
	out(&t->pio, MASTER, EOI);
	CHECK(!i8259_pending(t->pic));
	pic_free(t);
}

TEST(i8259_spurious_irq7_and_irq15)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	/* Masked between INTR and INTA: vector 7, nothing in service. */
	pulse(t, 3);
	CHECK(i8259_pending(t->pic));
	out(&t->pio, MASTER + 1, 0x08);
	CHECK_EQ(i8259_ack(t->pic), 0x27);
	CHECK_EQ(read_isr(t, MASTER), 0x00);
	out(&t->pio, MASTER + 1, 0x00);
	CHECK_EQ(i8259_ack(t->pic), 0x23);      /* the latch survived */
	out(&t->pio, MASTER, EOI);
	/* A level line that drops before the acknowledge. */
	out(&t->pio, ELCR, 0x20);
	i8259_set_irq(t->pic, 5, 1);
	i8259_set_irq(t->pic, 5, 0);
	CHECK_EQ(i8259_ack(t->pic), 0x27);
	/* On the slave: the master latched its INTR, so the master's level 2 goes in service. */
	out(&t->pio, ELCR + 1, 0x04);
	i8259_set_irq(t->pic, 10, 1);
	i8259_set_irq(t->pic, 10, 0);
	CHECK(i8259_pending(t->pic));
	CHECK_EQ(i8259_ack(t->pic), 0x2F);
	CHECK_EQ(read_isr(t, MASTER), 0x04);
	CHECK_EQ(read_isr(t, SLAVE), 0x00);
	out(&t->pio, MASTER, EOI);               /* what Linux does for a spurious 15 */
	CHECK(!i8259_pending(t->pic));
	pic_free(t);
}

TEST(i8259_elcr_level_and_edge_pins)
{
	struct pics *t = pic_new();

	CHECK_EQ(in(&t->pio, ELCR), 0x00);
	out(&t->pio, ELCR, 0xFF);
	out(&t->pio, ELCR + 1, 0xFF);
	CHECK_EQ(in(&t->pio, ELCR), 0xF8);       /* IRQ 0, 1, 2 are always edge */
	CHECK_EQ(in(&t->pio, ELCR + 1), 0xDE);   /* and IRQ 8, 13 */
	out(&t->pio, ELCR, 0x00);
	out(&t->pio, ELCR + 1, 0x02);            /* IRQ 9 level */
	init_pics(t, 0x01);
	/* A level pin requests for as long as its line is high. */
	i8259_set_irq(t->pic, 9, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x29);
	CHECK_EQ(in(&t->pio, SLAVE), 0x02);
	out(&t->pio, SLAVE, EOI);
	out(&t->pio, MASTER, EOI);
	CHECK(i8259_pending(t->pic));
	CHECK_EQ(i8259_ack(t->pic), 0x29);
	i8259_set_irq(t->pic, 9, 0);
	CHECK_EQ(in(&t->pio, SLAVE), 0x00);
	out(&t->pio, SLAVE, EOI);
	out(&t->pio, MASTER, EOI);
	CHECK(!i8259_pending(t->pic));
	/* An edge pin requests once per rising edge; its latch outlives the line. */
	i8259_set_irq(t->pic, 4, 1);
	i8259_set_irq(t->pic, 4, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x24);
	out(&t->pio, MASTER, EOI);
	CHECK(!i8259_pending(t->pic));
	i8259_set_irq(t->pic, 4, 0);
	CHECK(!i8259_pending(t->pic));
	pulse(t, 6);
	CHECK_EQ(in(&t->pio, MASTER), 0x40);
	/* ICW1 resets the edge latches; a line already high must rise again. */
	i8259_set_irq(t->pic, 5, 1);
	init_pics(t, 0x01);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);
	i8259_set_irq(t->pic, 5, 0);
	i8259_set_irq(t->pic, 5, 1);
	CHECK_EQ(in(&t->pio, MASTER), 0x20);
	/* A 16-bit ELCR access is two byte cycles. */
	{
		struct io_device *d = iobus_find(&t->pio, ELCR, 2);
		uint8_t w[2] = { 0x08, 0x80 }, r[2] = { 0, 0 };

		d->write(d->opaque, NULL, 0, w, 2);
		d->read(d->opaque, NULL, 0, r, 2);
		CHECK_EQ(r[0], 0x08);
		CHECK_EQ(r[1], 0x80);
	}
	pic_free(t);
}

TEST(i8259_poll_command)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	pulse(t, 5);
	pulse(t, 3);
	out(&t->pio, MASTER, 0x0C);
	CHECK_EQ(in(&t->pio, MASTER), 0x83);     /* request, level 3: an acknowledge */
	CHECK_EQ(read_isr(t, MASTER), 0x08);
	out(&t->pio, MASTER, 0x0C);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);     /* 5 ranks below 3 in service */
	CHECK_EQ(in(&t->pio, MASTER), 0x20);     /* the poll is over: IRR */
	out(&t->pio, MASTER, EOI);
	out(&t->pio, MASTER, 0x0C);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0x85); /* either port reads the poll */
	out(&t->pio, MASTER, EOI);
	/* Polling a slave request: master says 2, the slave says which. */
	pulse(t, 11);
	out(&t->pio, MASTER, 0x0C);
	CHECK_EQ(in(&t->pio, MASTER), 0x82);
	out(&t->pio, SLAVE, 0x0C);
	CHECK_EQ(in(&t->pio, SLAVE), 0x83);
	CHECK_EQ(read_isr(t, SLAVE), 0x08);
	pic_free(t);
}

TEST(i8259_special_mask_mode)
{
	struct pics *t = pic_new();

	init_pics(t, 0x01);
	pulse(t, 3);
	CHECK_EQ(i8259_ack(t->pic), 0x23);
	pulse(t, 5);
	CHECK(!i8259_pending(t->pic));
	/* The handler masks its own level and enters special mask mode: 5 may come in. */
	out(&t->pio, MASTER + 1, 0x08);
	out(&t->pio, MASTER, 0x68);
	CHECK(i8259_pending(t->pic));
	CHECK_EQ(i8259_ack(t->pic), 0x25);
	CHECK_EQ(read_isr(t, MASTER), 0x28);
	out(&t->pio, MASTER, 0x65);
	out(&t->pio, MASTER, 0x48);              /* leave special mask mode */
	pulse(t, 6);
	CHECK(!i8259_pending(t->pic));          /* 3 blocks again */
	out(&t->pio, MASTER, 0x63);
	CHECK_EQ(i8259_ack(t->pic), 0x26);
	pic_free(t);
}

TEST(i8259_wide_access_and_reset)
{
	struct pics *t = pic_new();
	struct io_device *d = iobus_find(&t->pio, MASTER, 2);
	uint8_t w[2] = { 0x11, 0x11 }, r[2] = { 0, 0 };

	init_pics(t, 0x01);
	out(&t->pio, MASTER + 1, 0x12);
	d->read(d->opaque, NULL, 0, r, 2);
	CHECK_EQ(r[0], 0xFF);
	CHECK_EQ(r[1], 0xFF);
	d->write(d->opaque, NULL, 0, w, 2);  /* dropped, or it would clear the IMR */
	CHECK_EQ(in(&t->pio, MASTER + 1), 0x12);
	/* Reset: IMR open, vector base 0, ELCR edge, nothing requested or in service. */
	out(&t->pio, ELCR, 0x08);
	pulse(t, 5);
	CHECK_EQ(i8259_ack(t->pic), 0x25);
	i8259_reset(t->pic);
	CHECK_EQ(in(&t->pio, MASTER + 1), 0x00);
	CHECK_EQ(in(&t->pio, ELCR), 0x00);
	CHECK_EQ(read_isr(t, MASTER), 0x00);
	CHECK(!i8259_pending(t->pic));
	pulse(t, 3);
	CHECK_EQ(i8259_ack(t->pic), 0x03);
	pic_free(t);
}

TEST(i8259_reset_restores_power_on_state)
{
	struct pics *t = pic_new();

	/* Dirty both chips: vectors, masks, AEOI, special mask, rotation, levels in service, ISR reads. */
	init_pics(t, 0x03);                 /* auto-EOI */
	out(&t->pio, MASTER + 1, 0x12);
	out(&t->pio, SLAVE + 1, 0x34);
	out(&t->pio, ELCR, 0x20);
	out(&t->pio, ELCR + 1, 0x02);
	out(&t->pio, MASTER, 0xC4);         /* priority: 4 lowest */
	out(&t->pio, MASTER, 0x68);         /* special mask mode */
	out(&t->pio, SLAVE, OCW3_READ_ISR);
	i8259_set_irq(t->pic, 9, 1);        /* a level line stays high across the reset */
	pulse(t, 3);
	CHECK(t->raised > 0);
	CHECK_EQ(i8259_ack(t->pic), 0x29);  /* with 4 lowest, the cascade (IRQ 9) outranks 3 */
	i8259_reset(t->pic);
	/* Each chip: IMR 0, ELCR edge, IRR and ISR empty (reads select IRR), no INTR. */
	CHECK_EQ(in(&t->pio, MASTER + 1), 0x00);
	CHECK_EQ(in(&t->pio, SLAVE + 1), 0x00);
	CHECK_EQ(in(&t->pio, ELCR), 0x00);
	CHECK_EQ(in(&t->pio, ELCR + 1), 0x00);
	CHECK_EQ(in(&t->pio, MASTER), 0x00);
	CHECK_EQ(in(&t->pio, SLAVE), 0x00);
	CHECK_EQ(read_isr(t, MASTER), 0x00);
	CHECK_EQ(read_isr(t, SLAVE), 0x00);
	CHECK(!i8259_pending(t->pic));
	/* Vector base 0, fixed priority with 7 lowest, no AEOI: an ack puts 1 in service ahead of 6. */
	pulse(t, 6);
	pulse(t, 1);
	CHECK_EQ(i8259_ack(t->pic), 0x01);
	CHECK_EQ(read_isr(t, MASTER), 0x02);
	CHECK(!i8259_pending(t->pic));      /* 6 waits behind 1: not special mask mode */
	/* The line held high: an edge pin must see it rise again to request. */
	CHECK_EQ(in(&t->pio, SLAVE), 0x00);
	pic_free(t);
}
