/* SPDX-License-Identifier: MIT */
/*
 * The PC's 8259A interrupt controller pair and the PIIX ELCR (dev/i8259.c
 * says what is modelled), as a model that knows nothing of KVM or of
 * struct vm: it puts its ports on a port bus, takes ISA lines, and tells
 * its owner through one callback when its INTR output may have risen. The
 * owner (src/x86/irq.c) makes the CPU take the interrupt: i8259_pending()
 * is INTR, i8259_ack() the acknowledge cycle.
 *
 *   ports 0x20-0x21 master, 0xA0-0xA1 slave, 0x4D0-0x4D1 ELCR
 *
 * Thread-safe: every entry point takes the pair's mutex; the callback is
 * called without it, so it may call i8259_pending() or i8259_ack().
 */
#ifndef MINIKVM_DEV_I8259_H
#define MINIKVM_DEV_I8259_H

#include <stdbool.h>

struct iobus;
struct i8259;

struct i8259_ops {
	/* The master's INTR output may have risen (a request now outranks what is in service). */
	void (*intr_raised)(void *ctx);
};

/* Power-on state, ports on pio; NULL with err_set() if they cannot be registered. */
struct i8259 *i8259_create(struct iobus *pio, const struct i8259_ops *ops, void *ctx);
/* Off the bus and freed; NULL is fine. */
void i8259_free(struct i8259 *p);
/*
 * Snapshots (src/snapshot_state.h): the chip's registers. Load checks every field
 * and leaves the chip as it was on -EINVAL.
 */
struct state_writer;
struct state_reader;
void i8259_save(struct i8259 *p, struct state_writer *w);
int i8259_load(struct i8259 *p, struct state_reader *r);
/* Power-on state (input lines keep their level: the devices driving them did not move). */
void i8259_reset(struct i8259 *p);
/* Drive ISA line irq (0-15) to level; edge or level by the ELCR. */
void i8259_set_irq(struct i8259 *p, int irq, int level);
/* The master's INTR output: an unmasked request outranks what is in service. */
bool i8259_pending(struct i8259 *p);
/* The CPU's interrupt acknowledge: the vector to deliver (7 or 15 of the base if spurious). */
int i8259_ack(struct i8259 *p);

#endif
