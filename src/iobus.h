/* SPDX-License-Identifier: MIT */
/*
 * The two buses a vCPU exit can land on: x86 I/O ports and MMIO. A device is
 * a name, a range, and read/write handlers called with the offset into its
 * range (the Firecracker shape: a device knows nothing of KVM exits).
 * vcpu.c hands each KVM_EXIT_IO / KVM_EXIT_MMIO to iobus_access(), which
 * finds the device and calls it.
 *
 * Handlers run in the vCPU thread that exited, synchronously; a device that
 * has state shared with other threads protects it with its own lock.
 * Data is little-endian bytes, size 1, 2, 4 or 8. The vcpu given to a
 * handler is NULL when the access does not come from a guest (unit tests).
 */
#ifndef MINIKVM_IOBUS_H
#define MINIKVM_IOBUS_H

#include <stdbool.h>
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
/* Take a device off the bus (a device's exit step); nothing if it is not on it. */
void iobus_unregister(struct iobus *bus, const struct io_device *dev);
/* The device covering [addr, addr+size), or NULL. */
struct io_device *iobus_find(const struct iobus *bus, uint64_t addr, unsigned size);
/*
 * One access of size bytes at addr, as the guest made it: the device
 * covering it gets a read or write at its offset. Returns that device, or
 * NULL if none covers the access; then a read fills data with 0xFF (an
 * undriven bus floats high) and a write is dropped. The caller counts and
 * traces unknown accesses.
 */
struct io_device *iobus_access(const struct iobus *bus, struct vcpu *vcpu, uint64_t addr,
			       uint8_t *data, unsigned size, bool is_write);

#endif
