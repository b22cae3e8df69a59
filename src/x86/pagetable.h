/* SPDX-License-Identifier: MIT */
/*
 * The identity map a long-mode guest starts with: virtual == physical for
 * the first 4 GiB (2 MiB pages, so the LAPIC and IOAPIC are reachable) and
 * for all RAM above it (1 GiB pages). Four levels: PML4 -> PDPT -> PD.
 */
#ifndef MINIKVM_X86_PAGETABLE_H
#define MINIKVM_X86_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

#define PTE_P   (1ULL << 0)
#define PTE_W   (1ULL << 1)
#define PTE_U   (1ULL << 2)
#define PTE_PS  (1ULL << 7)
#define PTE_NX  (1ULL << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/*
 * Write the tables at LAYOUT_PAGETABLES covering [0, max(4 GiB, RAM top)).
 * gbpages: the vCPU supports 1 GiB pages (needed only above 4 GiB).
 * Returns 0 and the CR3 value, or -1 with err_set().
 */
int pagetable_build(const struct guest_mem *mem, bool gbpages, uint64_t *cr3);

#endif
