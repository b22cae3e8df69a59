/* SPDX-License-Identifier: MIT */
/*
 * The first stage of the guest's two-stage address translation, done in
 * software: guest-virtual -> guest-physical through the guest's own page
 * tables, as the vCPU's paging mode defines it (SDM vol. 3, ch. 4). The
 * second stage, guest-physical -> host-virtual, is guest_mem_ptr().
 *
 * Modes: paging off, 32-bit (4 KiB and, with CR4.PSE, 4 MiB pages), PAE,
 * 4-level and 5-level (CR4.LA57), with large pages at every level that
 * allows them. Every step is recorded so `monitor translate` can show it.
 */
#ifndef MINIKVM_X86_PAGING_H
#define MINIKVM_X86_PAGING_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

struct paging_regs {
	uint64_t cr0, cr3, cr4, efer;
};

enum paging_mode { PAGING_NONE, PAGING_32, PAGING_PAE, PAGING_4LEVEL, PAGING_5LEVEL };

struct walk_step {
	const char *name;     /* "PML5E", "PML4E", "PDPTE", "PDE", "PTE" */
	uint64_t entry_gpa;   /* where the entry is */
	uint64_t entry;       /* its value */
};

struct walk {
	enum paging_mode mode;
	int nsteps;
	struct walk_step steps[5];
	uint64_t gpa;         /* the result, when the walk succeeded */
	uint64_t page_size;   /* 4 KiB, 2 MiB, 4 MiB or 1 GiB (0 when paging is off) */
	bool writable, user, nx;
	bool not_present;     /* it failed at an entry with P = 0: a #PF, for the CPU */
	const char *error;    /* why it failed: "not present", "non-canonical", ... */
};

enum paging_mode paging_mode(const struct paging_regs *r);
const char *paging_mode_name(enum paging_mode m);
/* 0 with w->gpa set, or -1 with w->error; w->steps shows how far the walk got. */
int page_walk(const struct guest_mem *mem, const struct paging_regs *r, uint64_t gva, struct walk *w);

/* What a mapping allows, every level of the walk taken together (SDM vol. 3 §4.6). */
#define PAGE_MAP_WRITE 0x1u /* R/W set at every level */
#define PAGE_MAP_USER  0x2u /* U/S set at every level */
#define PAGE_MAP_EXEC  0x4u /* XD clear at every level, or no-execute not enabled */

/*
 * Call fn for every page the tables map (a large page once, whole), in
 * ascending table order, with canonical virtual addresses and the
 * PAGE_MAP_* rights; tables outside guest RAM are skipped. fn returning
 * non-zero ends the walk with that value; 0 when all were seen, -E2BIG for
 * tables too many to be real (looping back on themselves), -EINVAL with
 * paging off (no tables).
 */
typedef int (*page_fn)(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights);
int page_table_each(const struct guest_mem *mem, const struct paging_regs *r, page_fn fn, void *ctx);

/*
 * Page-level protection for a data access (SDM vol. 3, §4.6 "Access
 * Rights", §4.7 "Page-Fault Exceptions"): what the CPU checks after the
 * walk, as one pure decision.
 */
struct paging_access {
	bool write;     /* a write, else a read */
	unsigned cpl;   /* 3: a user-mode access; 0-2: supervisor-mode */
	bool cr0_wp;    /* CR0.WP: supervisor writes honour read-only pages */
	bool cr4_smap;  /* CR4.SMAP: supervisor data accesses to user pages fault... */
	bool eflags_ac; /* ...unless EFLAGS.AC is set (explicit accesses) */
};

/* #PF error code bits (SDM vol. 3, §4.7). */
#define PF_ERR_P 0x1 /* 0: not present; 1: a protection violation */
#define PF_ERR_W 0x2 /* the access was a write */
#define PF_ERR_U 0x4 /* the access was user-mode (CPL 3) */

/*
 * Does the access fault? walked is page_walk()'s result for w. True with
 * *error_code set for a #PF: a not-present page, or one whose U/S and R/W
 * rights (and SMAP, CR0.WP) forbid the access. False when it may proceed,
 * and also when the walk failed for a reason that is no #PF (a
 * non-canonical address, page tables outside RAM): the caller tells those
 * apart by walked < 0. Paging off: nothing faults.
 */
bool paging_access_faults(int walked, const struct walk *w, const struct paging_access *a,
			  uint32_t *error_code);

#endif
