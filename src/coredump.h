/* SPDX-License-Identifier: MIT */
/*
 * Guest core files (gdb's `monitor dump-guest-memory FILE`, written as
 * FILE in --dump-dir): an ELF64 ET_CORE file of the whole guest, in the
 * shape gdb and `crash` read.
 *
 *   ELF header | program headers | PT_NOTE data | PT_LOAD data ...
 *
 * One PT_NOTE holds the notes the arch makes for each vCPU (x86: an
 * NT_PRSTATUS with the registers, so each vCPU is a thread). Each PT_LOAD
 * is a piece of guest RAM: p_paddr its guest-physical address, p_vaddr the
 * address a debugger should see it at (identity by default; a guest-virtual
 * mapping with the paging option). Pages of zeros are holes of a sparse
 * file, so a mostly empty guest costs little disk.
 *
 * The writer (coredump_write_fd) knows guest RAM and bytes only, so unit
 * tests drive it with a plain buffer; coredump_vm() gathers the VM's part.
 */
#ifndef MINIKVM_COREDUMP_H
#define MINIKVM_COREDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "../gdbstub/gdbstub.h"

struct vm;

/* A PT_LOAD: size bytes of guest RAM at gpa, shown at vaddr. */
struct core_range {
	uint64_t gpa, vaddr, size;
};

/* A byte the file shows instead of guest RAM's (a debugger's breakpoint, hidden). */
struct core_patch {
	uint64_t gpa;
	uint8_t byte;
};

struct core_layout {
	uint16_t machine;                 /* e_machine: EM_X86_64, ... */
	const struct guest_mem *mem;
	const struct core_range *ranges;  /* each must lie in guest RAM */
	unsigned nranges;
	const uint8_t *notes;             /* the PT_NOTE's contents (coredump_add_note) */
	size_t notes_len;
	const struct core_patch *patches;
	unsigned npatches;
};

/*
 * A page of guest RAM is in a core at most this many times, however often
 * the guest's page tables map it (Linux maps RAM twice: its direct map and
 * its kernel image; a hostile table can map it millions of times). So a
 * core holds at most this many copies of RAM, and coredump_write_fd()
 * refuses a layout of more bytes (-EFBIG) before writing any.
 */
#define CORE_MAX_ALIASES 2

/* Write the core to fd (at offset 0, a fresh file); 0 or -errno. */
int coredump_write_fd(int fd, const struct core_layout *c);
/*
 * Write the core to dir/name (name plain: host_file.h), mode 0600, through a
 * temporary file beside it that is renamed over name only when complete, so
 * a failure (no space, no permission) leaves no partial file and any old one
 * intact. 0 or -errno (-EINVAL: name is not a plain name).
 */
int coredump_write_file(const char *dir, const char *name, const struct core_layout *c);

/*
 * Append one ELF note (name, type, desc) to the buffer at *buf of *len
 * bytes (realloc'd; free() it when done). 0 or -ENOMEM.
 */
int coredump_add_note(uint8_t **buf, size_t *len, const char *name, uint32_t type,
		      const void *desc, size_t desc_len);

/*
 * Where the arch puts a vCPU's notes (arch_core_notes): coredump_vm() hands
 * it one, so the arch calls back through it and never into this file.
 */
struct core_note_writer {
	/* One ELF note; 0 or -errno. */
	int (*add)(void *ctx, const char *name, uint32_t type, const void *desc, size_t desc_len);
	void *ctx;
};

/*
 * One identity range per piece of guest RAM (x86: below the 3 GiB hole,
 * above 4 GiB; RISC-V: all of it from 0x8000_0000); how many. Inline: the
 * arch's gcore regions need it too, and the arch calls nothing in this file.
 */
static inline unsigned coredump_ram_ranges(const struct guest_mem *mem, struct core_range out[2])
{
	unsigned n = 0;

	if (mem->low_size)
		out[n++] = (struct core_range){ GUEST_MEM_BASE, GUEST_MEM_BASE, mem->low_size };
	if (guest_mem_high_size(mem))
		out[n++] = (struct core_range){ GUEST_MEM_HIGH_START, GUEST_MEM_HIGH_START,
						guest_mem_high_size(mem) };
	return n;
}

/* gdb's `gcore` with paging off: RAM at its physical addresses, each range a region. */
static inline int coredump_ram_regions(const struct guest_mem *mem, gdb_region_fn fn, void *fnctx)
{
	struct core_range ram[2];
	unsigned n = coredump_ram_ranges(mem, ram);

	for (unsigned i = 0; i < n; i++) {
		struct gdb_mem_region reg = { .start = ram[i].vaddr, .size = ram[i].size,
					      .write = true, .exec = true };
		int r = fn(fnctx, &reg);

		if (r)
			return r;
	}
	return 0;
}

/*
 * Dump the whole stopped VM to dir/name (--dump-dir). paging: PT_LOADs by guest-virtual
 * address through vCPU sel's page tables instead of identity. patches:
 * bytes to show instead of RAM's (the debugger's breakpoints). On failure
 * -errno and why in msg (one line).
 */
int coredump_vm(struct vm *vm, const char *dir, const char *name, bool paging, unsigned sel,
		const struct core_patch *patches, unsigned npatches, char *msg, size_t msg_size);

#endif
