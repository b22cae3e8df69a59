/* SPDX-License-Identifier: MIT */
/* The 8259A pair and the ELCR, driven through their ports as a guest would. */
#include "test.h"
#include "portio.h"

#include <stdlib.h>

#include "../../src/iobus.h"
#include "../../src/vm.h"
#include "../../src/x86/irqchip.h"

#define MASTER 0x20
#define SLAVE  0xA0
#define ELCR   0x4D0

#define EOI           0x20
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B

/* A VM with nothing but the PICs on its port bus (and no vCPU to kick). */
static struct vm *pic_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->pio.name = "pio";
	CHECK_EQ(i8259_create(vm), 0);
	return vm;
}

static void pic_free(struct vm *vm)
{
	i8259_destroy(vm);
	CHECK(vm->pic == NULL);
	free(vm);
}

static uint8_t read_isr(struct vm *vm, uint16_t chip)
{
	uint8_t v;

	out(&vm->pio, chip, OCW3_READ_ISR);
	v = in(&vm->pio, chip);
	out(&vm->pio, chip, OCW3_READ_IRR);
	return v;
}

/* As Linux's init_8259A() does it, with vectors 0x20-0x2F. */
static void init_pics(struct vm *vm, uint8_t icw4)
{
	out(&vm->pio, MASTER, 0x11);     /* ICW1: cascade, ICW4 follows */
	out(&vm->pio, MASTER + 1, 0x20); /* ICW2: vector base */
	out(&vm->pio, MASTER + 1, 0x04); /* ICW3: slave on pin 2 */
	out(&vm->pio, MASTER + 1, icw4);
	out(&vm->pio, SLAVE, 0x11);
	out(&vm->pio, SLAVE + 1, 0x28);
	out(&vm->pio, SLAVE + 1, 0x02);  /* ICW3: slave ID 2 */
	out(&vm->pio, SLAVE + 1, icw4);
}

static void pulse(struct vm *vm, int irq)
{
	i8259_set_irq(vm, irq, 1);
	i8259_set_irq(vm, irq, 0);
}

TEST(i8259_init_sequence_and_registers)
{
	struct vm *vm = pic_vm();

	out(&vm->pio, MASTER + 1, 0xA5);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0xA5);
	init_pics(vm, 0x01);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0x00); /* ICW1 clears the IMR; ICWs do not land in it */
	out(&vm->pio, MASTER + 1, 0xFB);
	out(&vm->pio, SLAVE + 1, 0xFF);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0xFB);
	CHECK_EQ(in(&vm->pio, SLAVE + 1), 0xFF);
	/* IRR, then ISR after OCW3; the selection sticks until changed. */
	out(&vm->pio, MASTER + 1, 0x00);
	i8259_set_irq(vm, 1, 1);
	CHECK_EQ(in(&vm->pio, MASTER), 0x02);
	CHECK(i8259_pending(vm));
	CHECK_EQ(i8259_ack(vm), 0x21);
	CHECK_EQ(in(&vm->pio, MASTER), 0x00);
	out(&vm->pio, MASTER, OCW3_READ_ISR);
	CHECK_EQ(in(&vm->pio, MASTER), 0x02);
	CHECK_EQ(in(&vm->pio, MASTER), 0x02);
	out(&vm->pio, MASTER, EOI);
	CHECK_EQ(in(&vm->pio, MASTER), 0x00);
	CHECK(!i8259_pending(vm));
	/* Single mode skips ICW3; without IC4 there is no ICW4 (a real-mode BIOS's 8/0x70 base). */
	out(&vm->pio, MASTER, 0x13);
	out(&vm->pio, MASTER + 1, 0x08);
	out(&vm->pio, MASTER + 1, 0x01);
	out(&vm->pio, MASTER + 1, 0xFE);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0xFE);
	out(&vm->pio, SLAVE, 0x10);
	out(&vm->pio, SLAVE + 1, 0x70);
	out(&vm->pio, SLAVE + 1, 0x02);
	out(&vm->pio, SLAVE + 1, 0x7F);
	CHECK_EQ(in(&vm->pio, SLAVE + 1), 0x7F);
	i8259_set_irq(vm, 15, 1);
	out(&vm->pio, MASTER + 1, 0xFF);
	out(&vm->pio, MASTER, 0x11);
	out(&vm->pio, MASTER + 1, 0x08);
	out(&vm->pio, MASTER + 1, 0x04);
	out(&vm->pio, MASTER + 1, 0x01);
	CHECK_EQ(i8259_ack(vm), 0x77);
	pic_free(vm);
}

TEST(i8259_fixed_priority_and_nesting)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	pulse(vm, 5);
	pulse(vm, 3);
	CHECK_EQ(in(&vm->pio, MASTER), 0x28);
	CHECK_EQ(i8259_ack(vm), 0x23);
	CHECK(!i8259_pending(vm));          /* 5 ranks below 3, which is in service */
	pulse(vm, 1);
	CHECK(i8259_pending(vm));           /* 1 outranks it: nests */
	CHECK_EQ(i8259_ack(vm), 0x21);
	CHECK_EQ(read_isr(vm, MASTER), 0x0A);
	out(&vm->pio, MASTER, EOI);               /* non-specific: the highest, 1 */
	CHECK_EQ(read_isr(vm, MASTER), 0x08);
	CHECK(!i8259_pending(vm));
	out(&vm->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(vm), 0x25);
	out(&vm->pio, MASTER, EOI);
	/* A masked request waits in IRR, and IRQ 2 is no ISA line. */
	out(&vm->pio, MASTER + 1, 0x40);
	pulse(vm, 6);
	pulse(vm, 2);
	CHECK_EQ(in(&vm->pio, MASTER), 0x40);
	CHECK(!i8259_pending(vm));
	out(&vm->pio, MASTER + 1, 0x00);
	CHECK_EQ(i8259_ack(vm), 0x26);
	pic_free(vm);
}

TEST(i8259_specific_eoi_and_rotation)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	pulse(vm, 3);
	CHECK_EQ(i8259_ack(vm), 0x23);
	pulse(vm, 1);
	CHECK_EQ(i8259_ack(vm), 0x21);
	out(&vm->pio, MASTER, 0x63);              /* specific EOI for 3, though 1 ranks higher */
	CHECK_EQ(read_isr(vm, MASTER), 0x02);
	out(&vm->pio, MASTER, 0x61);
	CHECK_EQ(read_isr(vm, MASTER), 0x00);
	/* Set priority: 4 lowest, so 5 highest: 6 beats 3. */
	out(&vm->pio, MASTER, 0xC4);
	pulse(vm, 3);
	pulse(vm, 6);
	CHECK_EQ(i8259_ack(vm), 0x26);
	/* Rotate on non-specific EOI: 6 ends and becomes lowest; 7 is now highest. */
	out(&vm->pio, MASTER, 0xA0);
	pulse(vm, 7);
	CHECK_EQ(i8259_ack(vm), 0x27);
	/* Rotate on specific EOI 7: 0 highest again, then 1, ... 3. */
	out(&vm->pio, MASTER, 0xE7);
	pulse(vm, 0);
	CHECK_EQ(i8259_ack(vm), 0x20);
	out(&vm->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(vm), 0x23);
	pic_free(vm);
}

TEST(i8259_auto_eoi)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x03);                /* ICW4: 8086 mode, auto-EOI */
	pulse(vm, 4);
	CHECK_EQ(i8259_ack(vm), 0x24);
	CHECK_EQ(read_isr(vm, MASTER), 0x00);
	CHECK(!i8259_pending(vm));
	/* Rotate in auto-EOI: each acknowledged level becomes the lowest. */
	out(&vm->pio, MASTER, 0x80);
	pulse(vm, 3);
	pulse(vm, 5);
	CHECK_EQ(i8259_ack(vm), 0x23);      /* now 4 is highest */
	pulse(vm, 1);
	CHECK_EQ(i8259_ack(vm), 0x25);
	CHECK_EQ(i8259_ack(vm), 0x21);
	/* Cleared: fixed priority again from wherever the rotation left it (1 lowest). */
	out(&vm->pio, MASTER, 0x00);
	pulse(vm, 1);
	pulse(vm, 3);
	CHECK_EQ(i8259_ack(vm), 0x23);
	CHECK_EQ(i8259_ack(vm), 0x21);
	pic_free(vm);
}

TEST(i8259_cascade_through_slave)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	pulse(vm, 12);
	CHECK_EQ(in(&vm->pio, SLAVE), 0x10);
	CHECK_EQ(in(&vm->pio, MASTER), 0x04);     /* the slave's INTR on pin 2 */
	CHECK_EQ(i8259_ack(vm), 0x2C);
	CHECK_EQ(read_isr(vm, MASTER), 0x04);
	CHECK_EQ(read_isr(vm, SLAVE), 0x10);
	CHECK_EQ(in(&vm->pio, MASTER), 0x00);
	pulse(vm, 3);
	CHECK(!i8259_pending(vm));          /* below the cascade level in service */
	pulse(vm, 1);
	CHECK_EQ(i8259_ack(vm), 0x21);
	out(&vm->pio, MASTER, EOI);
	/* The slave is done, but master level 2 still blocks further slave requests. */
	out(&vm->pio, SLAVE, EOI);
	pulse(vm, 9);
	CHECK_EQ(in(&vm->pio, MASTER), 0x0C);
	CHECK(!i8259_pending(vm));
	out(&vm->pio, MASTER, EOI);
	CHECK_EQ(i8259_ack(vm), 0x29);
	/* A masked slave pin never reaches the master. */
	out(&vm->pio, SLAVE, EOI);
	out(&vm->pio, MASTER, EOI);
	out(&vm->pio, SLAVE + 1, 0x80);
	pulse(vm, 15);
	CHECK_EQ(i8259_ack(vm), 0x23);      /* 3 was waiting */
	out(&vm->pio, MASTER, EOI);
	CHECK(!i8259_pending(vm));
	pic_free(vm);
}

TEST(i8259_spurious_irq7_and_irq15)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	/* Masked between INTR and INTA: vector 7, nothing in service. */
	pulse(vm, 3);
	CHECK(i8259_pending(vm));
	out(&vm->pio, MASTER + 1, 0x08);
	CHECK_EQ(i8259_ack(vm), 0x27);
	CHECK_EQ(read_isr(vm, MASTER), 0x00);
	out(&vm->pio, MASTER + 1, 0x00);
	CHECK_EQ(i8259_ack(vm), 0x23);      /* the latch survived */
	out(&vm->pio, MASTER, EOI);
	/* A level line that drops before the acknowledge. */
	out(&vm->pio, ELCR, 0x20);
	i8259_set_irq(vm, 5, 1);
	i8259_set_irq(vm, 5, 0);
	CHECK_EQ(i8259_ack(vm), 0x27);
	/* On the slave: the master latched its INTR, so the master's level 2 goes in service. */
	out(&vm->pio, ELCR + 1, 0x04);
	i8259_set_irq(vm, 10, 1);
	i8259_set_irq(vm, 10, 0);
	CHECK(i8259_pending(vm));
	CHECK_EQ(i8259_ack(vm), 0x2F);
	CHECK_EQ(read_isr(vm, MASTER), 0x04);
	CHECK_EQ(read_isr(vm, SLAVE), 0x00);
	out(&vm->pio, MASTER, EOI);               /* what Linux does for a spurious 15 */
	CHECK(!i8259_pending(vm));
	pic_free(vm);
}

TEST(i8259_elcr_level_and_edge_pins)
{
	struct vm *vm = pic_vm();

	CHECK_EQ(in(&vm->pio, ELCR), 0x00);
	out(&vm->pio, ELCR, 0xFF);
	out(&vm->pio, ELCR + 1, 0xFF);
	CHECK_EQ(in(&vm->pio, ELCR), 0xF8);       /* IRQ 0, 1, 2 are always edge */
	CHECK_EQ(in(&vm->pio, ELCR + 1), 0xDE);   /* and IRQ 8, 13 */
	out(&vm->pio, ELCR, 0x00);
	out(&vm->pio, ELCR + 1, 0x02);            /* IRQ 9 level */
	init_pics(vm, 0x01);
	/* A level pin requests for as long as its line is high. */
	i8259_set_irq(vm, 9, 1);
	CHECK_EQ(i8259_ack(vm), 0x29);
	CHECK_EQ(in(&vm->pio, SLAVE), 0x02);
	out(&vm->pio, SLAVE, EOI);
	out(&vm->pio, MASTER, EOI);
	CHECK(i8259_pending(vm));
	CHECK_EQ(i8259_ack(vm), 0x29);
	i8259_set_irq(vm, 9, 0);
	CHECK_EQ(in(&vm->pio, SLAVE), 0x00);
	out(&vm->pio, SLAVE, EOI);
	out(&vm->pio, MASTER, EOI);
	CHECK(!i8259_pending(vm));
	/* An edge pin requests once per rising edge; its latch outlives the line. */
	i8259_set_irq(vm, 4, 1);
	i8259_set_irq(vm, 4, 1);
	CHECK_EQ(i8259_ack(vm), 0x24);
	out(&vm->pio, MASTER, EOI);
	CHECK(!i8259_pending(vm));
	i8259_set_irq(vm, 4, 0);
	CHECK(!i8259_pending(vm));
	pulse(vm, 6);
	CHECK_EQ(in(&vm->pio, MASTER), 0x40);
	/* ICW1 resets the edge latches; a line already high must rise again. */
	i8259_set_irq(vm, 5, 1);
	init_pics(vm, 0x01);
	CHECK_EQ(in(&vm->pio, MASTER), 0x00);
	i8259_set_irq(vm, 5, 0);
	i8259_set_irq(vm, 5, 1);
	CHECK_EQ(in(&vm->pio, MASTER), 0x20);
	/* A 16-bit ELCR access is two byte cycles. */
	{
		struct io_device *d = iobus_find(&vm->pio, ELCR, 2);
		uint8_t w[2] = { 0x08, 0x80 }, r[2] = { 0, 0 };

		d->write(d->opaque, NULL, 0, w, 2);
		d->read(d->opaque, NULL, 0, r, 2);
		CHECK_EQ(r[0], 0x08);
		CHECK_EQ(r[1], 0x80);
	}
	pic_free(vm);
}

TEST(i8259_poll_command)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	pulse(vm, 5);
	pulse(vm, 3);
	out(&vm->pio, MASTER, 0x0C);
	CHECK_EQ(in(&vm->pio, MASTER), 0x83);     /* request, level 3: an acknowledge */
	CHECK_EQ(read_isr(vm, MASTER), 0x08);
	out(&vm->pio, MASTER, 0x0C);
	CHECK_EQ(in(&vm->pio, MASTER), 0x00);     /* 5 ranks below 3 in service */
	CHECK_EQ(in(&vm->pio, MASTER), 0x20);     /* the poll is over: IRR */
	out(&vm->pio, MASTER, EOI);
	out(&vm->pio, MASTER, 0x0C);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0x85); /* either port reads the poll */
	out(&vm->pio, MASTER, EOI);
	/* Polling a slave request: master says 2, the slave says which. */
	pulse(vm, 11);
	out(&vm->pio, MASTER, 0x0C);
	CHECK_EQ(in(&vm->pio, MASTER), 0x82);
	out(&vm->pio, SLAVE, 0x0C);
	CHECK_EQ(in(&vm->pio, SLAVE), 0x83);
	CHECK_EQ(read_isr(vm, SLAVE), 0x08);
	pic_free(vm);
}

TEST(i8259_special_mask_mode)
{
	struct vm *vm = pic_vm();

	init_pics(vm, 0x01);
	pulse(vm, 3);
	CHECK_EQ(i8259_ack(vm), 0x23);
	pulse(vm, 5);
	CHECK(!i8259_pending(vm));
	/* The handler masks its own level and enters special mask mode: 5 may come in. */
	out(&vm->pio, MASTER + 1, 0x08);
	out(&vm->pio, MASTER, 0x68);
	CHECK(i8259_pending(vm));
	CHECK_EQ(i8259_ack(vm), 0x25);
	CHECK_EQ(read_isr(vm, MASTER), 0x28);
	out(&vm->pio, MASTER, 0x65);
	out(&vm->pio, MASTER, 0x48);              /* leave special mask mode */
	pulse(vm, 6);
	CHECK(!i8259_pending(vm));          /* 3 blocks again */
	out(&vm->pio, MASTER, 0x63);
	CHECK_EQ(i8259_ack(vm), 0x26);
	pic_free(vm);
}

TEST(i8259_wide_access_and_reset)
{
	struct vm *vm = pic_vm();
	struct io_device *d = iobus_find(&vm->pio, MASTER, 2);
	uint8_t w[2] = { 0x11, 0x11 }, r[2] = { 0, 0 };

	init_pics(vm, 0x01);
	out(&vm->pio, MASTER + 1, 0x12);
	d->read(d->opaque, NULL, 0, r, 2);
	CHECK_EQ(r[0], 0xFF);
	CHECK_EQ(r[1], 0xFF);
	d->write(d->opaque, NULL, 0, w, 2);  /* dropped, or it would clear the IMR */
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0x12);
	/* Reset: IMR open, vector base 0, ELCR edge, nothing requested or in service. */
	out(&vm->pio, ELCR, 0x08);
	pulse(vm, 5);
	CHECK_EQ(i8259_ack(vm), 0x25);
	i8259_reset(vm);
	CHECK_EQ(in(&vm->pio, MASTER + 1), 0x00);
	CHECK_EQ(in(&vm->pio, ELCR), 0x00);
	CHECK_EQ(read_isr(vm, MASTER), 0x00);
	CHECK(!i8259_pending(vm));
	pulse(vm, 3);
	CHECK_EQ(i8259_ack(vm), 0x03);
	pic_free(vm);
}
