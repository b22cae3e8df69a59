/* SPDX-License-Identifier: MIT */
/*
 * isa-debug-exit, as in QEMU (-device isa-debug-exit,iobase=0xf4,iosize=4):
 * a guest ends the VM with a status of its choice by writing a value to
 * port 0xF4. The status is (value << 1) | 1, so a guest can never fake a
 * clean exit 0 that way and a test can tell "the guest said so" from "the
 * VMM ended". A process exit status is 8 bits, so only the low 7 bits of the
 * value survive (value 0x40 gives 0x81, value 0x80 gives 1), exactly as
 * with QEMU, whose exit((value << 1) | 1) the kernel truncates the same way.
 *
 * Writes of 1, 2 or 4 bytes anywhere in 0xF4-0xF7 count (QEMU ignores the
 * offset too); reads return all ones, as an empty bus would.
 */
#include "device.h"
#include "iobus.h"

#include <string.h>

#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_EXIT_LEN  4

static struct io_device debug_exit_dev;

static void debug_exit_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			    unsigned size)
{
	(void)opaque;
	(void)vcpu;
	(void)offset;
	memset(data, 0xFF, size);
}

static void debug_exit_write(void *opaque, struct vcpu *vcpu, uint64_t offset,
			     const uint8_t *data, unsigned size)
{
	const struct device_host *host = opaque;
	uint32_t value = 0;

	(void)vcpu;
	(void)offset;
	/* Little-endian value of the written bytes; only the low byte matters in the end. */
	for (unsigned i = 0; i < size && i < sizeof(value); i++)
		value |= (uint32_t)data[i] << (8 * i);
	host->request_exit(host, (int)(((value << 1) | 1) & 0xFF), "isa-debug-exit");
}

static int debug_exit_init(const struct device_host *host)
{
	debug_exit_dev = (struct io_device){
		.name = "isa-debug-exit",
		.base = DEBUG_EXIT_PORT,
		.len = DEBUG_EXIT_LEN,
		.opaque = (void *)host,
		.read = debug_exit_read,
		.write = debug_exit_write,
	};
	return iobus_register(host->pio, &debug_exit_dev);
}

static void debug_exit_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &debug_exit_dev);
}

static const struct device debug_exit_device = {
	.name = "isa-debug-exit",
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = debug_exit_init,
	.reset = NULL, /* no state: a write acts at once, reads float high */
	.exit = debug_exit_exit,
};

device_register(debug_exit_device);
