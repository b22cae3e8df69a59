/* SPDX-License-Identifier: MIT */
/*
 * The two buses a vCPU exit can land on: x86 I/O ports and MMIO. A device is
 * a name, a range, and read/write handlers called with the offset into its
 * range (the Firecracker shape: a device knows nothing of KVM exits).
 *
 * Handlers run in the vCPU thread that exited, synchronously; a device that
 * has state shared with other threads protects it with its own lock.
 * Data is little-endian bytes, size 1, 2, 4 or 8.
 */
#ifndef MINIKVM_IOBUS_H
#define MINIKVM_IOBUS_H

#include <stdint.h>

struct vcpu;

struct io_device {
	const char *name;
	uint64_t base, len;
	void *opaque;
	void (*read)(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
		     unsigned size);
	void (*write)(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
		      unsigned size);
};

#define IOBUS_MAX_DEVICES 32

struct iobus {
	const char *name; /* "pio" or "mmio", for messages */
	struct io_device *devs[IOBUS_MAX_DEVICES];
	int n;
};

/* Add a device; -1 with err_set() when its range overlaps another or the bus is full. */
int iobus_register(struct iobus *bus, struct io_device *dev);
/* The device covering [addr, addr+size), or NULL. */
struct io_device *iobus_find(const struct iobus *bus, uint64_t addr, unsigned size);

#endif
