/* SPDX-License-Identifier: MIT */
/*
 * Exit dispatch without KVM: a kvm_run filled by hand, as KVM would leave it
 * after an I/O or MMIO exit, goes through vcpu_handle_exit() to a dummy
 * device on the VM's buses (rep string I/O, sizes, unknown ports and
 * addresses floating high, the counters behind --stats).
 */
#include "test.h"

#include "options.h"
#include "vcpu.h"
#include "vm.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

struct recorder {
	uint8_t written[16];
	unsigned nwritten, reads;
	uint64_t last_offset;
	unsigned last_size;
};

static void rec_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data, unsigned size)
{
	struct recorder *r = opaque;

	(void)vcpu;
	r->reads++;
	r->last_offset = offset;
	r->last_size = size;
	for (unsigned i = 0; i < size; i++)
		data[i] = (uint8_t)(0x40 + r->reads + i);
}

static void rec_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
		      unsigned size)
{
	struct recorder *r = opaque;

	(void)vcpu;
	r->last_offset = offset;
	r->last_size = size;
	for (unsigned i = 0; i < size && r->nwritten < sizeof(r->written); i++)
		r->written[r->nwritten++] = data[i];
}

struct fixture {
	struct vm_config cfg;
	struct vm vm;
	struct vcpu vcpu;
	struct recorder port, mmio;
	struct io_device port_dev, mmio_dev;
	uint8_t *page; /* the kvm_run page and its I/O data page */
};

static struct fixture *setup(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->vm.cfg = &f->cfg;
	f->vm.pio.name = "pio";
	f->vm.mmio.name = "mmio";
	f->port_dev = (struct io_device){ .name = "rec", .base = 0x3F8, .len = 8, .opaque = &f->port,
					  .read = rec_read, .write = rec_write };
	f->mmio_dev = (struct io_device){ .name = "recm", .base = 0xFED00000, .len = 0x1000,
					  .opaque = &f->mmio, .read = rec_read, .write = rec_write };
	iobus_register(&f->vm.pio, &f->port_dev);
	iobus_register(&f->vm.mmio, &f->mmio_dev);
	f->page = calloc(2, 4096);
	f->vcpu.vm = &f->vm;
	f->vcpu.run = (struct kvm_run *)f->page;
	return f;
}

static void teardown(struct fixture *f)
{
	free(f->page);
	free(f);
}

static void io_exit(struct fixture *f, bool out, uint16_t port, unsigned size, unsigned count)
{
	struct kvm_run *run = f->vcpu.run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.port = port;
	run->io.size = (uint8_t)size;
	run->io.count = count;
	run->io.data_offset = 4096;
}

TEST(exit_dispatch_port_io_reaches_the_device)
{
	struct fixture *f = setup();
	uint8_t *data = f->page + 4096;

	/* rep outsb of "abc" to COM1+0: three one-byte writes at offset 0. */
	memcpy(data, "abc", 3);
	io_exit(f, true, 0x3F8, 1, 3);
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->port.nwritten, 3);
	CHECK(memcmp(f->port.written, "abc", 3) == 0);
	CHECK_EQ(f->port.last_offset, 0);
	/* in ax, dx at COM1+5: one two-byte read at offset 5, into the data page. */
	io_exit(f, false, 0x3FD, 2, 1);
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->port.reads, 1);
	CHECK_EQ(f->port.last_offset, 5);
	CHECK_EQ(f->port.last_size, 2);
	CHECK_EQ(data[0], 0x41);
	CHECK_EQ(data[1], 0x42);
	/* Nothing at port 0x1234: a read floats high, a write goes nowhere; both are counted. */
	io_exit(f, false, 0x1234, 4, 1);
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK(data[0] == 0xFF && data[1] == 0xFF && data[2] == 0xFF && data[3] == 0xFF);
	io_exit(f, true, 0x1234, 1, 1);
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->port.nwritten, 3);
	CHECK_EQ(f->vcpu.stats.exits[KVM_EXIT_IO], 4);
	CHECK_EQ(f->vcpu.stats.unknown_pio, 2);
	teardown(f);
}

TEST(exit_dispatch_mmio_reaches_the_device)
{
	struct fixture *f = setup();
	struct kvm_run *run = f->vcpu.run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xFED00010;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "wxyz", 4);
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->mmio.nwritten, 4);
	CHECK(memcmp(f->mmio.written, "wxyz", 4) == 0);
	CHECK_EQ(f->mmio.last_offset, 0x10);
	run->mmio.is_write = 0;
	run->mmio.len = 8;
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->mmio.last_size, 8);
	CHECK_EQ(run->mmio.data[7], 0x41 + 7);
	/* Not RAM, not a device: reads all-ones. */
	run->mmio.phys_addr = 0xFEB00000;
	run->mmio.len = 2;
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK(run->mmio.data[0] == 0xFF && run->mmio.data[1] == 0xFF);
	CHECK_EQ(f->vcpu.stats.unknown_mmio, 1);
	/* A kick (KVM_EXIT_INTR) is nothing to do: the vCPU runs on. */
	run->exit_reason = KVM_EXIT_INTR;
	CHECK(vcpu_handle_exit(&f->vcpu));
	CHECK_EQ(f->vcpu.stats.exits[KVM_EXIT_MMIO], 3);
	teardown(f);
}
