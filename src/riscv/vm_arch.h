/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V part of struct vm (vm->arch). Core code includes this as
 * "vm_arch.h" through the arch's include path and never looks inside: only
 * src/riscv/ does. What the host's KVM gives a hart (its ISA, timer
 * frequency, MMU) is read from the boot vCPU once (cpu.c) and goes into the
 * device tree (board.c).
 */
#ifndef MINIKVM_RISCV_VM_ARCH_H
#define MINIKVM_RISCV_VM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct vm_arch {
	bool hart_known;          /* the fields below were read from vCPU 0 */
	char isa[256];            /* "rv64imafdc_zicsr_..." for riscv,isa */
	const char *mmu_type;     /* "riscv,sv39", "riscv,sv48", ... */
	uint64_t timebase_hz;     /* the guest's time CSR frequency */
	uint64_t fdt_addr;        /* where the device tree is (a1 at boot) */
	bool dbcn;                /* KVM hands SBI debug console calls to us */
};

#endif
