/* SPDX-License-Identifier: MIT */
#include "iobus.h"
#include "error.h"

#include <stddef.h>

int iobus_register(struct iobus *bus, struct io_device *dev)
{
	if (bus->n >= IOBUS_MAX_DEVICES)
		return err_set(EXIT_HOST, "%s bus full registering %s", bus->name, dev->name);
	for (int i = 0; i < bus->n; i++) {
		const struct io_device *o = bus->devs[i];

		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return err_set(EXIT_HOST, "%s range of %s overlaps %s", bus->name,
				       dev->name, o->name);
	}
	bus->devs[bus->n++] = dev;
	return 0;
}

struct io_device *iobus_find(const struct iobus *bus, uint64_t addr, unsigned size)
{
	for (int i = 0; i < bus->n; i++) {
		struct io_device *d = bus->devs[i];

		if (addr >= d->base && addr - d->base < d->len && size <= d->len - (addr - d->base))
			return d;
	}
	return NULL;
}
