/* SPDX-License-Identifier: MIT */
/*
 * A virtio 1.x split virtqueue, the device's side (virtio spec 1.2,
 * section 2.7): three areas in guest RAM that the driver sets up and the
 * transport (virtio_mmio.c) passes on:
 *
 *   descriptor table  size x { addr le64, len le32, flags le16, next le16 }, 16-aligned
 *   driver area       avail ring: flags le16, idx le16, ring[size] le16, 2-aligned
 *   device area       used ring:  flags le16, idx le16, ring[size] { id le32, len le32 }, 4-aligned
 *
 * virtq_pop() takes the next chain the driver made available and walks it
 * into the buffers the device may read (the request) and those it may
 * write (the reply), as host pointers into guest RAM; virtq_push() hands a
 * chain back with the number of bytes written.
 *
 * Pure: no KVM, no threads, no transport (unit-tested with a buffer for
 * RAM). The caller serialises calls on one queue.
 *
 * The driver is untrusted. Every ring and buffer address is checked
 * against guest RAM (guest_mem_ptr) before it is touched; a descriptor is
 * copied out once, then only the copy is used (the guest may change it
 * meanwhile); a chain is at most `size` descriptors long (a loop or cycle
 * ends there); a readable descriptor after a writable one, an index past
 * the table, or an avail index more than `size` ahead is refused. Indirect
 * descriptors (VIRTIO_F_INDIRECT_DESC) and EVENT_IDX are not offered, so a
 * descriptor flagged INDIRECT is refused too. A refused chain is
 * -EINVAL: the transport marks the device NEEDS_RESET.
 */
#ifndef MINIKVM_VIRTQUEUE_H
#define MINIKVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

#define VIRTQ_MAX_SIZE 256 /* QueueNumMax of our queues; a power of two */

/* Descriptor flags (spec 2.7.5). */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq {
	uint16_t size;           /* QueueNum: a power of two, 1..VIRTQ_MAX_SIZE */
	bool ready;              /* QueueReady: virtq_check() passed */
	uint64_t desc, avail, used; /* guest-physical: the three areas */
	uint16_t last_avail;     /* the next avail ring entry the device takes */
	uint16_t used_idx;       /* the device's copy of used->idx */
};

/* One buffer of a chain, checked to lie wholly in guest RAM. */
struct virtq_seg {
	uint8_t *host;
	uint32_t len;
};

struct virtq_chain {
	uint16_t head;           /* the index virtq_push() gives back */
	unsigned nread, nwrite;  /* readable segments, then writable ones, in seg[] */
	uint64_t read_len, write_len;
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
};

/* Back to "not set up" (the transport's reset). */
void virtq_reset(struct virtq *q);

/*
 * The driver wrote QueueReady = 1: are size and the three areas usable
 * (size a power of two <= max, areas aligned and in RAM)? 0, or -EINVAL.
 * On 0 the queue is ready and starts at avail/used index 0.
 */
int virtq_check(struct virtq *q, const struct guest_mem *mem, uint16_t max);

/*
 * The next available chain into *c: 1, 0 when the driver has made
 * nothing new available, -EINVAL for a refused chain or ring (the queue
 * is then left as it was: the caller stops using it).
 */
int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c);

/* Give chain head back with len bytes written; 0, or -EINVAL if the used ring is no longer RAM. */
int virtq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len);

/* Copy the chain's readable bytes to buf (at most cap); how many were copied. */
uint64_t virtq_gather(const struct virtq_chain *c, void *buf, uint64_t cap);
/* Copy len bytes of buf over the chain's writable segments in order; how many fitted. */
uint64_t virtq_scatter(const struct virtq_chain *c, const void *buf, uint64_t len);

#endif
