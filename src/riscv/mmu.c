/* SPDX-License-Identifier: MIT */
/*
 * A RISC-V guest's page tables walked in software (Sv39, Sv48, Sv57). Read
 * mmu.h first: it says what the walk leaves out on purpose (access checks,
 * A/D updates) and why. The steps are the privileged spec's "Virtual
 * Address Translation Process"; the PTE and satp layouts its "Sv39:
 * Page-Based 39-bit Virtual-Memory System" and the Svpbmt and Svnapot
 * chapters.
 */
#include "mmu.h"

#include <endian.h>
#include <string.h>

const char *riscv_satp_mode_name(unsigned mode)
{
	switch (mode) {
	case RISCV_SATP_BARE: return "Bare";
	case RISCV_SATP_SV39: return "Sv39";
	case RISCV_SATP_SV48: return "Sv48";
	case RISCV_SATP_SV57: return "Sv57";
	}
	return "reserved mode";
}

const char *riscv_walk_fault_name(enum riscv_walk_fault fault)
{
	switch (fault) {
	case RISCV_WALK_OK: return "no fault";
	case RISCV_WALK_BAD_MODE: return "satp mode not Bare, Sv39, Sv48 or Sv57";
	case RISCV_WALK_NON_CANONICAL: return "non-canonical address";
	case RISCV_WALK_READ_FAILED: return "page table outside guest RAM";
	case RISCV_WALK_INVALID: return "invalid PTE (V = 0)";
	case RISCV_WALK_RESERVED_WR: return "reserved PTE (W without R)";
	case RISCV_WALK_NO_LEAF: return "no leaf PTE at the last level";
	case RISCV_WALK_MISALIGNED: return "misaligned superpage";
	case RISCV_WALK_BAD_NAPOT: return "reserved Svnapot encoding";
	}
	return "unknown fault";
}

static int fail(struct riscv_walk *w, enum riscv_walk_fault fault)
{
	w->fault = fault;
	return -1;
}

/* The leaf at level (0: 4 KiB) ends the walk: check its PPN fits its page size. */
static int leaf(struct riscv_walk *w, uint64_t pte, uint64_t gva, int level)
{
	uint64_t ppn = (pte >> RISCV_PTE_PPN_SHIFT) & RISCV_PTE_PPN_MASK;
	uint64_t size = 1ULL << (12 + 9 * level);

	/* A superpage's PPN[level-1:0] must be 0: it maps an aligned block. */
	if (ppn & ((size >> 12) - 1))
		return fail(w, RISCV_WALK_MISALIGNED);
	if (pte & RISCV_PTE_N) {
		/*
		 * Svnapot defines one size, 64 KiB: a 4 KiB-level leaf whose
		 * PPN bits 3:0 are 1000. All 16 PTEs of the block are the same,
		 * so the address's VPN[0] bits 3:0 pick the 4 KiB page in it.
		 */
		if (level != 0 || (ppn & 0xF) != 0x8)
			return fail(w, RISCV_WALK_BAD_NAPOT);
		ppn &= ~0xFULL;
		size = 64 << 10;
		w->napot = true;
	}
	w->page_size = size;
	w->gpa = (ppn << 12) | (gva & (size - 1));
	w->perms = pte & (RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X | RISCV_PTE_U | RISCV_PTE_G |
			  RISCV_PTE_A | RISCV_PTE_D);
	w->pbmt = (pte >> RISCV_PTE_PBMT_SHIFT) & 3;
	return 0;
}

int riscv_page_walk(riscv_mem_read_fn read, void *ctx, uint64_t satp, uint64_t gva,
		    struct riscv_walk *w)
{
	static const char *const names[] = { "L0", "L1", "L2", "L3", "L4" };
	int levels;
	unsigned bits;
	uint64_t top, table;

	memset(w, 0, sizeof(*w));
	w->mode = riscv_satp_mode(satp);
	switch (w->mode) {
	case RISCV_SATP_BARE:
		w->gpa = gva;
		return 0;
	case RISCV_SATP_SV39: levels = 3; break;
	case RISCV_SATP_SV48: levels = 4; break;
	case RISCV_SATP_SV57: levels = 5; break;
	default:
		return fail(w, RISCV_WALK_BAD_MODE);
	}
	/* Bits 63:VA width must all equal the VA's top bit (a page fault on the hart). */
	bits = 12 + 9 * levels;
	top = gva >> (bits - 1);
	if (top != 0 && top != (~0ULL >> (bits - 1)))
		return fail(w, RISCV_WALK_NON_CANONICAL);

	table = (satp & RISCV_PTE_PPN_MASK) << 12;
	for (int level = levels - 1; level >= 0; level--) {
		struct riscv_walk_step *s = &w->steps[w->nsteps];
		uint64_t gpa = table + ((gva >> (12 + 9 * level)) & 511) * 8, pte;

		if (read(ctx, gpa, &pte, 8))
			return fail(w, RISCV_WALK_READ_FAILED);
		pte = le64toh(pte);
		s->name = names[level];
		s->entry_gpa = gpa;
		s->entry = pte;
		w->nsteps++;
		if (!(pte & RISCV_PTE_V))
			return fail(w, RISCV_WALK_INVALID);
		if ((pte & (RISCV_PTE_R | RISCV_PTE_W)) == RISCV_PTE_W)
			return fail(w, RISCV_WALK_RESERVED_WR);
		/* R or X makes a leaf; neither, a pointer to the next level's table. */
		if (pte & (RISCV_PTE_R | RISCV_PTE_X))
			return leaf(w, pte, gva, level);
		table = ((pte >> RISCV_PTE_PPN_SHIFT) & RISCV_PTE_PPN_MASK) << 12;
	}
	return fail(w, RISCV_WALK_NO_LEAF);
}

uint64_t riscv_walk_span(const struct riscv_walk *w, uint64_t gva)
{
	/* A superpage maps its whole size at once: one walk serves all of it. */
	return w->page_size ? w->page_size - (gva & (w->page_size - 1)) : UINT64_MAX;
}
