/* SPDX-License-Identifier: MIT */
/*
 * Port 0x80, the POST diagnostic port: firmware writes progress codes to
 * it, and since nothing decodes its reads on the ISA bus, Linux and older
 * drivers write to it as an I/O delay of about a microsecond (outb to 0x80,
 * the "io_delay" of arch/x86). A guest pokes it all the time, so it has a
 * device of its own: writes are dropped and reads float high (0xFF), as on
 * an empty port, but --trace-exits and --stats name it "POST code (0x80)"
 * instead of counting it as an unknown port access.
 */
#include "device.h"
#include "iobus.h"

#include <string.h>

#define POST_PORT 0x80

static struct io_device post_dev;

static void post_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
		      unsigned size)
{
	(void)opaque;
	(void)vcpu;
	(void)offset;
	memset(data, 0xFF, size);
}

static void post_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
		       unsigned size)
{
	(void)opaque;
	(void)vcpu;
	(void)offset;
	(void)data;
	(void)size;
}

static int post_init(const struct device_host *host)
{
	post_dev = (struct io_device){
		.name = "POST code (0x80)",
		.base = POST_PORT,
		.len = 1,
		.read = post_read,
		.write = post_write,
	};
	return iobus_register(host->pio, &post_dev);
}

static void post_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &post_dev);
}

static const struct device post_device = {
	.name = "POST port",
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = post_init,
	.reset = NULL, /* no state: writes are dropped, reads float high */
	.exit = post_exit,
};

device_register(post_device);
