/* SPDX-License-Identifier: MIT */
/*
 * A RISC-V VM as far as its device tree needs one (src/riscv/board.c): two
 * harts with a given ISA, 64 MiB of RAM, a command line and an initrd. The
 * unit tests check the tree board.c writes for it; build/riscv_board_fdt
 * writes the same tree for tests/integration/test_fdt.py to decompile.
 */
#ifndef MINIKVM_TEST_BOARD_SAMPLE_H
#define MINIKVM_TEST_BOARD_SAMPLE_H

#include "guest_mem.h"
#include "kvm_riscv.h"
#include "layout.h"
#include "vm.h"

#include <stdlib.h>
#include <string.h>

#define SAMPLE_RAM (64ULL << 20)

/* vm and cfg are static storage the caller owns; RAM is malloc'd (free vm->mem.host). */
static inline int board_sample(struct vm *vm, struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	memset(cfg, 0, sizeof(*cfg));
	cfg->append = "console=ttyS0 earlycon=sbi";
	cfg->nshares = 2; /* two virtio-mmio nodes (the board does not open the directories) */
	vm->cfg = cfg;
	vm->ncpus = 2;
	guest_mem_wrap(&vm->mem, calloc(1, SAMPLE_RAM), SAMPLE_RAM);
	vm->boot.initrd_start = 0x83000000;
	vm->boot.initrd_end = 0x83100000;
	snprintf(vm->arch.isa, sizeof(vm->arch.isa), "rv64imafdch");
	vm->arch.mmu_type = "riscv,sv57";
	vm->arch.timebase_hz = 10000000;
	vm->arch.fdt_addr = layout_fdt_addr(&vm->mem);
	vm->arch.hart_known = true;
	return riscv_board_write_fdt(vm);
}

#endif
