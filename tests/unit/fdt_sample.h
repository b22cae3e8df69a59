/* SPDX-License-Identifier: MIT */
/*
 * A device tree shaped like the RISC-V machine's (src/riscv/board.c), built
 * with src/fdt.c: the unit tests check its bytes (test_fdt.c), and
 * build/fdt_sample writes it for tests/integration/test_fdt.py to read
 * back with dtc.
 */
#ifndef MINIKVM_TEST_FDT_SAMPLE_H
#define MINIKVM_TEST_FDT_SAMPLE_H

#include "fdt.h"

static inline void fdt_sample(struct fdt *f)
{
	static const uint32_t reg[4] = { 0, 0x80000000u, 0, 0x8000000u };
	static const uint32_t test_reg[4] = { 0, 0x100000u, 0, 0x1000u };
	static const char compat[] = "sifive,test1\0sifive,test0\0syscon";

	fdt_begin_node(f, "");
	fdt_prop_u32(f, "#address-cells", 2);
	fdt_prop_u32(f, "#size-cells", 2);
	fdt_prop_string(f, "compatible", "riscv-virtio");
	fdt_begin_node(f, "chosen");
	fdt_prop_string(f, "bootargs", "console=ttyS0 quiet");
	fdt_prop_string(f, "stdout-path", "/soc/serial@10000000");
	fdt_prop_u64(f, "linux,initrd-start", 0x87000000ull);
	fdt_prop_u64(f, "linux,initrd-end", 0x87f00000ull);
	fdt_end_node(f);
	fdt_begin_node(f, "memory@80000000");
	fdt_prop_string(f, "device_type", "memory");
	fdt_prop_cells(f, "reg", reg, 4);
	fdt_end_node(f);
	fdt_begin_node(f, "cpus");
	fdt_prop_u32(f, "#address-cells", 1);
	fdt_prop_u32(f, "#size-cells", 0);
	fdt_begin_node(f, "cpu@0");
	fdt_prop_string(f, "device_type", "cpu");
	fdt_prop_u32(f, "reg", 0);
	fdt_prop_string(f, "riscv,isa", "rv64imafdc");
	fdt_prop_string(f, "mmu-type", "riscv,sv48");
	fdt_begin_node(f, "interrupt-controller");
	fdt_prop_u32(f, "#interrupt-cells", 1);
	fdt_prop_empty(f, "interrupt-controller");
	fdt_prop_u32(f, "phandle", 2);
	fdt_end_node(f);
	fdt_end_node(f);
	fdt_end_node(f);
	fdt_begin_node(f, "test@100000");
	fdt_prop(f, "compatible", compat, sizeof(compat));
	fdt_prop_cells(f, "reg", test_reg, 4);
	fdt_end_node(f);
	fdt_end_node(f);
}

#endif
