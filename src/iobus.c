/* SPDX-License-Identifier: MIT */
#include "iobus.h"
#include "error.h"

#include <stddef.h>
#include <string.h>

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

void iobus_unregister(struct iobus *bus, const struct io_device *dev)
{
	for (int i = 0; i < bus->n; i++) {
		if (bus->devs[i] != dev)
			continue;
		memmove(&bus->devs[i], &bus->devs[i + 1], (size_t)(bus->n - i - 1) * sizeof(bus->devs[0]));
		bus->n--;
		return;
	}
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

struct io_device *iobus_access(const struct iobus *bus, struct vcpu *vcpu, uint64_t addr,
			       uint8_t *data, unsigned size, bool is_write)
{
	struct io_device *dev = iobus_find(bus, addr, size);

	if (!dev) {
		if (!is_write)
			memset(data, 0xFF, size);
	} else if (is_write) {
		dev->write(dev->opaque, vcpu, addr - dev->base, data, size);
	} else {
		dev->read(dev->opaque, vcpu, addr - dev->base, data, size);
	}
	return dev;
}
