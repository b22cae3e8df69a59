/* SPDX-License-Identifier: MIT */
/*
 * The first stage of a RISC-V guest's two-stage address translation, done
 * in software for the debugger: guest-virtual -> guest-physical through the
 * guest's own page tables, as its satp selects them (the privileged spec,
 * "Supervisor-Level ISA": "Sv39/Sv48/Sv57: Page-Based 39/48/57-bit
 * Virtual-Memory System" and "Virtual Address Translation Process"). The
 * second stage, guest-physical -> host-virtual, is guest_mem_ptr(). It is
 * x86/paging.h's page_walk() for RISC-V, with the same shape: every step is
 * recorded so `monitor translate` can show it.
 *
 * Pure code: no KVM, no struct guest_mem; the caller passes satp and a
 * function that reads guest-physical memory (for the VMM, guest_mem_read()).
 *
 * What a debugger needs differs from what the hart does in three ways:
 * - No access check: U, R, W, X, SUM and MXR decide whether an access by a
 *   given mode faults, not where the address goes. The walk reads what the
 *   kernel could read, and reports the leaf's R W X U G A D bits (perms)
 *   for `monitor translate` to show.
 * - No A/D update: the walk only reads the tables.
 * - Svpbmt's PBMT (bits 62:61), Svnapot's N (bit 63) and the reserved bits
 *   60:54 are masked out of the PPN rather than faulted on, so a walk works
 *   whatever extensions the guest's hart has; PBMT is reported as is. A
 *   64 KiB NAPOT leaf (N set, PPN bits 3:0 = 1000) translates as Svnapot
 *   says: the address's VPN[0] bits 3:0 replace the PPN's.
 */
#ifndef MINIKVM_RISCV_MMU_H
#define MINIKVM_RISCV_MMU_H

#include <stdbool.h>
#include <stdint.h>

/* satp (RV64): MODE in bits 63:60, ASID in 59:44, the root table's PPN in 43:0. */
enum riscv_satp_mode {
	RISCV_SATP_BARE = 0, /* no translation: GVA = GPA */
	RISCV_SATP_SV39 = 8,  /* 3 levels: 4 KiB, 2 MiB, 1 GiB pages */
	RISCV_SATP_SV48 = 9,  /* 4 levels: and 512 GiB */
	RISCV_SATP_SV57 = 10, /* 5 levels: and 256 TiB */
};

static inline unsigned riscv_satp_mode(uint64_t satp)
{
	return satp >> 60;
}

/* A PTE's low bits: valid, the rights, global, accessed, dirty. */
#define RISCV_PTE_V 0x01u
#define RISCV_PTE_R 0x02u
#define RISCV_PTE_W 0x04u
#define RISCV_PTE_X 0x08u
#define RISCV_PTE_U 0x10u
#define RISCV_PTE_G 0x20u
#define RISCV_PTE_A 0x40u
#define RISCV_PTE_D 0x80u
#define RISCV_PTE_PPN_SHIFT 10
#define RISCV_PTE_PPN_MASK  ((1ULL << 44) - 1) /* bits 53:10, after the shift */
#define RISCV_PTE_PBMT_SHIFT 61                /* Svpbmt: 0 PMA, 1 NC, 2 IO */
#define RISCV_PTE_N (1ULL << 63)               /* Svnapot */

/* Why a walk failed. */
enum riscv_walk_fault {
	RISCV_WALK_OK,
	RISCV_WALK_BAD_MODE,      /* satp.MODE is none of Bare, Sv39, Sv48, Sv57 */
	RISCV_WALK_NON_CANONICAL, /* bits above the VA width do not copy its top bit */
	RISCV_WALK_READ_FAILED,   /* a PTE outside guest RAM (the read function failed) */
	RISCV_WALK_INVALID,       /* a PTE with V = 0 */
	RISCV_WALK_RESERVED_WR,   /* W = 1 with R = 0: reserved */
	RISCV_WALK_NO_LEAF,       /* a pointer at the last level */
	RISCV_WALK_MISALIGNED,    /* a superpage whose PPN's low parts are not 0 */
	RISCV_WALK_BAD_NAPOT,     /* N set on a superpage, or a NAPOT size Svnapot does not define */
};

struct riscv_walk_step {
	const char *name;   /* "L4" (Sv57's root) .. "L0" (the 4 KiB level) */
	uint64_t entry_gpa; /* where the PTE is */
	uint64_t entry;     /* its value */
};

struct riscv_walk {
	unsigned mode;      /* satp.MODE, as it was */
	int nsteps;
	struct riscv_walk_step steps[5];
	uint64_t gpa;       /* the result, when the walk succeeded */
	uint64_t page_size; /* 4 KiB, 64 KiB (NAPOT), 2 MiB, 1 GiB, 512 GiB or 256 TiB; 0 in Bare */
	unsigned perms;     /* the leaf's RISCV_PTE_R|W|X|U|G|A|D bits */
	unsigned pbmt;      /* the leaf's Svpbmt memory type (0: none, the PMAs decide) */
	bool napot;         /* the leaf is a 64 KiB Svnapot page */
	enum riscv_walk_fault fault;
};

/* Reads len bytes of guest-physical memory at gpa into dst: 0, or non-zero when it cannot. */
typedef int (*riscv_mem_read_fn)(void *ctx, uint64_t gpa, void *dst, uint64_t len);

/* "Bare", "Sv39", "Sv48", "Sv57", or "reserved mode". */
const char *riscv_satp_mode_name(unsigned mode);
/* What went wrong, in words: "invalid PTE (V = 0)", ... */
const char *riscv_walk_fault_name(enum riscv_walk_fault fault);

/*
 * Translates gva under satp: 0 with w->gpa set, or -1 with w->fault;
 * w->steps shows how far the walk got (every PTE read, the failing one
 * included; not one the read function could not read).
 */
int riscv_page_walk(riscv_mem_read_fn read, void *ctx, uint64_t satp, uint64_t gva,
		    struct riscv_walk *w);

/*
 * How many bytes from gva on lie in the same page, which one walk
 * translates: a read or write that crosses pages is split there. UINT64_MAX
 * in Bare mode (no pages).
 */
uint64_t riscv_walk_span(const struct riscv_walk *w, uint64_t gva);

#endif
