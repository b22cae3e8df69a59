/* SPDX-License-Identifier: MIT */
/*
 * Breakpoints and watchpoints: Z TYPE,ADDR,KIND[;cond...] / z TYPE,ADDR,KIND.
 *
 * The server keeps the list of what it inserted, for two reasons: the manual
 * asks for idempotent Z/z (a repeated packet must not insert twice or fail
 * the second removal), and when gdb detaches or simply goes away every
 * breakpoint must come out of the guest.
 *
 * Target-side conditions (GDB manual, "Packets", Z0): when the target sets
 * conditional_breakpoints we advertise ConditionalBreakpoints+ and gdb
 * appends the breakpoint's conditions, compiled to agent expressions, as
 * ";XLEN,HEX" items (gdb's remote.c writes them one after the other after a
 * single ';'; we also take a ';' before each). A "cmds:" list may follow; we
 * do not advertise BreakpointCommands, so it is skipped. When the user
 * changes a condition gdb sends Z0 again for the inserted breakpoint: the
 * conditions are replaced and the target is not asked to insert it twice.
 * The conditions live in a fixed pool (s->conds), so nothing is allocated.
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
 * The cursor is left at what follows KIND (";..." for Z, the end for z).
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

/*
 * The ";X..." condition list after TYPE,ADDR,KIND into *out. Returns 0,
 * -EINVAL for a malformed condition, or -ENOSPC when the list is well formed
 * but does not fit (too many conditions or too much bytecode: out is then
 * unusable). Other items (";cmds:..." lists) are skipped up to the next ';'.
 */
static int parse_conditions(struct rsp_cursor *args, struct rsp_conditions *out)
{
	size_t used = 0;
	bool fits = true;

	out->n = 0;
	while (!rsp_at_end(args)) {
		uint64_t len;

		rsp_eat(args, ';');
		if (!rsp_eat(args, 'X')) {
			/* "cmds:..." (never asked for) or something newer: skip it. */
			while (!rsp_at_end(args) && *args->p != ';')
				args->p++;
			continue;
		}
		if (!rsp_hex_u64(args, &len) || !rsp_eat(args, ',') || len == 0 ||
		    len > rsp_cursor_left(args) / 2)
			return -EINVAL;
		if (out->n == GDB_MAX_BP_CONDITIONS || len > sizeof(out->code) - used)
			fits = false;
		if (fits) {
			if (!rsp_hex_decode(args->p, (size_t)len, out->code + used))
				return -EINVAL;
			out->len[out->n++] = (uint16_t)len;
			used += (size_t)len;
		} else {
			for (size_t i = 0; i < 2 * (size_t)len; i++)
				if (rsp_hex_digit((unsigned char)args->p[i]) < 0)
					return -EINVAL;
		}
		args->p += 2 * (size_t)len;
	}
	return fits ? 0 : -ENOSPC;
}

static void release_conditions(struct gdb_server *s, struct rsp_breakpoint *bp)
{
	if (bp->cond >= 0)
		s->conds[bp->cond].used = false;
	bp->cond = -1;
}

/*
 * Give bp the conditions in cs (none if cs->n == 0 or cs is NULL). When the
 * pool is full the breakpoint reports every hit and gdb filters: slower,
 * never wrong.
 */
static void set_conditions(struct gdb_server *s, struct rsp_breakpoint *bp,
			   const struct rsp_conditions *cs)
{
	int slot = bp->cond;

	if (!cs || cs->n == 0) {
		release_conditions(s, bp);
		return;
	}
	for (int i = 0; slot < 0 && i < GDB_MAX_CONDITIONAL_BPS; i++)
		if (!s->conds[i].used)
			slot = i;
	if (slot < 0)
		return; /* bp->cond is already -1 */
	s->conds[slot] = *cs;
	s->conds[slot].used = true;
	bp->cond = slot;
}

enum rsp_result rsp_cmd_insert_bp(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_conditions cs;
	bool conditions = false;
	enum gdb_bp_type type;
	uint64_t addr, kind;
	int err, i;

	if (!s->ops->insert_bp)
		return RSP_REPLY;
	err = parse(args, &type, &addr, &kind, true);
	if (err == -EOPNOTSUPP)
		return RSP_REPLY;
	if (err < 0)
		return rsp_error(s, err);
	/* Conditions only where gdb may send them: Z0/Z1 to a target that asked. */
	i = find(s, type, addr, kind);
	if (s->ops->conditional_breakpoints && (type == GDB_BP_SW || type == GDB_BP_HW)) {
		err = parse_conditions(args, &cs);
		if (err == -EINVAL) {
			/* Never filter with conditions gdb no longer has. */
			if (i >= 0)
				release_conditions(s, &s->bps[i]);
			return rsp_error(s, err);
		}
		conditions = err == 0;
	}
	if (i >= 0) {
		/* Already in: gdb re-sends Z0 when a condition changes. */
		set_conditions(s, &s->bps[i], conditions ? &cs : NULL);
		return rsp_ok(s);
	}
	if (s->nbps == GDB_MAX_BREAKPOINTS)
		return rsp_error(s, ENOSPC);
	err = s->ops->insert_bp(s->target, type, addr, kind);
	if (err == -EOPNOTSUPP || err == -ENOSYS)
		return RSP_REPLY; /* this type is not supported by the target */
	if (err < 0)
		return rsp_error(s, err);
	s->bps[s->nbps] = (struct rsp_breakpoint){ type, addr, kind, -1 };
	set_conditions(s, &s->bps[s->nbps], conditions ? &cs : NULL);
	s->nbps++;
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
	release_conditions(s, &s->bps[i]);
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

		release_conditions(s, bp);
		if (call_target && s->ops->remove_bp)
			s->ops->remove_bp(s->target, bp->type, bp->addr, bp->kind);
	}
}

/* 1: stop (a condition is true or failed), 0: every condition is false. */
static int conditions_say_stop(const struct rsp_conditions *cs,
			       const struct gdb_agent_access *acc, void *ctx)
{
	size_t off = 0;

	for (unsigned i = 0; i < cs->n; i++) {
		int64_t value;

		if (gdb_agent_eval(cs->code + off, cs->len[i], acc, ctx, &value) < 0 || value)
			return 1;
		off += cs->len[i];
	}
	return 0;
}

int gdb_server_bp_should_stop(const struct gdb_server *s, enum gdb_bp_type type,
			      uint64_t addr, const struct gdb_agent_access *acc, void *ctx)
{
	bool found = false;

	/* Every breakpoint there counts (they may differ in kind): any says stop. */
	for (unsigned i = 0; i < s->nbps; i++) {
		const struct rsp_breakpoint *bp = &s->bps[i];

		if (bp->type != type || bp->addr != addr)
			continue;
		found = true;
		if (bp->cond < 0 || conditions_say_stop(&s->conds[bp->cond], acc, ctx))
			return 1;
	}
	return !found;
}
