/* SPDX-License-Identifier: MIT */
/*
 * Register packets, for the thread selected with Hg:
 *   g            -> all registers, hex, in the arch's order
 *   G XX...      <- all registers (exactly the size of a 'g' reply)
 *   p N          -> register N
 *   P N=XX...    <- register N (exactly its size)
 * The target deals in raw little-endian bytes; hex is done here.
 */
#include <errno.h>

#include "internal.h"

enum rsp_result rsp_cmd_read_regs(struct gdb_server *s, struct rsp_cursor *args)
{
	int err;

	if (!rsp_thread_stopped(s, rsp_g_vcpu(s)))
		return rsp_error(s, ESRCH); /* non-stop: that thread runs */
	if (!rsp_at_end(args))
		return rsp_error(s, EINVAL);
	err = s->ops->read_regs(s->target, rsp_g_vcpu(s), s->scratch);
	if (err < 0)
		return rsp_error(s, err);
	rsp_put_hex(&s->reply, s->scratch, s->regs_size);
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_write_regs(struct gdb_server *s, struct rsp_cursor *args)
{
	int err;

	if (!rsp_thread_stopped(s, rsp_g_vcpu(s)))
		return rsp_error(s, ESRCH); /* non-stop: that thread runs */
	if (rsp_cursor_left(args) != 2 * s->regs_size ||
	    !rsp_hex_decode(args->p, s->regs_size, s->scratch))
		return rsp_error(s, EINVAL);
	err = s->ops->write_regs(s->target, rsp_g_vcpu(s), s->scratch);
	if (err < 0)
		return rsp_error(s, err);
	return rsp_ok(s);
}

static bool parse_regno(struct gdb_server *s, struct rsp_cursor *args, unsigned *regno)
{
	uint64_t n;

	if (!rsp_hex_u64(args, &n) || n >= s->arch->nregs)
		return false;
	*regno = (unsigned)n;
	return true;
}

enum rsp_result rsp_cmd_read_reg(struct gdb_server *s, struct rsp_cursor *args)
{
	uint8_t val[64];
	unsigned regno;
	int err;

	if (!rsp_thread_stopped(s, rsp_g_vcpu(s)))
		return rsp_error(s, ESRCH); /* non-stop: that thread runs */
	if (!parse_regno(s, args, &regno) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (s->arch->regs[regno].bitsize / 8 > sizeof(val))
		return rsp_error(s, E2BIG);
	err = rsp_read_one_reg(s, rsp_g_vcpu(s), regno, val);
	if (err < 0)
		return rsp_error(s, err);
	rsp_put_hex(&s->reply, val, s->arch->regs[regno].bitsize / 8);
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_write_reg(struct gdb_server *s, struct rsp_cursor *args)
{
	uint8_t val[64];
	unsigned regno;
	size_t size;
	int err;

	if (!rsp_thread_stopped(s, rsp_g_vcpu(s)))
		return rsp_error(s, ESRCH); /* non-stop: that thread runs */
	if (!parse_regno(s, args, &regno) || !rsp_eat(args, '='))
		return rsp_error(s, EINVAL);
	size = s->arch->regs[regno].bitsize / 8;
	if (size > sizeof(val))
		return rsp_error(s, E2BIG);
	if (rsp_cursor_left(args) != 2 * size || !rsp_hex_decode(args->p, size, val))
		return rsp_error(s, EINVAL);
	err = rsp_write_one_reg(s, rsp_g_vcpu(s), regno, val);
	if (err < 0)
		return rsp_error(s, err);
	return rsp_ok(s);
}
