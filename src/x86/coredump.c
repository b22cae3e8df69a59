/* SPDX-License-Identifier: MIT */
/*
 * The x86 part of guest core files (src/coredump.c): per vCPU an
 * NT_PRSTATUS note in Linux's x86-64 layout (struct elf_prstatus, its
 * registers in struct user_regs_struct order) and an NT_PRFPREG note (the
 * FXSAVE image), which gdb and crash read as one thread per vCPU; the
 * guest-virtual view of RAM through a vCPU's page tables (the paging option);
 * and the same view as regions for gdb's own `gcore` (arch_gdb_memory_regions).
 */
#include "arch.h"
#include "coredump.h"
#include "guest_mem.h"
#include "vcpu.h"
#include "vm.h"
#include "paging.h"
#include "core_regions.h"
#include "../gdbstub/gdbstub.h"

#include <elf.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

const uint16_t arch_core_machine = EM_X86_64;

/* struct elf_prstatus on x86-64: 112 bytes of process data, 27 registers, pr_fpvalid. */
#define PRSTATUS_SIZE   336
#define PRSTATUS_PID    32
#define PRSTATUS_REGS   112
#define PRSTATUS_FPVALID 328
#define FXSAVE_SIZE     512

int arch_core_notes(struct vcpu *vcpu, uint8_t **notes, size_t *len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_xsave *xs;
	uint8_t st[PRSTATUS_SIZE] = { 0 };
	int32_t pid = vcpu->id + 1, fpvalid = 1;
	int rc;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	/* user_regs_struct order; orig_rax -1: not in a system call. */
	const uint64_t regs[27] = {
		r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8,
		r.rax, r.rcx, r.rdx, r.rsi, r.rdi, ~0ULL, r.rip, s.cs.selector, r.rflags,
		r.rsp, s.ss.selector, s.fs.base, s.gs.base, s.ds.selector, s.es.selector,
		s.fs.selector, s.gs.selector,
	};
	memcpy(st + PRSTATUS_PID, &pid, 4);
	memcpy(st + PRSTATUS_REGS, regs, sizeof(regs));
	xs = calloc(1, sizeof(*xs));
	/* The XSAVE area begins with the FXSAVE image that NT_PRFPREG holds (SDM vol. 1 §10.5.1). */
	if (!xs || ioctl(vcpu->fd, KVM_GET_XSAVE, xs) < 0)
		fpvalid = 0;
	memcpy(st + PRSTATUS_FPVALID, &fpvalid, 4);
	rc = coredump_add_note(notes, len, "CORE", NT_PRSTATUS, st, sizeof(st));
	if (rc == 0 && fpvalid)
		rc = coredump_add_note(notes, len, "CORE", NT_PRFPREG, xs->region, FXSAVE_SIZE);
	free(xs);
	return rc;
}

struct range_list {
	const struct guest_mem *mem;
	struct core_range *r;
	unsigned n, cap;
};

/* One mapped page: grows the last range when it continues it in both address spaces. */
static int add_page(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct range_list *l = ctx;
	struct core_range *last = l->n ? &l->r[l->n - 1] : NULL;

	(void)rights;
	if (!guest_mem_ptr(l->mem, gpa, size))
		return 0; /* MMIO or nothing: not in the file */
	if (last && last->vaddr + last->size == gva && last->gpa + last->size == gpa) {
		last->size += size;
		return 0;
	}
	if (l->n == 65534)
		return -E2BIG; /* what an ELF header can count */
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 64;
		struct core_range *p = realloc(l->r, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->r = p;
		l->cap = cap;
	}
	l->r[l->n++] = (struct core_range){ gpa, gva, size };
	return 0;
}

/* The registers that define the vCPU's paging (what page_table_each() walks). */
static int vcpu_paging_regs(struct vcpu *vcpu, struct paging_regs *p)
{
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	*p = (struct paging_regs){ .cr0 = s.cr0, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer };
	return 0;
}

int arch_core_virtual_ranges(struct vcpu *vcpu, struct core_range **out, unsigned *n)
{
	struct paging_regs p;
	int r = vcpu_paging_regs(vcpu, &p);

	if (r < 0)
		return r;
	return x86_core_virtual_ranges(&vcpu->vm->mem, &p, out, n);
}

int x86_core_virtual_ranges(const struct guest_mem *mem, const struct paging_regs *p,
			    struct core_range **out, unsigned *n)
{
	struct range_list l = { .mem = mem };
	int r;

	if (paging_mode(p) == PAGING_NONE)
		return 0; /* paging off: virtual is physical, the identity ranges stay */
	r = page_table_each(mem, p, add_page, &l);
	if (r < 0) {
		free(l.r);
		return r;
	}
	*out = l.r;
	*n = l.n;
	return 0;
}

/*
 * gdb's `gcore` writes every byte of every region we list (it reads them
 * back through the stub), so the list is what a core should hold and no
 * more: the stretches of virtual memory the vCPU's page tables map onto
 * guest RAM (not MMIO, not nothing), adjacent pages with the same rights
 * merged, in ascending address order. A guest may map one page many times
 * (Linux maps all of RAM in its direct map and its kernel image again at
 * the top; a zero page can back gigabytes), so each physical page is listed
 * at most MAX_ALIASES times, its first mappings in address order: for Linux,
 * user space, the direct map and the kernel image's own mapping. Paging
 * off: RAM at its physical addresses.
 */
#define MAX_ALIASES   2
#define MAX_REGIONS   65534 /* what a core's ELF header can count */
#define REGION_PAGE   4096ULL

struct region_walk {
	const struct guest_mem *mem;
	uint8_t *seen;               /* per 4 KiB page of RAM: times listed */
	struct gdb_mem_region cur;   /* being grown; size 0: none */
	uint64_t work;               /* pages of RAM looked at */
	unsigned rights;
	unsigned n;
	int (*fn)(void *fnctx, const struct gdb_mem_region *r);
	void *fnctx;
};

static int region_flush(struct region_walk *w)
{
	int r;

	if (!w->cur.size)
		return 0;
	if (++w->n > MAX_REGIONS)
		return -E2BIG;
	r = w->fn(w->fnctx, &w->cur);
	w->cur.size = 0;
	return r;
}

static int region_add(struct region_walk *w, uint64_t gva, uint64_t size, unsigned rights)
{
	int r;

	if (w->cur.size && w->cur.start + w->cur.size == gva && w->rights == rights) {
		w->cur.size += size;
		return 0;
	}
	r = region_flush(w);
	if (r)
		return r;
	w->cur = (struct gdb_mem_region){ .start = gva, .size = size,
					  .write = (rights & PAGE_MAP_WRITE) != 0,
					  .exec = (rights & PAGE_MAP_EXEC) != 0 };
	w->rights = rights;
	return 0;
}

/* Index of a RAM page in seen[]: RAM below the hole, then RAM above 4 GiB. */
static uint64_t ram_page_index(const struct guest_mem *mem, uint64_t gpa)
{
	if (gpa < mem->low_size)
		return gpa / REGION_PAGE;
	return (mem->low_size + (gpa - GUEST_MEM_HIGH_START)) / REGION_PAGE;
}

static int region_page(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct region_walk *w = ctx;

	/* A large page page by page: some of it may be listed enough already. */
	for (uint64_t off = 0; off < size; off += REGION_PAGE) {
		uint8_t *count;
		int r;

		w->work++;
		if (!guest_mem_ptr(w->mem, gpa + off, REGION_PAGE))
			continue; /* MMIO or nothing */
		count = &w->seen[ram_page_index(w->mem, gpa + off)];
		if (*count >= MAX_ALIASES)
			continue;
		(*count)++;
		r = region_add(w, gva + off, REGION_PAGE, rights);
		if (r)
			return r;
	}
	return 0;
}

int arch_gdb_memory_regions(struct vcpu *vcpu, int (*fn)(void *fnctx, const struct gdb_mem_region *r),
			    void *fnctx)
{
	struct paging_regs p;
	int r = vcpu_paging_regs(vcpu, &p);

	if (r < 0)
		return r;
	return x86_memory_regions(&vcpu->vm->mem, &p, fn, fnctx, NULL);
}

int x86_memory_regions(const struct guest_mem *mem, const struct paging_regs *p, gdb_region_fn fn,
		       void *fnctx, uint64_t *work)
{
	struct region_walk w = { .mem = mem, .fn = fn, .fnctx = fnctx };
	int r;

	if (paging_mode(p) == PAGING_NONE) {
		struct core_range ram[2];
		unsigned n = coredump_ram_ranges(mem, ram);

		for (unsigned i = 0; i < n; i++) {
			struct gdb_mem_region reg = { .start = ram[i].vaddr, .size = ram[i].size,
						      .write = true, .exec = true };

			r = fn(fnctx, &reg);
			if (r)
				return r;
		}
		return 0;
	}
	w.seen = calloc(mem->size / REGION_PAGE + 1, 1);
	if (!w.seen)
		return -ENOMEM;
	r = page_table_each(mem, p, region_page, &w);
	if (r == 0)
		r = region_flush(&w);
	free(w.seen);
	if (work)
		*work = w.work;
	return r;
}
