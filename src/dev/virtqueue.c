/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue (virtqueue.h): checked ring set-up, chain walks and
 * used elements. Section numbers are the virtio 1.2 spec's.
 */
#include "virtqueue.h"
#include "guest_mem.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define DESC_SIZE  16u
#define RING_HEAD  4u  /* flags le16, idx le16 */
#define USED_ELEM  8u  /* id le32, len le32 */

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* 2.7.10: the areas' sizes for a queue of n (no used_event/avail_event: no EVENT_IDX). */
static uint64_t desc_bytes(uint16_t n) { return (uint64_t)DESC_SIZE * n; }
static uint64_t avail_bytes(uint16_t n) { return RING_HEAD + 2ull * n; }
static uint64_t used_bytes(uint16_t n) { return RING_HEAD + (uint64_t)USED_ELEM * n; }

int virtq_check(struct virtq *q, const struct guest_mem *mem, uint16_t max)
{
	uint16_t n = q->size;

	/* 2.7: Queue Size a power of two; 2.7.10: alignment 16, 2, 4. */
	if (n == 0 || n > max || (n & (n - 1)))
		return -EINVAL;
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return -EINVAL;
	if (!guest_mem_ptr(mem, q->desc, desc_bytes(n)) || !guest_mem_ptr(mem, q->avail, avail_bytes(n)) ||
	    !guest_mem_ptr(mem, q->used, used_bytes(n)))
		return -EINVAL;
	q->last_avail = q->used_idx = 0;
	q->ready = true;
	return 0;
}

/* A little-endian field of the driver's, read once (other vCPUs may be writing it). */
static uint16_t load_le16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static int read_desc(const struct virtq *q, const struct guest_mem *mem, uint16_t i, struct desc *d)
{
	uint8_t raw[DESC_SIZE];
	const uint8_t *p = guest_mem_ptr(mem, q->desc + (uint64_t)i * DESC_SIZE, DESC_SIZE);

	if (!p)
		return -EINVAL;
	memcpy(raw, p, sizeof(raw)); /* one copy: the checks below hold for what is used */
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
	return 0;
}

/* 2.7.5, 2.7.13.1: walk the chain from head; -EINVAL if any part of it is refused. */
static int walk_chain(const struct virtq *q, const struct guest_mem *mem, uint16_t head,
		      struct virtq_chain *c)
{
	uint16_t i = head;
	unsigned n = 0;

	c->head = head;
	c->nread = c->nwrite = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		struct desc d;
		struct virtq_seg *s;

		/* Longer than the table: a loop or a cycle. */
		if (i >= q->size || n == q->size || read_desc(q, mem, i, &d) < 0)
			return -EINVAL;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -EINVAL; /* not offered */
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && c->nwrite)
			return -EINVAL; /* 2.7.4.2: readable buffers come first */
		s = &c->seg[n++];
		s->len = d.len;
		/* A zero-length buffer touches nothing; any address will do, but none is kept. */
		s->host = d.len ? guest_mem_ptr(mem, d.addr, d.len) : NULL;
		if (d.len && !s->host)
			return -EINVAL;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			c->nwrite++;
			c->write_len += d.len;
		} else {
			c->nread++;
			c->read_len += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c)
{
	const uint8_t *avail;
	uint16_t idx, head;

	if (!q->ready)
		return 0;
	avail = guest_mem_ptr(mem, q->avail, avail_bytes(q->size));
	if (!avail)
		return -EINVAL;
	idx = load_le16(avail + 2);
	if (idx == q->last_avail)
		return 0;
	/* More than a ring's worth ahead of us: the driver's index is garbage. */
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return -EINVAL;
	head = load_le16(avail + RING_HEAD + 2u * (q->last_avail % q->size));
	if (walk_chain(q, mem, head, c) < 0)
		return -EINVAL;
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len)
{
	uint8_t *used = guest_mem_ptr(mem, q->used, used_bytes(q->size));
	uint32_t elem[2] = { htole32(head), htole32(len) };

	if (!used)
		return -EINVAL;
	memcpy(used + RING_HEAD + USED_ELEM * (q->used_idx % q->size), elem, sizeof(elem));
	q->used_idx++;
	/* 2.7.14: the element is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(used + 2), htole16(q->used_idx), __ATOMIC_RELEASE);
	return 0;
}

uint64_t virtq_gather(const struct virtq_chain *c, void *buf, uint64_t cap)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < c->nread && done < cap; i++) {
		uint64_t n = c->seg[i].len < cap - done ? c->seg[i].len : cap - done;

		if (n)
			memcpy((uint8_t *)buf + done, c->seg[i].host, n);
		done += n;
	}
	return done;
}

uint64_t virtq_scatter(const struct virtq_chain *c, const void *buf, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned i = c->nread; i < c->nread + c->nwrite && done < len; i++) {
		uint64_t n = c->seg[i].len < len - done ? c->seg[i].len : len - done;

		if (n)
			memcpy(c->seg[i].host, (const uint8_t *)buf + done, n);
		done += n;
	}
	return done;
}
