/* SPDX-License-Identifier: MIT */
/*
 * x86 register layouts for gdb: x86-64 ("i386:x86-64") and i386 ("i386"),
 * plus helpers that convert between a plain struct of x86 state and the raw
 * register buffer of a layout, so a target fills one struct whatever the
 * layout is.
 */
#ifndef MINIKVM_GDBSTUB_ARCH_X86_H
#define MINIKVM_GDBSTUB_ARCH_X86_H

#include <stdint.h>

#include "regdesc.h"

/* Register ids (gdb_reg.id), the same in both layouts: eax is GDB_X86_RAX. */
enum gdb_x86_reg {
	GDB_X86_RAX, GDB_X86_RBX, GDB_X86_RCX, GDB_X86_RDX,
	GDB_X86_RSI, GDB_X86_RDI, GDB_X86_RBP, GDB_X86_RSP,
	GDB_X86_R8, GDB_X86_R9, GDB_X86_R10, GDB_X86_R11,
	GDB_X86_R12, GDB_X86_R13, GDB_X86_R14, GDB_X86_R15,
	GDB_X86_RIP, GDB_X86_EFLAGS,
	GDB_X86_CS, GDB_X86_SS, GDB_X86_DS, GDB_X86_ES, GDB_X86_FS, GDB_X86_GS,
	GDB_X86_ST0, /* .. GDB_X86_ST0 + 7 */
	GDB_X86_FCTRL = GDB_X86_ST0 + 8, GDB_X86_FSTAT, GDB_X86_FTAG,
	GDB_X86_FISEG, GDB_X86_FIOFF, GDB_X86_FOSEG, GDB_X86_FOOFF, GDB_X86_FOP,
	GDB_X86_XMM0, /* .. GDB_X86_XMM0 + 15 */
	GDB_X86_MXCSR = GDB_X86_XMM0 + 16,
	GDB_X86_FS_BASE, GDB_X86_GS_BASE, GDB_X86_K_GS_BASE,
	GDB_X86_CR0, GDB_X86_CR2, GDB_X86_CR3, GDB_X86_CR4, GDB_X86_CR8,
	GDB_X86_EFER,
	GDB_X86_ORIG_RAX, /* Linux's orig_rax/orig_eax: see arch_x86.c */
	GDB_X86_NUM_IDS,
};

extern const struct gdb_arch gdb_arch_x86_64;
extern const struct gdb_arch gdb_arch_i386;

/*
 * Architectural x86 state, independent of KVM. The x87 fields are what
 * FSAVE/FSTENV hold: ftag is the full tag word (2 bits per register), not
 * FXSAVE's abridged byte; fop is the 11-bit opcode.
 */
struct gdb_x86_state {
	uint64_t gpr[16];     /* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 (GDB_X86_RAX order) */
	uint64_t rip, eflags;
	uint32_t seg[6];      /* cs ss ds es fs gs selectors */
	uint8_t st[8][10];    /* st0..st7, 80-bit */
	uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint64_t fs_base, gs_base, k_gs_base;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t orig_rax;    /* no CPU register: -1 ("not in a system call") unless gdb wrote it */
};

/* State -> raw registers of the layout (gdb_arch_regs_size(arch) bytes). */
void gdb_x86_pack(const struct gdb_arch *arch, const struct gdb_x86_state *st, uint8_t *buf);
/* The same for one register (a stop reply's expedited ones): its bytes into val. */
void gdb_x86_pack_reg(const struct gdb_arch *arch, const struct gdb_x86_state *st, unsigned regno,
		      uint8_t *val);
/*
 * Raw registers -> state. Only the bytes the layout covers are replaced (an
 * i386 'G' changes the low half of rax and keeps the rest), so read the state
 * first, unpack over it, then write it back.
 */
void gdb_x86_unpack(const struct gdb_arch *arch, const uint8_t *buf, struct gdb_x86_state *st);
/* The same for one register: val holds that register's bytes. */
void gdb_x86_unpack_reg(const struct gdb_arch *arch, unsigned regno, const uint8_t *val,
			struct gdb_x86_state *st);

#endif
