/* SPDX-License-Identifier: MIT */
/* The I/O bus: registration, lookup, and dispatch through iobus_access(). */
#include "test.h"

#include "iobus.h"

/* A 4-byte register file that records what reached it. */
struct dummy {
	uint8_t regs[4];
	uint64_t last_offset;
	unsigned last_size, reads, writes;
};

static void dummy_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
		       unsigned size)
{
	struct dummy *d = opaque;

	(void)vcpu;
	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	for (unsigned i = 0; i < size; i++)
		data[i] = offset + i < sizeof(d->regs) ? d->regs[offset + i] : 0xEE;
}

static void dummy_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			unsigned size)
{
	struct dummy *d = opaque;

	(void)vcpu;
	d->writes++;
	d->last_offset = offset;
	d->last_size = size;
	for (unsigned i = 0; i < size; i++)
		if (offset + i < sizeof(d->regs))
			d->regs[offset + i] = data[i];
}

TEST(iobus_access_dispatches_at_offsets)
{
	struct iobus bus = { .name = "pio" };
	struct dummy d = { .regs = { 0x11, 0x22, 0x33, 0x44 } };
	struct io_device dev = {
		.name = "dummy", .base = 0x100, .len = 4, .opaque = &d,
		.read = dummy_read, .write = dummy_write,
	};
	uint8_t buf[4] = { 0 };
	const uint8_t w[2] = { 0xAB, 0xCD };

	CHECK_EQ(iobus_register(&bus, &dev), 0);
	CHECK(iobus_access(&bus, NULL, 0x102, buf, 1, false) == &dev);
	CHECK_EQ(buf[0], 0x33);
	CHECK_EQ(d.last_offset, 2);
	CHECK_EQ(d.last_size, 1);
	CHECK(iobus_access(&bus, NULL, 0x100, buf, 4, false) == &dev);
	CHECK_EQ(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24, 0x44332211);
	CHECK_EQ(d.last_size, 4);
	/* A write reaches the device at its offset and changes what it reads. */
	memcpy(buf, w, 2);
	CHECK(iobus_access(&bus, NULL, 0x101, buf, 2, true) == &dev);
	CHECK_EQ(d.writes, 1);
	CHECK_EQ(d.last_offset, 1);
	CHECK_EQ(d.last_size, 2);
	CHECK_EQ(d.regs[1], 0xAB);
	CHECK_EQ(d.regs[2], 0xCD);
	CHECK_EQ(d.reads, 2);
}

TEST(iobus_unknown_addresses_float_high)
{
	struct iobus bus = { .name = "mmio" };
	struct dummy d = { 0 };
	struct io_device dev = {
		.name = "dummy", .base = 0x1000, .len = 4, .opaque = &d,
		.read = dummy_read, .write = dummy_write,
	};
	uint8_t buf[8] = { 0 };

	CHECK_EQ(iobus_register(&bus, &dev), 0);
	/* Below, above, and straddling the end: nobody answers. */
	CHECK(iobus_access(&bus, NULL, 0xFFF, buf, 1, false) == NULL);
	CHECK_EQ(buf[0], 0xFF);
	memset(buf, 0, sizeof(buf));
	CHECK(iobus_access(&bus, NULL, 0x1004, buf, 8, false) == NULL);
	CHECK_EQ(buf[0] & buf[1] & buf[2] & buf[3] & buf[4] & buf[5] & buf[6] & buf[7], 0xFF);
	memset(buf, 0, sizeof(buf));
	CHECK(iobus_access(&bus, NULL, 0x1002, buf, 4, false) == NULL);
	CHECK_EQ(buf[0], 0xFF);
	CHECK_EQ(buf[3], 0xFF);
	/* A write to nowhere is dropped and leaves the buffer as it was. */
	buf[0] = 0x5A;
	CHECK(iobus_access(&bus, NULL, 0x2000, buf, 1, true) == NULL);
	CHECK_EQ(buf[0], 0x5A);
	CHECK_EQ(d.reads + d.writes, 0);
}

TEST(iobus_register_overlap_and_unregister)
{
	struct iobus bus = { .name = "pio" };
	struct dummy d1 = { .regs = { 1 } }, d2 = { .regs = { 2 } };
	struct io_device a = {
		.name = "a", .base = 0x10, .len = 4, .opaque = &d1,
		.read = dummy_read, .write = dummy_write,
	};
	struct io_device b = a, c = a;
	uint8_t v = 0;

	b.name = "b";
	b.base = 0x13; /* overlaps a's last port */
	c.name = "c";
	c.base = 0x14;
	c.opaque = &d2;
	CHECK_EQ(iobus_register(&bus, &a), 0);
	CHECK(iobus_register(&bus, &b) < 0);
	CHECK_EQ(iobus_register(&bus, &c), 0);
	CHECK(iobus_access(&bus, NULL, 0x14, &v, 1, false) == &c);
	CHECK_EQ(v, 2);
	iobus_unregister(&bus, &a);
	CHECK_EQ(bus.n, 1);
	CHECK(iobus_access(&bus, NULL, 0x10, &v, 1, false) == NULL);
	CHECK_EQ(v, 0xFF);
	CHECK(iobus_find(&bus, 0x14, 1) == &c);
	iobus_unregister(&bus, &a); /* not there: nothing happens */
	CHECK_EQ(bus.n, 1);
	/* The range is free again. */
	CHECK_EQ(iobus_register(&bus, &a), 0);
	CHECK(iobus_access(&bus, NULL, 0x10, &v, 1, false) == &a);
	CHECK_EQ(v, 1);
}
