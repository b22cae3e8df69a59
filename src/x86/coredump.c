/* SPDX-License-Identifier: MIT */
/*
 * The x86 part of guest core files (src/coredump.c, which calls in here;
 * nothing here calls back: the notes go through the writer it hands over):
 * per vCPU an NT_PRSTATUS note in Linux's x86-64 layout (struct elf_prstatus, its
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

const uint16_t arch_elf_machine = EM_X86_64;

/* struct elf_prstatus on x86-64: 112 bytes of process data, 27 registers, pr_fpvalid. */
#define PRSTATUS_SIZE   336
#define PRSTATUS_PID    32
#define PRSTATUS_REGS   112
#define PRSTATUS_FPVALID 328
#define FXSAVE_SIZE     512

int arch_core_notes(struct vcpu *vcpu, const struct core_note_writer *notes)
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
	rc = notes->add(notes->ctx, "CORE", NT_PRSTATUS, st, sizeof(st));
	if (rc == 0 && fpvalid)
		rc = notes->add(notes->ctx, "CORE", NT_PRFPREG, xs->region, FXSAVE_SIZE);
	free(xs);
	return rc;
}

/*
 * Both guest-virtual views of RAM (the paging dump's PT_LOADs and gcore's
 * regions) list what the vCPU's page tables map onto guest RAM (not MMIO,
 * not nothing), in ascending table order. A guest may map one page many
 * times (Linux maps all of RAM in its direct map and its kernel image again
 * at the top; a zero page can back gigabytes; three hostile tables can map
 * all of RAM 65024 times, terabytes of core), so each 4 KiB page of RAM is
 * listed at most CORE_MAX_ALIASES times, its first mappings in address
 * order: for Linux, user space, the direct map and the kernel image's own
 * mapping. A core then holds at most CORE_MAX_ALIASES copies of RAM.
 *
 * The walk goes by page-table leaf: a leaf's part in RAM is found at once
 * (a 1 GiB page beyond RAM costs nothing), and RAM is looked at in 2 MiB
 * blocks, one already listed enough in every page being skipped whole. So
 * each page of RAM is stepped over about as often as it is listed, and any
 * other leaf costs at most a check per 2 MiB of RAM it covers.
 */
#define ALIAS_PAGE   4096ULL
#define BLOCK_PAGES  512 /* 2 MiB */

struct alias_filter {
	const struct guest_mem *mem;
	uint8_t *seen;        /* per 4 KiB page of RAM (low RAM, then high): times listed */
	uint8_t *full;        /* per BLOCK_PAGES of seen[]: every one listed enough */
	uint64_t work;        /* pages of RAM stepped over */
	page_fn emit;         /* each run of pages still to list: (gva, gpa, size, rights) */
	void *ctx;
};

static int alias_init(struct alias_filter *a, const struct guest_mem *mem, page_fn emit, void *ctx)
{
	uint64_t pages = mem->size / ALIAS_PAGE + 1;

	*a = (struct alias_filter){ .mem = mem, .emit = emit, .ctx = ctx };
	a->seen = calloc(pages, 1);
	a->full = calloc(pages / BLOCK_PAGES + 1, 1);
	if (a->seen && a->full)
		return 0;
	free(a->seen);
	free(a->full);
	return -ENOMEM;
}

static void alias_free(struct alias_filter *a)
{
	free(a->seen);
	free(a->full);
}

/* A leaf's part in one piece of RAM: seen[] index base is at gpa from. */
struct leaf_part {
	uint64_t gva, gpa;    /* the leaf's start */
	uint64_t from, base;
	unsigned rights;
};

#define NO_RUN UINT64_MAX

/* List the pages [*run, end) of seen[], if a run is open, and close it. */
static int emit_run(struct alias_filter *a, const struct leaf_part *lp, uint64_t *run, uint64_t end)
{
	uint64_t start = *run, at = lp->from + (start - lp->base) * ALIAS_PAGE;

	if (start == NO_RUN)
		return 0;
	*run = NO_RUN;
	return a->emit(a->ctx, lp->gva + (at - lp->gpa), at, (end - start) * ALIAS_PAGE, lp->rights);
}

/*
 * The part of leaf [gpa, gpa + size) mapped at gva that lies in the piece
 * of RAM [ram, ram_end), whose first page is page first of seen[].
 */
static int alias_piece(struct alias_filter *a, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights,
		       uint64_t ram, uint64_t ram_end, uint64_t first)
{
	uint64_t from = gpa > ram ? gpa : ram, to = gpa + size < ram_end ? gpa + size : ram_end;
	struct leaf_part lp = { .gva = gva, .gpa = gpa, .from = from, .rights = rights };
	uint64_t i, end, run = NO_RUN;
	int r = 0;

	if (from >= to)
		return 0;
	lp.base = first + (from - ram) / ALIAS_PAGE;
	end = lp.base + (to - from) / ALIAS_PAGE;
	for (i = lp.base; i < end && r == 0;) {
		uint64_t block = i / BLOCK_PAGES, bend = (block + 1) * BLOCK_PAGES;
		bool all;

		if (bend > end)
			bend = end;
		if (a->full[block]) {
			r = emit_run(a, &lp, &run, i);
			i = bend;
			continue;
		}
		all = i == block * BLOCK_PAGES && bend == (block + 1) * BLOCK_PAGES;
		for (; i < bend && r == 0; i++) {
			a->work++;
			if (a->seen[i] >= CORE_MAX_ALIASES) {
				r = emit_run(a, &lp, &run, i);
				continue;
			}
			if (++a->seen[i] < CORE_MAX_ALIASES)
				all = false;
			if (run == NO_RUN)
				run = i;
		}
		if (all)
			a->full[block] = 1;
	}
	return r ? r : emit_run(a, &lp, &run, i);
}

/* page_table_each()'s callback: one leaf, whatever its size. */
static int alias_leaf(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct alias_filter *a = ctx;
	const struct guest_mem *mem = a->mem;
	uint64_t high = guest_mem_high_size(mem);
	int r = alias_piece(a, gva, gpa, size, rights, 0, mem->low_size, 0);

	if (r == 0 && high)
		r = alias_piece(a, gva, gpa, size, rights, GUEST_MEM_HIGH_START, GUEST_MEM_HIGH_START + high,
				mem->low_size / ALIAS_PAGE);
	return r;
}

/* The walk of the tables in p through the filter; *work (may be NULL) what it stepped over. */
static int alias_walk(const struct guest_mem *mem, const struct paging_regs *p, page_fn emit, void *ctx,
		      uint64_t *work)
{
	struct alias_filter a;
	int r = alias_init(&a, mem, emit, ctx);

	if (r < 0)
		return r;
	r = page_table_each(mem, p, alias_leaf, &a);
	if (work)
		*work = a.work;
	alias_free(&a);
	return r;
}

/* ---- the paging dump's PT_LOADs ---- */

struct range_list {
	struct core_range *r;
	unsigned n, cap;
};

/* A run of RAM to list: grows the last range when it continues it in both address spaces. */
static int add_range(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct range_list *l = ctx;
	struct core_range *last = l->n ? &l->r[l->n - 1] : NULL;

	(void)rights;
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
	struct range_list l = { .r = NULL };
	int r;

	if (paging_mode(p) == PAGING_NONE)
		return 0; /* paging off: virtual is physical, the identity ranges stay */
	r = alias_walk(mem, p, add_range, &l, NULL);
	if (r < 0) {
		free(l.r);
		return r;
	}
	*out = l.r;
	*n = l.n;
	return 0;
}

/*
 * ---- gdb's `gcore` ----
 *
 * gcore writes every byte of every region we list (it reads them back
 * through the stub), so the list is what a core should hold and no more:
 * the runs above, adjacent ones with the same rights merged. Paging off:
 * RAM at its physical addresses.
 */
#define MAX_REGIONS   65534 /* what a core's ELF header can count */

struct region_walk {
	struct gdb_mem_region cur;   /* being grown; size 0: none */
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

static int region_add(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct region_walk *w = ctx;
	int r;

	(void)gpa;
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
	struct region_walk w = { .fn = fn, .fnctx = fnctx };
	int r;

	if (paging_mode(p) == PAGING_NONE)
		return coredump_ram_regions(mem, fn, fnctx);
	r = alias_walk(mem, p, region_add, &w, work);
	if (r == 0)
		r = region_flush(&w);
	return r;
}
