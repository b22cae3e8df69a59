/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the agent-expression evaluator alone: the input is
 * the bytecode. The machine behind it has 80 registers of assorted sizes
 * (1 to 64 bytes; numbers from 80 on do not exist) and memory that is the
 * input itself, at 0x1000, read in short pieces. The evaluator must return
 * 0 or one of its documented errors, never read a wrapping or empty range,
 * never ask for more than 8 bytes, and never run more than its step limit
 * (each instruction reads memory or a register at most once).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../gdbstub/agent.h"

#define NREGS    80
#define MEM_BASE 0x1000u

struct machine {
	const uint8_t *mem;
	size_t mem_len;
	unsigned reads;
};

static int read_reg(void *ctx, unsigned regno, uint8_t *buf, size_t *size)
{
	static const size_t sizes[] = { 8, 4, 2, 1, 10, 16, 32, 64 };
	struct machine *m = ctx;
	size_t n;

	m->reads++;
	if (regno >= NREGS)
		return -ENOENT;
	n = sizes[regno % 8];
	if (n > *size)
		abort(); /* the evaluator offers GDB_AGENT_REG_MAX bytes */
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(regno * 37 + i * 11);
	*size = n;
	return 0;
}

static long read_mem(void *ctx, uint64_t addr, uint8_t *buf, size_t len)
{
	struct machine *m = ctx;
	size_t n = 0;

	m->reads++;
	if (len == 0 || len > 8 || addr + (len - 1) < addr)
		abort();
	/* At most 3 bytes per call, so the evaluator's retry loop is exercised. */
	while (n < len && n < 3 && addr + n >= MEM_BASE && addr + n - MEM_BASE < m->mem_len) {
		buf[n] = m->mem[addr + n - MEM_BASE];
		n++;
	}
	return n ? (long)n : -EFAULT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gdb_agent_access acc = { read_reg, read_mem };
	struct machine m = { data, size, 0 };
	int64_t value;
	int err = gdb_agent_eval(data, size, &acc, &m, &value);

	switch (-err) {
	case 0: case EILSEQ: case EOPNOTSUPP: case EINVAL: case ENOSPC: case ERANGE:
	case EDOM: case ELOOP: case EFAULT: case ENOENT:
		break;
	default:
		abort();
	}
	/* Each 8-byte read takes at most 3 calls; one read per instruction. */
	if (m.reads > 3 * GDB_AGENT_MAX_STEPS)
		abort();
	return 0;
}
