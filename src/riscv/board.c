/* SPDX-License-Identifier: MIT */
/*
 * The device tree of the RISC-V machine, QEMU's virt board as QEMU builds
 * it under KVM (hw/riscv/virt.c), so that a kernel or program written for
 * it finds the same nodes: memory, one cpu node per hart (with the ISA and
 * MMU KVM gives it, and its local interrupt controller), the PLIC, the UART
 * (interrupt 10 through the PLIC), a virtio-mmio node per --share, the test
 * device with the syscon-poweroff/reboot nodes Linux drives it through, and
 * /chosen (command line, initrd, console). Written with src/fdt.c into the
 * last 64 KiB of RAM (layout.h); the boot hart gets its address in a1.
 */
#include "fdt.h"
#include "dev/plic.h"
#include "error.h"
#include "guest_mem.h"
#include "kvm_riscv.h"
#include "layout.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>

#define UART_CLOCK_HZ 3686400 /* QEMU's 16550A input clock */
#define PLIC_COMPATIBLE "sifive,plic-1.0.0\0riscv,plic0"

/* Phandles: 1 the test device, 2 the PLIC; 3.. each hart's interrupt controller. */
#define PHANDLE_TEST      1
#define PHANDLE_PLIC      2
#define PHANDLE_INTC(cpu) (3 + (cpu))
#define IRQ_S_EXTERNAL    9 /* a hart's supervisor external interrupt (scause 9) */

static void reg_pair(struct fdt *f, uint64_t base, uint64_t size)
{
	uint32_t cells[4] = { (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
			      (uint32_t)size };

	fdt_prop_cells(f, "reg", cells, 4);
}

static void cpu_nodes(struct fdt *f, const struct vm *vm)
{
	char name[32];

	fdt_begin_node(f, "cpus");
	fdt_prop_u32(f, "#address-cells", 1);
	fdt_prop_u32(f, "#size-cells", 0);
	fdt_prop_u32(f, "timebase-frequency", (uint32_t)vm->arch.timebase_hz);
	for (int i = 0; i < vm->ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%d", i);
		fdt_begin_node(f, name);
		fdt_prop_string(f, "device_type", "cpu");
		fdt_prop_u32(f, "reg", (uint32_t)i);
		fdt_prop_string(f, "status", "okay");
		fdt_prop_string(f, "compatible", "riscv");
		fdt_prop_string(f, "riscv,isa", vm->arch.isa);
		fdt_prop_string(f, "mmu-type", vm->arch.mmu_type);
		fdt_begin_node(f, "interrupt-controller");
		fdt_prop_u32(f, "#address-cells", 0);
		fdt_prop_u32(f, "#interrupt-cells", 1);
		fdt_prop_empty(f, "interrupt-controller");
		fdt_prop_string(f, "compatible", "riscv,cpu-intc");
		fdt_prop_u32(f, "phandle", PHANDLE_INTC(i));
		fdt_end_node(f);
		fdt_end_node(f);
	}
	fdt_end_node(f);
}

/* A syscon-poweroff or -reboot node: "write value to the test device". */
static void syscon_node(struct fdt *f, const char *name, const char *compatible, uint32_t value)
{
	fdt_begin_node(f, name);
	fdt_prop_string(f, "compatible", compatible);
	fdt_prop_u32(f, "regmap", PHANDLE_TEST);
	fdt_prop_u32(f, "offset", 0);
	fdt_prop_u32(f, "value", value);
	fdt_end_node(f);
}

/* The PLIC: context c is hart c's supervisor external interrupt (src/riscv/irq.c). */
static void plic_node(struct fdt *f, const struct vm *vm)
{
	uint32_t ext[2 * 64];
	char name[32];
	int n = vm->ncpus < 64 ? vm->ncpus : 64;

	for (int i = 0; i < n; i++) {
		ext[2 * i] = PHANDLE_INTC(i);
		ext[2 * i + 1] = IRQ_S_EXTERNAL;
	}
	snprintf(name, sizeof(name), "plic@%llx", LAYOUT_PLIC_BASE);
	fdt_begin_node(f, name);
	fdt_prop(f, "compatible", PLIC_COMPATIBLE, sizeof(PLIC_COMPATIBLE));
	reg_pair(f, LAYOUT_PLIC_BASE, PLIC_SIZE);
	fdt_prop_u32(f, "#address-cells", 0);
	fdt_prop_u32(f, "#interrupt-cells", 1);
	fdt_prop_empty(f, "interrupt-controller");
	fdt_prop_u32(f, "riscv,ndev", PLIC_SOURCES - 1);
	fdt_prop_cells(f, "interrupts-extended", ext, 2 * (unsigned)n);
	fdt_prop_u32(f, "phandle", PHANDLE_PLIC);
	fdt_end_node(f);
}

/* One virtio-mmio slot per --share (src/dev/virtio_9p.c), as QEMU's virt board describes its own. */
static void virtio_nodes(struct fdt *f, const struct vm *vm)
{
	static const int irqs[] = LAYOUT_VIRTIO_IRQS;
	char name[32];

	for (int i = 0; i < vm->cfg->nshares; i++) {
		uint64_t base = LAYOUT_VIRTIO_BASE + (uint64_t)i * LAYOUT_VIRTIO_STRIDE;

		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		fdt_begin_node(f, name);
		fdt_prop_string(f, "compatible", "virtio,mmio");
		reg_pair(f, base, LAYOUT_VIRTIO_STRIDE);
		fdt_prop_u32(f, "interrupt-parent", PHANDLE_PLIC);
		fdt_prop_u32(f, "interrupts", (uint32_t)irqs[i]);
		fdt_end_node(f);
	}
}

static void soc_nodes(struct fdt *f, const struct vm *vm)
{
	static const char test_compatible[] = "sifive,test1\0sifive,test0\0syscon";
	char name[32];

	fdt_begin_node(f, "soc");
	fdt_prop_u32(f, "#address-cells", 2);
	fdt_prop_u32(f, "#size-cells", 2);
	fdt_prop_string(f, "compatible", "simple-bus");
	fdt_prop_empty(f, "ranges");
	plic_node(f, vm);

	snprintf(name, sizeof(name), "serial@%llx", LAYOUT_SERIAL_BASE);
	fdt_begin_node(f, name);
	fdt_prop_string(f, "compatible", "ns16550a");
	reg_pair(f, LAYOUT_SERIAL_BASE, LAYOUT_SERIAL_LEN);
	fdt_prop_u32(f, "clock-frequency", UART_CLOCK_HZ);
	fdt_prop_u32(f, "interrupt-parent", PHANDLE_PLIC);
	fdt_prop_u32(f, "interrupts", LAYOUT_SERIAL_IRQ);
	fdt_end_node(f);

	virtio_nodes(f, vm);

	snprintf(name, sizeof(name), "test@%llx", LAYOUT_TEST_BASE);
	fdt_begin_node(f, name);
	fdt_prop(f, "compatible", test_compatible, sizeof(test_compatible));
	reg_pair(f, LAYOUT_TEST_BASE, LAYOUT_TEST_LEN);
	fdt_prop_u32(f, "phandle", PHANDLE_TEST);
	fdt_end_node(f);
	fdt_end_node(f);

	syscon_node(f, "poweroff", "syscon-poweroff", 0x5555);
	syscon_node(f, "reboot", "syscon-reboot", 0x7777);
}

static void chosen_node(struct fdt *f, const struct vm *vm)
{
	char path[64];

	fdt_begin_node(f, "chosen");
	fdt_prop_string(f, "bootargs", vm->cfg->append ? vm->cfg->append : "");
	snprintf(path, sizeof(path), "/soc/serial@%llx", LAYOUT_SERIAL_BASE);
	fdt_prop_string(f, "stdout-path", path);
	if (vm->boot.initrd_end > vm->boot.initrd_start) {
		fdt_prop_u64(f, "linux,initrd-start", vm->boot.initrd_start);
		fdt_prop_u64(f, "linux,initrd-end", vm->boot.initrd_end);
	}
	fdt_end_node(f);
}

int riscv_board_write_fdt(struct vm *vm)
{
	struct fdt f;
	void *blob;
	size_t size;
	char name[32];

	fdt_init(&f);
	fdt_begin_node(&f, "");
	fdt_prop_u32(&f, "#address-cells", 2);
	fdt_prop_u32(&f, "#size-cells", 2);
	fdt_prop_string(&f, "compatible", "riscv-virtio");
	fdt_prop_string(&f, "model", "riscv-virtio,qemu (minikvm)");
	chosen_node(&f, vm);
	snprintf(name, sizeof(name), "memory@%llx", GUEST_MEM_BASE);
	fdt_begin_node(&f, name);
	fdt_prop_string(&f, "device_type", "memory");
	reg_pair(&f, GUEST_MEM_BASE, vm->mem.size);
	fdt_end_node(&f);
	cpu_nodes(&f, vm);
	soc_nodes(&f, vm);
	fdt_end_node(&f);

	if (fdt_finish(&f, 0, &blob, &size) < 0) {
		fdt_free(&f);
		return -1;
	}
	fdt_free(&f);
	if (size > LAYOUT_FDT_SIZE || guest_mem_write(&vm->mem, vm->arch.fdt_addr, blob, size) < 0) {
		free(blob);
		return err_set(EXIT_HOST, "the device tree (%zu bytes) does not fit its %llu KiB at 0x%llx",
			       size, LAYOUT_FDT_SIZE >> 10, (unsigned long long)vm->arch.fdt_addr);
	}
	free(blob);
	return 0;
}
