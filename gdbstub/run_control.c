/* SPDX-License-Identifier: MIT */
/*
 * What the two ways of running the target share, below both: all-stop
 * (resume.c) and non-stop (nonstop.c) parse the same vCont actions, tell
 * gdb of a stop with the same stop reply (GDB manual, "Stop Reply Packets"),
 * and let the target go the same way when gdb leaves.
 *
 *   T05thread:2;swbreak:;06:...;07:...;10:...;   stopped, with reason and
 *                                                 expedited registers
 *   W00   exited with a code       X0b   terminated by a signal
 *
 * Nothing here sends a packet or calls a handler: the callers send.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool rsp_is_exit(const struct gdb_stop_event *ev)
{
	return ev->reason == GDB_STOP_EXITED || ev->reason == GDB_STOP_TERMINATED;
}

size_t rsp_build_stop_reply(struct gdb_server *s, const struct gdb_stop_event *ev)
{
	struct rsp_buf b;

	rsp_buf_init(&b, s->stop_reply, RSP_STOP_REPLY_MAX);
	if (ev->reason == GDB_STOP_EXITED) {
		rsp_printf(&b, "W%02x", (unsigned)ev->exit_code & 0xff);
		if (s->multiprocess)
			rsp_printf(&b, ";process:%x", RSP_PID);
		return b.len;
	}
	if (ev->reason == GDB_STOP_TERMINATED) {
		rsp_printf(&b, "X%02x", (unsigned)ev->signal & 0xff);
		if (s->multiprocess)
			rsp_printf(&b, ";process:%x", RSP_PID);
		return b.len;
	}
	rsp_printf(&b, "T%02xthread:", (unsigned)ev->signal & 0xff);
	rsp_put_thread(s, &b, ev->vcpu + 1);
	rsp_putc(&b, ';');
	switch (ev->reason) {
	case GDB_STOP_SWBREAK:
		/* Only if gdb asked for it (qSupported swbreak+); older gdbs choke. */
		if (s->client_swbreak)
			rsp_puts(&b, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		if (s->client_hwbreak)
			rsp_puts(&b, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
		rsp_printf(&b, "watch:%llx;", (unsigned long long)ev->addr);
		break;
	case GDB_STOP_RWATCH:
		rsp_printf(&b, "rwatch:%llx;", (unsigned long long)ev->addr);
		break;
	case GDB_STOP_AWATCH:
		rsp_printf(&b, "awatch:%llx;", (unsigned long long)ev->addr);
		break;
	default:
		break;
	}
	if (s->list_threads_in_stop) {
		rsp_puts(&b, "threads:");
		for (unsigned i = 0; i < s->nthreads; i++)
			rsp_printf(&b, i ? ",%x" : "%x", i + 1);
		rsp_putc(&b, ';');
	}
	/*
	 * Expedite pc, sp and fp: after a step gdb then needs no 'g' round trip.
	 * With read_reg the target fetches just these; a failure drops them all.
	 */
	for (unsigned i = 0; i < s->arch->nexpedite; i++) {
		unsigned r = s->arch->expedite[i];
		uint8_t *val = s->stop_regs + gdb_arch_reg_offset(s->arch, r);
		int err = 0;

		if (s->ops->read_reg)
			err = s->ops->read_reg(s->target, ev->vcpu, r, val);
		else if (i == 0)
			err = s->ops->read_regs(s->target, ev->vcpu, s->stop_regs);
		if (err < 0)
			break;
		rsp_printf(&b, "%02x:", r);
		rsp_put_hex(&b, val, s->arch->regs[r].bitsize / 8);
		rsp_putc(&b, ';');
	}
	if (b.overflow) /* too many expedited registers: send it without them */
		return (size_t)snprintf(s->stop_reply, sizeof(s->stop_reply), "T%02xthread:%x;",
					(unsigned)ev->signal & 0xff, ev->vcpu + 1);
	return b.len;
}

void rsp_ns_reset(struct gdb_server *s)
{
	s->non_stop = false;
	s->notify_busy = false;
	s->ns_split = false;
	s->ns_head = s->ns_count = 0;
	memset(s->ns_stopped, 0, sizeof(s->ns_stopped));
	memset(s->ns_queued, 0, sizeof(s->ns_queued));
}

void rsp_detach_target(struct gdb_server *s)
{
	rsp_ns_reset(s); /* the target's detach lets every thread go, in either mode */
	s->target_state = TARGET_DETACHED;
	s->stop_reply_owed = false;
	if (s->ops->detach) {
		s->ops->detach(s->target);
		return;
	}
	for (unsigned i = 0; i < s->nthreads; i++)
		s->actions[i] = (struct gdb_resume_action){ .kind = GDB_RESUME_CONTINUE };
	s->ops->resume(s->target, s->actions, s->nthreads);
}

/* One vCont action: c, Cxx, s, Sxx, t or rSTART,END. */
static bool parse_action(struct gdb_server *s, struct rsp_cursor *c, struct gdb_resume_action *a)
{
	uint64_t v;

	*a = (struct gdb_resume_action){ 0 };
	if (rsp_at_end(c))
		return false;
	switch (*c->p++) {
	case 'c':
		a->kind = GDB_RESUME_CONTINUE;
		return true;
	case 's':
		a->kind = GDB_RESUME_STEP;
		return true;
	case 't':
		/* Stop: in all-stop, stay stopped; in non-stop, stop with signal 0. */
		a->kind = GDB_RESUME_STOPPED;
		return true;
	case 'C':
	case 'S':
		a->kind = c->p[-1] == 'C' ? GDB_RESUME_CONTINUE : GDB_RESUME_STEP;
		if (!rsp_hex_u64(c, &v) || v > 0xff)
			return false;
		a->signal = (int)v;
		return true;
	case 'r':
		if (!s->ops->range_step)
			return false;
		a->kind = GDB_RESUME_RANGE_STEP;
		return rsp_hex_u64(c, &a->range_start) && rsp_eat(c, ',') &&
		       rsp_hex_u64(c, &a->range_end) && a->range_start <= a->range_end;
	default:
		return false;
	}
}

/*
 * vCont;ACTION[:TID]...: for each vCPU the leftmost action that names it,
 * or the action without a thread id, applies.
 */
bool rsp_parse_vcont(struct gdb_server *s, struct rsp_cursor *args, enum gdb_resume_kind unnamed,
		     int *err)
{
	bool assigned[GDB_MAX_THREADS] = { false };
	bool any_action = false;

	*err = EINVAL;
	for (unsigned i = 0; i < s->nthreads; i++)
		s->actions[i] = (struct gdb_resume_action){ .kind = unnamed };
	while (!rsp_at_end(args)) {
		struct gdb_resume_action a;
		long tid = -1;

		if (!rsp_eat(args, ';') || !parse_action(s, args, &a))
			return false;
		if (rsp_eat(args, ':') && !rsp_thread_id(args, &tid))
			return false;
		if (!rsp_at_end(args) && *args->p != ';')
			return false;
		if (tid == 0)
			tid = (long)rsp_current_vcpu(s) + 1; /* "any thread" */
		if (tid > (long)s->nthreads || tid < -1) {
			*err = ESRCH;
			return false;
		}
		any_action = true;
		for (unsigned i = 0; i < s->nthreads; i++) {
			if (assigned[i] || (tid != -1 && (long)i != tid - 1))
				continue;
			assigned[i] = true;
			s->actions[i] = a;
		}
	}
	return any_action;
}
