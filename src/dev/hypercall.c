/* SPDX-License-Identifier: MIT */
/*
 * The teaching hypercall port (docs/hypercalls.md is the ABI): the guest
 * puts a call number in EAX, arguments in RBX and RCX, and executes a
 * 32-bit "out %eax, %dx" to port 0x510. The OUT exits to us with
 * KVM_EXIT_IO; we read the arguments with KVM_GET_REGS, do the call, put
 * the result in RAX with KVM_SET_REGS, and the guest continues after the
 * OUT (KVM advances RIP past it when the vCPU next runs).
 *
 * Everything the guest passes is untrusted: a buffer must lie wholly in
 * guest RAM and be at most HYPERCALL_WRITE_MAX bytes, unknown calls return
 * -1, and a write of the wrong size is ignored.
 */
#include "console.h"
#include "device.h"
#include "error.h"
#include "guest_mem.h"
#include "iobus.h"
#include "vcpu.h"

#include <linux/kvm.h>
#include <string.h>

#define HYPERCALL_PORT      0x510
#define HYPERCALL_WRITE_MAX (1u << 20) /* 1 MiB: more is a guest bug, not output */
#define HYPERCALL_VERSION   1

enum hypercall_nr {
	HC_VERSION = 0,
	HC_PUTCHAR = 1,
	HC_GETCHAR = 2,
	HC_EXIT = 3,
	HC_VCPU_ID = 4,
	HC_WRITE = 5,
};

#define HC_ERROR ((uint64_t)-1)

static struct io_device hypercall_dev;

static uint64_t hypercall(const struct device_host *host, struct vcpu *vcpu, uint32_t nr,
			  uint64_t arg0, uint64_t arg1)
{
	const void *buf;
	int c;

	switch (nr) {
	case HC_VERSION:
		return HYPERCALL_VERSION;
	case HC_PUTCHAR:
		console_putc(host->console, (uint8_t)arg0);
		return 0;
	case HC_GETCHAR:
		c = console_getc(host->console);
		/* -1: nothing yet, -2: input has ended; sign-extended to 64 bits. */
		return c >= 0 ? (uint64_t)c : (uint64_t)(int64_t)(c == CONSOLE_EOF ? -2 : -1);
	case HC_EXIT:
		host->request_exit(host, (int)(arg0 & 0xFF), "hypercall exit");
		return 0;
	case HC_VCPU_ID:
		return (uint64_t)vcpu->id;
	case HC_WRITE:
		if (arg1 == 0)
			return 0;
		if (arg1 > HYPERCALL_WRITE_MAX)
			return HC_ERROR;
		buf = guest_mem_ptr(host->mem, arg0, arg1);
		if (!buf)
			return HC_ERROR;
		console_write(host->console, buf, arg1);
		return arg1;
	default:
		return HC_ERROR;
	}
}

static void hypercall_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			   unsigned size)
{
	(void)opaque;
	(void)vcpu;
	(void)offset;
	memset(data, 0xFF, size);
}

static void hypercall_write(void *opaque, struct vcpu *vcpu, uint64_t offset,
			    const uint8_t *data, unsigned size)
{
	const struct device_host *host = opaque;
	struct kvm_regs regs;
	uint32_t nr;

	/* Only "out %eax, %dx" to the port itself is a call; RAX stays as it was otherwise. */
	if (offset != 0 || size != 4 || !vcpu)
		return;
	nr = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	     (uint32_t)data[3] << 24;
	if (host->get_regs(vcpu, &regs) < 0)
		goto fail;
	regs.rax = hypercall(host, vcpu, nr, regs.rbx, regs.rcx);
	if (host->set_regs(vcpu, &regs) < 0)
		goto fail;
	return;
fail:
	/* The register ioctls only fail if KVM itself is in trouble: end the VM, say why. */
	host->request_exit(host, EXIT_HOST, err_message());
}

static int hypercall_init(const struct device_host *host)
{
	hypercall_dev = (struct io_device){
		.name = "hypercall",
		.base = HYPERCALL_PORT,
		.len = 4, /* a 32-bit OUT covers 0x510-0x513 */
		.opaque = (void *)host,
		.read = hypercall_read,
		.write = hypercall_write,
	};
	return iobus_register(host->pio, &hypercall_dev);
}

static void hypercall_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &hypercall_dev);
}

static const struct device hypercall_device = {
	.name = "hypercall",
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = hypercall_init,
	.reset = NULL, /* no state: each call is complete when the OUT returns */
	.exit = hypercall_exit,
};

device_register(hypercall_device);
