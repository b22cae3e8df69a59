/* SPDX-License-Identifier: MIT */
/*
 * The device lifecycle on a VM with no KVM behind it: every registered
 * device comes up on the buses, a reset puts what the guest changed back
 * to power-on values, and exit leaves the buses empty.
 */
#include "test.h"
#include "portio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "device.h"
#include "error.h"
#include "options.h"
#include "snapshot.h"
#include "snapshot_state.h"
#include "vm.h"
#include "x86/layout.h"

static uint8_t cmos_read(struct iobus *pio, uint8_t reg)
{
	out(pio, 0x70, reg);
	return in(pio, 0x71);
}

TEST(devices_lifecycle_init_reset_exit)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct iobus *pio = &vm->pio;
	uint8_t b[4];

	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->arch.split_irqchip = true; /* our own 8259, IOAPIC and PIT, as by default */
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->arch.extint_vector = -1;
	CHECK_EQ(devices_init_all(vm), 0);
	/* Everyone is on a bus: the chips, the board, the peripherals. */
	CHECK(vm->arch.pic && vm->arch.ioapic && vm->arch.pit);
	CHECK(iobus_find(pio, 0x20, 1) && iobus_find(pio, 0x40, 1) && iobus_find(pio, 0x60, 1));
	CHECK(iobus_find(pio, 0x70, 1) && iobus_find(pio, 0x80, 1) && iobus_find(pio, 0xCF8, 4));
	CHECK(iobus_find(pio, 0xF4, 1) && iobus_find(pio, 0x3F8, 1) && iobus_find(pio, 0x510, 4));
	CHECK(iobus_find(&vm->mmio, LAYOUT_IOAPIC, 4) != NULL);

	/* The guest changes things. */
	out(pio, 0x21, 0xFB);              /* PIC IMR */
	out(pio, 0x3F8 + 7, 0x5A);         /* UART scratch */
	out(pio, 0x3F8 + 3, 0x03);         /* UART LCR */
	out(pio, 0x70, 0x40);
	out(pio, 0x71, 0x77);              /* CMOS RAM */
	out(pio, 0x64, 0x60);
	out(pio, 0x60, 0x00);              /* i8042 command byte */
	out(pio, 0x61, 0x03);              /* PIT gate 2, speaker */
	b[0] = 0x00; b[1] = 0x00; b[2] = 0x00; b[3] = 0x80;
	iobus_access(pio, NULL, 0xCF8, b, 4, true); /* PCI CONFIG_ADDRESS */
	CHECK_EQ(in(pio, 0x21), 0xFB);
	CHECK_EQ(in(pio, 0x3FF), 0x5A);
	CHECK_EQ(cmos_read(pio, 0x40), 0x77);

	devices_reset_all(vm);
	CHECK_EQ(in(pio, 0x21), 0x00);
	CHECK_EQ(in(pio, 0x3FF), 0x00);
	CHECK_EQ(in(pio, 0x3FB), 0x00);
	CHECK_EQ(cmos_read(pio, 0x40), 0x00);
	out(pio, 0x64, 0x20);              /* read the command byte */
	CHECK_EQ(in(pio, 0x60), 0x45);     /* KBDINT | SYS | XLATE, as a BIOS leaves it */
	CHECK_EQ(in(pio, 0x61) & 0x03, 0x00);
	iobus_access(pio, NULL, 0xCF8, b, 4, false);
	CHECK_EQ(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 0);
	CHECK_EQ(vm->arch.extint_vector, -1);

	devices_stop_all(vm);
	devices_exit_all(vm);
	CHECK_EQ(vm->pio.n, 0);
	CHECK_EQ(vm->mmio.n, 0);
	CHECK(!vm->arch.pic && !vm->arch.ioapic && !vm->arch.pit);
	/* A second exit finds nothing left to do. */
	devices_exit_all(vm);
	free(vm);
}

TEST(devices_kernel_irqchip_has_no_userspace_chips)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	CHECK_EQ(devices_init_all(vm), 0);
	CHECK(!vm->arch.pic && !vm->arch.ioapic && !vm->arch.pit);
	CHECK(iobus_find(&vm->pio, 0x20, 1) == NULL);
	CHECK(iobus_find(&vm->pio, 0x3F8, 1) != NULL);
	devices_reset_all(vm);
	devices_exit_all(vm);
	CHECK_EQ(vm->pio.n, 0);
	free(vm);
}

/*
 * A device with state says what it is: reset, save and load come together,
 * or a reset and why the state cannot be saved (virtio-9p: host files).
 */
TEST(devices_with_state_can_be_saved)
{
	const struct device *const *devs;
	int n = devices_registered(&devs);

	CHECK(n > 8);
	for (int i = 0; i < n; i++) {
		bool stateful = devs[i]->reset != NULL;

		if (devs[i]->unsaveable && stateful && !devs[i]->save && !devs[i]->load)
			continue;
		if (stateful != (devs[i]->save != NULL) || stateful != (devs[i]->load != NULL))
			CHECK(!devs[i]->name);
	}
}

/* A VM with no KVM behind it and minikvm's own chips (--irqchip split, the default), devices up. */
static struct vm *split_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->arch.split_irqchip = true;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->arch.extint_vector = -1;
	CHECK_EQ(devices_init_all(vm), 0);
	return vm;
}

/* Save every device, change what the guest sees, load: the saved values are back. */
TEST(devices_save_load_round_trip)
{
	struct vm *vm = split_vm();
	struct iobus *pio = &vm->pio;
	const struct device *const *devs;
	const struct device_host *host;
	struct state_writer w[32];
	struct state_reader r;
	int n;

	out(pio, 0x21, 0xFB);
	out(pio, 0x3F8 + 7, 0x5A);
	out(pio, 0x70, 0x40);
	out(pio, 0x71, 0x77);
	n = devices_list(&devs, &host);
	CHECK(n <= 32);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < n; i++)
		if (devs[i]->save)
			devs[i]->save(host, &w[i]);
	devices_reset_all(vm);
	CHECK_EQ(in(pio, 0x21), 0x00);
	for (int i = 0; i < n; i++) {
		if (!devs[i]->load)
			continue;
		CHECK(!w[i].failed);
		state_reader_init(&r, w[i].buf, w[i].len);
		CHECK_EQ(devs[i]->load(host, &r), 0);
		CHECK_EQ(state_reader_done(&r), 0);
		/* Cut short, a device refuses its state. */
		if (w[i].len) {
			state_reader_init(&r, w[i].buf, w[i].len - 1);
			CHECK(devs[i]->load(host, &r) < 0 || state_reader_done(&r) < 0);
		}
		state_writer_free(&w[i]);
	}
	CHECK_EQ(in(pio, 0x21), 0xFB);
	CHECK_EQ(in(pio, 0x3FF), 0x5A);
	CHECK_EQ(cmos_read(pio, 0x40), 0x77);
	devices_exit_all(vm);
	free(vm);
}

/*
 * Issue 19 item 1's audit: a field that indexes (a queue's head, a FIFO's
 * length, a priority pin, a vector base) is refused at load with a line
 * that names it, and the device keeps its state.
 */
TEST(devices_load_names_the_field_it_refuses)
{
	static const struct {
		const char *device;
		size_t at;        /* the byte of i's saved state set to value */
		uint8_t value;
		const char *why;
	} bad[] = {
		/* mode byte, ExtINT vector (4), then the master: irr isr imr lines elcr vector_base lowest init */
		{ "8259 PIC", 1 + 4 + 6, 8, "8259 master: lowest-priority pin 8 is not a pin" },
		{ "8259 PIC", 1 + 4 + 16 + 5, 0x71, "8259 slave: vector base 0x71 is not a multiple of 8" },
		{ "8259 PIC", 1 + 4 + 7, 9, "8259 master: initialisation step 9 is past ICW4" },
		{ "8259 PIC", 4, 0x7F, "8259 vector 2147483647 waiting for vCPU 0 is not a vector" },
		/* ten registers, two flags, 16 FIFO bytes, then head and length */
		{ "serial (COM1)", 10 + 2 + 16, 16, "UART loopback FIFO head 16, length 0: it holds 16 bytes" },
		{ "serial (COM1)", 10 + 2 + 16 + 1, 17, "UART loopback FIFO head 0, length 17: it holds 16 bytes" },
		/* command byte, output port, a flag, the pending command, 16 queued bytes of 3, then head */
		{ "i8042", 4 + 16 * 3, 200, "i8042 output queue head 200, length 0: it holds 16 bytes" },
	};
	struct vm *vm = split_vm();
	const struct device *const *devs;
	const struct device_host *host;
	int n;

	out(&vm->pio, 0x21, 0xFB);
	n = devices_list(&devs, &host);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct device *dev = NULL;
		struct state_writer w = { 0 };
		struct state_reader r;

		for (int d = 0; d < n; d++)
			if (!strcmp(devs[d]->name, bad[i].device))
				dev = devs[d];
		CHECK(dev != NULL);
		if (!dev)
			continue;
		dev->save(host, &w);
		CHECK(!w.failed && bad[i].at < w.len);
		w.buf[bad[i].at] = bad[i].value;
		state_reader_init(&r, w.buf, w.len);
		CHECK_EQ(dev->load(host, &r), -EINVAL);
		CHECK_STR(strstr(state_reader_error(&r), bad[i].why) ? bad[i].why : state_reader_error(&r),
			  bad[i].why);
		state_writer_free(&w);
	}
	CHECK_EQ(in(&vm->pio, 0x21), 0xFB); /* the PIC kept its state */
	devices_exit_all(vm);
	free(vm);
}

/*
 * What loadvm says of a hostile device state: the file, the device and the
 * field (issue 19 item 1's IOREGSEL), on one line, exit status 1.
 */
TEST(devices_restore_error_names_device_and_field)
{
	struct vm *vm = split_vm();
	static uint8_t ram[4096];
	struct vm_config cfg = { .irqchip = IRQCHIP_SPLIT };
	const struct device *const *devs;
	const struct device_host *host;
	struct state_writer w[32];
	struct snapshot_view v;
	int n = devices_list(&devs, &host);

	vm->cfg = &cfg;
	vm->mem.host = ram;
	vm->mem.size = sizeof(ram);
	memset(&v, 0, sizeof(v));
	memset(w, 0, sizeof(w));
	v.s[v.nsections++] = (struct snapshot_section){ .tag = SNAPSHOT_RAM, .name = "ram",
							 .data = ram, .len = sizeof(ram) };
	v.s[v.nsections++] = (struct snapshot_section){ .tag = SNAPSHOT_MACHINE, .name = "machine" };
	v.cfg.machine = arch_elf_machine;
	v.cfg.mem_size = sizeof(ram);
	v.cfg.irqchip = IRQCHIP_SPLIT;
	CHECK(n <= 32);
	for (int i = 0; i < n; i++) {
		struct snapshot_section *s = &v.s[v.nsections++];

		if (!devs[i]->load) {
			v.nsections--;
			continue;
		}
		devs[i]->save(host, &w[i]);
		/* The IOAPIC's: the chips' mode byte, the ID register, then IOREGSEL. */
		if (!strcmp(devs[i]->name, "IOAPIC"))
			w[i].buf[1 + 4 + 3] = 0x80;
		*s = (struct snapshot_section){ .tag = SNAPSHOT_DEVICE, .data = w[i].buf, .len = w[i].len };
		strcpy(s->name, devs[i]->name);
	}
	err_clear();
	CHECK(snapshot_restore(vm, &v, "x.mkvm") < 0);
	CHECK_STR(err_message(), "x.mkvm: the state of device 'IOAPIC' is damaged (IOAPIC IOREGSEL "
		  "0x80000000 is not a register (0-0xff)); the machine is now partly restored");
	CHECK_EQ(err_status(), EXIT_USAGE);
	for (int i = 0; i < n; i++)
		state_writer_free(&w[i]);
	devices_exit_all(vm);
	free(vm);
}
