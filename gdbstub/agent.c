/* SPDX-License-Identifier: MIT */
/*
 * The agent-expression evaluator (see agent.h). Opcode numbers and stack
 * effects are the GDB manual's, appendix "The GDB Agent Expression
 * Mechanism", section "Bytecode Descriptions". Values are 64-bit; the
 * arithmetic is done on uint64_t so that overflow wraps instead of being
 * undefined, and the manual's holes (shifts by 64 or more, INT64_MIN / -1,
 * "ext 0") get a defined answer here.
 */
#include <errno.h>
#include <stdbool.h>

#include "agent.h"

enum agent_op {
	OP_FLOAT = 0x01,
	OP_ADD = 0x02,
	OP_SUB = 0x03,
	OP_MUL = 0x04,
	OP_DIV_SIGNED = 0x05,
	OP_DIV_UNSIGNED = 0x06,
	OP_REM_SIGNED = 0x07,
	OP_REM_UNSIGNED = 0x08,
	OP_LSH = 0x09,
	OP_RSH_SIGNED = 0x0a,
	OP_RSH_UNSIGNED = 0x0b,
	OP_TRACE = 0x0c,
	OP_TRACE_QUICK = 0x0d,
	OP_LOG_NOT = 0x0e,
	OP_BIT_AND = 0x0f,
	OP_BIT_OR = 0x10,
	OP_BIT_XOR = 0x11,
	OP_BIT_NOT = 0x12,
	OP_EQUAL = 0x13,
	OP_LESS_SIGNED = 0x14,
	OP_LESS_UNSIGNED = 0x15,
	OP_EXT = 0x16,
	OP_REF8 = 0x17,
	OP_REF16 = 0x18,
	OP_REF32 = 0x19,
	OP_REF64 = 0x1a,
	OP_REF_FLOAT = 0x1b,
	OP_REF_DOUBLE = 0x1c,
	OP_REF_LONG_DOUBLE = 0x1d,
	OP_L_TO_D = 0x1e,
	OP_D_TO_L = 0x1f,
	OP_IF_GOTO = 0x20,
	OP_GOTO = 0x21,
	OP_CONST8 = 0x22,
	OP_CONST16 = 0x23,
	OP_CONST32 = 0x24,
	OP_CONST64 = 0x25,
	OP_REG = 0x26,
	OP_END = 0x27,
	OP_DUP = 0x28,
	OP_POP = 0x29,
	OP_ZERO_EXT = 0x2a,
	OP_SWAP = 0x2b,
	OP_GETV = 0x2c,
	OP_SETV = 0x2d,
	OP_TRACEV = 0x2e,
	OP_TRACENZ = 0x2f,
	OP_TRACE16 = 0x30,
	/* 0x31 is reserved ("invalid2" in gdb's table). */
	OP_PICK = 0x32,
	OP_ROT = 0x33,
	OP_PRINTF = 0x34,
};

struct agent_stack {
	uint64_t v[GDB_AGENT_STACK];
	unsigned n;
};

static int push(struct agent_stack *st, uint64_t v)
{
	if (st->n == GDB_AGENT_STACK)
		return -ENOSPC;
	st->v[st->n++] = v;
	return 0;
}

/* The bytecode's operands are big-endian whatever the target (manual, const8). */
static int operand(const uint8_t *code, size_t len, size_t *pc, unsigned bytes, uint64_t *out)
{
	uint64_t v = 0;

	if (bytes > len - *pc)
		return -EILSEQ;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | code[*pc + i];
	*pc += bytes;
	*out = v;
	return 0;
}

/* a OP b for the two-operand opcodes; a was under b on the stack. */
static int binary(uint8_t op, uint64_t a, uint64_t b, uint64_t *r)
{
	int64_t sa = (int64_t)a, sb = (int64_t)b;

	switch (op) {
	case OP_ADD: *r = a + b; return 0;
	case OP_SUB: *r = a - b; return 0;
	case OP_MUL: *r = a * b; return 0;
	case OP_BIT_AND: *r = a & b; return 0;
	case OP_BIT_OR: *r = a | b; return 0;
	case OP_BIT_XOR: *r = a ^ b; return 0;
	case OP_EQUAL: *r = a == b; return 0;
	case OP_LESS_SIGNED: *r = sa < sb; return 0;
	case OP_LESS_UNSIGNED: *r = a < b; return 0;
	case OP_LSH: *r = b < 64 ? a << b : 0; return 0;
	case OP_RSH_UNSIGNED: *r = b < 64 ? a >> b : 0; return 0;
	case OP_RSH_SIGNED:
		/* >> of a negative int64_t is implementation-defined: fill by hand. */
		if (b >= 64)
			*r = sa < 0 ? UINT64_MAX : 0;
		else
			*r = sa < 0 ? ~(~a >> b) : a >> b;
		return 0;
	}
	/* Division: the manual says "terminate with an error" for a zero divisor. */
	if (b == 0)
		return -EDOM;
	switch (op) {
	case OP_DIV_UNSIGNED: *r = a / b; return 0;
	case OP_REM_UNSIGNED: *r = a % b; return 0;
	case OP_DIV_SIGNED:
		/* INT64_MIN / -1 overflows (and traps on x86): it wraps to INT64_MIN. */
		*r = sb == -1 ? 0 - a : (uint64_t)(sa / sb);
		return 0;
	case OP_REM_SIGNED:
		*r = sb == -1 ? 0 : (uint64_t)(sa % sb);
		return 0;
	}
	return -EILSEQ;
}

static bool is_binary(uint8_t op)
{
	return (op >= OP_ADD && op <= OP_RSH_UNSIGNED) ||
	       (op >= OP_BIT_AND && op <= OP_BIT_XOR) ||
	       (op >= OP_EQUAL && op <= OP_LESS_UNSIGNED);
}

/* A little-endian value of 1, 2, 4 or 8 bytes at a guest address. */
static int read_mem(const struct gdb_agent_access *acc, void *ctx, uint64_t addr,
		    unsigned bytes, uint64_t *out)
{
	uint8_t buf[8];
	size_t done = 0;
	uint64_t v = 0;

	if (!acc || !acc->read_mem)
		return -EOPNOTSUPP;
	if (addr + (bytes - 1) < addr)
		return -EFAULT; /* the range would wrap: the target ops promise it never does */
	while (done < bytes) {
		long n = acc->read_mem(ctx, addr + done, buf + done, bytes - done);

		if (n < 0)
			return (int)n;
		if (n == 0 || (size_t)n > bytes - done)
			return -EFAULT;
		done += (size_t)n;
	}
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | buf[i];
	*out = v;
	return 0;
}

static int read_reg(const struct gdb_agent_access *acc, void *ctx, unsigned regno,
		    uint64_t *out)
{
	uint8_t buf[GDB_AGENT_REG_MAX];
	size_t size = sizeof(buf);
	uint64_t v = 0;
	int err;

	if (!acc || !acc->read_reg)
		return -EOPNOTSUPP;
	err = acc->read_reg(ctx, regno, buf, &size);
	if (err < 0)
		return err;
	if (size == 0 || size > sizeof(buf))
		return -EIO; /* a target bug; do not read past what it filled */
	for (size_t i = size < 8 ? size : 8; i-- > 0;)
		v = v << 8 | buf[i];
	*out = v;
	return 0;
}

/* Where a goto/if_goto lands; its offset counts from the start of the code. */
static int jump(size_t len, uint64_t offset, size_t *pc)
{
	if (offset >= len)
		return -ERANGE;
	*pc = (size_t)offset;
	return 0;
}

/*
 * The bytecode interpreter proper: one instruction at code[*pc] (pc already
 * past the opcode byte). 1: "end". One switch over the manual's opcodes,
 * kept whole like a table, so each opcode reads beside its stack effect.
 */
static int step(uint8_t op, const uint8_t *code, size_t len, size_t *pc,
		struct agent_stack *st, const struct gdb_agent_access *acc, void *ctx)
{
	uint64_t *top = st->n ? &st->v[st->n - 1] : NULL;
	uint64_t arg, v;
	int err;

	if (is_binary(op)) {
		if (st->n < 2)
			return -EINVAL;
		err = binary(op, st->v[st->n - 2], st->v[st->n - 1], &v);
		if (err < 0)
			return err;
		st->n--;
		st->v[st->n - 1] = v;
		return 0;
	}
	switch (op) {
	case OP_CONST8:
	case OP_CONST16:
	case OP_CONST32:
	case OP_CONST64:
		err = operand(code, len, pc, 1u << (op - OP_CONST8), &arg);
		return err < 0 ? err : push(st, arg);
	case OP_REG:
		err = operand(code, len, pc, 2, &arg);
		if (err < 0)
			return err;
		err = read_reg(acc, ctx, (unsigned)arg, &v);
		return err < 0 ? err : push(st, v);
	case OP_REF8:
	case OP_REF16:
	case OP_REF32:
	case OP_REF64:
		if (!top)
			return -EINVAL;
		return read_mem(acc, ctx, *top, 1u << (op - OP_REF8), top);
	case OP_LOG_NOT:
	case OP_BIT_NOT:
		if (!top)
			return -EINVAL;
		*top = op == OP_LOG_NOT ? *top == 0 : ~*top;
		return 0;
	case OP_EXT:
	case OP_ZERO_EXT:
		err = operand(code, len, pc, 1, &arg);
		if (err < 0)
			return err;
		if (!top)
			return -EINVAL;
		if (arg >= 64)
			return 0; /* "no effect", as the manual says */
		if (op == OP_ZERO_EXT) {
			*top &= (UINT64_C(1) << arg) - 1;
		} else {
			uint64_t sign;

			if (arg == 0)
				return -EINVAL; /* there is no sign bit to extend */
			sign = UINT64_C(1) << (arg - 1);
			*top &= (sign << 1) - 1;
			*top = (*top ^ sign) - sign;
		}
		return 0;
	case OP_IF_GOTO:
		err = operand(code, len, pc, 2, &arg);
		if (err < 0)
			return err;
		if (!top)
			return -EINVAL;
		st->n--;
		return *top ? jump(len, arg, pc) : 0;
	case OP_GOTO:
		err = operand(code, len, pc, 2, &arg);
		return err < 0 ? err : jump(len, arg, pc);
	case OP_END:
		return top ? 1 : -EINVAL;
	case OP_DUP:
		return top ? push(st, *top) : -EINVAL;
	case OP_POP:
		if (!top)
			return -EINVAL;
		st->n--;
		return 0;
	case OP_SWAP:
		if (st->n < 2)
			return -EINVAL;
		v = st->v[st->n - 2];
		st->v[st->n - 2] = *top;
		*top = v;
		return 0;
	case OP_PICK:
		err = operand(code, len, pc, 1, &arg);
		if (err < 0)
			return err;
		if (arg >= st->n)
			return -EINVAL;
		return push(st, st->v[st->n - 1 - arg]);
	case OP_ROT:
		/* a b c => c a b */
		if (st->n < 3)
			return -EINVAL;
		v = *top;
		st->v[st->n - 1] = st->v[st->n - 2];
		st->v[st->n - 2] = st->v[st->n - 3];
		st->v[st->n - 3] = v;
		return 0;
	case OP_TRACE:
	case OP_TRACENZ:
		/* addr size => ; nothing to record into. */
		if (st->n < 2)
			return -EINVAL;
		st->n -= 2;
		return 0;
	case OP_TRACE_QUICK:
	case OP_TRACE16:
		/* addr => addr */
		err = operand(code, len, pc, op == OP_TRACE16 ? 2 : 1, &arg);
		if (err < 0)
			return err;
		return top ? 0 : -EINVAL;
	case OP_FLOAT:
	case OP_REF_FLOAT:
	case OP_REF_DOUBLE:
	case OP_REF_LONG_DOUBLE:
	case OP_L_TO_D:
	case OP_D_TO_L:
	case OP_GETV:
	case OP_SETV:
	case OP_TRACEV:
	case OP_PRINTF:
		return -EOPNOTSUPP;
	}
	return -EILSEQ;
}

int gdb_agent_eval(const uint8_t *code, size_t len, const struct gdb_agent_access *acc,
		   void *ctx, int64_t *result)
{
	struct agent_stack st;
	size_t pc = 0;

	st.n = 0;
	for (unsigned steps = 0; steps < GDB_AGENT_MAX_STEPS; steps++) {
		int err;

		if (pc >= len)
			return -EILSEQ; /* ran off the end without "end" */
		err = step(code[pc++], code, len, &pc, &st, acc, ctx);
		if (err < 0)
			return err;
		if (err == 1) {
			*result = (int64_t)st.v[st.n - 1];
			return 0;
		}
	}
	return -ELOOP;
}
