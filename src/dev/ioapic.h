/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC (dev/ioapic.c says what is modelled), as a model that knows
 * nothing of KVM or of struct vm: it puts its 4 KiB register page on an
 * MMIO bus, takes GSI lines, and reaches the local APICs through its ops:
 * a pin's delivery is a message signalled interrupt (MSI), and the set of
 * unmasked level-triggered pins is published as MSI routes so that the
 * owner (src/x86/irq.c) can have their EOIs reported back (ioapic_eoi()).
 *
 * Thread-safe: every entry point takes the IOAPIC's mutex; the ops are
 * called with it held, so they must not call back into the IOAPIC.
 */
#ifndef MINIKVM_DEV_IOAPIC_H
#define MINIKVM_DEV_IOAPIC_H

#include <stdint.h>

#define IOAPIC_PINS 24

struct iobus;
struct ioapic;

/* What one redirection entry sends: an MSI address (low 32 bits) and data. */
struct ioapic_msi {
	uint32_t address, data;
};

struct ioapic_ops {
	/* Deliver a message to the local APICs; one nobody accepts is lost, as on hardware. */
	void (*send_msi)(void *ctx, const struct ioapic_msi *msi);
	/*
	 * The unmasked level-triggered pins changed: n routes, pin[i] sends
	 * msi[i]. 0 on success; on failure the IOAPIC tries again at the next
	 * RTE write. Only called when the set changes.
	 */
	int (*set_level_routes)(void *ctx, const int *pin, const struct ioapic_msi *msi, unsigned n);
};

/* Power-on state (every pin masked), registers at base on mmio; NULL with err_set(). */
struct ioapic *ioapic_create(struct iobus *mmio, uint64_t base, const struct ioapic_ops *ops,
			     void *ctx);
/* Off the bus and freed; NULL is fine. */
void ioapic_free(struct ioapic *io);
/*
 * Snapshots (src/snapshot_state.h): the chip's registers. Load checks every field
 * and leaves the chip as it was on -EINVAL.
 */
struct state_writer;
struct state_reader;
void ioapic_save(struct ioapic *io, struct state_writer *w);
/* ... and publishes the restored level-triggered routes (set_level_routes). */
int ioapic_load(struct ioapic *io, struct state_reader *r);
/* Power-on state: ID 0, IOREGSEL 0, every RTE masked (lines keep their level). */
void ioapic_reset(struct ioapic *io);
/* Drive pin gsi (0-23) to level. */
void ioapic_set_irq(struct ioapic *io, int gsi, int level);
/* A local APIC took an EOI for a level-triggered vector: clear Remote IRR, deliver again if still high. */
void ioapic_eoi(struct ioapic *io, int vector);

#endif
