/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport (src/dev/virtio_mmio.c) with a device made up
 * here: the registers a driver reads, feature negotiation, the status
 * bits, queue set-up, notify, the interrupt line up and down, reset, the
 * config space's bytes, and NEEDS_RESET for a driver that breaks the rules.
 */
#include "test.h"
#include "virtio_driver.h"

#include "dev/virtio_mmio.h"

static uint8_t ram[VD_RAM] __attribute__((aligned(16)));

struct fake {
	struct virtio_mmio t;
	int irq_level, irq_changes;
	int notifies, resets;
	uint32_t reply_len; /* what the device says it wrote for each chain */
};

static void fake_notify(void *ctx, struct virtio_mmio *t, unsigned q)
{
	struct fake *f = ctx;
	static struct virtq_chain c;

	f->notifies++;
	while (virtio_mmio_pop(t, q, &c) > 0)
		virtio_mmio_push(t, q, c.head, f->reply_len);
}

static void fake_reset(void *ctx)
{
	((struct fake *)ctx)->resets++;
}

static void fake_irq(void *ctx, int level)
{
	struct fake *f = ctx;

	f->irq_level = level;
	f->irq_changes++;
}

static const uint8_t fake_config[] = { 4, 0, 't', 'e', 's', 't' };

static const struct virtio_mmio_device fake_dev = {
	.device_id = 9,
	.features = 1, /* bit 0: 9p's MOUNT_TAG */
	.nqueues = 1,
	.config = fake_config,
	.config_len = sizeof(fake_config),
	.notify = fake_notify,
	.reset = fake_reset,
	.set_irq = fake_irq,
};

static uint32_t rd(struct fake *f, uint64_t off)
{
	uint8_t b[4];

	virtio_mmio_read(&f->t, off, b, 4);
	return vd_get32(b);
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	vd_put32(b, v);
	virtio_mmio_write(&f->t, off, b, 4);
}

static void fake_init(struct fake *f, struct vdrv *d)
{
	memset(f, 0, sizeof(*f));
	vd_init(d, ram, 8);
	virtio_mmio_init(&f->t, &fake_dev, f, &d->mem);
}

/* 3.1.1 up to FEATURES_OK with the given features; the status read back. */
static uint32_t negotiate(struct fake *f, uint64_t features)
{
	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				  VIRTIO_STATUS_FEATURES_OK);
	return rd(f, VIRTIO_MMIO_STATUS);
}

static void setup_queue(struct fake *f, uint32_t num, uint64_t desc)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)VD_AVAIL);
	wr(f, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(VD_AVAIL >> 32));
	wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)VD_USED);
	wr(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(VD_USED >> 32));
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

#define ALL_OK (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
		VIRTIO_STATUS_DRIVER_OK)

/* A device driven to DRIVER_OK with queue 0 of 8 set up. */
static void bring_up(struct fake *f, struct vdrv *d)
{
	fake_init(f, d);
	CHECK(negotiate(f, VIRTIO_F_VERSION_1 | 1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(f, 8, VD_DESC);
	CHECK_EQ(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	wr(f, VIRTIO_MMIO_STATUS, ALL_OK);
	CHECK_EQ(rd(f, VIRTIO_MMIO_STATUS), ALL_OK);
}

TEST(virtio_mmio_identity_registers)
{
	struct fake f;
	struct vdrv d;
	uint8_t b[4] = { 0xAA, 0xAA, 0xAA, 0xAA };

	fake_init(&f, &d);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_MAGIC), 0x74726976); /* "virt" */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_ID), 9);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	wr(&f, VIRTIO_MMIO_QUEUE_SEL, 1); /* a queue the device does not have */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* Registers are 32-bit: a byte read gives 0, a byte write does nothing. */
	virtio_mmio_read(&f.t, VIRTIO_MMIO_MAGIC, b, 1);
	CHECK_EQ(b[0], 0);
	b[0] = 0x55;
	virtio_mmio_write(&f.t, VIRTIO_MMIO_STATUS, b, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_feature_negotiation)
{
	struct fake f;
	struct vdrv d;

	fake_init(&f, &d);
	wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* the device's bit 0 */
	wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 (32); no INDIRECT (28), EVENT_IDX (29) */
	wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Without VERSION_1 (a legacy driver): FEATURES_OK does not stick. */
	CHECK_EQ(negotiate(&f, 1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* A feature that was not offered (EVENT_IDX, bit 29): refused. */
	CHECK_EQ(negotiate(&f, VIRTIO_F_VERSION_1 | (1ull << 29)),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* DRIVER_OK without FEATURES_OK is not taken. */
	wr(&f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* A subset with VERSION_1 is. */
	CHECK_EQ(negotiate(&f, VIRTIO_F_VERSION_1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ(f.t.driver_features, VIRTIO_F_VERSION_1);
	/* Once FEATURES_OK is set the features are fixed. */
	wr(&f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(&f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	CHECK_EQ(f.t.driver_features, VIRTIO_F_VERSION_1);
	CHECK_EQ(negotiate(&f, VIRTIO_F_VERSION_1 | 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ(f.t.driver_features, VIRTIO_F_VERSION_1 | 1);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_config_space_bytes)
{
	struct fake f;
	struct vdrv d;
	uint8_t b[8];

	fake_init(&f, &d);
	virtio_mmio_read(&f.t, VIRTIO_MMIO_CONFIG, b, 2);
	CHECK_EQ(vd_get16(b), 4); /* tag_len */
	for (unsigned i = 0; i < 4; i++) {
		virtio_mmio_read(&f.t, VIRTIO_MMIO_CONFIG + 2 + i, b, 1);
		CHECK_EQ(b[0], "test"[i]);
	}
	virtio_mmio_read(&f.t, VIRTIO_MMIO_CONFIG + 2, b, 4);
	CHECK_MEM(b, "test", 4);
	virtio_mmio_read(&f.t, VIRTIO_MMIO_CONFIG + 4, b, 8); /* runs past the end: zeros */
	CHECK_MEM(b, "st\0\0\0\0\0\0", 8);
	/* Read-only. */
	b[0] = 'X';
	virtio_mmio_write(&f.t, VIRTIO_MMIO_CONFIG + 2, b, 1);
	virtio_mmio_read(&f.t, VIRTIO_MMIO_CONFIG + 2, b, 1);
	CHECK_EQ(b[0], 't');
	CHECK_EQ(rd(&f, VIRTIO_MMIO_CONFIG_GENERATION), 0);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_notify_used_ring_and_interrupt_line)
{
	struct fake f;
	struct vdrv d;
	uint32_t id, len;

	bring_up(&f, &d);
	f.reply_len = 77;
	vd_desc(&d, 2, VD_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&d, 2);
	CHECK_EQ(f.irq_level, 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(f.notifies, 1);
	CHECK_EQ(vd_used_idx(&d), 1);
	vd_used(&d, 0, &id, &len);
	CHECK_EQ(id, 2);
	CHECK_EQ(len, 77);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
	CHECK_EQ(f.irq_level, 1);
	/* More work before the ack: the line stays up (no change). */
	vd_avail(&d, 2);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(vd_used_idx(&d), 2);
	CHECK_EQ(f.irq_changes, 1);
	/* Acking another bit changes nothing; acking the bit lowers the line. */
	wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
	CHECK_EQ(f.irq_level, 1);
	wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(f.irq_level, 0);
	CHECK_EQ(f.irq_changes, 2);
	/* New work after the ack raises it again: an edge for an edge-triggered input. */
	vd_avail(&d, 2);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(f.irq_level, 1);
	CHECK_EQ(f.irq_changes, 3);
	/* A notify of a queue that does not exist reaches nobody. */
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(f.notifies, 3);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_no_notify_before_driver_ok)
{
	struct fake f;
	struct vdrv d;

	fake_init(&f, &d);
	CHECK(negotiate(&f, VIRTIO_F_VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(&f, 8, VD_DESC);
	vd_desc(&d, 0, VD_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&d, 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(f.notifies, 0);
	CHECK_EQ(vd_used_idx(&d), 0);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_status_zero_resets_everything)
{
	struct fake f;
	struct vdrv d;

	bring_up(&f, &d);
	vd_desc(&d, 0, VD_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&d, 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(f.irq_level, 1);
	f.resets = 0;
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(f.irq_level, 0); /* the line goes down with it */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(f.t.queues[0].size, 0);
	CHECK_EQ(f.t.queues[0].desc, 0);
	CHECK_EQ(f.t.driver_features, 0);
	/* monitor reset's path does the same. */
	bring_up(&f, &d);
	f.resets = 0;
	virtio_mmio_reset(&f.t);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_bad_queue_setup_needs_reset)
{
	struct fake f;
	struct vdrv d;

	fake_init(&f, &d);
	CHECK(negotiate(&f, VIRTIO_F_VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(&f, 8, VD_DESC + 4); /* descriptors not 16-aligned */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	/* The driver cannot clear it; a reset does. */
	wr(&f, VIRTIO_MMIO_STATUS, ALL_OK);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);

	fake_init(&f, &d);
	CHECK(negotiate(&f, VIRTIO_F_VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(&f, 6, VD_DESC); /* not a power of two */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_bad_chain_needs_reset_and_stops_the_queue)
{
	struct fake f;
	struct vdrv d;

	bring_up(&f, &d);
	vd_desc(&d, 0, VD_BUF, 16, VIRTQ_DESC_F_NEXT, 0); /* a loop */
	vd_avail(&d, 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(vd_used_idx(&d), 0);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	/* 2.1.2: the driver hears of it through a config-change interrupt. */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	CHECK_EQ(f.irq_level, 1);
	/* A good chain after it is not served until a reset. */
	vd_desc(&d, 1, VD_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&d, 1);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(vd_used_idx(&d), 0);
	CHECK_EQ(f.notifies, 1);
	virtio_mmio_destroy(&f.t);
}

TEST(virtio_mmio_queue_registers_fixed_while_ready)
{
	struct fake f;
	struct vdrv d;

	bring_up(&f, &d);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(&f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	CHECK_EQ(f.t.queues[0].size, 8);
	CHECK_EQ(f.t.queues[0].desc, VD_DESC);
	virtio_mmio_destroy(&f.t);
}
