/* SPDX-License-Identifier: MIT */
/*
 * gdbstub's non-stop mode against the simulated target: the switch, "OK"
 * replies to vCont, %Stop notifications and the vStopped sequence, '?'
 * starting over, per-thread actions (KEEP for the threads not named),
 * vCtrlC, exits, and the way back to all-stop.
 */
#include <errno.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

static bool starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Attached to a stopped 4-vCPU target, in non-stop mode, the first '?' sequence drained. */
static struct sim_fixture *non_stop_fx(void)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_non_stop, true);
	const char *r;

	fx->t.sync_stop = false; /* stops come only when the test says */
	r = fx_cmd(fx, "qSupported:swbreak+;hwbreak+");
	CHECK(r && strstr(r, ";QNonStop+"));
	CHECK(starts(fx_cmd(fx, "QNonStop:1"), "OK"));
	CHECK_EQ(fx->t.set_non_stop_calls, 1);
	CHECK(fx->t.non_stop);
	/*
	 * Every thread is stopped: the attach stop first, alone in the '?'
	 * sequence; the others, with signal 0, in a notification right after.
	 */
	CHECK(starts(fx_cmd(fx, "?"), "T05thread:1;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	CHECK(starts(fx_notification(fx), "Stop:T00thread:2;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "T00thread:3;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "T00thread:4;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	return fx;
}

TEST(gdbstub_non_stop_not_offered_without_the_op)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r = fx_cmd(fx, "qSupported");

	CHECK(r && !strstr(r, "QNonStop"));
	r = fx_cmd(fx, "QNonStop:1");
	CHECK(r && r[0] == '\0'); /* unsupported */
	CHECK(starts(fx_cmd(fx, "vStopped"), "E16"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_vcont_replies_ok_and_notifies_each_stop)
{
	struct sim_fixture *fx = non_stop_fx();
	const char *n;

	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(fx->t.last_actions[i].kind, GDB_RESUME_CONTINUE);
	CHECK(fx_quiet(fx));
	/* vCPU 2 hits a breakpoint: one notification. */
	sim_stop(&fx->t, GDB_STOP_SWBREAK, 2, 0, 0);
	n = fx_notification(fx);
	CHECK(starts(n, "Stop:T05thread:3;swbreak:;"));
	/* vCPU 0 stops too before gdb acknowledged: it waits for vStopped. */
	sim_stop(&fx->t, GDB_STOP_WATCH, 0, 0, 0x1234);
	CHECK(fx_quiet(fx));
	CHECK(starts(fx_cmd(fx, "vStopped"), "T05thread:1;watch:1234;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	/* The sequence is over: the next stop is notified at once. */
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 3, GDB_SIGNAL_TRAP, 0);
	CHECK(starts(fx_notification(fx), "Stop:T05thread:4;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_registers_only_of_stopped_threads)
{
	struct sim_fixture *fx = non_stop_fx();
	const char *r;

	CHECK(starts(fx_cmd(fx, "vCont;c:2"), "OK"));
	CHECK_EQ(fx->t.last_actions[1].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_KEEP);
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_KEEP);
	CHECK(starts(fx_cmd(fx, "Hg2"), "OK"));
	CHECK(starts(fx_cmd(fx, "g"), "E03")); /* it runs */
	CHECK(starts(fx_cmd(fx, "p10"), "E03"));
	CHECK(starts(fx_cmd(fx, "Hg1"), "OK"));
	r = fx_cmd(fx, "g");
	CHECK(r && strlen(r) == 2 * gdb_arch_regs_size(&gdb_arch_x86_64));
	/* Memory needs no stopped thread (the target sees to it). */
	CHECK(starts(fx_cmd(fx, "Hg2"), "OK"));
	r = fx_cmd(fx, "m0,4");
	CHECK(r && strlen(r) == 8 && r[0] != 'E');
	fx_free(fx);
}

TEST(gdbstub_non_stop_stop_action_and_unreported_stops)
{
	struct sim_fixture *fx = non_stop_fx();

	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	/* t: stop thread 3 (it runs): STOPPED with signal 0; the rest untouched. */
	CHECK(starts(fx_cmd(fx, "vCont;t:3"), "OK"));
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_STOPPED);
	CHECK_EQ(fx->t.last_actions[2].signal, 0);
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_KEEP);
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 2, GDB_SIGNAL_0, 0);
	CHECK(starts(fx_notification(fx), "Stop:T00thread:3;"));
	/* Thread 3 is stopped now: another t changes nothing. */
	CHECK(starts(fx_cmd(fx, "vCont;t:3"), "OK"));
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_KEEP);
	/* Thread 1 stops, but gdb has not taken the notification sequence yet:
	   a "continue all" does not resume it behind gdb's back. */
	sim_stop(&fx->t, GDB_STOP_SWBREAK, 0, 0, 0);
	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_KEEP);
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_KEEP); /* its stop not acked either */
	CHECK(starts(fx_cmd(fx, "vStopped"), "T05thread:1;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	/* Now both are known stopped: c resumes them, and only them. */
	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(fx->t.last_actions[1].kind, GDB_RESUME_KEEP); /* it ran all along */
	/* Legacy c/s have no place in non-stop. */
	CHECK(starts(fx_cmd(fx, "c"), "E16"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_question_mark_starts_over)
{
	struct sim_fixture *fx = non_stop_fx();

	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	CHECK(starts(fx_cmd(fx, "?"), "OK")); /* every thread runs */
	sim_stop(&fx->t, GDB_STOP_SWBREAK, 1, 0, 0);
	CHECK(starts(fx_notification(fx), "Stop:T05thread:2;"));
	sim_stop(&fx->t, GDB_STOP_HWBREAK, 3, 0, 0);
	CHECK(fx_quiet(fx));
	/* gdb lost track: '?' tells every stopped thread again, in thread order. */
	CHECK(starts(fx_cmd(fx, "?"), "T05thread:2;swbreak:;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	CHECK(starts(fx_notification(fx), "Stop:T05thread:4;hwbreak:;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_vctrlc_stops_one_running_thread)
{
	struct sim_fixture *fx = non_stop_fx();

	CHECK(starts(fx_cmd(fx, "vCont;c:3;c:4"), "OK"));
	CHECK(starts(fx_cmd(fx, "Hg1"), "OK"));
	/* The current thread is stopped: the first running one is interrupted. */
	CHECK(starts(fx_cmd(fx, "vCtrlC"), "OK"));
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_STOPPED);
	CHECK_EQ(fx->t.last_actions[2].signal, GDB_SIGNAL_INT);
	CHECK_EQ(fx->t.last_actions[3].kind, GDB_RESUME_KEEP);
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_KEEP);
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 2, GDB_SIGNAL_INT, 0);
	CHECK(starts(fx_notification(fx), "Stop:T02thread:3;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	/* The current thread runs: it is the one. */
	CHECK(starts(fx_cmd(fx, "Hg4"), "OK"));
	CHECK(starts(fx_cmd(fx, "vCtrlC"), "OK"));
	CHECK_EQ(fx->t.last_actions[3].kind, GDB_RESUME_STOPPED);
	fx_free(fx);
}

TEST(gdbstub_vctrlc_in_all_stop_is_an_interrupt)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	fx->t.sync_stop = false;
	fx_send(fx, "c");
	CHECK(fx_reply(fx) == NULL); /* running: no reply yet */
	fx->t.sync_stop = true;
	CHECK(starts(fx_cmd(fx, "vCtrlC"), "OK"));
	CHECK_EQ(fx->t.request_stop_calls, 1);
	CHECK(starts(fx_reply(fx), "T02thread:1;"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_exit_and_back_to_all_stop)
{
	struct sim_fixture *fx = non_stop_fx();

	/* Back to all-stop: the target stops everything; '?' is all-stop again. */
	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	CHECK(starts(fx_cmd(fx, "QNonStop:0"), "OK"));
	CHECK_EQ(fx->t.set_non_stop_calls, 2);
	CHECK(!fx->t.non_stop);
	CHECK(starts(fx_cmd(fx, "?"), "T00thread:1;"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "E16"));
	/* Non-stop again; the guest exits: W, as a notification. */
	CHECK(starts(fx_cmd(fx, "QNonStop:1"), "OK"));
	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	sim_stop(&fx->t, GDB_STOP_EXITED, 0, 0, 0);
	CHECK(starts(fx_notification(fx), "Stop:W00"));
	CHECK(starts(fx_cmd(fx, "vStopped"), "OK"));
	CHECK(starts(fx_cmd(fx, "?"), "W00"));
	fx_free(fx);
}

TEST(gdbstub_non_stop_detach_and_disconnect)
{
	struct sim_fixture *fx = non_stop_fx();

	CHECK(starts(fx_cmd(fx, "Z0,1000,1"), "OK"));
	CHECK(starts(fx_cmd(fx, "vCont;c:2"), "OK"));
	CHECK(starts(fx_cmd(fx, "D"), "OK"));
	CHECK_EQ(fx->t.detach_calls, 1);
	CHECK_EQ(fx->t.nbps, 0);
	CHECK(!gdb_server_attached(fx->srv));
	fx_free(fx);

	fx = non_stop_fx();
	CHECK(starts(fx_cmd(fx, "Z0,1000,1"), "OK"));
	CHECK(starts(fx_cmd(fx, "vCont;c"), "OK"));
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.detach_calls, 1);
	CHECK_EQ(fx->t.nbps, 0);
	/* A new debugger starts in all-stop. */
	CHECK(gdb_server_connected(fx->srv, NULL) == 0);
	CHECK_EQ(fx->t.request_stop_calls, 1);
	fx_free(fx);
}
