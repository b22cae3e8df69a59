/* SPDX-License-Identifier: MIT */
/*
 * Non-stop mode (GDB manual, "Remote Non-Stop" and "Notification Packets"):
 * each thread stops and runs on its own, and gdb keeps talking to the stub
 * while some run.
 *
 *   QNonStop:1 / QNonStop:0   switch; gdb sends it when it connects
 *   vCont;c:2 ... / vCont;t:3  resume or stop the named threads; reply "OK"
 *                             at once, the stops come later as:
 *   %Stop:T05thread:2;...     a notification (never acked nor resent)
 *   vStopped                  gdb took the last one: the next queued stop
 *                             reply, or "OK" when none is left
 *   ?                         start over: the first stopped thread; the
 *                             other stopped ones follow in a notification
 *                             (see rsp_ns_stop_reason for why)
 *   vCtrlC                    what ^C is in all-stop: one thread stops
 *                             with SIGINT
 *
 * A thread is stopped from its stop event (or the switch) until gdb resumes
 * it. Its stop waits in a queue until gdb has been told; a thread whose stop
 * gdb has not heard of yet is not resumed by a vCont meant for the threads
 * gdb knows to be stopped.
 *
 * The dispatcher (server.c) sends '?' and vCont here instead of resume.c
 * while non-stop is on, and a stop event comes as rsp_ns_stop_event(). The
 * stop replies and vCont's parsing are run_control.c's, shared with resume.c.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static void queue_push(struct gdb_server *s, unsigned entry)
{
	if (s->ns_count > GDB_MAX_THREADS)
		return; /* cannot happen: one entry per thread and one exit */
	s->ns_queue[(s->ns_head + s->ns_count) % (GDB_MAX_THREADS + 1)] = (uint16_t)entry;
	s->ns_count++;
	if (entry < GDB_MAX_THREADS)
		s->ns_queued[entry] = true;
}

static void queue_pop(struct gdb_server *s)
{
	unsigned entry;

	if (!s->ns_count)
		return;
	entry = s->ns_queue[s->ns_head];
	s->ns_head = (s->ns_head + 1) % (GDB_MAX_THREADS + 1);
	s->ns_count--;
	if (entry < GDB_MAX_THREADS)
		s->ns_queued[entry] = false;
}

static void queue_clear(struct gdb_server *s)
{
	while (s->ns_count)
		queue_pop(s);
	s->ns_head = 0;
}

/* The stop reply for the queue's head into s->stop_reply; its length (0: queue empty). */
static size_t head_reply(struct gdb_server *s)
{
	unsigned entry;

	if (!s->ns_count)
		return 0;
	entry = s->ns_queue[s->ns_head];
	return rsp_build_stop_reply(s, entry == RSP_NS_EXIT ? &s->last_stop : &s->ns_stop[entry]);
}

/* Tell gdb of the head of the queue, unless a sequence is already under way. */
void rsp_ns_notify(struct gdb_server *s)
{
	char payload[RSP_NOTIFY_MAX];
	size_t len;

	if (s->notify_busy || !s->connected || !(len = head_reply(s)))
		return;
	memcpy(payload, "Stop:", 5);
	memcpy(payload + 5, s->stop_reply, len);
	s->notify_busy = true;
	rsp_send_notification(s, payload, len + 5);
}

void rsp_ns_stop_event(struct gdb_server *s, const struct gdb_stop_event *ev)
{
	s->last_stop = *ev;
	s->have_stop = true;
	if (rsp_is_exit(ev)) {
		/* The process is gone, and each thread's stop with it: only the exit is told. */
		queue_clear(s);
		memset(s->ns_stopped, 0, sizeof(s->ns_stopped));
		rsp_remove_all_breakpoints(s, false);
		s->target_state = TARGET_DETACHED;
		queue_push(s, RSP_NS_EXIT);
		s->notify_busy = false; /* a sequence under way ends here */
		s->ns_split = false;
		rsp_ns_notify(s);
		return;
	}
	s->ns_stopped[ev->vcpu] = true;
	s->ns_stop[ev->vcpu] = *ev;
	if (!s->ns_queued[ev->vcpu])
		queue_push(s, ev->vcpu);
	rsp_ns_notify(s);
}

enum rsp_result rsp_ns_stop_reason(struct gdb_server *s, struct rsp_cursor *args)
{
	size_t len;

	(void)args;
	/* Begin again: every stopped thread, whether gdb heard of it or not. */
	queue_clear(s);
	s->notify_busy = false;
	if (s->target_state == TARGET_DETACHED) {
		if (s->have_stop && rsp_is_exit(&s->last_stop))
			queue_push(s, RSP_NS_EXIT);
	} else {
		for (unsigned i = 0; i < s->nthreads; i++)
			if (s->ns_stopped[i])
				queue_push(s, i);
	}
	len = head_reply(s);
	if (!len)
		return rsp_ok(s); /* every thread runs */
	/*
	 * The protocol allows every stopped thread in this one sequence. But
	 * gdb 13 takes the stops of a '?' sequence while it is not yet async
	 * and asserts when more than two come ("remote.c: wait: Assertion
	 * '!async_event_handler_marked' failed"). So this sequence tells the
	 * first stopped thread only; the next vStopped ends it, and the others
	 * follow at once in a notification, which gdb takes from its event
	 * loop like any later stop.
	 */
	s->ns_split = s->ns_count > 1;
	s->notify_busy = true;
	rsp_put(&s->reply, s->stop_reply, len);
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_vstopped(struct gdb_server *s, struct rsp_cursor *args)
{
	size_t len;

	if (!rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (!s->non_stop)
		return rsp_error(s, EINVAL);
	/* gdb has the head now. */
	if (s->notify_busy)
		queue_pop(s);
	if (s->ns_split) {
		/* The end of a '?' sequence: the rest in a notification after this reply. */
		s->ns_split = false;
		s->notify_busy = false;
		return rsp_ok(s);
	}
	len = head_reply(s);
	if (!len) {
		s->notify_busy = false;
		return rsp_ok(s);
	}
	s->notify_busy = true;
	rsp_put(&s->reply, s->stop_reply, len);
	return RSP_REPLY;
}

/* Hand s->actions to the target; "OK" now, the stops come as notifications. */
static enum rsp_result ns_resume(struct gdb_server *s)
{
	int err = s->ops->resume(s->target, s->actions, s->nthreads);

	if (err < 0)
		return rsp_error(s, err);
	return rsp_ok(s);
}

enum rsp_result rsp_ns_vcont(struct gdb_server *s, struct rsp_cursor *args)
{
	int err;

	if (!rsp_parse_vcont(s, args, GDB_RESUME_KEEP, &err))
		return rsp_error(s, err);
	for (unsigned i = 0; i < s->nthreads; i++) {
		struct gdb_resume_action *a = &s->actions[i];

		if (a->kind == GDB_RESUME_STOPPED) {
			/* Stop a running thread; one already stopped stays as it is. */
			if (s->ns_stopped[i])
				a->kind = GDB_RESUME_KEEP;
			a->signal = GDB_SIGNAL_0;
		} else if (a->kind != GDB_RESUME_KEEP) {
			/* Resume what gdb knows to be stopped: not a stop it has yet to hear of. */
			if (!s->ns_stopped[i] || s->ns_queued[i])
				a->kind = GDB_RESUME_KEEP;
			else
				s->ns_stopped[i] = false;
		}
	}
	return ns_resume(s);
}

enum rsp_result rsp_cmd_vctrlc(struct gdb_server *s, struct rsp_cursor *args)
{
	unsigned pick;

	if (!rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (!s->non_stop) {
		/* All-stop: the same as 0x03; its OK first, then the stop reply owed to the resume. */
		rsp_ok(s);
		rsp_send_packet(s, s->reply.data, s->reply.len);
		if (s->target_state == TARGET_RUNNING) {
			s->stats.interrupts++;
			s->ops->request_stop(s->target);
		}
		return RSP_NO_REPLY;
	}
	/* Which thread stops is the target's choice: gdb's current one if it runs, else the first that runs. */
	pick = rsp_g_vcpu(s);
	if (s->ns_stopped[pick]) {
		pick = s->nthreads;
		for (unsigned i = 0; i < s->nthreads && pick == s->nthreads; i++)
			if (!s->ns_stopped[i])
				pick = i;
	}
	if (pick == s->nthreads)
		return rsp_ok(s); /* nothing runs: nothing to interrupt */
	for (unsigned i = 0; i < s->nthreads; i++)
		s->actions[i] = (struct gdb_resume_action){ .kind = GDB_RESUME_KEEP };
	s->actions[pick] = (struct gdb_resume_action){ .kind = GDB_RESUME_STOPPED,
						       .signal = GDB_SIGNAL_INT };
	s->stats.interrupts++;
	return ns_resume(s);
}

enum rsp_result rsp_cmd_non_stop(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t on;
	int err;

	if (!s->ops->set_non_stop)
		return RSP_REPLY; /* empty: not supported (and not advertised) */
	if (!rsp_eat(args, ':') || !rsp_hex_u64(args, &on) || on > 1 || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if ((bool)on == s->non_stop)
		return rsp_ok(s);
	if (s->target_state != TARGET_STOPPED)
		return rsp_error(s, EBUSY); /* all-stop and running (or nothing attached) */
	err = s->ops->set_non_stop(s->target, on);
	if (err < 0)
		return rsp_error(s, err);
	if (on) {
		/* Every thread is stopped; the one gdb heard of keeps its reason, the others signal 0. */
		rsp_ns_reset(s);
		s->non_stop = true;
		for (unsigned i = 0; i < s->nthreads; i++) {
			s->ns_stopped[i] = true;
			s->ns_stop[i] = (struct gdb_stop_event){ .reason = GDB_STOP_SIGNAL, .vcpu = i };
		}
		if (s->have_stop && !rsp_is_exit(&s->last_stop))
			s->ns_stop[rsp_current_vcpu(s)] = s->last_stop;
	} else {
		/* The target stopped every thread; gdb asks '?' next. */
		rsp_ns_reset(s);
		s->last_stop = (struct gdb_stop_event){ .reason = GDB_STOP_SIGNAL,
							.vcpu = rsp_current_vcpu(s) };
		s->have_stop = true;
	}
	return rsp_ok(s);
}
