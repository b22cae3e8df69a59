/* SPDX-License-Identifier: MIT */
/* Byte accesses to a device on a VM's port bus, as a guest's in/out would make them. */
#ifndef MINIKVM_TEST_PORTIO_H
#define MINIKVM_TEST_PORTIO_H

#include "../../src/iobus.h"
#include "../../src/vm.h"

#include <stdint.h>

static inline uint8_t in(struct vm *vm, uint16_t port)
{
	struct io_device *d = iobus_find(&vm->pio, port, 1);
	uint8_t v = 0;

	d->read(d->opaque, NULL, port - d->base, &v, 1);
	return v;
}

static inline void out(struct vm *vm, uint16_t port, uint8_t val)
{
	struct io_device *d = iobus_find(&vm->pio, port, 1);

	d->write(d->opaque, NULL, port - d->base, &val, 1);
}

#endif
