/* SPDX-License-Identifier: MIT */
/*
 * The identity map a long-mode guest starts with: virtual == physical for
 * the first 4 GiB (so the LAPIC and IOAPIC are reachable) and for all RAM
 * above it, with 2 MiB pages. Four levels: PML4 -> PDPT -> PD. 1 GiB pages
 * would need fewer tables, but not every KVM offers them (this project's
 * PVM hosts do not), and one way that works everywhere beats two.
 */
#ifndef MINIKVM_X86_PAGETABLE_H
#define MINIKVM_X86_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

#include "bits.h" /* PTE_* */

/*
 * Write the tables covering [0, max(4 GiB, RAM top)): PML4, PDPT and the
 * four PDs of the first 4 GiB at LAYOUT_PAGETABLES, the PDs for RAM above
 * 4 GiB at layout_high_tables(). Returns 0 and the CR3 value, or -1 with
 * err_set().
 */
int pagetable_build(const struct guest_mem *mem, uint64_t *cr3);

#endif
