/* SPDX-License-Identifier: MIT */
/*
 * The guest's page tables walked in software: the first stage of two-stage
 * address translation (guest-virtual -> guest-physical; the second stage is
 * guest_mem_ptr()). Read paging.h first: it says which paging modes there
 * are and what each function promises. The bits tested here are in bits.h;
 * the layouts are the Intel SDM's vol. 3 ch. 4 (§4.3 32-bit, §4.4 PAE,
 * §4.5 4- and 5-level paging, §4.6 access rights).
 */
#include "paging.h"
#include "bits.h"
#include "guest_mem.h"

#include <errno.h>
#include <string.h>

enum paging_mode paging_mode(const struct paging_regs *r)
{
	if (!(r->cr0 & CR0_PG))
		return PAGING_NONE;
	if (!(r->cr4 & CR4_PAE))
		return PAGING_32;
	if (!(r->efer & EFER_LMA))
		return PAGING_PAE;
	return (r->cr4 & CR4_LA57) ? PAGING_5LEVEL : PAGING_4LEVEL;
}

const char *paging_mode_name(enum paging_mode m)
{
	static const char *const names[] = { "paging off", "32-bit paging", "PAE paging",
					     "4-level paging", "5-level paging" };
	return names[m];
}

static int read_entry(const struct guest_mem *mem, struct walk *w, const char *name,
		      uint64_t gpa, unsigned size, uint64_t *entry)
{
	struct walk_step *s = &w->steps[w->nsteps];

	*entry = 0;
	if (guest_mem_read(mem, gpa, entry, size)) {
		w->error = "page table outside guest RAM";
		return -1;
	}
	s->name = name;
	s->entry_gpa = gpa;
	s->entry = *entry;
	w->nsteps++;
	if (!(*entry & PTE_P)) {
		w->error = "not present";
		w->not_present = true;
		return -1;
	}
	/*
	 * PAE's four PDPTEs hold no access rights: their bits 1, 2 and 63 are
	 * reserved (SDM vol. 3, §4.4.1); rights come from the PDE and PTE.
	 */
	if (w->mode == PAGING_PAE && w->nsteps == 1)
		return 0;
	w->writable &= !!(*entry & PTE_W);
	w->user &= !!(*entry & PTE_U);
	w->nx |= !!(*entry & PTE_NX);
	return 0;
}

/* PAE-format tables (8-byte entries): PAE, 4-level and 5-level paging. */
static int walk_long(const struct guest_mem *mem, const struct paging_regs *r, uint64_t gva,
		     struct walk *w, int levels)
{
	static const char *const names[] = { "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };
	uint64_t table, e = 0;
	int level = levels; /* 5, 4 or 3 (PAE): counts down to 1 (PTE) */

	if (levels == 3) {
		/* PAE: CR3 points at four 8-byte PDPTEs, 32-byte aligned. */
		table = r->cr3 & 0xFFFFFFE0ULL;
		if (read_entry(mem, w, "PDPTE", table + ((gva >> 30) & 3) * 8, 8, &e))
			return -1;
		table = e & PTE_ADDR_MASK;
		level = 2;
	} else {
		unsigned bits = levels == 5 ? 57 : 48;
		uint64_t top = gva >> (bits - 1);

		/* The unused high bits must copy bit bits-1 (canonical address). */
		if (top != 0 && top != (~0ULL >> (bits - 1))) {
			w->error = "non-canonical address";
			return -1;
		}
		table = r->cr3 & PTE_ADDR_MASK;
	}
	for (; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);

		if (read_entry(mem, w, names[level - 1], table + ((gva >> shift) & 511) * 8, 8, &e))
			return -1;
		/* PS at the PDPTE (1 GiB) or PDE (2 MiB) level ends the walk early. */
		if ((level == 2 || level == 3) && (e & PTE_PS)) {
			uint64_t size = 1ULL << shift;

			w->page_size = size;
			w->gpa = (e & PTE_ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	w->page_size = 4096;
	w->gpa = table | (gva & 0xFFF);
	return 0;
}

static int walk_32(const struct guest_mem *mem, const struct paging_regs *r, uint64_t gva,
		   struct walk *w)
{
	uint64_t pde, pte;
	uint32_t va = (uint32_t)gva;

	if (read_entry(mem, w, "PDE", (r->cr3 & 0xFFFFF000ULL) + (va >> 22) * 4, 4, &pde))
		return -1;
	if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
		/* 4 MiB page; PSE-36 puts physical bits 39:32 in PDE bits 20:13. */
		w->page_size = 4ULL << 20;
		w->gpa = (pde & 0xFFC00000ULL) | (((pde >> 13) & 0xFF) << 32) | (va & 0x3FFFFF);
		return 0;
	}
	if (read_entry(mem, w, "PTE", (pde & 0xFFFFF000ULL) + ((va >> 12) & 0x3FF) * 4, 4, &pte))
		return -1;
	w->page_size = 4096;
	w->gpa = (pte & 0xFFFFF000ULL) | (va & 0xFFF);
	return 0;
}

int page_walk(const struct guest_mem *mem, const struct paging_regs *r, uint64_t gva, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->mode = paging_mode(r);
	w->writable = w->user = true;
	switch (w->mode) {
	case PAGING_NONE:
		w->gpa = gva;
		return 0;
	case PAGING_32:
		if (gva > 0xFFFFFFFFULL) {
			w->error = "address above 4 GiB in 32-bit paging";
			return -1;
		}
		return walk_32(mem, r, gva, w);
	case PAGING_PAE:
		if (gva > 0xFFFFFFFFULL) {
			w->error = "address above 4 GiB in PAE paging";
			return -1;
		}
		return walk_long(mem, r, gva, w, 3);
	case PAGING_4LEVEL:
		return walk_long(mem, r, gva, w, 4);
	case PAGING_5LEVEL:
		return walk_long(mem, r, gva, w, 5);
	}
	return -1;
}

/*
 * A walk over whole page tables (page_table_each). The guest writes the
 * tables, so they may loop back on themselves: 512 entries of each level
 * naming the same table make 512^4 visits. MAX_TABLES bounds the tables
 * read (1 GiB of page tables, mapping up to 512 GiB in 4 KiB pages).
 */
#define MAX_TABLES (1UL << 18)

struct table_walk {
	const struct guest_mem *mem;
	page_fn fn;
	void *ctx;
	unsigned bits;        /* virtual address width: 48 or 57 (sign extension), else 0 */
	bool nx;              /* EFER.NXE: the XD bit means something */
	unsigned long tables; /* read so far */
};

static int emit(struct table_walk *t, uint64_t va, uint64_t gpa, uint64_t size, unsigned rights)
{
	if (t->bits && (va & (1ULL << (t->bits - 1))))
		va |= ~((1ULL << t->bits) - 1); /* canonical: copy the top bit upwards */
	return t->fn(t->ctx, va, gpa, size, rights);
}

/* The rights left after entry e: every level must allow a right for the page to have it. */
static unsigned entry_rights(const struct table_walk *t, uint64_t e, unsigned above)
{
	unsigned r = above;

	if (!(e & PTE_W))
		r &= ~PAGE_MAP_WRITE;
	if (!(e & PTE_U))
		r &= ~PAGE_MAP_USER;
	if (t->nx && (e & PTE_NX))
		r &= ~PAGE_MAP_EXEC;
	return r;
}

/* A table of 8-byte entries at gpa table, level counting down to 1 (PTE); base: what entry 0 maps. */
static int each_long(struct table_walk *t, uint64_t table, int level, uint64_t base, unsigned entries,
		     unsigned rights)
{
	unsigned shift = 12 + 9 * (level - 1);
	/* The table at once, where it is RAM: bounds checked once, not per entry. */
	const uint8_t *at = guest_mem_ptr(t->mem, table, entries * 8ULL);

	if (++t->tables > MAX_TABLES)
		return -E2BIG;
	for (unsigned i = 0; i < entries; i++) {
		uint64_t e, va = base + ((uint64_t)i << shift);
		int r;

		if (at)
			memcpy(&e, at + i * 8ULL, 8);
		else if (guest_mem_read(t->mem, table + i * 8ULL, &e, 8))
			continue;
		if (!(e & PTE_P))
			continue;
		/* PAE's PDPTEs have no R/W, U/S or XD bits (SDM vol. 3 §4.4.1). */
		unsigned below = entries == 4 ? rights : entry_rights(t, e, rights);

		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS)))
			r = emit(t, va, e & PTE_ADDR_MASK & ~((1ULL << shift) - 1), 1ULL << shift, below);
		else
			r = each_long(t, e & PTE_ADDR_MASK, level - 1, va, 512, below);
		if (r)
			return r;
	}
	return 0;
}

static int each_32(struct table_walk *t, const struct paging_regs *r)
{
	for (uint64_t i = 0; i < 1024; i++) {
		uint64_t va = i << 22, pde = 0, pte;
		int rc = 0;

		if (guest_mem_read(t->mem, (r->cr3 & 0xFFFFF000ULL) + i * 4, &pde, 4) || !(pde & PTE_P))
			continue;
		unsigned rights = entry_rights(t, pde, PAGE_MAP_WRITE | PAGE_MAP_USER | PAGE_MAP_EXEC);

		if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
			rc = emit(t, va, (pde & 0xFFC00000ULL) | (((pde >> 13) & 0xFF) << 32), 4ULL << 20,
				  rights);
		} else {
			for (uint64_t j = 0; j < 1024 && !rc; j++) {
				pte = 0;
				if (!guest_mem_read(t->mem, (pde & 0xFFFFF000ULL) + j * 4, &pte, 4) && (pte & PTE_P))
					rc = emit(t, va | (j << 12), pte & 0xFFFFF000ULL, 4096,
						  entry_rights(t, pte, rights));
			}
		}
		if (rc)
			return rc;
	}
	return 0;
}

int page_table_each(const struct guest_mem *mem, const struct paging_regs *r, page_fn fn, void *ctx)
{
	struct table_walk t = { .mem = mem, .fn = fn, .ctx = ctx, .nx = (r->efer & EFER_NXE) != 0 };
	const unsigned all = PAGE_MAP_WRITE | PAGE_MAP_USER | PAGE_MAP_EXEC;

	switch (paging_mode(r)) {
	case PAGING_NONE:
		return -EINVAL;
	case PAGING_32:
		t.nx = false; /* 4-byte entries have no XD bit */
		return each_32(&t, r);
	case PAGING_PAE:
		return each_long(&t, r->cr3 & 0xFFFFFFE0ULL, 3, 0, 4, all);
	case PAGING_4LEVEL:
		t.bits = 48;
		return each_long(&t, r->cr3 & PTE_ADDR_MASK, 4, 0, 512, all);
	case PAGING_5LEVEL:
		t.bits = 57;
		return each_long(&t, r->cr3 & PTE_ADDR_MASK, 5, 0, 512, all);
	}
	return -EINVAL;
}

bool paging_access_faults(int walked, const struct walk *w, const struct paging_access *a,
			  uint32_t *error_code)
{
	bool user_mode = a->cpl == 3;
	uint32_t code = (a->write ? PF_ERR_W : 0) | (user_mode ? PF_ERR_U : 0);
	bool denied;

	*error_code = 0;
	if (walked < 0) {
		if (!w->not_present)
			return false;
		*error_code = code;
		return true;
	}
	if (w->mode == PAGING_NONE)
		return false;
	if (user_mode)
		/* User mode: only user pages, and writes only where every level allows them. */
		denied = !w->user || (a->write && !w->writable);
	else
		/*
		 * Supervisor mode: user pages are off limits under SMAP unless
		 * EFLAGS.AC says otherwise; read-only pages only with CR0.WP.
		 */
		denied = (w->user && a->cr4_smap && !a->eflags_ac) ||
			 (a->write && !w->writable && a->cr0_wp);
	if (!denied)
		return false;
	*error_code = code | PF_ERR_P;
	return true;
}
