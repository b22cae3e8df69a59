/* SPDX-License-Identifier: MIT */
/*
 * Where guest RAM sits on the RISC-V machine, QEMU's virt board: all of it
 * in one piece from 0x8000_0000 on (below are the devices: the test device
 * at 0x10_0000, the PLIC at 0x0c00_0000, the UART at 0x1000_0000). There is
 * no hole, so no second range: guest_mem.h's "high" part is always empty.
 */
#ifndef MINIKVM_RISCV_GUEST_MEM_ARCH_H
#define MINIKVM_RISCV_GUEST_MEM_ARCH_H

#include <stdint.h>

#define GUEST_MEM_BASE       0x80000000ULL
#define GUEST_MEM_HOLE_START UINT64_MAX /* no hole */
#define GUEST_MEM_HIGH_START UINT64_MAX /* no second range */

#endif
