/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC (82093AA datasheet; the version KVM's own model reports,
 * 0x11, with 24 pins), in userspace with --irqchip split.
 *
 * Software sees two 32-bit registers in a 4 KiB MMIO page: IOREGSEL at
 * offset 0x00 picks an indirect register, IOWIN at 0x10 reads or writes it.
 * Indirect registers: 0x00 ID, 0x01 version (max redirection entry << 16 |
 * version), 0x02 arbitration ID, 0x10 + 2n / 0x11 + 2n the low and high
 * halves of pin n's 64-bit redirection entry (RTE):
 *
 *   bits 0-7 vector, 8-10 delivery mode, 11 destination mode (logical),
 *   12 delivery status (RO), 13 polarity (active low), 14 remote IRR (RO),
 *   15 trigger mode (level), 16 mask, 56-63 destination.
 *
 * An RTE is an MSI waiting to happen: delivering pin n writes the message
 * its RTE describes to the local APICs, the send_msi op (KVM_SIGNAL_MSI in
 * src/x86/irq.c; the address carries destination and mode, the data
 * vector, delivery mode and trigger). Edge pins deliver on a 0->1
 * transition of their line. Level pins deliver while the line is high, set
 * Remote IRR and stay quiet until the local APIC's EOI for that vector
 * comes back, which KVM reports as KVM_EXIT_IOAPIC_EOI only for vectors it
 * knows are level-triggered IOAPIC vectors: it learns them from MSI entries
 * in the GSI routing table (one per pin, GSI = pin, below the 24 pins
 * reserved by KVM_CAP_SPLIT_IRQCHIP). So the unmasked level-triggered RTEs
 * are published through the set_level_routes op whenever they change
 * (KVM_SET_GSI_ROUTING in src/x86/irq.c).
 *
 * Polarity is not applied to the line: minikvm's devices report "asserted",
 * as KVM's in-kernel model assumes too.
 */
#include "ioapic.h"

#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define IOAPIC_VERSION      0x11
#define IOAPIC_MMIO_SIZE    0x1000
#define IOREGSEL            0x00
#define IOWIN               0x10

#define REG_ID              0x00
#define REG_VERSION         0x01
#define REG_ARBITRATION     0x02
#define REG_RTE_FIRST       0x10
#define IOAPIC_ID_MASK      0x0F000000u /* the ID register: bits 24-27 */
#define IOREGSEL_MASK       0xFFu       /* IOREGSEL: bits 0-7 */

#define RTE_VECTOR          0xFFull
#define RTE_DELIVERY_MODE   (7ull << 8)
#define RTE_DEST_LOGICAL    (1ull << 11)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_REMOTE_IRR      (1ull << 14)
#define RTE_LEVEL           (1ull << 15)
#define RTE_MASKED          (1ull << 16)
#define RTE_DEST_SHIFT      56
/* Bits software cannot write: delivery status and Remote IRR. */
#define RTE_READ_ONLY       (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)

#define DELIVERY_EXTINT     7

#define MSI_ADDRESS_BASE    0xFEE00000u
#define MSI_DATA_ASSERT     (1u << 14)
#define MSI_DATA_LEVEL      (1u << 15)

struct ioapic {
	const struct ioapic_ops *ops;
	void *ctx;
	struct iobus *bus;
	struct io_device mmio;
	pthread_mutex_t lock;
	uint32_t id;                 /* bits 24-27 of the ID register */
	uint32_t regsel;
	uint32_t lines;              /* the level of each input pin */
	uint64_t rte[IOAPIC_PINS];
	uint64_t routed[IOAPIC_PINS]; /* RTE bits the GSI routing table holds; 0 = no route */
};

static struct ioapic_msi rte_to_msi(uint64_t rte)
{
	return (struct ioapic_msi){
		.address = MSI_ADDRESS_BASE | (uint32_t)((rte >> RTE_DEST_SHIFT) & 0xFF) << 12 |
			   ((rte & RTE_DEST_LOGICAL) ? 1u << 2 : 0),
		.data = (uint32_t)(rte & (RTE_VECTOR | RTE_DELIVERY_MODE)) | MSI_DATA_ASSERT |
			((rte & RTE_LEVEL) ? MSI_DATA_LEVEL : 0),
	};
}

/* Send pin's message. Lock held. */
static void deliver(struct ioapic *io, int pin)
{
	uint64_t rte = io->rte[pin];
	struct ioapic_msi msi;

	/*
	 * ExtINT means "the 8259 answers the acknowledge": that path is the
	 * PIC's own INTR to vCPU 0, not a message, so there is nothing to send.
	 */
	if (((rte & RTE_DELIVERY_MODE) >> 8) == DELIVERY_EXTINT)
		return;
	msi = rte_to_msi(rte);
	if (rte & RTE_LEVEL)
		io->rte[pin] |= RTE_REMOTE_IRR;
	io->ops->send_msi(io->ctx, &msi);
}

/* Deliver pin if its line and RTE call for it now. Lock held. */
static void service(struct ioapic *io, int pin)
{
	uint64_t rte = io->rte[pin];

	if ((rte & RTE_MASKED) || !(io->lines & (1u << pin)))
		return;
	if ((rte & RTE_LEVEL) && (rte & RTE_REMOTE_IRR))
		return;
	deliver(io, pin);
}

/*
 * Publish the unmasked level-triggered RTEs as routes (for KVM: so that
 * their EOIs come back as KVM_EXIT_IOAPIC_EOI). Only when that set changes:
 * each KVM rewrite waits for an expedited SRCU grace period. Lock held.
 */
static void update_routes(struct ioapic *io)
{
	const uint64_t keep = RTE_VECTOR | RTE_DELIVERY_MODE | RTE_DEST_LOGICAL | RTE_LEVEL |
			      (0xFFull << RTE_DEST_SHIFT);
	uint64_t want[IOAPIC_PINS];
	int pins[IOAPIC_PINS];
	struct ioapic_msi msi[IOAPIC_PINS];
	unsigned n = 0;

	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		want[pin] = (rte & RTE_LEVEL) && !(rte & RTE_MASKED) ? rte & keep : 0;
		if (!want[pin])
			continue;
		pins[n] = pin;
		msi[n] = rte_to_msi(want[pin]);
		n++;
	}
	if (!memcmp(want, io->routed, sizeof(want)))
		return;
	if (io->ops->set_level_routes(io->ctx, pins, msi, n) == 0)
		memcpy(io->routed, want, sizeof(want));
	/* On failure the routes stay stale and are retried at the next RTE write. */
}

/*
 * The pin whose RTE half reg is, or IOAPIC_PINS if it is none. Unsigned all
 * the way: reg came from the guest or a snapshot file, and a negative pin
 * would reach the words before rte[].
 */
static uint32_t rte_pin(uint32_t reg)
{
	if (reg < REG_RTE_FIRST || reg - REG_RTE_FIRST >= 2u * IOAPIC_PINS)
		return IOAPIC_PINS;
	return (reg - REG_RTE_FIRST) / 2;
}

static uint32_t read_reg(struct ioapic *io, uint32_t reg)
{
	uint32_t pin = rte_pin(reg);

	switch (reg) {
	case REG_ID:
	case REG_ARBITRATION:
		return io->id;
	case REG_VERSION:
		return (uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (pin >= IOAPIC_PINS)
		return 0;
	return (uint32_t)(reg & 1 ? io->rte[pin] >> 32 : io->rte[pin]);
}

static void write_reg(struct ioapic *io, uint32_t reg, uint32_t value)
{
	uint32_t pin = rte_pin(reg);
	uint64_t old, rte;

	if (reg == REG_ID) {
		io->id = value & IOAPIC_ID_MASK;
		return;
	}
	if (pin >= IOAPIC_PINS)
		return;
	old = io->rte[pin];
	if (reg & 1)
		rte = (old & 0xFFFFFFFFull) | (uint64_t)value << 32;
	else
		rte = (old & ~0xFFFFFFFFull) | value;
	rte = (rte & ~RTE_READ_ONLY) | (old & RTE_READ_ONLY);
	/* An edge-triggered pin has no Remote IRR. */
	if (!(rte & RTE_LEVEL))
		rte &= ~RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	update_routes(io);
	/* A level line held high while masked fires once unmasked. */
	if (rte & RTE_LEVEL)
		service(io, (int)pin);
}

static void ioapic_mmio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			     unsigned size)
{
	struct ioapic *io = opaque;
	uint32_t value = 0;

	(void)vcpu;
	pthread_mutex_lock(&io->lock);
	if (offset == IOREGSEL)
		value = io->regsel;
	else if (offset == IOWIN)
		value = read_reg(io, io->regsel);
	pthread_mutex_unlock(&io->lock);
	memset(data, 0, size);
	memcpy(data, &value, size < 4 ? size : 4);
}

static void ioapic_mmio_write(void *opaque, struct vcpu *vcpu, uint64_t offset,
			      const uint8_t *data, unsigned size)
{
	struct ioapic *io = opaque;
	uint32_t value = 0;

	(void)vcpu;
	memcpy(&value, data, size < 4 ? size : 4);
	pthread_mutex_lock(&io->lock);
	if (offset == IOREGSEL)
		io->regsel = value & IOREGSEL_MASK;
	else if (offset == IOWIN)
		write_reg(io, io->regsel, value);
	pthread_mutex_unlock(&io->lock);
}

void ioapic_set_irq(struct ioapic *io, int gsi, int level)
{
	uint32_t bit = 1u << gsi;
	bool rose;

	if (!io || gsi < 0 || gsi >= IOAPIC_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	rose = level && !(io->lines & bit);
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;
	/* Edge pins fire on the rising edge; level pins whenever high and not in service. */
	if (io->rte[gsi] & RTE_LEVEL || rose)
		service(io, gsi);
	pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
	if (!io)
		return;
	pthread_mutex_lock(&io->lock);
	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		if ((rte & RTE_VECTOR) != (uint64_t)vector || !(rte & RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		/* Still asserted: the device wants service again. */
		service(io, pin);
	}
	pthread_mutex_unlock(&io->lock);
}

/* Power-on state (82093AA: every RTE masked, ID 0). Lock held. */
static void power_on(struct ioapic *io)
{
	io->id = 0;
	io->regsel = 0;
	for (int pin = 0; pin < IOAPIC_PINS; pin++)
		io->rte[pin] = RTE_MASKED;
}

void ioapic_reset(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_lock(&io->lock);
	power_on(io);
	update_routes(io);
	pthread_mutex_unlock(&io->lock);
}

struct ioapic *ioapic_create(struct iobus *mmio, uint64_t base, const struct ioapic_ops *ops,
			     void *ctx)
{
	struct ioapic *io = calloc(1, sizeof(*io));

	if (!io) {
		err_set(EXIT_HOST, "out of memory");
		return NULL;
	}
	io->ops = ops;
	io->ctx = ctx;
	io->bus = mmio;
	pthread_mutex_init(&io->lock, NULL);
	power_on(io);
	io->mmio = (struct io_device){
		.name = "IOAPIC",
		.base = base,
		.len = IOAPIC_MMIO_SIZE,
		.opaque = io,
		.read = ioapic_mmio_read,
		.write = ioapic_mmio_write,
	};
	if (iobus_register(mmio, &io->mmio) < 0) {
		ioapic_free(io);
		return NULL;
	}
	return io;
}

void ioapic_save(struct ioapic *io, struct state_writer *w)
{
	pthread_mutex_lock(&io->lock);
	state_put_u32(w, io->id);
	state_put_u32(w, io->regsel);
	state_put_u32(w, io->lines);
	for (int pin = 0; pin < IOAPIC_PINS; pin++)
		state_put_u64(w, io->rte[pin]);
	pthread_mutex_unlock(&io->lock);
}

int ioapic_load(struct ioapic *io, struct state_reader *r)
{
	uint32_t id, regsel, lines;
	uint64_t rte[IOAPIC_PINS];

	id = state_get_u32(r);
	regsel = state_get_u32(r);
	lines = state_get_u32(r);
	for (int pin = 0; pin < IOAPIC_PINS; pin++)
		rte[pin] = state_get_u64(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	/* What the guest could never have written is a damaged or hostile file. */
	if (regsel & ~IOREGSEL_MASK)
		return state_reject(r, "IOAPIC IOREGSEL 0x%x is not a register (0-0xff)", regsel);
	if (id & ~IOAPIC_ID_MASK)
		return state_reject(r, "IOAPIC ID register 0x%x has bits outside 24-27", id);
	if (lines >> IOAPIC_PINS)
		return state_reject(r, "IOAPIC input lines 0x%x: it has only %d pins", lines, IOAPIC_PINS);
	pthread_mutex_lock(&io->lock);
	io->id = id;
	io->regsel = regsel;
	io->lines = lines;
	memcpy(io->rte, rte, sizeof(rte));
	update_routes(io);
	pthread_mutex_unlock(&io->lock);
	return 0;
}

void ioapic_free(struct ioapic *io)
{
	if (!io)
		return;
	iobus_unregister(io->bus, &io->mmio);
	pthread_mutex_destroy(&io->lock);
	free(io);
}
