/* SPDX-License-Identifier: MIT */
/*
 * A virtio driver's side of a split queue, written for the tests
 * (test_virtqueue.c, test_virtio_mmio.c, test_virtio_9p.c): guest RAM is a
 * buffer, the rings sit at fixed addresses in it, and a test writes
 * descriptors, makes chains available and reads the used ring, byte by
 * byte in little-endian, as a guest would.
 */
#ifndef MINIKVM_TEST_VIRTIO_DRIVER_H
#define MINIKVM_TEST_VIRTIO_DRIVER_H

#include <stdint.h>
#include <string.h>

#include "guest_mem.h"

#define VD_RAM   (1u << 20)
#define VD_DESC  (GUEST_MEM_BASE + 0x1000)
#define VD_AVAIL (GUEST_MEM_BASE + 0x2000)
#define VD_USED  (GUEST_MEM_BASE + 0x3000)
#define VD_BUF   (GUEST_MEM_BASE + 0x10000) /* buffers from here on */

struct vdrv {
	struct guest_mem mem;
	uint8_t *ram;
	uint16_t size;
	uint16_t avail_idx;
};

static inline uint8_t *vd_at(struct vdrv *d, uint64_t gpa)
{
	return d->ram + (gpa - GUEST_MEM_BASE);
}

static inline void vd_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void vd_put32(uint8_t *p, uint32_t v) { vd_put16(p, (uint16_t)v); vd_put16(p + 2, (uint16_t)(v >> 16)); }
static inline void vd_put64(uint8_t *p, uint64_t v) { vd_put32(p, (uint32_t)v); vd_put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint16_t vd_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t vd_get32(const uint8_t *p) { return vd_get16(p) | (uint32_t)vd_get16(p + 2) << 16; }

static inline void vd_init(struct vdrv *d, uint8_t *ram, uint16_t size)
{
	memset(ram, 0, VD_RAM);
	guest_mem_wrap(&d->mem, ram, VD_RAM);
	d->ram = ram;
	d->size = size;
	d->avail_idx = 0;
}

/* Descriptor i: addr, len, flags, next. */
static inline void vd_desc(struct vdrv *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			   uint16_t next)
{
	uint8_t *p = vd_at(d, VD_DESC + 16ull * i);

	vd_put64(p, addr);
	vd_put32(p + 8, len);
	vd_put16(p + 12, flags);
	vd_put16(p + 14, next);
}

/* Make the chain at head available (ring entry, then the index). */
static inline void vd_avail(struct vdrv *d, uint16_t head)
{
	vd_put16(vd_at(d, VD_AVAIL + 4 + 2u * (d->avail_idx % d->size)), head);
	d->avail_idx++;
	vd_put16(vd_at(d, VD_AVAIL + 2), d->avail_idx);
}

static inline uint16_t vd_used_idx(struct vdrv *d)
{
	return vd_get16(vd_at(d, VD_USED + 2));
}

/* Used element n (mod size): id and len. */
static inline void vd_used(struct vdrv *d, uint16_t n, uint32_t *id, uint32_t *len)
{
	const uint8_t *p = vd_at(d, VD_USED + 4 + 8u * (n % d->size));

	*id = vd_get32(p);
	*len = vd_get32(p + 4);
}

#endif
