/* SPDX-License-Identifier: MIT */
/*
 * Target-side breakpoint conditions: the agent-expression evaluator (every
 * opcode, hand-assembled, and malformed bytecode), the ";X" lists in Z0/Z1
 * through the server, qSupported, and gdb_server_bp_should_stop() with the
 * bytecode gdb 13 really emits ("maint agent-eval -at leaf, EXPR" on
 * guest/ckernel.elf; the first is byte for byte the Z0 gdb sent for
 * "break leaf if $rdi == 5").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

/* ---- a tiny machine for the evaluator: 32 registers, 64 bytes at 0x1000 ---- */

#define MEM_BASE 0x1000u
#define MEM_SIZE 64u

struct machine {
	uint64_t regs[32];
	size_t reg_size[32];      /* 0 means 8 */
	uint8_t mem[MEM_SIZE];
	bool byte_at_a_time;      /* read_mem returns one byte per call */
	bool bogus_size;          /* read_reg claims a size it cannot have */
	unsigned reg_reads, mem_reads;
};

static int m_read_reg(void *ctx, unsigned regno, uint8_t *buf, size_t *size)
{
	struct machine *m = ctx;
	size_t n;

	m->reg_reads++;
	if (regno >= 32)
		return -ENOENT;
	n = m->reg_size[regno] ? m->reg_size[regno] : 8;
	if (m->bogus_size) {
		*size = *size + 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = i < 8 ? (uint8_t)(m->regs[regno] >> (8 * i)) : 0xee;
	*size = n;
	return 0;
}

static long m_read_mem(void *ctx, uint64_t addr, uint8_t *buf, size_t len)
{
	struct machine *m = ctx;
	size_t n = 0;

	m->mem_reads++;
	if (len == 0 || addr + (len - 1) < addr)
		return -EINVAL; /* the evaluator promised not to */
	while (n < len && addr + n >= MEM_BASE && addr + n < MEM_BASE + MEM_SIZE) {
		buf[n] = m->mem[addr + n - MEM_BASE];
		n++;
		if (m->byte_at_a_time)
			break;
	}
	return n ? (long)n : -EFAULT;
}

static const struct gdb_agent_access m_access = { m_read_reg, m_read_mem };

static struct machine machine(void)
{
	struct machine m;

	memset(&m, 0, sizeof(m));
	for (unsigned i = 0; i < MEM_SIZE; i++)
		m.mem[i] = (uint8_t)(0x10 + i);
	return m;
}

/* Evaluate; returns the errno (0 on success) and stores the value. */
static int run(struct machine *m, const uint8_t *code, size_t len, int64_t *value)
{
	*value = 0x5a5a;
	return gdb_agent_eval(code, len, &m_access, m, value);
}

#define EVAL(m, value, ...)                                                            \
	({                                                                             \
		static const uint8_t code_[] = { __VA_ARGS__ };                        \
		run((m), code_, sizeof(code_), (value));                               \
	})

/* The value of a bytecode that must succeed (on a fresh machine). */
#define VALUE(...)                                                                     \
	({                                                                             \
		struct machine m_ = machine();                                         \
		int64_t v_;                                                            \
		int err_ = EVAL(&m_, &v_, __VA_ARGS__);                                \
		CHECK_EQ(err_, 0);                                                     \
		v_;                                                                    \
	})

/* The error of a bytecode that must fail (on a fresh machine). */
#define ERROR(...)                                                                     \
	({                                                                             \
		struct machine m_ = machine();                                         \
		int64_t v_;                                                            \
		EVAL(&m_, &v_, __VA_ARGS__);                                           \
	})

/* Opcodes by the manual's names, so the tests read like its listings. */
enum {
	FLOAT = 0x01, ADD, SUB, MUL, DIV_S, DIV_U, REM_S, REM_U, LSH, RSH_S, RSH_U,
	TRACE, TRACE_QUICK, LOG_NOT, BIT_AND, BIT_OR, BIT_XOR, BIT_NOT, EQUAL,
	LESS_S, LESS_U, EXT, REF8, REF16, REF32, REF64, REF_FLOAT, REF_DOUBLE,
	REF_LONG_DOUBLE, L_TO_D, D_TO_L, IF_GOTO, GOTO, CONST8, CONST16, CONST32,
	CONST64, REG, END, DUP, POP, ZERO_EXT, SWAP, GETV, SETV, TRACEV, TRACENZ,
	TRACE16, INVALID2, PICK, ROT, PRINTF,
};

TEST(gdbstub_agent_opcode_numbers)
{
	/* The manual's numbers, spot-checked against the enum above. */
	CHECK_EQ(ADD, 0x02);
	CHECK_EQ(TRACE, 0x0c);
	CHECK_EQ(EXT, 0x16);
	CHECK_EQ(IF_GOTO, 0x20);
	CHECK_EQ(END, 0x27);
	CHECK_EQ(ZERO_EXT, 0x2a);
	CHECK_EQ(TRACE16, 0x30);
	CHECK_EQ(PRINTF, 0x34);
}

TEST(gdbstub_agent_arithmetic)
{
	CHECK_EQ(VALUE(CONST8, 3, CONST8, 4, ADD, END), 7);
	CHECK_EQ(VALUE(CONST64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, CONST8, 2, ADD, END), 1);
	CHECK_EQ(VALUE(CONST8, 3, CONST8, 4, SUB, END), -1);
	CHECK_EQ(VALUE(CONST16, 0x12, 0x34, CONST8, 0x10, MUL, END), 0x12340);
	/* -7 / 2 = -3 and -7 % 2 = -1 (C's truncation, like gdb's host side). */
	CHECK_EQ(VALUE(CONST8, 0xf9, EXT, 8, CONST8, 2, DIV_S, END), -3);
	CHECK_EQ(VALUE(CONST8, 0xf9, EXT, 8, CONST8, 2, REM_S, END), -1);
	CHECK_EQ(VALUE(CONST8, 0xf9, EXT, 8, CONST8, 2, DIV_U, END), 0x7ffffffffffffffc);
	CHECK_EQ(VALUE(CONST8, 7, CONST8, 3, REM_U, END), 1);
	CHECK_EQ(VALUE(CONST8, 0xf9, EXT, 8, CONST8, 2, REM_U, END), 1);
	/* INT64_MIN / -1 wraps instead of trapping; its remainder is 0. */
	CHECK_EQ(VALUE(CONST64, 0x80, 0, 0, 0, 0, 0, 0, 0, CONST8, 0xff, EXT, 8, DIV_S, END),
		 INT64_MIN);
	CHECK_EQ(VALUE(CONST64, 0x80, 0, 0, 0, 0, 0, 0, 0, CONST8, 0xff, EXT, 8, REM_S, END), 0);
	CHECK_EQ(VALUE(CONST8, 7, CONST8, 0xff, EXT, 8, DIV_S, END), -7);
}

TEST(gdbstub_agent_division_by_zero)
{
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 0, DIV_S, END), -EDOM);
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 0, DIV_U, END), -EDOM);
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 0, REM_S, END), -EDOM);
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 0, REM_U, END), -EDOM);
}

TEST(gdbstub_agent_shifts)
{
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 4, LSH, END), 16);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 63, LSH, END), INT64_MIN);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 64, LSH, END), 0);
	CHECK_EQ(VALUE(CONST8, 0xf0, EXT, 8, CONST8, 2, RSH_S, END), -4);
	CHECK_EQ(VALUE(CONST8, 0x70, CONST8, 2, RSH_S, END), 0x1c);
	CHECK_EQ(VALUE(CONST8, 0xf0, EXT, 8, CONST8, 70, RSH_S, END), -1);
	CHECK_EQ(VALUE(CONST8, 0x70, CONST8, 70, RSH_S, END), 0);
	CHECK_EQ(VALUE(CONST8, 0xf0, EXT, 8, CONST8, 60, RSH_U, END), 0xf);
	CHECK_EQ(VALUE(CONST8, 0xf0, EXT, 8, CONST8, 64, RSH_U, END), 0);
}

TEST(gdbstub_agent_logic_and_compare)
{
	CHECK_EQ(VALUE(CONST8, 0, LOG_NOT, END), 1);
	CHECK_EQ(VALUE(CONST8, 5, LOG_NOT, END), 0);
	CHECK_EQ(VALUE(CONST8, 0x0c, CONST8, 0x0a, BIT_AND, END), 0x08);
	CHECK_EQ(VALUE(CONST8, 0x0c, CONST8, 0x0a, BIT_OR, END), 0x0e);
	CHECK_EQ(VALUE(CONST8, 0x0c, CONST8, 0x0a, BIT_XOR, END), 0x06);
	CHECK_EQ(VALUE(CONST8, 0x0c, BIT_NOT, END), ~(uint64_t)0x0c);
	CHECK_EQ(VALUE(CONST8, 9, CONST8, 9, EQUAL, END), 1);
	CHECK_EQ(VALUE(CONST8, 9, CONST8, 8, EQUAL, END), 0);
	/* -1 < 1 signed, not unsigned; and the operand order: a b => a<b. */
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, CONST8, 1, LESS_S, END), 1);
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, CONST8, 1, LESS_U, END), 0);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, LESS_U, END), 1);
	CHECK_EQ(VALUE(CONST8, 2, CONST8, 1, LESS_S, END), 0);
	CHECK_EQ(VALUE(CONST8, 2, CONST8, 2, LESS_S, END), 0);
}

TEST(gdbstub_agent_extensions)
{
	CHECK_EQ(VALUE(CONST8, 0x80, EXT, 8, END), -128);
	CHECK_EQ(VALUE(CONST8, 0x7f, EXT, 8, END), 127);
	CHECK_EQ(VALUE(CONST16, 0x01, 0x80, EXT, 8, END), -128); /* bits above n go */
	CHECK_EQ(VALUE(CONST32, 0x80, 0, 0, 0, EXT, 32, END), (int64_t)INT32_MIN);
	CHECK_EQ(VALUE(CONST8, 1, EXT, 1, END), -1);
	CHECK_EQ(VALUE(CONST8, 0x80, EXT, 64, END), 0x80);   /* n >= 64: no effect */
	CHECK_EQ(VALUE(CONST8, 0x80, EXT, 200, END), 0x80);
	CHECK_EQ(ERROR(CONST8, 0x80, EXT, 0, END), -EINVAL); /* no sign bit */
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, ZERO_EXT, 8, END), 0xff);
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, ZERO_EXT, 12, END), 0xfff);
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, ZERO_EXT, 0, END), 0);
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, ZERO_EXT, 64, END), -1);
	CHECK_EQ(VALUE(CONST8, 0xff, EXT, 8, ZERO_EXT, 99, END), -1);
}

TEST(gdbstub_agent_constants_are_big_endian)
{
	CHECK_EQ(VALUE(CONST8, 0xab, END), 0xab); /* no sign extension */
	CHECK_EQ(VALUE(CONST16, 0x12, 0x34, END), 0x1234);
	CHECK_EQ(VALUE(CONST32, 0x12, 0x34, 0x56, 0x78, END), 0x12345678);
	CHECK_EQ(VALUE(CONST32, 0xff, 0xff, 0xff, 0xfe, END), 0xfffffffe);
	CHECK_EQ(VALUE(CONST64, 1, 2, 3, 4, 5, 6, 7, 8, END), 0x0102030405060708);
}

TEST(gdbstub_agent_memory)
{
	struct machine m = machine();
	int64_t v;

	/* Little-endian, unaligned, zero-extended. */
	CHECK_EQ(VALUE(CONST16, 0x10, 0x01, REF8, END), 0x11);
	CHECK_EQ(VALUE(CONST16, 0x10, 0x01, REF16, END), 0x1211);
	CHECK_EQ(VALUE(CONST16, 0x10, 0x03, REF32, END), 0x16151413);
	CHECK_EQ(VALUE(CONST16, 0x10, 0x05, REF64, END), 0x1c1b1a1918171615);
	m.mem[0] = 0xf0;
	CHECK_EQ(EVAL(&m, &v, CONST16, 0x10, 0x00, REF8, END), 0);
	CHECK_EQ(v, 0xf0);
	/* A target that returns short reads is asked again for the rest. */
	m.byte_at_a_time = true;
	m.mem_reads = 0;
	CHECK_EQ(EVAL(&m, &v, CONST16, 0x10, 0x00, REF64, END), 0);
	CHECK_EQ(v, 0x17161514131211f0);
	CHECK_EQ(m.mem_reads, 8);
	/* Unreadable: wholly, partly (the last byte), wrapping past 2^64. */
	CHECK_EQ(ERROR(CONST8, 0x10, REF8, END), -EFAULT);
	CHECK_EQ(ERROR(CONST16, 0x10, 0x3e, REF32, END), -EFAULT);
	CHECK_EQ(VALUE(CONST16, 0x10, 0x3f, REF8, END), 0x4f); /* the last byte is fine */
	CHECK_EQ(ERROR(CONST8, 0xff, EXT, 8, REF16, END), -EFAULT);
	CHECK_EQ(ERROR(CONST8, 0xff, EXT, 8, REF8, END), -EFAULT);
	/* Without an accessor there is no memory. */
	CHECK_EQ(gdb_agent_eval((const uint8_t[]){ CONST8, 1, REF8, END }, 4, NULL, NULL, &v),
		 -EOPNOTSUPP);
}

TEST(gdbstub_agent_registers)
{
	struct machine m = machine();
	int64_t v;

	m.regs[5] = 0x1122334455667788;
	m.regs[6] = 0xfffffff0;
	m.reg_size[6] = 4;   /* a 32-bit register is zero-extended */
	m.regs[7] = 0x0102030405060708;
	m.reg_size[7] = 16;  /* an xmm register: its low 64 bits */
	m.reg_size[8] = 2;
	m.regs[8] = 0xabcd;
	CHECK_EQ(EVAL(&m, &v, REG, 0, 5, END), 0);
	CHECK_EQ(v, 0x1122334455667788);
	CHECK_EQ(EVAL(&m, &v, REG, 0, 6, END), 0);
	CHECK_EQ(v, 0xfffffff0);
	CHECK_EQ(EVAL(&m, &v, REG, 0, 7, END), 0);
	CHECK_EQ(v, 0x0102030405060708);
	CHECK_EQ(EVAL(&m, &v, REG, 0, 8, END), 0);
	CHECK_EQ(v, 0xabcd);
	/* The register number is 16-bit big-endian; the target's error comes back. */
	CHECK_EQ(EVAL(&m, &v, REG, 1, 5, END), -ENOENT);
	m.bogus_size = true;
	CHECK_EQ(EVAL(&m, &v, REG, 0, 5, END), -EIO);
	CHECK_EQ(gdb_agent_eval((const uint8_t[]){ REG, 0, 1, END }, 4, NULL, NULL, &v),
		 -EOPNOTSUPP);
}

TEST(gdbstub_agent_jumps)
{
	/* if_goto taken / not taken; goto over a poison byte. */
	CHECK_EQ(VALUE(CONST8, 1, IF_GOTO, 0, 8, CONST8, 1, END, CONST8, 2, END), 2);
	CHECK_EQ(VALUE(CONST8, 0, IF_GOTO, 0, 8, CONST8, 1, END, CONST8, 2, END), 1);
	CHECK_EQ(VALUE(GOTO, 0, 4, 0xff, CONST8, 9, END), 9);
	/* A counted loop: 1000 rounds of 4 instructions fit under the cap. */
	CHECK_EQ(VALUE(CONST16, 0x03, 0xe8, CONST8, 1, SUB, DUP, IF_GOTO, 0, 3, END), 0);
	/* Out of the code: past the end, exactly at the end, taken if_goto. */
	CHECK_EQ(ERROR(GOTO, 1, 0, END), -ERANGE);
	CHECK_EQ(ERROR(GOTO, 0, 4, END), -ERANGE);
	CHECK_EQ(ERROR(CONST8, 1, IF_GOTO, 0xff, 0xff, END), -ERANGE);
	/* An if_goto that is not taken does not care where it would go. */
	CHECK_EQ(VALUE(CONST8, 7, CONST8, 0, IF_GOTO, 0xff, 0xff, END), 7);
	/* Landing inside an operand just runs those bytes as opcodes. */
	CHECK_EQ(VALUE(GOTO, 0, 4, CONST8, CONST8, 0x22, END), 0x22);
}

TEST(gdbstub_agent_runaway_loops_are_capped)
{
	struct machine m = machine();
	int64_t v;

	CHECK_EQ(ERROR(GOTO, 0, 0), -ELOOP);
	CHECK_EQ(ERROR(CONST8, 1, POP, GOTO, 0, 0), -ELOOP);
	CHECK_EQ(ERROR(CONST8, 1, IF_GOTO, 0, 0), -ELOOP);
	/* 3000 rounds of the counted loop: 12 000 instructions, over the cap. */
	CHECK_EQ(ERROR(CONST16, 0x0b, 0xb8, CONST8, 1, SUB, DUP, IF_GOTO, 0, 3, END), -ELOOP);
	/* Memory is read at most GDB_AGENT_MAX_STEPS times. */
	CHECK_EQ(EVAL(&m, &v, CONST16, 0x10, 0, REF8, POP, GOTO, 0, 0), -ELOOP);
	CHECK(m.mem_reads <= GDB_AGENT_MAX_STEPS);
}

TEST(gdbstub_agent_stack_ops)
{
	CHECK_EQ(VALUE(CONST8, 4, DUP, ADD, END), 8);
	CHECK_EQ(VALUE(CONST8, 4, CONST8, 5, POP, END), 4);
	CHECK_EQ(VALUE(CONST8, 4, CONST8, 5, SWAP, SUB, END), 1);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, CONST8, 3, PICK, 0, END), 3);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, CONST8, 3, PICK, 2, END), 1);
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 2, CONST8, 3, PICK, 3, END), -EINVAL);
	/* rot: a b c => c a b, so the top is b, then a, then c. */
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, CONST8, 3, ROT, END), 2);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, CONST8, 3, ROT, POP, END), 1);
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, CONST8, 3, ROT, POP, POP, END), 3);
	/* end takes the top, whatever lies below. */
	CHECK_EQ(VALUE(CONST8, 1, CONST8, 2, END), 2);
}

TEST(gdbstub_agent_trace_opcodes_do_nothing)
{
	/* trace: addr size => ; trace_quick/trace16: addr => addr; tracenz: addr size => */
	CHECK_EQ(VALUE(CONST8, 5, CONST8, 1, CONST8, 2, TRACE, END), 5);
	CHECK_EQ(VALUE(CONST8, 7, TRACE_QUICK, 4, END), 7);
	CHECK_EQ(VALUE(CONST8, 7, TRACE16, 0x01, 0x00, END), 7);
	CHECK_EQ(VALUE(CONST8, 5, CONST8, 1, CONST8, 2, TRACENZ, END), 5);
	CHECK_EQ(ERROR(CONST8, 1, TRACE, END), -EINVAL);
	CHECK_EQ(ERROR(TRACE_QUICK, 4, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, TRACENZ, END), -EINVAL);
}

TEST(gdbstub_agent_unsupported_opcodes)
{
	CHECK_EQ(ERROR(FLOAT, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST16, 0x10, 0, REF_FLOAT, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST16, 0x10, 0, REF_DOUBLE, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST16, 0x10, 0, REF_LONG_DOUBLE, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST8, 1, L_TO_D, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST8, 1, D_TO_L, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(GETV, 0, 1, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST8, 1, SETV, 0, 1, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(TRACEV, 0, 1, END), -EOPNOTSUPP);
	CHECK_EQ(ERROR(CONST8, 0, CONST8, 0, PRINTF, 0, 0, 1, 0, END), -EOPNOTSUPP);
}

TEST(gdbstub_agent_bad_opcodes)
{
	CHECK_EQ(ERROR(0x00, END), -EILSEQ);
	CHECK_EQ(ERROR(INVALID2, END), -EILSEQ);
	CHECK_EQ(ERROR(0x35, END), -EILSEQ);
	CHECK_EQ(ERROR(0xff, END), -EILSEQ);
	/* Every byte value either works, fails cleanly or is refused. */
	for (unsigned op = 0; op < 256; op++) {
		struct machine m = machine();
		uint8_t code[] = { CONST8, 1, CONST8, 2, CONST8, 3, (uint8_t)op, 0, 0, 0, 0, 0,
				   0, 0, 0, END };
		int64_t v;
		int err = run(&m, code, sizeof(code), &v);

		CHECK(err == 0 || err == -EILSEQ || err == -EOPNOTSUPP || err == -EINVAL ||
		      err == -EFAULT || err == -ENOENT || err == -ERANGE || err == -EDOM ||
		      err == -ENOSPC || err == -ELOOP);
	}
}

TEST(gdbstub_agent_truncated)
{
	CHECK_EQ(ERROR(), -EILSEQ);                    /* no code at all */
	CHECK_EQ(ERROR(CONST8, 1), -EILSEQ);           /* no end */
	CHECK_EQ(ERROR(CONST8), -EILSEQ);
	CHECK_EQ(ERROR(CONST16, 1), -EILSEQ);
	CHECK_EQ(ERROR(CONST32, 1, 2, 3), -EILSEQ);
	CHECK_EQ(ERROR(CONST64, 1, 2, 3, 4, 5, 6, 7), -EILSEQ);
	CHECK_EQ(ERROR(REG, 0), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, IF_GOTO, 0), -EILSEQ);
	CHECK_EQ(ERROR(GOTO, 0), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, EXT), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, ZERO_EXT), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, PICK), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, TRACE_QUICK), -EILSEQ);
	CHECK_EQ(ERROR(CONST8, 1, TRACE16, 0), -EILSEQ);
}

TEST(gdbstub_agent_stack_underflow)
{
	CHECK_EQ(ERROR(END), -EINVAL);
	CHECK_EQ(ERROR(ADD, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, ADD, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, DIV_S, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, EQUAL, END), -EINVAL);
	CHECK_EQ(ERROR(LOG_NOT, END), -EINVAL);
	CHECK_EQ(ERROR(BIT_NOT, END), -EINVAL);
	CHECK_EQ(ERROR(EXT, 8, END), -EINVAL);
	CHECK_EQ(ERROR(ZERO_EXT, 8, END), -EINVAL);
	CHECK_EQ(ERROR(REF32, END), -EINVAL);
	CHECK_EQ(ERROR(IF_GOTO, 0, 0, END), -EINVAL);
	CHECK_EQ(ERROR(DUP, END), -EINVAL);
	CHECK_EQ(ERROR(POP, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, SWAP, END), -EINVAL);
	CHECK_EQ(ERROR(PICK, 0, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, CONST8, 2, ROT, END), -EINVAL);
	CHECK_EQ(ERROR(CONST8, 1, POP, END), -EINVAL);
}

TEST(gdbstub_agent_stack_overflow)
{
	uint8_t code[2 * (GDB_AGENT_STACK + 1) + 1];
	struct machine m = machine();
	int64_t v;

	for (unsigned i = 0; i <= GDB_AGENT_STACK; i++) {
		code[2 * i] = CONST8;
		code[2 * i + 1] = (uint8_t)i;
	}
	/* GDB_AGENT_STACK entries fit... */
	code[2 * GDB_AGENT_STACK] = END;
	CHECK_EQ(run(&m, code, 2 * GDB_AGENT_STACK + 1, &v), 0);
	CHECK_EQ(v, GDB_AGENT_STACK - 1);
	/* ...one more does not, nor a dup or pick past the top. */
	code[2 * GDB_AGENT_STACK] = CONST8;
	code[2 * GDB_AGENT_STACK + 2] = END;
	CHECK_EQ(run(&m, code, sizeof(code), &v), -ENOSPC);
	code[2 * GDB_AGENT_STACK] = DUP;
	code[2 * GDB_AGENT_STACK + 1] = END;
	CHECK_EQ(run(&m, code, 2 * GDB_AGENT_STACK + 2, &v), -ENOSPC);
	code[2 * GDB_AGENT_STACK] = PICK;
	code[2 * GDB_AGENT_STACK + 1] = 0;
	code[2 * GDB_AGENT_STACK + 2] = END;
	CHECK_EQ(run(&m, code, sizeof(code), &v), -ENOSPC);
	CHECK_EQ(ERROR(CONST8, 1, DUP, GOTO, 0, 2), -ENOSPC);
}

/* ---- what gdb 13 compiles conditions at leaf() in guest/ckernel.elf to ---- */

/* $rdi == 5: reg 5, ext 64, const8 5, equal, end (Z0 ...;X9,260005164022051327) */
static const uint8_t gdb_rdi_eq_5[] = { 0x26, 0x00, 0x05, 0x16, 0x40, 0x22, 0x05, 0x13, 0x27 };
/* *(int*)0x1000 == 7: const16 4096, ref32, ext 32, const8 7, equal, end */
static const uint8_t gdb_int_at_1000_eq_7[] = { 0x23, 0x10, 0x00, 0x19, 0x16, 0x20,
						0x22, 0x07, 0x13, 0x27 };
/* counter == 99999 (an unsigned long at 0x112020): const32, ref64, const32, zero_ext 64, equal */
static const uint8_t gdb_counter_eq_99999[] = { 0x24, 0x00, 0x11, 0x20, 0x20, 0x1a, 0x24, 0x00,
						0x01, 0x86, 0x9f, 0x2a, 0x40, 0x13, 0x27 };
/* x == 5, x a local at the frame base - 40 (CFA = rsp + 16 there): reg 6 (rsp) ... */
static const uint8_t gdb_local_x_eq_5[] = { 0x26, 0x00, 0x06, 0x22, 0x10, 0x02, 0x22, 0xd8,
					    0x16, 0x08, 0x02, 0x1a, 0x22, 0x05, 0x2a, 0x40,
					    0x13, 0x27 };
/* $rdi / 3 % 2 == 1 */
static const uint8_t gdb_rdi_div_mod[] = { 0x26, 0x00, 0x05, 0x16, 0x40, 0x22, 0x03, 0x05,
					   0x16, 0x40, 0x22, 0x02, 0x07, 0x16, 0x40, 0x22,
					   0x01, 0x13, 0x27 };
/* (long)$rdi < -3 && counter != 2 || mode   (mode: an int at 0x112028) */
static const uint8_t gdb_and_or[] = {
	0x26, 0x00, 0x05, 0x16, 0x40, 0x22, 0xfd, 0x16, 0x08, 0x14, /*  0 */
	0x20, 0x00, 0x10, 0x21, 0x00, 0x27,                         /* 10 */
	0x24, 0x00, 0x11, 0x20, 0x20, 0x1a, 0x22, 0x02, 0x2a, 0x40, /* 16 */
	0x13, 0x0e, 0x20, 0x00, 0x22, 0x21, 0x00, 0x27,             /* 26 */
	0x22, 0x01, 0x21, 0x00, 0x29, 0x22, 0x00,                   /* 34 */
	0x20, 0x00, 0x3c, 0x24, 0x00, 0x11, 0x20, 0x28, 0x19, 0x16, /* 41 */
	0x20, 0x20, 0x00, 0x3c, 0x22, 0x00, 0x21, 0x00, 0x3e,       /* 51 */
	0x22, 0x01, 0x27,                                           /* 60 */
};

static int64_t eval_on(struct machine *m, const uint8_t *code, size_t len)
{
	int64_t v = -99;

	CHECK_EQ(gdb_agent_eval(code, len, &m_access, m, &v), 0);
	return v;
}

TEST(gdbstub_agent_gdb_emitted_register_and_memory)
{
	struct machine m = machine();

	m.regs[5] = 5;
	CHECK_EQ(eval_on(&m, gdb_rdi_eq_5, sizeof(gdb_rdi_eq_5)), 1);
	m.regs[5] = 4;
	CHECK_EQ(eval_on(&m, gdb_rdi_eq_5, sizeof(gdb_rdi_eq_5)), 0);
	m.regs[5] = 0x100000005; /* a 64-bit compare, not 32 */
	CHECK_EQ(eval_on(&m, gdb_rdi_eq_5, sizeof(gdb_rdi_eq_5)), 0);

	memcpy(m.mem, "\x07\x00\x00\x00", 4);
	CHECK_EQ(eval_on(&m, gdb_int_at_1000_eq_7, sizeof(gdb_int_at_1000_eq_7)), 1);
	memcpy(m.mem, "\x07\x00\x00\x01", 4);
	CHECK_EQ(eval_on(&m, gdb_int_at_1000_eq_7, sizeof(gdb_int_at_1000_eq_7)), 0);

	for (int64_t rdi = 0; rdi < 12; rdi++) {
		m.regs[5] = (uint64_t)rdi;
		CHECK_EQ(eval_on(&m, gdb_rdi_div_mod, sizeof(gdb_rdi_div_mod)), rdi / 3 % 2 == 1);
	}
}

TEST(gdbstub_agent_gdb_emitted_local_variable)
{
	struct machine m = machine();
	int64_t v;

	/* rsp + 16 - 40 = 0x1008 holds x. */
	m.regs[6] = MEM_BASE + 0x20;
	memcpy(m.mem + 8, "\x05\0\0\0\0\0\0\0", 8);
	CHECK_EQ(eval_on(&m, gdb_local_x_eq_5, sizeof(gdb_local_x_eq_5)), 1);
	memcpy(m.mem + 8, "\x05\0\0\0\0\0\0\x01", 8);
	CHECK_EQ(eval_on(&m, gdb_local_x_eq_5, sizeof(gdb_local_x_eq_5)), 0);
	/* A stack pointer into nothing: the condition cannot be evaluated. */
	m.regs[6] = 0x900000;
	CHECK_EQ(gdb_agent_eval(gdb_local_x_eq_5, sizeof(gdb_local_x_eq_5), &m_access, &m, &v),
		 -EFAULT);
}

/* A machine whose memory is at 0x112020 (counter) and 0x112028 (mode). */
static long globals_read_mem(void *ctx, uint64_t addr, uint8_t *buf, size_t len)
{
	const uint8_t *globals = ctx;

	if (addr < 0x112020 || addr + len > 0x112030)
		return -EFAULT;
	memcpy(buf, globals + (addr - 0x112020), len);
	return (long)len;
}

static int globals_read_reg(void *ctx, unsigned regno, uint8_t *buf, size_t *size)
{
	const uint8_t *globals = ctx;

	if (regno != 5)
		return -ENOENT;
	memcpy(buf, globals + 16, 8); /* rdi lives after the two globals */
	*size = 8;
	return 0;
}

static int64_t globals_eval(const uint8_t *code, size_t len, uint64_t counter, int32_t mode,
			    int64_t rdi)
{
	static const struct gdb_agent_access acc = { globals_read_reg, globals_read_mem };
	uint8_t globals[24] = { 0 };
	int64_t v = -99;

	memcpy(globals, &counter, 8);
	memcpy(globals + 8, &mode, 4);
	memcpy(globals + 16, &rdi, 8);
	CHECK_EQ(gdb_agent_eval(code, len, &acc, globals, &v), 0);
	return v;
}

TEST(gdbstub_agent_gdb_emitted_global_and_logic)
{
	CHECK_EQ(globals_eval(gdb_counter_eq_99999, sizeof(gdb_counter_eq_99999), 99999, 0, 0), 1);
	CHECK_EQ(globals_eval(gdb_counter_eq_99999, sizeof(gdb_counter_eq_99999), 99998, 0, 0), 0);
	/* (long)$rdi < -3 && counter != 2 || mode, over a small truth table. */
	for (int64_t rdi = -5; rdi <= 0; rdi++)
		for (uint64_t counter = 1; counter <= 3; counter++)
			for (int32_t mode = 0; mode <= 1; mode++)
				CHECK_EQ(globals_eval(gdb_and_or, sizeof(gdb_and_or), counter, mode, rdi),
					 (rdi < -3 && counter != 2) || mode);
}

/* ---- the server: Z0/Z1 ";X" lists and gdb_server_bp_should_stop() ---- */

static void to_hex(const uint8_t *data, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", data[i]);
	out[2 * n] = '\0';
}

/* "Z0,ADDR,1;XLEN,HEX" for one condition. */
static const char *z_cond(char *buf, size_t size, const char *head, const uint8_t *code,
			  size_t len)
{
	char hex[2 * 600 + 1];

	to_hex(code, len, hex);
	if ((size_t)snprintf(buf, size, "%s;X%zx,", head, len) + strlen(hex) >= size)
		return "too long for the test's buffer";
	strcat(buf, hex);
	return buf;
}

static void set_rdi(struct sim_fixture *fx, unsigned vcpu, uint64_t v)
{
	memcpy(sim_reg(&fx->t, vcpu, 5), &v, 8);
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int should_stop(struct sim_fixture *fx, enum gdb_bp_type type, uint64_t addr)
{
	struct sim_hit hit = { &fx->t, 0 };

	return gdb_server_bp_should_stop(fx->srv, type, addr, &sim_agent_access, &hit);
}

TEST(gdbstub_agent_qsupported_only_when_enabled)
{
	struct sim_fixture *on = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	struct sim_fixture *off = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);
	struct gdb_target_ops no_bps = sim_ops_minimal;

	CHECK_STR(fx_cmd(on, "qSupported:swbreak+;hwbreak+"),
		  "PacketSize=20000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"
		  "vContSupported+;multiprocess-;swbreak+;hwbreak+;ConditionalBreakpoints+");
	CHECK(strstr(fx_cmd(off, "qSupported"), "Conditional") == NULL);
	CHECK(strstr(fx_cmd(min, "qSupported"), "Conditional") == NULL);
	fx_free(on);
	fx_free(off);
	fx_free(min);
	/* The flag without breakpoint ops advertises nothing. */
	no_bps.conditional_breakpoints = true;
	min = fx_new(&gdb_arch_x86_64, &no_bps, true);
	CHECK(strstr(fx_cmd(min, "qSupported"), "Conditional") == NULL);
	fx_free(min);
}

TEST(gdbstub_agent_z0_condition_filters_hits)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);

	/* The exact packet gdb 13 sent for "break leaf if $rdi == 5". */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327"), "OK");
	CHECK_EQ(fx->t.insert_calls, 1);
	set_rdi(fx, 0, 5);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	set_rdi(fx, 0, 4);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	/* Other types and addresses have no conditions: report them. */
	CHECK_EQ(should_stop(fx, GDB_BP_HW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2001), 1);
	/* Hardware breakpoints take conditions too. */
	CHECK_STR(fx_cmd(fx, "Z1,3000,1;X9,260005164022051327"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_HW, 0x3000), 0);
	set_rdi(fx, 0, 5);
	CHECK_EQ(should_stop(fx, GDB_BP_HW, 0x3000), 1);
	/* Once removed, a hit there is not ours: report it (gdb decides). */
	set_rdi(fx, 0, 4);
	CHECK_STR(fx_cmd(fx, "z0,2000,1"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_resent_replaces_conditions)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	static const uint8_t rdi_eq_7[] = { 0x26, 0x00, 0x05, 0x16, 0x40, 0x22, 0x07, 0x13, 0x27 };
	char pkt[256];

	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327"), "OK");
	set_rdi(fx, 0, 7);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	/* "condition 1 $rdi == 7": the same Z0 with the new bytecode. */
	CHECK_STR(fx_cmd(fx, z_cond(pkt, sizeof(pkt), "Z0,2000,1", rdi_eq_7, sizeof(rdi_eq_7))),
		  "OK");
	CHECK_EQ(fx->t.insert_calls, 1); /* not inserted twice */
	CHECK_EQ(fx->t.nbps, 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	set_rdi(fx, 0, 5);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	/* "condition 1": no conditions any more, every hit stops. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	/* A malformed re-send fails and leaves no stale condition behind. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	set_rdi(fx, 0, 4);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,26000516402205132"), "E16");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(fx->t.insert_calls, 1);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_several_conditions)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);

	/* rdi == 5 or *(int *)0x1000 == 7; gdb concatenates them after one ';'. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327Xa,2310001916202207132" "7"),
		  "OK");
	/* A ';' before each works too, and a cmds: list is skipped. */
	CHECK_STR(fx_cmd(fx, "Z0,2100,1;X9,260005164022051327;Xa,23100019162022071327"
			     ";cmds:0,X3,220127"),
		  "OK");
	memcpy(fx->t.mem + 0x1000, "\x06\0\0\0", 4);
	set_rdi(fx, 0, 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 0);
	set_rdi(fx, 0, 5);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 1);
	set_rdi(fx, 0, 1);
	memcpy(fx->t.mem + 0x1000, "\x07\0\0\0", 4);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 1);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_condition_errors_stop)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);

	/* 1 / 0, a read of the unmapped hole, an undefined opcode: all stop. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X6,220122000527"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2100,1;X7,2400080000172" "7"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2200,1;X2,0027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2200), 1);
	/* A false condition before a failing one still stops. */
	CHECK_STR(fx_cmd(fx, "Z0,2300,1;X3,220027X2,0027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2300), 1);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_malformed_conditions)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	static const char *const bad[] = {
		"Z0,2000,1;X",            /* no length */
		"Z0,2000,1;X3",           /* no comma */
		"Z0,2000,1;X3,",          /* no bytes */
		"Z0,2000,1;X3,2201",      /* too few bytes */
		"Z0,2000,1;X0,",          /* empty */
		"Z0,2000,1;X2,2g27",      /* not hex */
		"Z0,2000,1;Xz,2227",
		"Z0,2000,1;X2,2227X",     /* a second one cut short */
		"Z0,2000,1;X2,2227;X1",
		"Z0,2000,1;Xffffffffffffffff,22",
		"Z0,2000,1;X10000000000000000,22",
		"Z0,2000,1;X8000000000000000,2227",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = fx_cmd(fx, bad[i]);

		if (!r || strcmp(r, "E16") != 0)
			test_fail(__FILE__, __LINE__, "%s: %s", bad[i], r ? r : "(null)");
	}
	CHECK_EQ(fx->t.insert_calls, 0);
	/* Stray items are skipped, a trailing ';' is harmless. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2100,1;foo;X3,220027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 0);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_conditions_ignored_without_flag)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	/* Never advertised: gdb evaluates itself, so every hit must be reported. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X3,220027"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2100,1;X,garbage"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2100), 1);
	fx_free(fx);
	/* Watchpoints never carry conditions (gdb sends them for Z0/Z1 only). */
	fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	CHECK_STR(fx_cmd(fx, "Z2,5000,4;X3,220027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_WP_WRITE, 0x5000), 1);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_limits)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	uint8_t big[GDB_MAX_BP_CONDITION_BYTES + 1];
	char pkt[2 * sizeof(big) + 256];
	size_t n;

	/* Eight conditions fit, nine do not: then every hit is reported. */
	for (unsigned count = GDB_MAX_BP_CONDITIONS; count <= GDB_MAX_BP_CONDITIONS + 1; count++) {
		n = (size_t)snprintf(pkt, sizeof(pkt), "Z0,%x,1;", 0x2000 + count);
		for (unsigned i = 0; i < count; i++)
			n += (size_t)snprintf(pkt + n, sizeof(pkt) - n, "X3,220027");
		CHECK_STR(fx_cmd(fx, pkt), "OK");
	}
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000 + GDB_MAX_BP_CONDITIONS), 0);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000 + GDB_MAX_BP_CONDITIONS + 1), 1);
	/* 512 bytes of bytecode fit, 513 do not: const8 0, bit_not x508, dup(s), end. */
	big[0] = CONST8;
	big[1] = 0;
	memset(big + 2, BIT_NOT, 508);
	big[510] = DUP;
	big[511] = END;
	CHECK_STR(fx_cmd(fx, z_cond(pkt, sizeof(pkt), "Z0,3000,1", big, 512)), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x3000), 0);
	big[511] = DUP;
	big[512] = END;
	CHECK_STR(fx_cmd(fx, z_cond(pkt, sizeof(pkt), "Z0,3100,1", big, 513)), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x3100), 1);
	/* Two that together pass the limit do not fit either. */
	big[511] = END;
	CHECK_STR(fx_cmd(fx, z_cond(pkt, sizeof(pkt), "Z0,3200,1;X3,220027", big, 512)), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x3200), 1);
	CHECK_EQ(fx->t.insert_calls, 5);
	fx_free(fx);
}

TEST(gdbstub_agent_z0_condition_pool)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	char pkt[64];

	/* GDB_MAX_CONDITIONAL_BPS breakpoints keep their conditions... */
	for (unsigned i = 0; i <= GDB_MAX_CONDITIONAL_BPS; i++) {
		snprintf(pkt, sizeof(pkt), "Z0,%x,1;X3,220027", 0x10000 + i);
		CHECK_STR(fx_cmd(fx, pkt), "OK");
	}
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x10000), 0);
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x10000 + GDB_MAX_CONDITIONAL_BPS - 1), 0);
	/* ...the next one is kept without: every hit reported, gdb filters. */
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x10000 + GDB_MAX_CONDITIONAL_BPS), 1);
	/* Removing one frees its slot; a re-send then gets the conditions. */
	CHECK_STR(fx_cmd(fx, "z0,10000,1"), "OK");
	snprintf(pkt, sizeof(pkt), "Z0,%x,1;X3,220027", 0x10000 + GDB_MAX_CONDITIONAL_BPS);
	CHECK_STR(fx_cmd(fx, pkt), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x10000 + GDB_MAX_CONDITIONAL_BPS), 0);
	/* A re-send without conditions gives the slot back too. */
	snprintf(pkt, sizeof(pkt), "Z0,%x,1", 0x10001);
	CHECK_STR(fx_cmd(fx, pkt), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,20000,1;X3,220027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x20000), 0);
	/* Disconnecting empties the table and the pool. */
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	fx_reply(fx);
	for (unsigned i = 0; i < GDB_MAX_CONDITIONAL_BPS; i++) {
		snprintf(pkt, sizeof(pkt), "Z0,%x,1;X3,220027", 0x30000 + i);
		CHECK_STR(fx_cmd(fx, pkt), "OK");
	}
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x30000 + GDB_MAX_CONDITIONAL_BPS - 1), 0);
	fx_free(fx);
}

TEST(gdbstub_agent_same_address_any_says_stop)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);

	/* Two software breakpoints at one address (different kinds). */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X3,220027"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2000,2;X3,220027"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 0);
	CHECK_STR(fx_cmd(fx, "Z0,2000,2;X3,220127"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	CHECK_STR(fx_cmd(fx, "Z0,2000,2"), "OK");
	CHECK_EQ(should_stop(fx, GDB_BP_SW, 0x2000), 1);
	fx_free(fx);
}

TEST(gdbstub_agent_continue_runs_past_false_hits)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	uint64_t rdi;

	/* A loop calling the function at 0x2000 with i = 0..9 in rdi. */
	fx->t.loop_hits = 10;
	fx->t.loop_regno = 5;
	CHECK(fx_cmd(fx, "qSupported:swbreak+;hwbreak+") != NULL);
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327"), "OK");
	CHECK(starts_with(fx_cmd(fx, "c"), "T05thread:1;swbreak:;"));
	CHECK_EQ(sim_pc(&fx->t, 0), 0x2000);
	memcpy(&rdi, sim_reg(&fx->t, 0, 5), 8);
	CHECK_EQ(rdi, 5);
	CHECK_EQ(fx->t.silent_hits, 5);
	/* A condition that is never true: no stop at all, the target runs on. */
	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X3,220027"), "OK");
	fx->t.silent_hits = 0;
	fx_send(fx, "c");
	CHECK_EQ(fx->t.silent_hits, 10);
	CHECK(gdb_server_target_running(fx->srv));
	fx_free(fx);
}

/* Several vCPU threads asking at once, each about its own registers. */
struct hit_thread {
	struct sim_fixture *fx;
	unsigned vcpu;
	unsigned stops, evals;
};

static void *hit_thread_main(void *arg)
{
	struct hit_thread *ht = arg;
	struct sim_hit hit = { &ht->fx->t, ht->vcpu };

	for (unsigned i = 0; i < 20000; i++) {
		ht->stops += gdb_server_bp_should_stop(ht->fx->srv, GDB_BP_SW, 0x2000,
						       &sim_agent_access, &hit) == 1;
		ht->evals++;
	}
	return NULL;
}

TEST(gdbstub_agent_should_stop_from_many_threads)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_conditional, true);
	struct hit_thread ht[4];
	pthread_t tid[4];

	CHECK_STR(fx_cmd(fx, "Z0,2000,1;X9,260005164022051327"), "OK");
	/* Running (the one simulated hit was false) while the vCPUs ask. */
	fx_send(fx, "c");
	CHECK(gdb_server_target_running(fx->srv));
	for (unsigned v = 0; v < 4; v++)
		set_rdi(fx, v, v == 2 ? 5 : v);
	for (unsigned i = 0; i < 4; i++) {
		ht[i] = (struct hit_thread){ fx, i, 0, 0 };
		CHECK_EQ(pthread_create(&tid[i], NULL, hit_thread_main, &ht[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(ht[i].stops, i == 2 ? ht[i].evals : 0);
	fx_free(fx);
}
