/* SPDX-License-Identifier: MIT */
/*
 * Where things are on the RISC-V machine: QEMU's virt board, as QEMU
 * builds it under KVM (hw/riscv/virt.c's memory map), so that programs
 * written for it run unchanged.
 *
 *   0x0010_0000  test device ("sifive,test0"): a write ends the machine
 *   0x0c00_0000  PLIC (not emulated yet: devices are polled)
 *   0x1000_0000  NS16550A UART, interrupt 10
 *   0x1000_1000  virtio-mmio slots, 4 KiB each, interrupts 1, 2, ...
 *   0x8000_0000  RAM (-m bytes); its last 64 KiB hold the device tree
 *
 * A Linux Image goes to RAM + its header's text_offset, a flat binary to
 * --load-addr (default 0x8000_0000, RAM's start: where a program built for
 * `qemu-system-riscv64 -M virt -bios none` is linked), an initrd just below
 * the device tree.
 */
#ifndef MINIKVM_RISCV_LAYOUT_H
#define MINIKVM_RISCV_LAYOUT_H

#include <stdint.h>

#include "guest_mem_arch.h"

/* The guests this machine runs: RISC-V ELF files (src/loader/elf.c; 64-bit only). */
#define LAYOUT_ARCH_NAME "RISC-V"
#define LAYOUT_ELF_MACHINE_OK(m) ((m) == EM_RISCV)

/* The UART wired to the console (src/dev/uart8250.c). */
#define LAYOUT_SERIAL_NAME "serial (ns16550a)"
#define LAYOUT_SERIAL_MMIO 1
#define LAYOUT_SERIAL_BASE 0x10000000ULL
#define LAYOUT_SERIAL_LEN  0x100
#define LAYOUT_SERIAL_IRQ  10

/* virtio-mmio slots (src/dev/virtio_9p.c), as QEMU's virt board: in the device tree. */
#define LAYOUT_VIRTIO_BASE   0x10001000ULL
#define LAYOUT_VIRTIO_STRIDE 0x1000ULL
#define LAYOUT_VIRTIO_IRQS   { 1, 2, 3, 4 }

#define LAYOUT_TEST_BASE   0x100000ULL  /* src/dev/sifive_test.c */
#define LAYOUT_TEST_LEN    0x1000
#define LAYOUT_PLIC_BASE   0x0c000000ULL

#define LAYOUT_RAW_LOAD    GUEST_MEM_BASE /* flat binaries, by default */
#define LAYOUT_FDT_SIZE    0x10000ULL     /* the device tree's room at the top of RAM */

struct guest_mem;
/* Where the device tree goes: the last LAYOUT_FDT_SIZE bytes of RAM. */
uint64_t layout_fdt_addr(const struct guest_mem *mem);
/*
 * The arch's part of loader_check_range(), for a range already known to be
 * RAM: clear of the device tree's room? 0, or -1 with err_set(EXIT_USAGE).
 */
int layout_check_reserved(const struct guest_mem *mem, uint64_t addr, uint64_t len,
			  const char *what);

#endif
