/* SPDX-License-Identifier: MIT */
/*
 * Where a RISC-V instruction goes next: the decoder a software single step
 * is built on (issue 23). RISC-V KVM gives a VMM no hardware single step,
 * so minikvm steps a hart by decoding the instruction at pc and planting a
 * temporary ebreak on each of its successors. Pure code: no KVM, no guest
 * memory; the caller reads the bytes and the registers.
 *
 * What it covers is RV64GC (the unprivileged spec, "RV32I/RV64I Base
 * Integer Instruction Set", "C" Standard Extension; the privileged spec for
 * sret/mret/wfi): every control transfer, compressed ones included, and
 * every memory access for watchpoints. Vector (OP-V, and vector loads and
 * stores in LOAD-FP/STORE-FP) falls through with an access of unknown size.
 * Reserved and custom encodings, and instructions of 48 bits or more, are
 * "cannot step" (-1).
 *
 * The rules a stepper must follow:
 * - bytes are the guest's instruction, not a breakpoint minikvm planted
 *   there: decode the saved original.
 * - The successors are where the instruction goes when it completes. Any
 *   instruction may instead trap (page fault, misaligned or illegal access)
 *   or be interrupted, to the guest's stvec: the step then ends wherever the
 *   guest's handler runs into the next breakpoint, unless the caller plants
 *   one at stvec too.
 * - ecall (RISCV_INSN_ECALL) gives pc + 4: from VS-mode it is an SBI call,
 *   which KVM or minikvm completes and resumes after (except the calls that
 *   do not return: hart stop, suspend, system reset). From VU-mode it traps
 *   to the guest kernel's stvec (see above).
 * - wfi (RISCV_INSN_WFI) gives pc + 4, but the hart sleeps until an
 *   interrupt is pending: with interrupts masked for the step the step may
 *   not end by itself; bound it (as step_over.c bounds x86's hlt).
 * - ebreak and c.ebreak (RISCV_INSN_EBREAK) have no successor (0): the
 *   instruction itself exits to the VMM (KVM_EXIT_DEBUG) at its own pc; it
 *   is the guest's own breakpoint, to be reported or handed back to it.
 * - sret and mret (RISCV_INSN_SRET, _MRET) have no successor in the
 *   instruction (0): sret goes to sepc, which the caller reads and plants
 *   on; mret is illegal in a guest (VS/VU-mode) and traps to stvec.
 * - fence.i (RISCV_INSN_FENCE_I) gives pc + 4; flagged because the guest
 *   is telling the hart its code changed: breakpoints planted in code the
 *   guest rewrites may have been overwritten.
 * - lr (info->lr) begins a reservation that the trap of a planted
 *   breakpoint loses, so its sc would fail on every retry: a stepper steps
 *   an lr..sc sequence as a whole, planting past the sc (gdb's riscv
 *   target does the same); sc (info->sc) ends one.
 */
#ifndef MINIKVM_RISCV_INSN_H
#define MINIKVM_RISCV_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the pc moves. */
enum riscv_insn_flow {
	RISCV_FLOW_NEXT,        /* to pc + length */
	RISCV_FLOW_JUMP,        /* jal, c.j: pc-relative, always taken */
	RISCV_FLOW_INDIRECT,    /* jalr, c.jr, c.jalr: to a register (+ offset), bit 0 cleared */
	RISCV_FLOW_BRANCH,      /* beq..bgeu, c.beqz, c.bnez: taken or to pc + length */
	RISCV_FLOW_TRAP,        /* ebreak, c.ebreak: no successor, it traps */
	RISCV_FLOW_TRAP_RETURN, /* sret, mret: no successor in the instruction */
};

/* Instructions a stepper treats specially (the rules above). */
enum riscv_insn_special {
	RISCV_INSN_PLAIN,
	RISCV_INSN_ECALL,
	RISCV_INSN_EBREAK,
	RISCV_INSN_WFI,
	RISCV_INSN_SRET,
	RISCV_INSN_MRET,
	RISCV_INSN_FENCE_I,
};

enum riscv_insn_mem {
	RISCV_MEM_NONE,
	RISCV_MEM_LOAD,   /* lr too */
	RISCV_MEM_STORE,  /* sc too (it may not write) */
	RISCV_MEM_AMO,    /* amo*: reads and writes */
};

struct riscv_insn_info {
	int length;                     /* 2 or 4 */
	enum riscv_insn_flow flow;
	enum riscv_insn_special special;
	unsigned link_reg;              /* jal/jalr's rd: the return address goes there (0: none) */
	bool lr, sc;
	/* The access, for watchpoints: mem_size bytes at x[mem_base] + mem_offset. */
	enum riscv_insn_mem mem;
	unsigned mem_base;
	int64_t mem_offset;
	unsigned mem_size;              /* 0 for vector accesses: their extent depends on vl/vtype */
	uint64_t mem_addr;              /* computed by riscv_insn_successors only */
};

/*
 * An instruction's length from its first halfword: 2 (compressed: low bits
 * not 11) or 4; 0 for the 48-bit and longer encodings RV64GC has none of
 * (cannot step).
 */
int riscv_insn_length(uint16_t first_halfword);

/*
 * The successors of the instruction in bytes[0..avail) at pc, with the
 * integer registers x[0..31] (x[0] is taken as 0 whatever it holds): the
 * one pc the hart goes to next. A branch's condition is evaluated, so a
 * branch gives one successor, taken or not; jalr's target is
 * (x[rs1] + imm) & ~1, with x[rs1] read before the link is written.
 * Returns 1 with out[0] set; 0 for ebreak, sret and mret (see the rules
 * above); -1 when the bytes are no RV64GC instruction this decoder knows
 * (reserved, custom, 48 bits or more) or avail is shorter than the
 * instruction. info (may be NULL) is filled whenever the return is >= 0,
 * mem_addr included.
 */
int riscv_insn_successors(const uint8_t *bytes, size_t avail, uint64_t pc, const uint64_t x[32],
			  uint64_t out[2], struct riscv_insn_info *info);

/*
 * For a caller without the registers: every successor the instruction
 * alone determines. A branch gives 2 (out[0] taken, out[1] pc + length;
 * 1 when they coincide), a jump or fall-through 1, an indirect jump 0 (its
 * target is in a register), ebreak/sret/mret 0; -1 as above. info's
 * mem_addr is left 0: compute it from mem_base and mem_offset.
 */
int riscv_insn_possible_successors(const uint8_t *bytes, size_t avail, uint64_t pc,
				   uint64_t out[2], struct riscv_insn_info *info);

#endif
