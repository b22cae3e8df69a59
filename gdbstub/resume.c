/* SPDX-License-Identifier: MIT */
/*
 * Running and stopping the target, all-stop style.
 *
 * gdb resumes with 'c'/'s'/'C'/'S' or 'vCont', then waits for one stop
 * reply. The server turns the packet into one action per vCPU, marks the
 * target running and calls resume(); the reply is sent when the target calls
 * gdb_server_stop_event(), which may happen inside resume() already. While
 * the target runs only 0x03 matters: it becomes request_stop().
 *
 * Stop replies (GDB manual, "Stop Reply Packets"):
 *   T05thread:2;swbreak:;06:...;07:...;10:...;   stopped, with reason and
 *                                                 expedited registers
 *   W00   exited with a code       X0b   terminated by a signal
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool rsp_is_exit(const struct gdb_stop_event *ev)
{
	return ev->reason == GDB_STOP_EXITED || ev->reason == GDB_STOP_TERMINATED;
}

/* "TSSthread:TID;" alone: the fallback when the full reply does not fit. */
static size_t short_stop_reply(struct gdb_server *s, int signal, unsigned tid)
{
	struct rsp_buf b;

	rsp_buf_init(&b, s->stop_reply, RSP_STOP_REPLY_MAX);
	rsp_printf(&b, "T%02xthread:", (unsigned)signal & 0xff);
	rsp_put_thread(s, &b, tid);
	rsp_putc(&b, ';');
	return b.len;
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

static void send_stop_reply(struct gdb_server *s)
{
	size_t len = rsp_build_stop_reply(s, &s->last_stop);

	if (!len) /* too many expedited registers: send it without them */
		len = short_stop_reply(s, s->last_stop.signal, s->last_stop.vcpu + 1);
	/* gdb makes the stopped thread its current one (remote.c record_currthread). */
	if (!rsp_is_exit(&s->last_stop))
		s->g_thread = (long)s->last_stop.vcpu + 1;
	rsp_send_packet(s, s->stop_reply, len);
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

void gdb_server_stop_event(struct gdb_server *s, const struct gdb_stop_event *event)
{
	struct gdb_stop_event ev = *event;

	if (ev.vcpu >= s->nthreads)
		ev.vcpu = 0;
	if (ev.reason > GDB_STOP_TERMINATED)
		ev.reason = GDB_STOP_SIGNAL;
	if (ev.signal == 0 && ev.reason >= GDB_STOP_SWBREAK && ev.reason <= GDB_STOP_AWATCH)
		ev.signal = GDB_SIGNAL_TRAP;

	if (s->detach_on_stop) {
		/* gdb left while the target ran; this is the stop we asked for. */
		s->detach_on_stop = false;
		rsp_remove_all_breakpoints(s, !rsp_is_exit(&ev));
		if (!s->connected) {
			if (rsp_is_exit(&ev))
				s->target_state = TARGET_DETACHED;
			else
				rsp_detach_target(s);
			return;
		}
		/* A new debugger attached meanwhile: this stop is its first. */
	}
	if (s->non_stop && s->target_state != TARGET_DETACHED) {
		rsp_ns_stop_event(s, &ev);
		return;
	}
	if (s->target_state != TARGET_RUNNING)
		return; /* not ours, or already stopped: nothing to report */
	s->last_stop = ev;
	s->have_stop = true;
	if (rsp_is_exit(&ev)) {
		/* The guest is gone: its breakpoints went with it. */
		rsp_remove_all_breakpoints(s, false);
		s->target_state = TARGET_DETACHED;
	} else {
		s->target_state = TARGET_STOPPED;
	}
	if (s->stop_reply_owed && s->connected) {
		s->stop_reply_owed = false;
		send_stop_reply(s);
	}
}

enum rsp_result rsp_cmd_stop_reason(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	if (s->non_stop)
		return rsp_ns_stop_reason(s);
	switch (s->target_state) {
	case TARGET_RUNNING:
		/* Attaching to a running target: answer when it has stopped. */
		if (!s->stop_reply_owed)
			s->stop_reply_owed = true;
		else
			s->stats.dropped++;
		return RSP_NO_REPLY;
	case TARGET_STOPPED:
		send_stop_reply(s);
		return RSP_NO_REPLY;
	case TARGET_DETACHED:
		if (s->have_stop && rsp_is_exit(&s->last_stop)) {
			send_stop_reply(s);
			return RSP_NO_REPLY;
		}
		break;
	}
	return rsp_error(s, ESRCH);
}

/* Hand the prepared actions to the target; the reply comes with the stop. */
static enum rsp_result resume(struct gdb_server *s)
{
	int err;

	s->target_state = TARGET_RUNNING;
	s->stop_reply_owed = true;
	err = s->ops->resume(s->target, s->actions, s->nthreads);
	if (err < 0 && s->stop_reply_owed && s->target_state == TARGET_RUNNING) {
		s->target_state = TARGET_STOPPED;
		s->stop_reply_owed = false;
		return rsp_error(s, err);
	}
	return RSP_NO_REPLY;
}

/* The thread 'c'/'s' are about: Hc if it names one, else the last stopped. */
static unsigned c_vcpu(const struct gdb_server *s)
{
	if (s->c_thread > 0 && s->c_thread <= (long)s->nthreads)
		return (unsigned)(s->c_thread - 1);
	return rsp_current_vcpu(s);
}

/* Legacy resume: [sig;][addr]. 'c' runs every vCPU, 's' steps one, the rest stay. */
static enum rsp_result legacy_resume(struct gdb_server *s, struct rsp_cursor *args,
				     bool step, bool with_signal)
{
	uint64_t sig = 0, addr;
	unsigned vcpu = c_vcpu(s);
	int err;

	if (s->non_stop)
		return rsp_error(s, EINVAL); /* non-stop resumes with vCont only */

	if (with_signal) {
		if (!rsp_hex_u64(args, &sig) || sig > 0xff)
			return rsp_error(s, EINVAL);
		if (!rsp_at_end(args) && !rsp_eat(args, ';'))
			return rsp_error(s, EINVAL);
	}
	if (!rsp_at_end(args)) {
		const struct gdb_reg *pc = &s->arch->regs[s->arch->pc_regno];
		uint8_t val[16] = { 0 };

		if (!rsp_hex_u64(args, &addr) || !rsp_at_end(args))
			return rsp_error(s, EINVAL);
		for (unsigned i = 0; i < pc->bitsize / 8 && i < 8; i++)
			val[i] = (uint8_t)(addr >> (8 * i));
		err = rsp_write_one_reg(s, vcpu, s->arch->pc_regno, val);
		if (err < 0)
			return rsp_error(s, err);
	}
	for (unsigned i = 0; i < s->nthreads; i++)
		s->actions[i] = (struct gdb_resume_action){
			.kind = step ? GDB_RESUME_STOPPED : GDB_RESUME_CONTINUE,
		};
	s->actions[vcpu].kind = step ? GDB_RESUME_STEP : GDB_RESUME_CONTINUE;
	s->actions[vcpu].signal = (int)sig;
	return resume(s);
}

enum rsp_result rsp_cmd_continue(struct gdb_server *s, struct rsp_cursor *args)
{
	return legacy_resume(s, args, false, false);
}

enum rsp_result rsp_cmd_continue_sig(struct gdb_server *s, struct rsp_cursor *args)
{
	return legacy_resume(s, args, false, true);
}

enum rsp_result rsp_cmd_step(struct gdb_server *s, struct rsp_cursor *args)
{
	return legacy_resume(s, args, true, false);
}

enum rsp_result rsp_cmd_step_sig(struct gdb_server *s, struct rsp_cursor *args)
{
	return legacy_resume(s, args, true, true);
}

enum rsp_result rsp_cmd_vcont_query(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	rsp_puts(&s->reply, "vCont;c;C;s;S;t");
	if (s->ops->range_step)
		rsp_puts(&s->reply, ";r");
	return RSP_REPLY;
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

/* All-stop: the vCPUs no action names stay stopped. */
enum rsp_result rsp_cmd_vcont(struct gdb_server *s, struct rsp_cursor *args)
{
	bool any_runs = false;
	int err;

	if (s->non_stop)
		return rsp_ns_vcont(s, args);
	if (!rsp_parse_vcont(s, args, GDB_RESUME_STOPPED, &err))
		return rsp_error(s, err);
	for (unsigned i = 0; i < s->nthreads; i++)
		any_runs |= s->actions[i].kind != GDB_RESUME_STOPPED;
	if (!any_runs)
		return rsp_error(s, EINVAL); /* nothing would run: no stop would ever come */
	return resume(s);
}

enum rsp_result rsp_cmd_detach(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t pid;

	/* "D" or "D;PID" (multiprocess); we have one process. */
	if (rsp_eat(args, ';') && !rsp_hex_u64(args, &pid))
		return rsp_error(s, EINVAL);
	if (!rsp_at_end(args))
		return rsp_error(s, EINVAL);
	rsp_remove_all_breakpoints(s, true);
	rsp_detach_target(s);
	return rsp_ok(s);
}

static void kill_target(struct gdb_server *s)
{
	if (!s->ops->kill) {
		/* Nothing to kill with: let the guest go as on detach. */
		rsp_remove_all_breakpoints(s, true);
		rsp_detach_target(s);
		return;
	}
	rsp_remove_all_breakpoints(s, false);
	rsp_ns_reset(s);
	s->target_state = TARGET_DETACHED;
	s->stop_reply_owed = false;
	s->ops->kill(s->target);
}

enum rsp_result rsp_cmd_kill(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	kill_target(s); /* 'k' has no reply */
	return RSP_NO_REPLY;
}

enum rsp_result rsp_cmd_vkill(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args; /* ";PID" */
	kill_target(s);
	return rsp_ok(s);
}

/*
 * lldb's qThreadStopInfoTID: why one thread stopped, as a stop reply. The
 * thread that stopped the target gets the last stop reply again; every other
 * vCPU was only stopped along with it: "T00" (no reason).
 */
enum rsp_result rsp_cmd_thread_stop_info(struct gdb_server *s, struct rsp_cursor *args)
{
	struct gdb_stop_event ev;
	size_t len;
	long tid;

	if (!rsp_thread_id(args, &tid) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (tid < 1 || tid > (long)s->nthreads || !s->have_stop)
		return rsp_error(s, ESRCH);
	ev = s->last_stop;
	if (ev.vcpu != (unsigned)(tid - 1))
		ev = (struct gdb_stop_event){ .reason = GDB_STOP_SIGNAL, .vcpu = (unsigned)(tid - 1) };
	len = rsp_build_stop_reply(s, &ev);
	if (!len)
		len = short_stop_reply(s, ev.signal, (unsigned)tid);
	rsp_put(&s->reply, s->stop_reply, len);
	return RSP_REPLY;
}
