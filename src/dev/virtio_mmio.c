/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio register file (virtio_mmio.h). Section numbers are the
 * virtio 1.2 spec's; 4.2.2 lists the registers, 3.1.1 the driver's steps
 * (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK).
 */
#include "virtio_mmio.h"

#include <string.h>

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_device *dev, void *ctx,
		      const struct guest_mem *mem)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->dev = dev;
	t->ctx = ctx;
	t->mem = mem;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
}

static uint64_t offered(const struct virtio_mmio *t)
{
	return t->dev->features | VIRTIO_F_VERSION_1;
}

static void update_irq(struct virtio_mmio *t)
{
	int level = t->interrupt_status != 0;

	if (level != t->irq_level) {
		t->irq_level = level;
		t->dev->set_irq(t->ctx, level);
	}
}

/* Lock held. */
static void reset_locked(struct virtio_mmio *t)
{
	t->status = 0;
	t->device_features_sel = t->driver_features_sel = 0;
	t->driver_features = 0;
	t->queue_sel = 0;
	t->interrupt_status = 0;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->queues[i]);
	if (t->dev->reset)
		t->dev->reset(t->ctx);
	update_irq(t);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	reset_locked(t);
	pthread_mutex_unlock(&t->lock);
}

/* 2.1.2: the device broke; the driver sees NEEDS_RESET after a config-change interrupt. */
static void needs_reset(struct virtio_mmio *t)
{
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->queues[i].ready = false;
	if (t->status & VIRTIO_STATUS_DRIVER_OK) {
		t->interrupt_status |= VIRTIO_INT_CONFIG;
		update_irq(t);
	}
}

/* The selected queue, or NULL when QueueSel names none the device has. */
static struct virtq *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev->nqueues ? &t->queues[t->queue_sel] : NULL;
}

static uint32_t read_reg(struct virtio_mmio *t, uint64_t offset)
{
	struct virtq *q = selected(t);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC:
		return VIRTIO_MMIO_MAGIC_VALUE;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->device_features_sel < 2 ? (uint32_t)(offered(t) >> (32 * t->device_features_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q && q->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffffu; /* 4.2.2: no shared memory region: length -1 */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0; /* write-only registers and holes */
	}
}

/* 3.1.1 step 5: FEATURES_OK stays set only for a subset of what was offered, VERSION_1 in it. */
static void write_status(struct virtio_mmio *t, uint32_t val)
{
	if (val == 0) {
		reset_locked(t);
		return;
	}
	val &= 0xff;
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((t->driver_features & ~offered(t)) || !(t->driver_features & VIRTIO_F_VERSION_1)))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	/* DRIVER_OK needs agreed features; NEEDS_RESET is the device's own, and sticks. */
	if (!(val & VIRTIO_STATUS_FEATURES_OK))
		val &= ~VIRTIO_STATUS_DRIVER_OK;
	t->status = (val & ~VIRTIO_STATUS_NEEDS_RESET) | (t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffull) | ((uint64_t)val << 32) : (*v & ~0xffffffffull) | val;
}

/* The queue's set-up registers: only while it is not ready (4.2.3.2). */
static void write_queue(struct virtq *q, uint64_t offset, uint32_t val)
{
	if (!q || q->ready)
		return;
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->size = val > 0xffff ? 0 : (uint16_t)val; /* too big: refused at QueueReady */
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc, offset == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_half(&q->avail, offset == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_half(&q->used, offset == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	}
}

static void write_reg(struct virtio_mmio *t, uint64_t offset, uint32_t val)
{
	struct virtq *q = selected(t);

	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are fixed once FEATURES_OK is set. */
		if (t->driver_features_sel < 2 && !(t->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&t->driver_features, t->driver_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!q)
			break;
		if (!val) {
			q->ready = false;
		} else if (!q->ready && virtq_check(q, t->mem, VIRTQ_MAX_SIZE) < 0) {
			needs_reset(t);
		}
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* A notify before DRIVER_OK, after NEEDS_RESET, or of a queue not set up: nothing to do. */
		if (val < t->dev->nqueues && t->queues[val].ready &&
		    (t->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK)
			t->dev->notify(t->ctx, t, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->interrupt_status &= ~val;
		update_irq(t);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(t, val);
		break;
	default:
		write_queue(q, offset, val);
		break;
	}
}

void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, uint8_t *data, unsigned size)
{
	memset(data, 0, size);
	pthread_mutex_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		uint64_t at = offset - VIRTIO_MMIO_CONFIG;

		/* Config space: any width; bytes past the device's config read 0. */
		for (unsigned i = 0; i < size; i++)
			if (at + i < t->dev->config_len)
				data[i] = t->dev->config[at + i];
	} else if (size == 4 && !(offset & 3)) {
		uint32_t v = read_reg(t, offset);

		data[0] = (uint8_t)v;
		data[1] = (uint8_t)(v >> 8);
		data[2] = (uint8_t)(v >> 16);
		data[3] = (uint8_t)(v >> 24);
	}
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const uint8_t *data, unsigned size)
{
	/* Config space is read-only (9p's is); registers are 32 bits wide and aligned. */
	if (offset >= VIRTIO_MMIO_CONFIG || size != 4 || (offset & 3))
		return;
	pthread_mutex_lock(&t->lock);
	write_reg(t, offset, (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
			     (uint32_t)data[3] << 24);
	pthread_mutex_unlock(&t->lock);
}

int virtio_mmio_pop(struct virtio_mmio *t, unsigned q, struct virtq_chain *c)
{
	int ret;

	if (q >= t->dev->nqueues || (t->status & VIRTIO_STATUS_NEEDS_RESET))
		return 0;
	ret = virtq_pop(&t->queues[q], t->mem, c);
	if (ret < 0) {
		needs_reset(t);
		return 0;
	}
	return ret;
}

void virtio_mmio_push(struct virtio_mmio *t, unsigned q, uint16_t head, uint32_t len)
{
	if (q >= t->dev->nqueues || virtq_push(&t->queues[q], t->mem, head, len) < 0) {
		needs_reset(t);
		return;
	}
	t->interrupt_status |= VIRTIO_INT_USED;
	update_irq(t);
}
