/* SPDX-License-Identifier: MIT */
/*
 * Seeds for fuzz_snapshot: real snapshot files, made by the same
 * snapshot_take() that monitor savevm runs, of a machine with no KVM
 * behind it (fake_machine.h) whose devices a "guest" (this program, through
 * the port and MMIO buses) has programmed as a booting kernel does. The
 * vCPU and machine records are what the fake KVM answers (zeros, a few
 * MSRs); their layout is the real one. RAM is kept small (4-8 KiB), so
 * each file is a few pages and the fuzzer's mutations land in the device
 * and vCPU sections; its first bytes are a program for the fuzzer's
 * guest_io().
 *
 *   make_snapshot_corpus DIR     writes DIR/NAME.mkvm, one per seed, and
 *                                DIR/NAME-DEVICE.mkvm, one device's section
 *                                alone (the fuzzer's device mode)
 */
#include <stdio.h>
#include <string.h>

#include "fake_machine.h"

#include "device.h"
#include "error.h"
#include "snapshot.h"
#include "snapshot_state.h"
#include "x86/layout.h"

static void out8(struct vm *vm, uint16_t port, uint8_t v)
{
	iobus_access(&vm->pio, NULL, port, &v, 1, true);
}

static void mmio32(struct vm *vm, uint64_t addr, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	iobus_access(&vm->mmio, NULL, addr, b, 4, true);
}

/* What Linux does to the chips while it boots, roughly. */
static void program_devices(struct vm *vm, bool one_shot)
{
	/* 8259 pair: ICW1-4, then masks. */
	out8(vm, 0x20, 0x11); out8(vm, 0x21, 0x30); out8(vm, 0x21, 0x04); out8(vm, 0x21, 0x01);
	out8(vm, 0xA0, 0x11); out8(vm, 0xA1, 0x38); out8(vm, 0xA1, 0x02); out8(vm, 0xA1, 0x01);
	out8(vm, 0x21, 0xFA); out8(vm, 0xA1, 0xFF);
	/* PIT: channel 0 periodic (mode 2, 100 Hz) or one-shot (mode 0); channel 2 square wave. */
	out8(vm, 0x43, one_shot ? 0x30 : 0x34);
	out8(vm, 0x40, 0x9C); out8(vm, 0x40, 0x2E);
	out8(vm, 0x61, 0x01);
	out8(vm, 0x43, 0xB6); out8(vm, 0x42, 0x33); out8(vm, 0x42, 0x05);
	out8(vm, 0x43, 0xC2); /* read-back: status of channel 0 latched */
	/* RTC: 24-hour binary mode, periodic interrupt; a CMOS byte. */
	out8(vm, 0x70, 0x0B); out8(vm, 0x71, 0x46);
	out8(vm, 0x70, 0x0A); out8(vm, 0x71, 0x26);
	out8(vm, 0x70, 0x40); out8(vm, 0x71, 0x5A);
	/* UART: 115200 8N1, FIFO, interrupts on receive; scratch. */
	out8(vm, 0x3FB, 0x80); out8(vm, 0x3F8, 0x01); out8(vm, 0x3F9, 0x00); out8(vm, 0x3FB, 0x03);
	out8(vm, 0x3FA, 0xC7); out8(vm, 0x3F9, 0x01); out8(vm, 0x3FC, 0x0B); out8(vm, 0x3FF, 0x5A);
	/* i8042: command byte. */
	out8(vm, 0x64, 0x60); out8(vm, 0x60, 0x47);
	/* PCI: CONFIG_ADDRESS of bus 0 device 0. */
	out8(vm, 0xCFB, 0x80);
	/* IOAPIC: pin 2 to vector 0x30 (edge), pin 9 to 0x39 (level), IOREGSEL left on pin 9's high half. */
	if (vm->arch.ioapic) {
		mmio32(vm, LAYOUT_IOAPIC, 0x14); mmio32(vm, LAYOUT_IOAPIC + 0x10, 0x30);
		mmio32(vm, LAYOUT_IOAPIC, 0x22); mmio32(vm, LAYOUT_IOAPIC + 0x10, 0x8039);
		mmio32(vm, LAYOUT_IOAPIC, 0x23);
	}
}

/* A guest_io() program for the fuzzer to vary: one access of each kind, then the end. */
static const uint8_t guest_program[] = {
	0x01, 1, 0, 0, 0x20, 0, 0, 0,  /* port device 1, offset 0: write 0x20, 1 byte */
	0x04, 2, 1, 0, 0, 0, 0, 0,     /* port device 2, offset 1: read 2 bytes */
	0x0B, 0, 0, 0, 0x10, 0, 0, 0,  /* MMIO device 0, offset 0: write 0x10, 4 bytes */
	0x0A, 0, 16, 0, 0, 0, 0, 0,    /* MMIO device 0, offset 16: read 4 bytes */
	0x00, 0, 0, 0, 0, 0, 0, 0,     /* end */
};

/*
 * Each device's section alone, for the fuzzer's device mode: a byte that
 * picks the device (its place among those with a load; bit 7 for
 * --irqchip kernel), then what its save wrote.
 */
static int device_seeds(const char *dir, const char *name)
{
	const struct device *const *devs;
	const struct device_host *host;
	int ndev = devices_list(&devs, &host), k = 0;

	for (int i = 0; i < ndev; i++) {
		struct state_writer w = { 0 };
		char file[SNAPSHOT_NAME_MAX + 1];
		int r;

		if (!devs[i]->load)
			continue;
		state_put_u8(&w, (uint8_t)(k++ | (host->vm->arch.split_irqchip ? 0 : 0x80)));
		devs[i]->save(host, &w);
		snprintf(file, sizeof(file), "%s-%s", name, devs[i]->name);
		for (char *c = file; *c; c++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", *c))
				*c = '_';
		r = w.failed ? err_set(EXIT_HOST, "out of memory") :
		    snapshot_write_file(dir, file, w.buf, w.len);
		state_writer_free(&w);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int seed(const char *dir, const char *name, enum irqchip_mode irqchip, int ncpus,
		uint64_t mem, int programmed)
{
	struct fake_machine m;
	struct state_writer w;
	int r;

	if (fake_machine_start(&m, irqchip, ncpus, mem) < 0)
		return -1;
	if (programmed)
		program_devices(&m.vm, programmed == 2);
	if (programmed)
		memcpy(m.vm.mem.host, guest_program, sizeof(guest_program));
	if (programmed && device_seeds(dir, name) < 0) {
		fake_machine_end(&m);
		return -1;
	}
	r = snapshot_take(&m.vm, &w);
	if (r == 0) {
		r = snapshot_write_file(dir, name, w.buf, w.len);
		state_writer_free(&w);
	}
	fake_machine_end(&m);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return EXIT_USAGE;
	}
	if (seed(argv[1], "poweron", IRQCHIP_SPLIT, 1, 4096, 0) < 0 ||
	    seed(argv[1], "booted", IRQCHIP_SPLIT, 2, 8192, 1) < 0 ||
	    seed(argv[1], "oneshot", IRQCHIP_SPLIT, 1, 4096, 2) < 0 ||
	    seed(argv[1], "kernel-irqchip", IRQCHIP_KERNEL, 1, 4096, 1) < 0) {
		fprintf(stderr, "make_snapshot_corpus: %s\n", err_message());
		return err_status();
	}
	return 0;
}
