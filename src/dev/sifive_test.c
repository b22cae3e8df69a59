/* SPDX-License-Identifier: MIT */
/*
 * QEMU's test device on the RISC-V virt board ("sifive,test0", at
 * 0x10_0000; QEMU's hw/misc/sifive_test.c): a 32-bit write ends the
 * machine. The low 16 bits say how:
 *
 *   0x3333  FAIL: exit with the code in the upper 16 bits (8 bits survive,
 *           as for any process exit status)
 *   0x5555  PASS: exit 0
 *   0x7777  RESET: exit 0, as a reset ends minikvm on x86 too
 *
 * Other values are ignored, as QEMU does; reads return 0.
 */
#include "device.h"
#include "iobus.h"
#include "layout.h"

#include <stdio.h>
#include <string.h>

#define TEST_FAIL  0x3333
#define TEST_PASS  0x5555
#define TEST_RESET 0x7777

static struct io_device test_dev;

static void test_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data, unsigned size)
{
	(void)opaque;
	(void)vcpu;
	(void)offset;
	memset(data, 0, size);
}

static void test_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
		       unsigned size)
{
	const struct device_host *host = opaque;
	uint32_t value = 0;
	char why[64];

	(void)vcpu;
	if (offset != 0)
		return;
	for (unsigned i = 0; i < size && i < sizeof(value); i++)
		value |= (uint32_t)data[i] << (8 * i);
	switch (value & 0xffff) {
	case TEST_FAIL:
		snprintf(why, sizeof(why), "test device: fail with code %u", value >> 16);
		host->request_exit(host, (int)((value >> 16) & 0xff), why);
		break;
	case TEST_PASS:
		host->request_exit(host, 0, "test device: pass");
		break;
	case TEST_RESET:
		host->request_exit(host, 0, "test device: reset");
		break;
	}
}

static int test_init(const struct device_host *host)
{
	test_dev = (struct io_device){
		.name = "test (sifive,test0)",
		.base = LAYOUT_TEST_BASE,
		.len = LAYOUT_TEST_LEN,
		.opaque = (void *)host,
		.read = test_read,
		.write = test_write,
	};
	return iobus_register(host->mmio, &test_dev);
}

static void test_exit(const struct device_host *host)
{
	iobus_unregister(host->mmio, &test_dev);
}

static const struct device test_device = {
	.name = "test (sifive,test0)",
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = test_init,
	.reset = NULL, /* no state: a write acts at once */
	.exit = test_exit,
};

device_register(test_device);
