/* SPDX-License-Identifier: MIT */
/*
 * The IOAPIC, driven through its MMIO registers with fake ops that record
 * the messages it sends and the level-triggered routes it publishes.
 */
#include "test.h"

#include <errno.h>
#include <stdlib.h>

#include "dev/ioapic.h"
#include "iobus.h"
#include "snapshot_state.h"

#define BASE     0xFEC00000ull
#define IOREGSEL 0x00
#define IOWIN    0x10

#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL      (1u << 15)
#define RTE_MASKED     (1u << 16)

struct fake {
	struct iobus mmio;
	struct ioapic *io;
	struct ioapic_msi sent[16];
	int nsent;
	int route_updates;
	unsigned nroutes;
	int route_pin[IOAPIC_PINS];
	struct ioapic_msi route_msi[IOAPIC_PINS];
};

static void fake_send_msi(void *ctx, const struct ioapic_msi *msi)
{
	struct fake *f = ctx;

	if (f->nsent < 16)
		f->sent[f->nsent] = *msi;
	f->nsent++;
}

static int fake_set_level_routes(void *ctx, const int *pin, const struct ioapic_msi *msi,
				 unsigned n)
{
	struct fake *f = ctx;

	f->route_updates++;
	f->nroutes = n;
	for (unsigned i = 0; i < n && i < IOAPIC_PINS; i++) {
		f->route_pin[i] = pin[i];
		f->route_msi[i] = msi[i];
	}
	return 0;
}

static const struct ioapic_ops fake_ops = {
	.send_msi = fake_send_msi,
	.set_level_routes = fake_set_level_routes,
};

static struct fake *ioapic_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->mmio.name = "mmio";
	f->io = ioapic_create(&f->mmio, BASE, &fake_ops, f);
	CHECK(f->io != NULL);
	return f;
}

static void ioapic_done(struct fake *f)
{
	ioapic_free(f->io);
	CHECK_EQ(f->mmio.n, 0);
	free(f);
}

static void write32(struct fake *f, uint64_t offset, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	CHECK(iobus_access(&f->mmio, NULL, BASE + offset, b, 4, true) != NULL);
}

static uint32_t read32(struct fake *f, uint64_t offset)
{
	uint8_t b[4];

	CHECK(iobus_access(&f->mmio, NULL, BASE + offset, b, 4, false) != NULL);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t reg_read(struct fake *f, uint32_t reg)
{
	write32(f, IOREGSEL, reg);
	return read32(f, IOWIN);
}

static void reg_write(struct fake *f, uint32_t reg, uint32_t v)
{
	write32(f, IOREGSEL, reg);
	write32(f, IOWIN, v);
}

static void set_rte(struct fake *f, int pin, uint32_t lo, uint8_t dest)
{
	reg_write(f, 0x11 + 2 * pin, (uint32_t)dest << 24);
	reg_write(f, 0x10 + 2 * pin, lo);
}

TEST(ioapic_registers)
{
	struct fake *f = ioapic_new();

	CHECK_EQ(reg_read(f, 0x01), 0x00170011); /* 24 pins, version 0x11 */
	CHECK_EQ(read32(f, IOREGSEL), 0x01);
	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		CHECK_EQ(reg_read(f, 0x10 + 2 * pin), RTE_MASKED);
		CHECK_EQ(reg_read(f, 0x11 + 2 * pin), 0);
	}
	reg_write(f, 0x00, 0xFFFFFFFF);
	CHECK_EQ(reg_read(f, 0x00), 0x0F000000); /* only the 4-bit ID */
	CHECK_EQ(reg_read(f, 0x02), 0x0F000000); /* arbitration ID follows it */
	/* Delivery status and Remote IRR are read-only. */
	reg_write(f, 0x10 + 2 * 5, 0x00010835 | RTE_REMOTE_IRR | (1u << 12));
	CHECK_EQ(reg_read(f, 0x10 + 2 * 5), 0x00010835);
	reg_write(f, 0x11 + 2 * 5, 0xAB000000);
	CHECK_EQ(reg_read(f, 0x11 + 2 * 5), 0xAB000000);
	/* Beyond the last pin: reads 0, writes are dropped. */
	reg_write(f, 0x10 + 2 * IOAPIC_PINS, 0x1234);
	CHECK_EQ(reg_read(f, 0x10 + 2 * IOAPIC_PINS), 0);
	CHECK_EQ(f->nsent, 0);
	ioapic_done(f);
}

TEST(ioapic_edge_pin_sends_msi_on_rising_edge)
{
	struct fake *f = ioapic_new();

	set_rte(f, 4, 0x30, 1); /* fixed, physical, edge, unmasked: vector 0x30 to APIC 1 */
	ioapic_set_irq(f->io, 4, 1);
	CHECK_EQ(f->nsent, 1);
	CHECK_EQ(f->sent[0].address, 0xFEE01000);
	CHECK_EQ(f->sent[0].data, 0x4030); /* assert | vector */
	ioapic_set_irq(f->io, 4, 1);    /* still high: no new edge */
	CHECK_EQ(f->nsent, 1);
	ioapic_set_irq(f->io, 4, 0);
	ioapic_set_irq(f->io, 4, 1);
	CHECK_EQ(f->nsent, 2);
	/* Logical destination mode sets address bit 2; a masked pin sends nothing. */
	set_rte(f, 6, 0x800 | 0x41, 0x03);
	ioapic_set_irq(f->io, 6, 1);
	CHECK_EQ(f->nsent, 3);
	CHECK_EQ(f->sent[2].address, 0xFEE03004);
	ioapic_set_irq(f->io, 7, 1);
	CHECK_EQ(f->nsent, 3);
	/* ExtINT is the 8259's own path to the CPU: no message. */
	set_rte(f, 8, 0x700, 0);
	ioapic_set_irq(f->io, 8, 1);
	CHECK_EQ(f->nsent, 3);
	/* No edge pin is a level route. */
	CHECK_EQ(f->route_updates, 0);
	ioapic_done(f);
}

TEST(ioapic_level_pin_remote_irr_and_eoi)
{
	struct fake *f = ioapic_new();

	set_rte(f, 9, RTE_LEVEL | 0x51, 0);
	/* Unmasked and level-triggered: published as a route for its EOIs. */
	CHECK_EQ(f->route_updates, 1);
	CHECK_EQ(f->nroutes, 1);
	CHECK_EQ(f->route_pin[0], 9);
	CHECK_EQ(f->route_msi[0].address, 0xFEE00000);
	CHECK_EQ(f->route_msi[0].data, 0xC051); /* level | assert | vector */
	ioapic_set_irq(f->io, 9, 1);
	CHECK_EQ(f->nsent, 1);
	CHECK_EQ(f->sent[0].data, 0xC051);
	CHECK_EQ(reg_read(f, 0x10 + 2 * 9) & RTE_REMOTE_IRR, RTE_REMOTE_IRR);
	ioapic_set_irq(f->io, 9, 1);  /* in service: quiet */
	CHECK_EQ(f->nsent, 1);
	ioapic_eoi(f->io, 0x52);      /* another vector: nothing */
	CHECK_EQ(f->nsent, 1);
	ioapic_eoi(f->io, 0x51);      /* still high: delivered again */
	CHECK_EQ(f->nsent, 2);
	ioapic_set_irq(f->io, 9, 0);
	ioapic_eoi(f->io, 0x51);
	CHECK_EQ(f->nsent, 2);
	CHECK_EQ(reg_read(f, 0x10 + 2 * 9) & RTE_REMOTE_IRR, 0);
	/* Rewriting the same entry changes no route; masking it drops the route. */
	set_rte(f, 9, RTE_LEVEL | 0x51, 0);
	CHECK_EQ(f->route_updates, 1);
	set_rte(f, 9, RTE_MASKED | RTE_LEVEL | 0x51, 0);
	CHECK_EQ(f->route_updates, 2);
	CHECK_EQ(f->nroutes, 0);
	/* A level line held high while masked fires once unmasked. */
	ioapic_set_irq(f->io, 9, 1);
	CHECK_EQ(f->nsent, 2);
	set_rte(f, 9, RTE_LEVEL | 0x51, 0);
	CHECK_EQ(f->nsent, 3);
	ioapic_done(f);
}

TEST(ioapic_reset_gives_power_on_state)
{
	struct fake *f = ioapic_new();

	reg_write(f, 0x00, 0x05000000);
	set_rte(f, 2, 0x20, 0xFF);
	set_rte(f, 10, RTE_LEVEL | 0x60, 2);
	ioapic_set_irq(f->io, 10, 1);
	CHECK_EQ(reg_read(f, 0x10 + 2 * 10) & RTE_REMOTE_IRR, RTE_REMOTE_IRR);
	write32(f, IOREGSEL, 0x12);
	ioapic_reset(f->io);
	CHECK_EQ(read32(f, IOREGSEL), 0);
	CHECK_EQ(reg_read(f, 0x00), 0);
	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		CHECK_EQ(reg_read(f, 0x10 + 2 * pin), RTE_MASKED);
		CHECK_EQ(reg_read(f, 0x11 + 2 * pin), 0);
	}
	/* No level route survives, and every pin is quiet until programmed again. */
	CHECK_EQ(f->nroutes, 0);
	f->nsent = 0;
	ioapic_set_irq(f->io, 2, 0);
	ioapic_set_irq(f->io, 2, 1);
	CHECK_EQ(f->nsent, 0);
	ioapic_done(f);
}

/* The IOAPIC's saved state with its fields replaced: id, IOREGSEL, lines, RTE 0 low word. */
static void hostile_state(struct fake *f, struct state_writer *w, uint32_t id, uint32_t regsel,
			  uint32_t lines)
{
	memset(w, 0, sizeof(*w));
	ioapic_save(f->io, w);
	CHECK(!w->failed && w->len == 12 + 8 * IOAPIC_PINS);
	for (int i = 0; i < 4; i++) {
		w->buf[i] = (uint8_t)(id >> 8 * i);
		w->buf[4 + i] = (uint8_t)(regsel >> 8 * i);
		w->buf[8 + i] = (uint8_t)(lines >> 8 * i);
	}
}

/*
 * Issue 19 item 1: IOREGSEL from a file was taken as is, and IOWIN then
 * computed a negative pin (0x80000010 -> pin -0x3FFFFFF8) that passed
 * "pin >= 24" and reached the words before rte[]: the ops pointer.
 */
TEST(ioapic_load_refuses_a_register_the_guest_cannot_select)
{
	struct fake *f = ioapic_new();
	static const uint32_t bad_regsel[] = { 0x80000010, 0xFFFFFFF0, 0x100, 0x80000000 };
	struct state_writer w;
	struct state_reader r;

	reg_write(f, 0x10, 0x1A030); /* pin 0: masked level vector 0x30 */
	CHECK_EQ(reg_read(f, 0x10), 0x1A030);
	for (unsigned i = 0; i < sizeof(bad_regsel) / sizeof(bad_regsel[0]); i++) {
		char want[64];

		hostile_state(f, &w, 0, bad_regsel[i], 0);
		state_reader_init(&r, w.buf, w.len);
		CHECK_EQ(ioapic_load(f->io, &r), -EINVAL);
		snprintf(want, sizeof(want), "IOAPIC IOREGSEL 0x%x is not a register", bad_regsel[i]);
		CHECK(strstr(state_reader_error(&r), want) != NULL);
		/* The chip is as it was: IOREGSEL 0x10 still selects pin 0's low word. */
		CHECK_EQ(read32(f, IOREGSEL), 0x10);
		CHECK_EQ(read32(f, IOWIN), 0x1A030);
		state_writer_free(&w);
	}
	/* The other fields the guest cannot set either. */
	hostile_state(f, &w, 0x10000000, 0x10, 0);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(ioapic_load(f->io, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "IOAPIC ID register 0x10000000 has bits outside 24-27");
	state_writer_free(&w);
	hostile_state(f, &w, 0, 0x10, 1u << 24);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(ioapic_load(f->io, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "IOAPIC input lines 0x1000000: it has only 24 pins");
	state_writer_free(&w);
	/* The highest legal selection still round-trips and reads the last RTE half. */
	hostile_state(f, &w, 0x0F000000, 0x3F, 0xFFFFFF);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(ioapic_load(f->io, &r), 0);
	CHECK_EQ(read32(f, IOREGSEL), 0x3F);
	CHECK_EQ(read32(f, IOWIN), 0);
	CHECK_EQ(reg_read(f, 0x00), 0x0F000000);
	/* Past the last RTE: reads 0, writes go nowhere. */
	reg_write(f, 0x40, 0xDEADBEEF);
	CHECK_EQ(reg_read(f, 0x40), 0);
	CHECK_EQ(reg_read(f, 0xFF), 0);
	state_writer_free(&w);
	ioapic_done(f);
}
