/* SPDX-License-Identifier: MIT */
/*
 * The device lifecycle on a VM with no KVM behind it: every registered
 * device comes up on the buses, a reset puts what the guest changed back
 * to power-on values, and exit leaves the buses empty.
 */
#include "test.h"
#include "portio.h"

#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "state.h"
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

/* A device with state says what it is: reset, save and load come together. */
TEST(devices_with_state_can_be_saved)
{
	const struct device *const *devs;
	int n = devices_registered(&devs);

	CHECK(n > 8);
	for (int i = 0; i < n; i++) {
		bool stateful = devs[i]->reset != NULL;

		if (stateful != (devs[i]->save != NULL) || stateful != (devs[i]->load != NULL))
			CHECK(!devs[i]->name);
	}
}

/* Save every device, change what the guest sees, load: the saved values are back. */
TEST(devices_save_load_round_trip)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct iobus *pio = &vm->pio;
	const struct device *const *devs;
	const struct device_host *host;
	struct state_writer w[32];
	struct state_reader r;
	int n;

	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->arch.split_irqchip = true;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->arch.extint_vector = -1;
	CHECK_EQ(devices_init_all(vm), 0);
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
