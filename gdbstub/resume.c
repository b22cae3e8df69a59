/* SPDX-License-Identifier: MIT */
/*
 * Running and stopping the target, all-stop style: '?', c/s/C/S, vCont,
 * D, k/vKill and lldb's qThreadStopInfo.
 *
 * gdb resumes with 'c'/'s'/'C'/'S' or 'vCont', then waits for one stop
 * reply. The handler turns the packet into one action per vCPU, marks the
 * target running and calls resume(); the reply is sent when the target calls
 * gdb_server_stop_event() (server.c), which hands an all-stop stop to
 * rsp_stop_event() here and may do so inside resume() already. While the
 * target runs only 0x03 matters: framing.c makes it request_stop().
 *
 * In non-stop mode the dispatcher sends '?' and vCont to nonstop.c instead.
 * Both modes build stop replies and parse vCont with run_control.c.
 */
#include <errno.h>

#include "internal.h"

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

void rsp_stop_event(struct gdb_server *s, const struct gdb_stop_event *ev)
{
	if (s->target_state != TARGET_RUNNING)
		return; /* not ours, or already stopped: nothing to report */
	s->last_stop = *ev;
	s->have_stop = true;
	if (rsp_is_exit(ev)) {
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

/* All-stop: the vCPUs no action names stay stopped. */
enum rsp_result rsp_cmd_vcont(struct gdb_server *s, struct rsp_cursor *args)
{
	bool any_runs = false;
	int err;

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
