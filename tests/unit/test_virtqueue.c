/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue (src/dev/virtqueue.c) against a driver written here
 * (virtio_driver.h): good chains walked into the right host pointers, the
 * used ring's bytes, and every hostile ring and chain refused without a
 * byte read outside RAM.
 */
#include "test.h"
#include "virtio_driver.h"

#include <errno.h>
#include <stdlib.h>

#include "dev/virtqueue.h"

#define F_NEXT  VIRTQ_DESC_F_NEXT
#define F_WRITE VIRTQ_DESC_F_WRITE

static uint8_t ram[VD_RAM] __attribute__((aligned(16)));

/* A ready queue of size n on fresh RAM. */
static void setup(struct vdrv *d, struct virtq *q, uint16_t n)
{
	vd_init(d, ram, n);
	virtq_reset(q);
	q->size = n;
	q->desc = VD_DESC;
	q->avail = VD_AVAIL;
	q->used = VD_USED;
	CHECK_EQ(virtq_check(q, &d->mem, VIRTQ_MAX_SIZE), 0);
	CHECK(q->ready);
}

TEST(virtq_good_chain_segments_gather_scatter_and_used_ring)
{
	struct vdrv d;
	struct virtq q;
	static struct virtq_chain c;
	char buf[32] = { 0 };
	uint32_t id, len;

	setup(&d, &q, 8);
	memcpy(vd_at(&d, VD_BUF), "hello ", 6);
	memcpy(vd_at(&d, VD_BUF + 0x100), "world", 5);
	/* A chain that starts at 3: two readable, two writable. */
	vd_desc(&d, 3, VD_BUF, 6, F_NEXT, 5);
	vd_desc(&d, 5, VD_BUF + 0x100, 5, F_NEXT, 0);
	vd_desc(&d, 0, VD_BUF + 0x200, 4, F_NEXT | F_WRITE, 7);
	vd_desc(&d, 7, VD_BUF + 0x300, 16, F_WRITE, 0);
	CHECK_EQ(virtq_pop(&q, &d.mem, &c), 0); /* nothing available yet */
	vd_avail(&d, 3);
	CHECK_EQ(virtq_pop(&q, &d.mem, &c), 1);
	CHECK_EQ(c.head, 3);
	CHECK_EQ(c.nread, 2);
	CHECK_EQ(c.nwrite, 2);
	CHECK_EQ(c.read_len, 11);
	CHECK_EQ(c.write_len, 20);
	CHECK(c.seg[0].host == vd_at(&d, VD_BUF));
	CHECK(c.seg[3].host == vd_at(&d, VD_BUF + 0x300));
	CHECK_EQ(virtq_gather(&c, buf, sizeof(buf)), 11);
	CHECK_STR(buf, "hello world");
	CHECK_EQ(virtq_gather(&c, buf, 8), 8); /* the cap holds */
	/* The reply runs over from the 4-byte buffer into the 16-byte one. */
	CHECK_EQ(virtq_scatter(&c, "0123456789", 10), 10);
	CHECK_MEM(vd_at(&d, VD_BUF + 0x200), "0123", 4);
	CHECK_MEM(vd_at(&d, VD_BUF + 0x300), "456789", 6);
	CHECK_EQ(virtq_scatter(&c, "0123456789012345678901234", 25), 20); /* no more than fits */
	CHECK_EQ(virtq_push(&q, &d.mem, c.head, 10), 0);
	CHECK_EQ(vd_used_idx(&d), 1);
	vd_used(&d, 0, &id, &len);
	CHECK_EQ(id, 3);
	CHECK_EQ(len, 10);
	CHECK_EQ(virtq_pop(&q, &d.mem, &c), 0); /* taken once */
}

TEST(virtq_used_ring_wraps_and_indexes_run_on)
{
	struct vdrv d;
	struct virtq q;
	static struct virtq_chain c;
	uint32_t id, len;

	setup(&d, &q, 4);
	for (uint16_t i = 0; i < 4; i++)
		vd_desc(&d, i, VD_BUF + 0x100u * i, 8, F_WRITE, 0);
	/* Ten requests through a ring of four: positions wrap, indexes do not. */
	for (uint32_t n = 0; n < 10; n++) {
		vd_avail(&d, (uint16_t)(n % 4));
		CHECK_EQ(virtq_pop(&q, &d.mem, &c), 1);
		CHECK_EQ(c.head, n % 4);
		CHECK_EQ(virtq_push(&q, &d.mem, c.head, 100 + n), 0);
		CHECK_EQ(vd_used_idx(&d), n + 1);
		vd_used(&d, (uint16_t)n, &id, &len);
		CHECK_EQ(id, n % 4);
		CHECK_EQ(len, 100 + n);
	}
}

TEST(virtq_chain_as_long_as_the_table_is_fine)
{
	struct vdrv d;
	struct virtq q;
	static struct virtq_chain c;

	setup(&d, &q, 4);
	vd_desc(&d, 0, VD_BUF, 1, F_NEXT, 1);
	vd_desc(&d, 1, VD_BUF, 0, F_NEXT, 2); /* zero length: nothing touched */
	vd_desc(&d, 2, VD_BUF, 1, F_NEXT | F_WRITE, 3);
	vd_desc(&d, 3, VD_BUF, 1, F_WRITE, 0);
	vd_avail(&d, 0);
	CHECK_EQ(virtq_pop(&q, &d.mem, &c), 1);
	CHECK_EQ(c.nread + c.nwrite, 4);
}

TEST(virtq_check_refuses_bad_sizes_alignment_and_rings_outside_ram)
{
	struct vdrv d;
	struct virtq q;
	static const struct { uint16_t size; uint64_t desc, avail, used; } bad[] = {
		{ 0, VD_DESC, VD_AVAIL, VD_USED },       /* no size */
		{ 3, VD_DESC, VD_AVAIL, VD_USED },       /* not a power of two */
		{ 512, VD_DESC, VD_AVAIL, VD_USED },     /* above the max */
		{ 8, VD_DESC + 8, VD_AVAIL, VD_USED },   /* descriptors 16-aligned */
		{ 8, VD_DESC, VD_AVAIL + 1, VD_USED },   /* avail 2-aligned */
		{ 8, VD_DESC, VD_AVAIL, VD_USED + 2 },   /* used 4-aligned */
		{ 8, GUEST_MEM_BASE + VD_RAM - 64, VD_AVAIL, VD_USED },   /* table runs past RAM */
		{ 8, VD_DESC, GUEST_MEM_BASE + VD_RAM - 4, VD_USED },     /* avail ring past RAM */
		{ 8, VD_DESC, VD_AVAIL, GUEST_MEM_BASE + VD_RAM - 8 },    /* used ring past RAM */
		{ 8, 0xfffffffffffffff0ull, VD_AVAIL, VD_USED },          /* wraps around */
	};

	vd_init(&d, ram, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		virtq_reset(&q);
		q.size = bad[i].size;
		q.desc = bad[i].desc;
		q.avail = bad[i].avail;
		q.used = bad[i].used;
		if (virtq_check(&q, &d.mem, VIRTQ_MAX_SIZE) != -EINVAL || q.ready)
			test_fail(__FILE__, __LINE__, "case %zu accepted", i);
	}
	/* The largest queue, right at the end of RAM, is fine. */
	virtq_reset(&q);
	q.size = VIRTQ_MAX_SIZE;
	q.desc = GUEST_MEM_BASE + VD_RAM - 16 * VIRTQ_MAX_SIZE;
	q.avail = VD_AVAIL;
	q.used = VD_USED;
	CHECK_EQ(virtq_check(&q, &d.mem, VIRTQ_MAX_SIZE), 0);
}

/* Each hostile chain: pop refuses it, and the queue has not moved on. */
static void expect_refused(struct vdrv *d, struct virtq *q, const char *what, int line)
{
	static struct virtq_chain c;
	uint16_t before = q->last_avail;

	if (virtq_pop(q, &d->mem, &c) != -EINVAL)
		test_fail(__FILE__, line, "%s: accepted", what);
	if (q->last_avail != before)
		test_fail(__FILE__, line, "%s: the queue moved on", what);
}

TEST(virtq_refuses_hostile_chains)
{
	struct vdrv d;
	struct virtq q;

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 8, F_NEXT, 0); /* points at itself */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "a loop", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 8, F_NEXT, 1);
	vd_desc(&d, 1, VD_BUF, 8, F_NEXT, 2);
	vd_desc(&d, 2, VD_BUF, 8, F_NEXT, 0); /* a cycle of three */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "a cycle", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 8, F_NEXT, 8); /* next past the table */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "next out of the table", __LINE__);

	setup(&d, &q, 8);
	vd_avail(&d, 9); /* head past the table */
	expect_refused(&d, &q, "head out of the table", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 8, F_NEXT | F_WRITE, 1);
	vd_desc(&d, 1, VD_BUF, 8, 0, 0); /* readable after writable */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "readable after writable", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, GUEST_MEM_BASE + VD_RAM - 4, 8, 0, 0); /* runs past RAM */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "buffer past RAM", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, 0xfffffffffffffff8ull, 16, F_WRITE, 0); /* wraps around */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "buffer wrapping", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 0xffffffffu, F_WRITE, 0); /* 4 GiB in 1 MiB of RAM */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "buffer larger than RAM", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 16 * 4, VIRTQ_DESC_F_INDIRECT, 0); /* not offered */
	vd_avail(&d, 0);
	expect_refused(&d, &q, "indirect", __LINE__);

	setup(&d, &q, 8);
	vd_desc(&d, 0, VD_BUF, 8, 0, 0);
	vd_put16(vd_at(&d, VD_AVAIL + 2), 9); /* nine new in a ring of eight */
	expect_refused(&d, &q, "avail index too far ahead", __LINE__);
}

TEST(virtq_a_queue_not_ready_has_nothing)
{
	struct vdrv d;
	struct virtq q;
	static struct virtq_chain c;

	vd_init(&d, ram, 8);
	virtq_reset(&q);
	vd_desc(&d, 0, VD_BUF, 8, 0, 0);
	vd_avail(&d, 0);
	CHECK_EQ(virtq_pop(&q, &d.mem, &c), 0);
}
