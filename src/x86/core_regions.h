/* SPDX-License-Identifier: MIT */
/*
 * What a core of the guest holds when it follows the guest's page tables
 * (src/x86/coredump.c): the PT_LOADs of `monitor dump-guest-memory -p` and
 * the regions gdb's `gcore` reads (/proc/PID/maps over vFile). Both take
 * the tables and RAM, not a vCPU, so unit tests drive them with a buffer.
 */
#ifndef MINIKVM_X86_CORE_REGIONS_H
#define MINIKVM_X86_CORE_REGIONS_H

#include <stdint.h>

#include "../gdbstub/gdbstub.h"

struct core_range;
struct guest_mem;
struct paging_regs;

/*
 * The PT_LOADs of a paging dump, ascending by table order, in *out
 * (malloc'd; free() it) and *n. Paging off: *out untouched, 0. 0 or -errno.
 */
int x86_core_virtual_ranges(const struct guest_mem *mem, const struct paging_regs *p,
			    struct core_range **out, unsigned *n);
/*
 * The regions of gdb's gcore: fn per region, ascending. *work (may be
 * NULL) counts the 4 KiB pages of RAM looked at, for tests of how long a
 * walk takes. 0, fn's non-zero value, or -errno.
 */
int x86_memory_regions(const struct guest_mem *mem, const struct paging_regs *p, gdb_region_fn fn,
		       void *fnctx, uint64_t *work);

#endif
