/* SPDX-License-Identifier: MIT */
/*
 * An evaluator for gdb's agent expressions: the stack bytecode gdb compiles
 * breakpoint conditions to (GDB manual, appendix "The GDB Agent Expression
 * Mechanism"). gdb sends it in Z0/Z1 packets when the stub advertises
 * ConditionalBreakpoints+; the stub evaluates it at every hit and reports
 * the stop only when a condition is true.
 *
 * The bytecode comes from the network: anything malformed is an error, never
 * a crash, and evaluation is bounded (GDB_AGENT_STACK entries, at most
 * GDB_AGENT_MAX_STEPS instructions). The evaluator keeps its stack on the C
 * stack and has no state of its own, so any thread may run it at any time.
 *
 * Supported: integer arithmetic, logic and comparisons, constants, ext and
 * zero_ext, registers, memory (ref8..ref64, little-endian), jumps, the stack
 * shufflers and end; the trace opcodes are accepted and do nothing (there is
 * no trace buffer). Refused with -EOPNOTSUPP: floating point, printf, and
 * the trace state variable opcodes getv/setv/tracev (there are no trace
 * state variables here, and a condition that reads one cannot be answered
 * honestly).
 */
#ifndef MINIKVM_GDBSTUB_AGENT_H
#define MINIKVM_GDBSTUB_AGENT_H

#include <stddef.h>
#include <stdint.h>

/* Stack entries and executed instructions one evaluation may use. */
#define GDB_AGENT_STACK     64
#define GDB_AGENT_MAX_STEPS 10000
/* The buffer offered to read_reg(): enough for any x86 register (zmm: 64). */
#define GDB_AGENT_REG_MAX   64

/*
 * How the evaluator reaches the stopped vCPU. Both are required.
 *
 * read_reg: register regno in gdb's numbering (the target description's
 * order). *size is the room in buf (GDB_AGENT_REG_MAX) on entry and must be
 * set to the register's size in bytes (1..room). Raw little-endian bytes;
 * the evaluator zero-extends (or truncates) them to 64 bits. 0 or -errno.
 *
 * read_mem: like gdb_target_ops.read_mem for the vCPU that hit: bytes read
 * from addr on (a short count is retried from where it stopped) or -errno.
 * [addr, addr + len) never wraps and len > 0.
 */
struct gdb_agent_access {
	int (*read_reg)(void *ctx, unsigned regno, uint8_t *buf, size_t *size);
	long (*read_mem)(void *ctx, uint64_t addr, uint8_t *buf, size_t len);
};

/*
 * Run code[0..len) until its "end" opcode and store the top of the stack in
 * *result. Returns 0, or a negative errno:
 *   -EILSEQ      an undefined opcode, an operand cut off by the end of the
 *                code, or running off the end without "end"
 *   -EOPNOTSUPP  an opcode this evaluator does not implement (see above)
 *   -EINVAL      stack underflow (also: "end" with an empty stack, "pick"
 *                deeper than the stack, "ext 0")
 *   -ENOSPC      stack overflow (more than GDB_AGENT_STACK entries)
 *   -ERANGE      a jump outside the code
 *   -EDOM        division or remainder by zero
 *   -ELOOP       more than GDB_AGENT_MAX_STEPS instructions executed
 *   -EFAULT      memory that cannot be read (or read_mem's own -errno)
 *   read_reg's -errno for a register that cannot be read
 */
int gdb_agent_eval(const uint8_t *code, size_t len, const struct gdb_agent_access *acc,
		   void *ctx, int64_t *result);

#endif
