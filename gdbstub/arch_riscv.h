/* SPDX-License-Identifier: MIT */
/*
 * RISC-V register layouts for gdb: rv64 with the F/D registers
 * (gdb_arch_riscv64) and without them (gdb_arch_riscv64_nofp), plus helpers
 * that convert between a plain struct of RISC-V state and the raw register
 * buffer of a layout, as gdbstub/arch_x86.h does for x86.
 */
#ifndef MINIKVM_GDBSTUB_ARCH_RISCV_H
#define MINIKVM_GDBSTUB_ARCH_RISCV_H

#include <stdbool.h>
#include <stdint.h>

#include "regdesc.h"

/* The supervisor CSRs gdb shows, in gdb_riscv_state.csr order. */
enum gdb_riscv_csr {
	GDB_RISCV_SSTATUS, GDB_RISCV_SIE, GDB_RISCV_STVEC, GDB_RISCV_SSCRATCH,
	GDB_RISCV_SEPC, GDB_RISCV_SCAUSE, GDB_RISCV_STVAL, GDB_RISCV_SIP, GDB_RISCV_SATP,
	GDB_RISCV_NUM_CSRS,
};

/* Register ids (gdb_reg.id), the same in both layouts: pc is GDB_RISCV_PC in each. */
enum gdb_riscv_reg {
	GDB_RISCV_X0,                    /* .. GDB_RISCV_X0 + 31 */
	GDB_RISCV_PC = GDB_RISCV_X0 + 32,
	GDB_RISCV_F0,                    /* .. GDB_RISCV_F0 + 31 */
	GDB_RISCV_FFLAGS = GDB_RISCV_F0 + 32, GDB_RISCV_FRM, GDB_RISCV_FCSR,
	GDB_RISCV_CSR0,                  /* .. + GDB_RISCV_NUM_CSRS - 1, enum gdb_riscv_csr order */
	GDB_RISCV_PRIV = GDB_RISCV_CSR0 + GDB_RISCV_NUM_CSRS,
	GDB_RISCV_NUM_IDS,
};

/* With F/D: x0..x31 pc f0..f31 fflags frm fcsr, the CSRs, priv (regno = id). */
extern const struct gdb_arch gdb_arch_riscv64;
/* Without: x0..x31 pc, the CSRs, priv. */
extern const struct gdb_arch gdb_arch_riscv64_nofp;

/*
 * Architectural rv64 state of one hart, independent of KVM.
 *
 * fcsr is the register the hardware (and KVM's FP state) holds; fflags
 * (fcsr bits 4:0) and frm (bits 7:5) are views of it. gdb_riscv_pack sends
 * the views computed from fcsr, so a target fills fcsr alone; the unpack
 * functions keep all three consistent. priv is the mode the hart was in:
 * 0 user, 1 supervisor (gdb's "priv" register; a guest never runs in
 * machine mode). has_fp says whether the hart has F/D, i.e. which layout
 * the target serves; pack and unpack ignore it.
 */
struct gdb_riscv_state {
	uint64_t x[32];     /* x[0] is ignored: zero reads as 0, writes to it are dropped */
	uint64_t pc;
	uint64_t f[32];     /* NaN-boxed when a register holds a single */
	uint32_t fflags, frm, fcsr;
	uint64_t csr[GDB_RISCV_NUM_CSRS];
	uint64_t priv;
	bool has_fp;
};

/* State -> raw registers of the layout (gdb_arch_regs_size(arch) bytes). */
void gdb_riscv_pack(const struct gdb_arch *arch, const struct gdb_riscv_state *st, uint8_t *buf);
/* The same for one register (a stop reply's expedited ones): its bytes into val. */
void gdb_riscv_pack_reg(const struct gdb_arch *arch, const struct gdb_riscv_state *st,
			unsigned regno, uint8_t *val);
/*
 * Raw registers -> state: read the state first, unpack over it, write it
 * back. A 'G' carries fflags, frm and fcsr together; whichever differs
 * from the state wins, and fcsr wins over the views when both differ (a
 * server without write_reg turns "P fflags" into a 'G' whose fcsr is the
 * old one, and gdb's own 'G' after "set $fcsr" has the old views).
 */
void gdb_riscv_unpack(const struct gdb_arch *arch, const uint8_t *buf, struct gdb_riscv_state *st);
/* The same for one register: val holds that register's bytes. */
void gdb_riscv_unpack_reg(const struct gdb_arch *arch, unsigned regno, const uint8_t *val,
			  struct gdb_riscv_state *st);

#endif
