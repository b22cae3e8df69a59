/* SPDX-License-Identifier: MIT */
/*
 * What a loader hands to the CPU setup: the mode the boot vCPU starts in,
 * where, and the registers the image's boot protocol asks for. Loaders fill
 * it; arch code (src/x86/cpu.c, src/riscv/cpu.c) turns it into KVM register state.
 */
#ifndef MINIKVM_BOOT_H
#define MINIKVM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

enum cpu_mode {
	CPU_MODE_REAL16, /* real mode: CS:IP = entry >> 4 : entry & 0xf */
	CPU_MODE_PROT32, /* flat 32-bit protected mode, paging off */
	CPU_MODE_LONG64, /* 64-bit long mode, identity-mapped paging */
	CPU_MODE_RISCV_S, /* RISC-V: supervisor mode, paging off (satp bare) */
};

#define BOOT_VIRT_MAP_MAX 8

struct boot_state {
	enum cpu_mode mode;
	uint64_t entry;     /* first instruction (linear = physical) */
	bool image_64bit;   /* the image is a 64-bit program (gdb's register layout) */
	/* Initial general registers the boot protocol defines (others zero). */
	uint64_t rax, rbx, rsi, rsp;
	/* Loaded image extent, for messages and --verbose. */
	uint64_t image_start, image_end;
	/* Where a loader put the initrd when the arch tells the guest in a table of its own (RISC-V's device tree); 0, 0: none. */
	uint64_t initrd_start, initrd_end;
	/*
	 * The virtual mappings the image will make for itself, known before its
	 * page tables exist (its ELF segments, or Linux's kernel text mapping):
	 * [virt, virt + size) will be at phys. The debugger uses them to place
	 * breakpoints there from the first instruction on. Images that run
	 * where they were linked have none.
	 */
	struct boot_virt_range {
		uint64_t virt, phys, size;
	} virt_map[BOOT_VIRT_MAP_MAX];
	int nvirt_map;
};

#endif
