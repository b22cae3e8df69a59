/* SPDX-License-Identifier: MIT */
/*
 * The PC's two 8259A programmable interrupt controllers (Intel 8259A
 * datasheet) and the PIIX edge/level control registers, in userspace with
 * --irqchip split.
 *
 * Each chip has eight input pins and three 8-bit registers: IRR (pins
 * requesting), ISR (levels in service: acknowledged by the CPU, not yet
 * ended by an EOI) and IMR (pins masked). The chip asks the CPU for an
 * interrupt (its INTR output) when an unmasked request outranks everything
 * in service. The CPU's acknowledge (INTA) moves the winner from IRR to ISR
 * and reads its vector, ICW2's base plus the pin number; the handler ends
 * with an EOI command that clears the ISR bit again.
 *
 *   ISA IRQ 0-7  -> master pins 0-7   ports 0x20 (command) 0x21 (data)
 *   ISA IRQ 8-15 -> slave pins 0-7    ports 0xA0           0xA1
 *   slave INTR   -> master pin 2      (IRQ 2 itself is the cascade)
 *
 * Writes to the command port are ICW1 (bit 4, starts initialisation: ICW2,
 * ICW3 and, if ICW1 asked, ICW4 follow on the data port), OCW2 (EOIs and
 * priority rotation) or OCW3 (bit 3: what the command port reads, poll,
 * special mask mode). Once initialised, the data port is the IMR.
 * Priority is fixed (pin 0 highest) until rotated: `lowest` is the pin with
 * the lowest priority, and the one after it the highest.
 *
 * Edge or level: the PIIX ignores ICW1's LTIM bit and takes each pin's
 * trigger from its ELCR (0x4D0 master, 0x4D1 slave, 1 = level). An edge
 * pin latches a request on a 0->1 transition of its line and keeps it until
 * acknowledged; a level pin requests while its line is high. IRQ 0, 1, 2,
 * 8 and 13 are always edge. The cascade pin latches the slave's INTR and
 * keeps it, so a slave request that vanishes before the acknowledge gives
 * the classic spurious IRQ 15 (vector base + 7, master ISR bit 2 set), as a
 * vanished master request gives spurious IRQ 7 (no ISR bit set).
 *
 * Not modelled: buffered mode, 8080 call sequences (ICW4 bit 0 is assumed
 * set) and cascade addresses other than the PC's (ICW3 is ignored).
 */
#include "i8259.h"

#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE  0xA0
#define ELCR_BASE       0x4D0
#define CASCADE_PIN     2
#define CASCADE_BIT     (1u << CASCADE_PIN)

/* ELCR bits that exist on a PIIX: IRQ 0, 1, 2, 8 and 13 are edge only. */
#define ELCR_MASTER_MASK 0xF8
#define ELCR_SLAVE_MASK  0xDE

/* ICW1, OCW2 and OCW3 bits (8259A datasheet, "Programming the 8259A"). */
#define ICW1_IC4        0x01
#define ICW1_SNGL       0x02
#define ICW1            0x10
#define OCW3            0x08
#define OCW3_RIS        0x01
#define OCW3_RR         0x02
#define OCW3_POLL       0x04
#define OCW3_SMM        0x20
#define OCW3_ESMM       0x40
#define ICW4_AEOI       0x02
#define ICW4_SFNM       0x10

enum init_step { OPERATING, EXPECT_ICW2, EXPECT_ICW3, EXPECT_ICW4 };

struct pic_chip {
	struct i8259 *owner;
	bool master;
	uint8_t irr, isr, imr;
	uint8_t lines;          /* each pin's input level, for edge detection */
	uint8_t elcr, elcr_mask;
	uint8_t vector_base;    /* ICW2 with bits 0-2 clear */
	uint8_t lowest;         /* the pin with the lowest priority */
	enum init_step init;
	bool icw4_needed, single, auto_eoi, sfnm;
	bool rotate_in_aeoi, special_mask, read_isr, poll;
};

struct i8259 {
	pthread_mutex_t lock;
	const struct i8259_ops *ops;
	void *ctx;
	struct iobus *pio;
	struct pic_chip chip[2]; /* master, slave */
	struct io_device master_dev, slave_dev, elcr_dev;
};

/* The highest-priority pin among bits, or -1. */
static int highest(const struct pic_chip *c, uint8_t bits)
{
	for (int i = 1; i <= 8; i++) {
		int pin = (c->lowest + i) & 7;

		if (bits & (1u << pin))
			return pin;
	}
	return -1;
}

/* 0 for the highest-priority pin, 7 for the lowest. */
static int rank(const struct pic_chip *c, int pin)
{
	return (pin - c->lowest - 1) & 7;
}

/* The pin an acknowledge would take now, or -1: the chip's INTR output. */
static int chip_request(const struct pic_chip *c)
{
	int req = highest(c, c->irr & ~c->imr), serv;
	uint8_t blocking = c->isr;

	if (req < 0)
		return -1;
	/* Special mask mode: a level masked in the IMR blocks nobody, even in service. */
	if (c->special_mask)
		blocking &= ~c->imr;
	/* Special fully nested mode: the slave may interrupt its own in-service level. */
	if (c->master && c->sfnm && req == CASCADE_PIN)
		blocking &= ~CASCADE_BIT;
	serv = highest(c, blocking);
	if (serv >= 0 && rank(c, serv) <= rank(c, req))
		return -1;
	return req;
}

/* Feed the slave's INTR to the master's cascade pin; true if the master's INTR is high. */
static bool settle(struct i8259 *p)
{
	if (chip_request(&p->chip[1]) >= 0)
		p->chip[0].irr |= CASCADE_BIT;
	return chip_request(&p->chip[0]) >= 0;
}

/* The INTA cycle on one chip for pin: IRR -> ISR (or straight through in auto-EOI). */
static void accept(struct pic_chip *c, int pin)
{
	uint8_t bit = 1u << pin;

	if (!(c->elcr & bit))
		c->irr &= ~bit; /* the edge latch is consumed; a level pin's line is still high */
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_in_aeoi)
		c->lowest = pin;
}

static void end_of_interrupt(struct pic_chip *c, int pin, bool rotate)
{
	if (pin < 0)
		return;
	c->isr &= ~(1u << pin);
	if (rotate)
		c->lowest = pin;
}

static void chip_reset(struct pic_chip *c)
{
	/* Lines keep their level: the devices driving them did not move. */
	c->irr = c->isr = c->imr = 0;
	c->elcr = 0;
	c->vector_base = 0;
	c->lowest = 7;
	c->init = OPERATING;
	c->icw4_needed = c->single = c->auto_eoi = c->sfnm = false;
	c->rotate_in_aeoi = c->special_mask = c->read_isr = c->poll = false;
}

static void write_icw1(struct pic_chip *c, uint8_t val)
{
	/*
	 * The datasheet's list: edge latches reset (a pin must rise again),
	 * IMR cleared, pin 7 lowest, special mask off, reads select IRR, ICW4
	 * features off unless ICW4 follows. ISR is cleared too, so a kernel
	 * that re-initialises a PIC left mid-interrupt (kexec) starts clean.
	 */
	c->irr &= c->elcr;
	c->isr = c->imr = 0;
	c->lowest = 7;
	c->special_mask = c->read_isr = c->poll = false;
	c->auto_eoi = c->sfnm = c->rotate_in_aeoi = false;
	c->icw4_needed = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->init = EXPECT_ICW2;
}

static void write_ocw2(struct pic_chip *c, uint8_t val)
{
	int level = val & 7;

	switch (val >> 5) {
	case 1: /* non-specific EOI: the highest level in service */
		end_of_interrupt(c, highest(c, c->isr), false);
		break;
	case 3: /* specific EOI */
		end_of_interrupt(c, level, false);
		break;
	case 5: /* rotate on non-specific EOI: the level ended becomes lowest */
		end_of_interrupt(c, highest(c, c->isr), true);
		break;
	case 7: /* rotate on specific EOI */
		end_of_interrupt(c, level, true);
		break;
	case 6: /* set priority: level becomes lowest */
		c->lowest = (uint8_t)level;
		break;
	case 4: /* rotate in auto-EOI mode: set */
	case 0: /* and clear */
		c->rotate_in_aeoi = val & 0x80;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
}

static void write_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init) {
	case EXPECT_ICW2:
		c->vector_base = val & 0xF8;
		c->init = !c->single ? EXPECT_ICW3 : c->icw4_needed ? EXPECT_ICW4 : OPERATING;
		break;
	case EXPECT_ICW3: /* who is cascaded where: fixed on a PC */
		c->init = c->icw4_needed ? EXPECT_ICW4 : OPERATING;
		break;
	case EXPECT_ICW4:
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init = OPERATING;
		break;
	case OPERATING: /* OCW1 */
		c->imr = val;
		break;
	}
}

/* Poll command: the next read is an acknowledge that returns 0x80 | pin, or 0. */
static uint8_t poll(struct pic_chip *c)
{
	int pin = chip_request(c);

	c->poll = false;
	if (pin < 0)
		return 0;
	accept(c, pin);
	return 0x80 | (uint8_t)pin;
}

static uint8_t chip_read(struct pic_chip *c, uint64_t offset)
{
	if (c->poll)
		return poll(c);
	if (offset == 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void chip_write(struct pic_chip *c, uint64_t offset, uint8_t val)
{
	if (offset == 1)
		write_data(c, val);
	else if (val & ICW1)
		write_icw1(c, val);
	else if (val & OCW3)
		write_ocw3(c, val);
	else
		write_ocw2(c, val);
}

/* Only byte accesses reach the chip; wider ones float high and are dropped. */
static void pic_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			 unsigned size)
{
	struct pic_chip *c = opaque;
	struct i8259 *p = c->owner;

	(void)vcpu;
	memset(data, 0xFF, size);
	if (size != 1)
		return;
	pthread_mutex_lock(&p->lock);
	data[0] = chip_read(c, offset);
	settle(p);
	pthread_mutex_unlock(&p->lock);
}

static void pic_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			  unsigned size)
{
	struct pic_chip *c = opaque;
	struct i8259 *p = c->owner;
	bool intr;

	(void)vcpu;
	if (size != 1)
		return;
	pthread_mutex_lock(&p->lock);
	chip_write(c, offset, data[0]);
	intr = settle(p);
	pthread_mutex_unlock(&p->lock);
	if (intr)
		p->ops->intr_raised(p->ctx);
}

static void elcr_write(struct pic_chip *c, uint8_t val)
{
	c->elcr = val & c->elcr_mask;
	/* A pin that is now level-triggered requests exactly while its line is high. */
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
}

/* The two ELCR bytes have no side effects, so a 16-bit access is two byte cycles. */
static void elcr_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			  unsigned size)
{
	struct i8259 *p = opaque;

	(void)vcpu;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		data[i] = offset + i < 2 ? p->chip[offset + i].elcr : 0xFF;
	pthread_mutex_unlock(&p->lock);
}

static void elcr_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			   unsigned size)
{
	struct i8259 *p = opaque;
	bool intr;

	(void)vcpu;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		if (offset + i < 2)
			elcr_write(&p->chip[offset + i], data[i]);
	intr = settle(p);
	pthread_mutex_unlock(&p->lock);
	if (intr)
		p->ops->intr_raised(p->ctx);
}

void i8259_set_irq(struct i8259 *p, int irq, int level)
{
	struct pic_chip *c;
	uint8_t bit;
	bool intr;

	/* IRQ 2 is the cascade: on a PC the ISA bus's IRQ 2 pin is wired to IRQ 9. */
	if (!p || irq < 0 || irq >= 16 || irq == CASCADE_PIN)
		return;
	c = &p->chip[irq >> 3];
	bit = 1u << (irq & 7);
	pthread_mutex_lock(&p->lock);
	if (c->elcr & bit)
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	else if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? c->lines | bit : c->lines & ~bit;
	intr = settle(p);
	pthread_mutex_unlock(&p->lock);
	/* A falling line never raises INTR. */
	if (level && intr)
		p->ops->intr_raised(p->ctx);
}

bool i8259_pending(struct i8259 *p)
{
	bool intr;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	intr = settle(p);
	pthread_mutex_unlock(&p->lock);
	return intr;
}

int i8259_ack(struct i8259 *p)
{
	struct pic_chip *m, *s;
	int pin, vector;

	if (!p)
		return 0;
	m = &p->chip[0];
	s = &p->chip[1];
	pthread_mutex_lock(&p->lock);
	settle(p);
	pin = chip_request(m);
	if (pin < 0) {
		vector = m->vector_base | 7; /* spurious IRQ 7: nothing goes in service */
	} else if (pin == CASCADE_PIN && !m->single) {
		/* The master takes the cascade level; the slave supplies the vector. */
		accept(m, pin);
		pin = chip_request(s);
		if (pin < 0) {
			vector = s->vector_base | 7; /* spurious IRQ 15 */
		} else {
			accept(s, pin);
			vector = s->vector_base | pin;
		}
	} else {
		accept(m, pin);
		vector = m->vector_base | pin;
	}
	settle(p);
	pthread_mutex_unlock(&p->lock);
	return vector;
}

void i8259_reset(struct i8259 *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	chip_reset(&p->chip[0]);
	chip_reset(&p->chip[1]);
	pthread_mutex_unlock(&p->lock);
}

struct i8259 *i8259_create(struct iobus *pio, const struct i8259_ops *ops, void *ctx)
{
	struct i8259 *p = calloc(1, sizeof(*p));

	if (!p) {
		err_set(EXIT_HOST, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->ops = ops;
	p->ctx = ctx;
	p->pio = pio;
	for (int i = 0; i < 2; i++) {
		p->chip[i].owner = p;
		p->chip[i].master = i == 0;
		chip_reset(&p->chip[i]);
	}
	p->chip[0].elcr_mask = ELCR_MASTER_MASK;
	p->chip[1].elcr_mask = ELCR_SLAVE_MASK;
	p->master_dev = (struct io_device){
		.name = "8259 PIC (master)",
		.base = PIC_MASTER_BASE,
		.len = 2,
		.opaque = &p->chip[0],
		.read = pic_pio_read,
		.write = pic_pio_write,
	};
	p->slave_dev = p->master_dev;
	p->slave_dev.name = "8259 PIC (slave)";
	p->slave_dev.base = PIC_SLAVE_BASE;
	p->slave_dev.opaque = &p->chip[1];
	p->elcr_dev = (struct io_device){
		.name = "ELCR",
		.base = ELCR_BASE,
		.len = 2,
		.opaque = p,
		.read = elcr_pio_read,
		.write = elcr_pio_write,
	};
	if (iobus_register(pio, &p->master_dev) < 0 || iobus_register(pio, &p->slave_dev) < 0 ||
	    iobus_register(pio, &p->elcr_dev) < 0) {
		i8259_free(p);
		return NULL;
	}
	return p;
}

void i8259_save(struct i8259 *p, struct state_writer *w)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < 2; i++) {
		const struct pic_chip *c = &p->chip[i];

		state_put_u8(w, c->irr);
		state_put_u8(w, c->isr);
		state_put_u8(w, c->imr);
		state_put_u8(w, c->lines);
		state_put_u8(w, c->elcr);
		state_put_u8(w, c->vector_base);
		state_put_u8(w, c->lowest);
		state_put_u8(w, (uint8_t)c->init);
		state_put_bool(w, c->icw4_needed);
		state_put_bool(w, c->single);
		state_put_bool(w, c->auto_eoi);
		state_put_bool(w, c->sfnm);
		state_put_bool(w, c->rotate_in_aeoi);
		state_put_bool(w, c->special_mask);
		state_put_bool(w, c->read_isr);
		state_put_bool(w, c->poll);
	}
	pthread_mutex_unlock(&p->lock);
}

int i8259_load(struct i8259 *p, struct state_reader *r)
{
	struct pic_chip s[2];
	uint8_t init[2];

	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &s[i];

		c->irr = state_get_u8(r);
		c->isr = state_get_u8(r);
		c->imr = state_get_u8(r);
		c->lines = state_get_u8(r);
		c->elcr = state_get_u8(r);
		c->vector_base = state_get_u8(r);
		c->lowest = state_get_u8(r);
		init[i] = state_get_u8(r);
		c->icw4_needed = state_get_bool(r);
		c->single = state_get_bool(r);
		c->auto_eoi = state_get_bool(r);
		c->sfnm = state_get_bool(r);
		c->rotate_in_aeoi = state_get_bool(r);
		c->special_mask = state_get_bool(r);
		c->read_isr = state_get_bool(r);
		c->poll = state_get_bool(r);
	}
	if (state_reader_done(r) < 0)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "slave" : "master";

		/* lowest picks the priority order (a pin), init the next ICW, vector_base | pin a vector. */
		if (s[i].lowest > 7)
			return state_reject(r, "8259 %s: lowest-priority pin %u is not a pin", name, s[i].lowest);
		if (init[i] > EXPECT_ICW4)
			return state_reject(r, "8259 %s: initialisation step %u is past ICW4", name, init[i]);
		if (s[i].vector_base & 7)
			return state_reject(r, "8259 %s: vector base 0x%x is not a multiple of 8", name,
					    s[i].vector_base);
	}
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &p->chip[i];

		c->irr = s[i].irr;
		c->isr = s[i].isr;
		c->imr = s[i].imr;
		c->lines = s[i].lines;
		c->elcr = s[i].elcr & c->elcr_mask;
		c->vector_base = s[i].vector_base;
		c->lowest = s[i].lowest;
		c->init = (enum init_step)init[i];
		c->icw4_needed = s[i].icw4_needed;
		c->single = s[i].single;
		c->auto_eoi = s[i].auto_eoi;
		c->sfnm = s[i].sfnm;
		c->rotate_in_aeoi = s[i].rotate_in_aeoi;
		c->special_mask = s[i].special_mask;
		c->read_isr = s[i].read_isr;
		c->poll = s[i].poll;
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void i8259_free(struct i8259 *p)
{
	if (!p)
		return;
	iobus_unregister(p->pio, &p->master_dev);
	iobus_unregister(p->pio, &p->slave_dev);
	iobus_unregister(p->pio, &p->elcr_dev);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
