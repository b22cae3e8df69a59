/* SPDX-License-Identifier: MIT */
/*
 * Breakpoints and watchpoints: Z TYPE,ADDR,KIND[;cond...] / z TYPE,ADDR,KIND.
 *
 * The server keeps the list of what it inserted, for two reasons: the manual
 * asks for idempotent Z/z (a repeated packet must not insert twice or fail
 * the second removal), and when gdb detaches or simply goes away every
 * breakpoint must come out of the guest. Optional ";X..." condition and
 * command lists (agent expressions) are ignored: we never advertise
 * ConditionalBreakpoints, so gdb evaluates conditions itself.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int find(const struct gdb_server *s, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	for (unsigned i = 0; i < s->nbps; i++)
		if (s->bps[i].type == type && s->bps[i].addr == addr && s->bps[i].kind == kind)
			return (int)i;
	return -1;
}

/*
 * Parse TYPE,ADDR,KIND. Returns 0, -EINVAL for a malformed packet, or
 * -EOPNOTSUPP for a type we do not know (answered with the empty reply).
 */
static int parse(struct rsp_cursor *args, enum gdb_bp_type *type, uint64_t *addr,
		 uint64_t *kind, bool insert)
{
	uint64_t t;

	if (!rsp_hex_u64(args, &t) || !rsp_eat(args, ','))
		return -EINVAL;
	if (t > GDB_WP_ACCESS)
		return -EOPNOTSUPP;
	if (!rsp_hex_u64(args, addr) || !rsp_eat(args, ',') || !rsp_hex_u64(args, kind))
		return -EINVAL;
	/* Only Z carries conditions/commands after ';'. */
	if (!rsp_at_end(args) && !(insert && *args->p == ';'))
		return -EINVAL;
	*type = (enum gdb_bp_type)t;
	/* A watched range must not wrap; a breakpoint kind is a small size. */
	if (*kind == 0 || *kind > 0x10000 || *kind - 1 > UINT64_MAX - *addr)
		return -EINVAL;
	return 0;
}

enum rsp_result rsp_cmd_insert_bp(struct gdb_server *s, struct rsp_cursor *args)
{
	enum gdb_bp_type type;
	uint64_t addr, kind;
	int err;

	if (!s->ops->insert_bp)
		return RSP_REPLY;
	err = parse(args, &type, &addr, &kind, true);
	if (err == -EOPNOTSUPP)
		return RSP_REPLY;
	if (err < 0)
		return rsp_error(s, err);
	if (find(s, type, addr, kind) >= 0)
		return rsp_ok(s);
	if (s->nbps == GDB_MAX_BREAKPOINTS)
		return rsp_error(s, ENOSPC);
	err = s->ops->insert_bp(s->target, type, addr, kind);
	if (err == -EOPNOTSUPP || err == -ENOSYS)
		return RSP_REPLY; /* this type is not supported by the target */
	if (err < 0)
		return rsp_error(s, err);
	s->bps[s->nbps++] = (struct rsp_breakpoint){ type, addr, kind };
	return rsp_ok(s);
}

enum rsp_result rsp_cmd_remove_bp(struct gdb_server *s, struct rsp_cursor *args)
{
	enum gdb_bp_type type;
	uint64_t addr, kind;
	int err, i;

	if (!s->ops->remove_bp)
		return RSP_REPLY;
	err = parse(args, &type, &addr, &kind, false);
	if (err == -EOPNOTSUPP)
		return RSP_REPLY;
	if (err < 0)
		return rsp_error(s, err);
	i = find(s, type, addr, kind);
	if (i < 0)
		return rsp_ok(s); /* not inserted (any more): nothing to do */
	err = s->ops->remove_bp(s->target, type, addr, kind);
	if (err < 0)
		return rsp_error(s, err); /* still listed: detach will try again */
	/* Keep insertion order, so removing everything undoes it in reverse. */
	memmove(&s->bps[i], &s->bps[i + 1], (s->nbps - (unsigned)i - 1) * sizeof(s->bps[0]));
	s->nbps--;
	return rsp_ok(s);
}

void rsp_remove_all_breakpoints(struct gdb_server *s, bool call_target)
{
	/* Last in, first out: overlapping software breakpoints restore in order. */
	while (s->nbps) {
		struct rsp_breakpoint *bp = &s->bps[--s->nbps];

		if (call_target && s->ops->remove_bp)
			s->ops->remove_bp(s->target, bp->type, bp->addr, bp->kind);
	}
}
