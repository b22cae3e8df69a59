/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 ("modern" only; virtio 1.2 spec,
 * section 4.2): one 4 KiB page of registers in front of a virtio device
 * (virtio_9p.c is one). It owns the device status, feature negotiation,
 * the queues' set-up (virtqueue.h), the interrupt status and the config
 * space window at 0x100; the device gives its ID, its features, its config
 * bytes, and what to do when the driver notifies a queue.
 *
 * Interrupt: the line is high while InterruptStatus != 0 and goes low when
 * the driver acknowledges every bit. A level-triggered input (RISC-V's
 * PLIC) sees exactly that; an edge-triggered one (x86 ISA IRQs) gets an
 * edge for the first piece of work, and the driver, which acks before it
 * reads the used ring, gets a new edge for any work that comes after the
 * ack: nothing is lost.
 *
 * One lock per transport: every register access, and so every notify
 * handler (which runs synchronously, in the thread of the vCPU that wrote
 * QueueNotify), is serialised.
 *
 * No KVM, no bus: the owner puts virtio_mmio_read()/write() behind an MMIO
 * range. Unit-tested with a buffer for RAM.
 */
#ifndef MINIKVM_VIRTIO_MMIO_H
#define MINIKVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtqueue.h"

struct guest_mem;

/* Register offsets (4.2.2). */
enum {
	VIRTIO_MMIO_MAGIC = 0x000, VIRTIO_MMIO_VERSION = 0x004, VIRTIO_MMIO_DEVICE_ID = 0x008,
	VIRTIO_MMIO_VENDOR_ID = 0x00c, VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
	VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014, VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
	VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024, VIRTIO_MMIO_QUEUE_SEL = 0x030,
	VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034, VIRTIO_MMIO_QUEUE_NUM = 0x038,
	VIRTIO_MMIO_QUEUE_READY = 0x044, VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
	VIRTIO_MMIO_INTERRUPT_STATUS = 0x060, VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
	VIRTIO_MMIO_STATUS = 0x070, VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
	VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084, VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090,
	VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094, VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4, VIRTIO_MMIO_SHM_SEL = 0x0ac,
	VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0, VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4,
	VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8, VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc,
	VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc, VIRTIO_MMIO_CONFIG = 0x100,
};

#define VIRTIO_MMIO_SIZE      0x1000
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR    0x4d4b564du   /* "MVKM" as bytes: minikvm's own */
#define VIRTIO_MMIO_MAX_QUEUES 2

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER      2u
#define VIRTIO_STATUS_DRIVER_OK   4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED      0x80u

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_INT_USED   1u
#define VIRTIO_INT_CONFIG 2u

#define VIRTIO_F_VERSION_1 (1ull << 32)

struct virtio_mmio;

/* What the device behind the transport says and does. */
struct virtio_mmio_device {
	uint32_t device_id;
	uint64_t features;        /* its own; the transport adds VIRTIO_F_VERSION_1 */
	unsigned nqueues;         /* 1..VIRTIO_MMIO_MAX_QUEUES */
	const uint8_t *config;    /* config space bytes (read-only to the driver) */
	size_t config_len;
	/* The driver notified queue q (ready, DRIVER_OK); called with the transport's lock held. */
	void (*notify)(void *ctx, struct virtio_mmio *t, unsigned q);
	/* The driver reset the device (Status = 0); the lock held. May be NULL. */
	void (*reset)(void *ctx);
	/* Drive the interrupt line. */
	void (*set_irq)(void *ctx, int level);
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct virtio_mmio_device *dev;
	void *ctx;
	const struct guest_mem *mem;

	uint32_t status;
	uint32_t device_features_sel, driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status;
	uint32_t config_generation;
	int irq_level;
	struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_device *dev, void *ctx,
		      const struct guest_mem *mem);
void virtio_mmio_destroy(struct virtio_mmio *t);

/* An access at offset into the 4 KiB window; registers are 32-bit (others read 0, write nothing). */
void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, uint8_t *data, unsigned size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const uint8_t *data, unsigned size);

/* The device as at power-on (monitor reset, or the driver's Status = 0). */
void virtio_mmio_reset(struct virtio_mmio *t);

/*
 * For the notify handler (lock held): the next chain of queue q (as
 * virtq_pop) and its hand-back with len bytes written, which raises the
 * used-buffer interrupt. A refused chain or ring marks the device
 * NEEDS_RESET (with a config-change interrupt, 2.1.2) and stops the queue:
 * virtio_mmio_pop returns 0 from then on.
 */
int virtio_mmio_pop(struct virtio_mmio *t, unsigned q, struct virtq_chain *c);
void virtio_mmio_push(struct virtio_mmio *t, unsigned q, uint16_t head, uint32_t len);

#endif
