/* SPDX-License-Identifier: MIT */
/*
 * gdbstub run control: resume packets and vCont parsing, stop replies for
 * every reason, Ctrl-C, attach to a running target, detach, kill and
 * disconnects at awkward moments; plus the x86 pack/unpack helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

/* The first part of a stop reply, up to the expedited registers. */
static bool stop_is(const char *reply, const char *prefix)
{
	if (!reply || strncmp(reply, prefix, strlen(prefix)) != 0) {
		test_fail(__FILE__, __LINE__, "stop reply %s, expected %s...",
			  reply ? reply : "(none)", prefix);
		return false;
	}
	return true;
}

static struct sim_fixture *stopped_fx(void)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	CHECK(fx_cmd(fx, "qSupported:swbreak+;hwbreak+") != NULL);
	return fx;
}

TEST(gdbstub_step_and_continue)
{
	struct sim_fixture *fx = stopped_fx();

	/* Legacy 's' steps the current thread only. */
	CHECK(stop_is(fx_cmd(fx, "s"), "T05thread:1;"));
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_STEP);
	CHECK_EQ(fx->t.last_actions[1].kind, GDB_RESUME_STOPPED);
	CHECK_EQ(sim_pc(&fx->t, 0), 0x1001);
	/* The expedited rip is the new pc. */
	CHECK(strstr(fx->reply, ";10:0110000000000000;") != NULL);
	/* 's ADDR' first moves the pc. */
	CHECK(stop_is(fx_cmd(fx, "s2000"), "T05thread:1;"));
	CHECK_EQ(sim_pc(&fx->t, 0), 0x2001);
	/* 'c' runs every vCPU; it stops at the breakpoint with swbreak. */
	CHECK_STR(fx_cmd(fx, "Z0,3000,1"), "OK");
	CHECK(stop_is(fx_cmd(fx, "c"), "T05thread:1;swbreak:;"));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(fx->t.last_actions[i].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(sim_pc(&fx->t, 0), 0x3000);
	/* Signals: S with one, C with address. */
	CHECK(stop_is(fx_cmd(fx, "S0b"), "T05thread:1;"));
	CHECK_EQ(fx->t.last_actions[0].signal, 11);
	CHECK(stop_is(fx_cmd(fx, "C02;4000"), "T05thread:1;swbreak:;"));
	CHECK_EQ(fx->t.last_actions[0].signal, 2);
	/* Hc picks the thread a legacy step is about. */
	CHECK_STR(fx_cmd(fx, "Hc3"), "OK");
	CHECK(stop_is(fx_cmd(fx, "s"), "T05thread:3;"));
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_STEP);
	CHECK_EQ(fx->t.last_actions[0].kind, GDB_RESUME_STOPPED);
	/* Malformed. */
	CHECK_STR(fx_cmd(fx, "czz"), "E16");
	CHECK_STR(fx_cmd(fx, "c1000x"), "E16");
	CHECK_STR(fx_cmd(fx, "C"), "E16");
	CHECK_STR(fx_cmd(fx, "C100"), "E16");
	CHECK_STR(fx_cmd(fx, "S05;zz"), "E16");
	CHECK_STR(fx_cmd(fx, "S05x"), "E16");
	fx_free(fx);
}

TEST(gdbstub_stop_makes_thread_current)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK(stop_is(fx_cmd(fx, "vCont;s:3"), "T05thread:3;"));
	/* gdb assumes Hg follows the stopped thread (remote.c record_currthread). */
	CHECK_STR(fx_cmd(fx, "qC"), "QC3");
	CHECK_STR(fx_cmd(fx, "p10"), "0112000000000000");
	fx_free(fx);
}

TEST(gdbstub_vcont_query)
{
	struct sim_fixture *fx = stopped_fx();
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "vCont?"), "vCont;c;C;s;S;t;r");
	CHECK_STR(fx_cmd(min, "vCont?"), "vCont;c;C;s;S;t");
	/* Without read_reg the expedited registers come from read_regs. */
	CHECK_STR(fx_cmd(min, "?"),
		  "T05thread:1;06:3031323334353637;07:38393a3b3c3d3e3f;10:0010000000000000;");
	CHECK_STR(fx_cmd(min, "vCont;r1000,2000:1"), "E16"); /* not advertised */
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_vcont_per_thread_actions)
{
	struct sim_fixture *fx = stopped_fx();
	struct gdb_resume_action *a = fx->t.last_actions;

	/* Step thread 2, continue the rest (scheduler-locking off). */
	CHECK(stop_is(fx_cmd(fx, "vCont;s:2;c"), "T05thread:2;"));
	CHECK_EQ(a[0].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(a[1].kind, GDB_RESUME_STEP);
	CHECK_EQ(a[2].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(a[3].kind, GDB_RESUME_CONTINUE);
	/* Scheduler-locking on: only thread 2 moves. */
	CHECK(stop_is(fx_cmd(fx, "vCont;s:2"), "T05thread:2;"));
	CHECK_EQ(a[0].kind, GDB_RESUME_STOPPED);
	CHECK_EQ(a[1].kind, GDB_RESUME_STEP);
	CHECK_EQ(a[3].kind, GDB_RESUME_STOPPED);
	/* The leftmost action naming a thread wins; 't' keeps one stopped. */
	CHECK(stop_is(fx_cmd(fx, "vCont;S05:4;t:1;C0b:4;C02"), "T05thread:4;"));
	CHECK_EQ(a[3].kind, GDB_RESUME_STEP);
	CHECK_EQ(a[3].signal, 5);
	CHECK_EQ(a[0].kind, GDB_RESUME_STOPPED);
	CHECK_EQ(a[1].kind, GDB_RESUME_CONTINUE);
	CHECK_EQ(a[1].signal, 2);
	/* Thread-id forms: pPID.TID, -1, and 0 (any: the current thread). */
	CHECK(stop_is(fx_cmd(fx, "vCont;s:p1.3"), "T05thread:3;"));
	CHECK(stop_is(fx_cmd(fx, "vCont;s:0"), "T05thread:3;"));
	CHECK(stop_is(fx_cmd(fx, "vCont;s:-1"), "T05thread:1;"));
	CHECK_EQ(a[2].kind, GDB_RESUME_STEP);
	/* Range stepping. */
	CHECK(stop_is(fx_cmd(fx, "vCont;r1000,1010:1"), "T05thread:1;"));
	CHECK_EQ(a[0].kind, GDB_RESUME_RANGE_STEP);
	CHECK_EQ(a[0].range_start, 0x1000);
	CHECK_EQ(a[0].range_end, 0x1010);
	fx_free(fx);
}

TEST(gdbstub_vcont_malformed)
{
	struct sim_fixture *fx = stopped_fx();
	static const struct {
		const char *pkt, *reply;
	} bad[] = {
		{ "vCont", "E16" },        { "vCont;", "E16" },      { "vCont;x", "E16" },
		{ "vCont;c:", "E16" },     { "vCont;c:9", "E03" },   { "vCont;c:zz", "E16" },
		{ "vCont;t", "E16" },      { "vCont;t:1", "E16" },   { "vCont;C", "E16" },
		{ "vCont;C100", "E16" },   { "vCont;c;;c", "E16" },  { "vCont;cc", "E16" },
		{ "vCont;r1000", "E16" },  { "vCont;r2000,1000", "E16" },
		{ "vCont;c:1:2", "E16" },  { "vCont;s:-2", "E16" },  { "vContx", "" },
	};
	unsigned before = fx->t.resume_calls;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = fx_cmd(fx, bad[i].pkt);

		if (!r || strcmp(r, bad[i].reply) != 0)
			test_fail(__FILE__, __LINE__, "%s -> %s", bad[i].pkt, r ? r : "(nothing)");
	}
	CHECK_EQ(fx->t.resume_calls, before);
	fx_free(fx);
}

TEST(gdbstub_stop_reply_formats)
{
	struct sim_fixture *fx = stopped_fx();
	static const struct {
		enum gdb_stop_reason reason;
		unsigned vcpu;
		int signal;
		uint64_t addr;
		const char *want;
	} cases[] = {
		{ GDB_STOP_SIGNAL, 0, GDB_SIGNAL_TRAP, 0, "T05thread:1;06:" },
		{ GDB_STOP_SIGNAL, 1, GDB_SIGNAL_INT, 0, "T02thread:2;06:" },
		{ GDB_STOP_SIGNAL, 3, GDB_SIGNAL_SEGV, 0, "T0bthread:4;06:" },
		{ GDB_STOP_SWBREAK, 2, 0, 0, "T05thread:3;swbreak:;06:" },
		{ GDB_STOP_HWBREAK, 1, 0, 0, "T05thread:2;hwbreak:;06:" },
		{ GDB_STOP_WATCH, 0, 0, 0x5000, "T05thread:1;watch:5000;06:" },
		{ GDB_STOP_RWATCH, 1, 0, 0xffffffff81000008, "T05thread:2;rwatch:ffffffff81000008;06:" },
		{ GDB_STOP_AWATCH, 3, 0, 0, "T05thread:4;awatch:0;06:" },
		{ GDB_STOP_SIGNAL, 9, GDB_SIGNAL_TRAP, 0, "T05thread:1;" }, /* bad vcpu -> 0 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx->t.have_next_stop = true;
		fx->t.next_stop = (struct gdb_stop_event){ .reason = cases[i].reason,
							   .vcpu = cases[i].vcpu,
							   .signal = cases[i].signal,
							   .addr = cases[i].addr };
		stop_is(fx_cmd(fx, "vCont;c"), cases[i].want);
		/* '?' repeats the last stop. */
		stop_is(fx_cmd(fx, "?"), cases[i].want);
	}
	fx_free(fx);
}

TEST(gdbstub_stop_reply_without_swbreak_negotiated)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	/* gdb did not offer swbreak+/hwbreak+: plain T05 for breakpoints. */
	CHECK_STR(fx_cmd(fx, "Z0,3000,1"), "OK");
	CHECK(stop_is(fx_cmd(fx, "c"), "T05thread:1;06:"));
	fx->t.have_next_stop = true;
	fx->t.next_stop = (struct gdb_stop_event){ .reason = GDB_STOP_HWBREAK };
	CHECK(stop_is(fx_cmd(fx, "c"), "T05thread:1;06:"));
	fx_free(fx);
}

TEST(gdbstub_exit_and_termination)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z0,3000,1"), "OK");
	fx->t.have_next_stop = true;
	fx->t.next_stop = (struct gdb_stop_event){ .reason = GDB_STOP_EXITED, .signal = 3 };
	CHECK_STR(fx_cmd(fx, "c"), "W03");
	CHECK_STR(fx_cmd(fx, "?"), "W03");
	CHECK_STR(fx_cmd(fx, "g"), "E03"); /* nothing left to inspect */
	CHECK(!gdb_server_attached(fx->srv));
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.detach_calls, 0);
	CHECK_EQ(fx->t.remove_calls, 0);

	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	fx->t.have_next_stop = true;
	fx->t.next_stop = (struct gdb_stop_event){ .reason = GDB_STOP_TERMINATED, .signal = 11 };
	CHECK_STR(fx_cmd(fx, "vCont;c"), "X0b");
	fx_free(fx);
}

TEST(gdbstub_packets_while_running_are_dropped)
{
	struct sim_fixture *fx = stopped_fx();
	struct gdb_server_stats st;

	fx->t.sync_stop = false;
	fx_send(fx, "c");
	CHECK(gdb_server_target_running(fx->srv));
	fx_send(fx, "g");
	fx_send(fx, "m1000,4");
	fx_send(fx, "?");
	CHECK(fx_reply(fx) == NULL); /* only acks */
	CHECK_EQ(fx->acks, 4 + 1);
	/* Target-independent queries are still answered. */
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	gdb_server_get_stats(fx->srv, &st);
	CHECK_EQ(st.dropped, 3);
	fx_feed(fx, "\x03", 1);
	CHECK_EQ(fx->t.request_stop_calls, 1);
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 0, GDB_SIGNAL_INT, 0);
	CHECK(stop_is(fx_reply(fx), "T02thread:1;"));
	CHECK(fx_reply(fx) == NULL); /* exactly one stop reply */
	CHECK(!gdb_server_target_running(fx->srv));
	fx_free(fx);
}

TEST(gdbstub_resume_failure_reports_error)
{
	struct sim_fixture *fx = stopped_fx();

	fx->t.resume_error = -EIO;
	CHECK_STR(fx_cmd(fx, "c"), "E05");
	CHECK(!gdb_server_target_running(fx->srv));
	fx->t.resume_error = 0;
	CHECK(stop_is(fx_cmd(fx, "s"), "T05thread:1;"));
	fx_free(fx);
}

TEST(gdbstub_attach_to_running_target)
{
	struct sim_target t;
	struct sim_io io = { 0 };
	struct gdb_server_config cfg = { .write = sim_io_write, .io_ctx = &io,
					  .arch = &gdb_arch_x86_64 };
	struct gdb_server *srv;
	char frame[64], out[256];
	size_t n;

	CHECK_EQ(sim_init(&t, &gdb_arch_x86_64, 2, 4096), 0);
	srv = gdb_server_new(&sim_ops, &t, &cfg);
	t.srv = srv;
	CHECK_EQ(gdb_server_connected(srv, NULL), 0);
	CHECK_EQ(t.request_stop_calls, 1);
	CHECK_EQ(gdb_server_connected(srv, NULL), -EBUSY); /* one debugger at a time */
	/* gdb's first packets are answered; '?' waits for the stop. */
	gdb_server_feed(srv, (uint8_t *)frame, sim_frame("qSupported", 10, frame));
	CHECK_EQ(sim_next(&io, out, sizeof(out), &n), '+');
	CHECK_EQ(sim_next(&io, out, sizeof(out), &n), 'P');
	gdb_server_feed(srv, (uint8_t *)frame, sim_frame("?", 1, frame));
	CHECK_EQ(sim_next(&io, out, sizeof(out), &n), '+');
	CHECK_EQ(sim_next(&io, out, sizeof(out), &n), 0);
	sim_stop(&t, GDB_STOP_SIGNAL, 1, GDB_SIGNAL_INT, 0);
	CHECK_EQ(sim_next(&io, out, sizeof(out), &n), 'P');
	CHECK(strncmp(out, "T02thread:2;", 12) == 0);
	CHECK(gdb_server_attached(srv));
	gdb_server_disconnected(srv);
	CHECK_EQ(t.detach_calls, 1);
	gdb_server_free(srv);
	sim_fini(&t);
	free(io.buf);
}

TEST(gdbstub_detach_removes_breakpoints_and_resumes)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	CHECK_STR(fx_cmd(fx, "Z1,2100,1"), "OK");
	CHECK_STR(fx_cmd(fx, "Z2,5000,4"), "OK");
	CHECK_STR(fx_cmd(fx, "D"), "OK");
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(fx->t.detach_calls, 1);
	CHECK(fx->t.running);
	CHECK_STR(fx_cmd(fx, "g"), "E03");
	CHECK_STR(fx_cmd(fx, "?"), "E03");
	/* gdb closes the connection after D: nothing more to undo. */
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.detach_calls, 1);
	/* A later gdb attaches again. */
	CHECK_EQ(gdb_server_connected(fx->srv, NULL), 0);
	CHECK(stop_is(fx_cmd(fx, "?"), "T02thread:1;"));
	CHECK_STR(fx_cmd(fx, "D;1"), "OK");
	CHECK_STR(fx_cmd(fx, "D;zz"), "E03");
	fx_free(fx);
}

TEST(gdbstub_detach_without_detach_op)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "D"), "OK");
	CHECK_EQ(fx->t.resume_calls, 1); /* everything continues */
	CHECK_EQ(fx->t.last_actions[2].kind, GDB_RESUME_CONTINUE);
	fx_free(fx);
}

TEST(gdbstub_disconnect_while_stopped_cleans_up)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	CHECK_STR(fx_cmd(fx, "Z4,5000,8"), "OK");
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(fx->t.detach_calls, 1);
	CHECK(!gdb_server_attached(fx->srv));
	gdb_server_disconnected(fx->srv); /* twice is harmless */
	CHECK_EQ(fx->t.detach_calls, 1);
	fx_free(fx);
}

TEST(gdbstub_disconnect_while_running_stops_then_detaches)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z2,5000,4"), "OK");
	fx->t.sync_stop = false;
	fx_send(fx, "vCont;s:2"); /* mid-step */
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.request_stop_calls, 1);
	CHECK_EQ(fx->t.nbps, 1); /* still running: removal waits for the stop */
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 1, GDB_SIGNAL_TRAP, 0);
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(fx->t.detach_calls, 1);
	fx_free(fx);
}

TEST(gdbstub_disconnect_while_running_synchronous_target)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z1,2000,1"), "OK");
	fx->t.sync_stop = false;
	fx_send(fx, "vCont;c");
	fx->t.sync_stop = true; /* request_stop() reports the stop inside the call */
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(fx->t.detach_calls, 1);
	fx_free(fx);
}

TEST(gdbstub_reconnect_before_the_stop_arrives)
{
	struct sim_fixture *fx = stopped_fx();

	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	fx->t.sync_stop = false;
	fx_send(fx, "c");
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(gdb_server_connected(fx->srv, NULL), 0);
	fx_send(fx, "?");
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 0, GDB_SIGNAL_INT, 0);
	/* The old session's breakpoint is gone, the guest stays stopped for the new one. */
	CHECK_EQ(fx->t.nbps, 0);
	CHECK_EQ(fx->t.detach_calls, 0);
	CHECK(stop_is(fx_reply(fx), "T02thread:1;"));
	CHECK(gdb_server_attached(fx->srv));
	fx_free(fx);
}

TEST(gdbstub_kill)
{
	struct sim_fixture *fx = stopped_fx();
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	fx_send(fx, "k");
	CHECK(fx_reply(fx) == NULL); /* 'k' has no reply, only the ack */
	CHECK_EQ(fx->t.kill_calls, 1);
	CHECK_EQ(fx->t.remove_calls, 0);
	CHECK(!gdb_server_attached(fx->srv));
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.detach_calls, 0);
	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	CHECK_STR(fx_cmd(fx, "vKill;1"), "OK");
	CHECK_EQ(fx->t.kill_calls, 2);
	/* Without a kill op, 'k' lets the guest go as on detach. */
	fx_send(min, "k");
	CHECK_EQ(min->t.resume_calls, 1);
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_stop_events_when_nobody_asked)
{
	struct sim_fixture *fx = stopped_fx();

	/* A stop while already stopped is noted, not sent. */
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 2, GDB_SIGNAL_TRAP, 0);
	CHECK(fx_quiet(fx));
	gdb_server_disconnected(fx->srv);
	/* Not attached: stop events are ignored. */
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 0, GDB_SIGNAL_TRAP, 0);
	CHECK(fx_quiet(fx));
	CHECK_EQ(fx->t.detach_calls, 1);
	fx_free(fx);
}

TEST(gdbstub_x86_pack_unpack)
{
	struct gdb_x86_state st, back;
	uint8_t buf[1024];
	int rip = gdb_arch_find_reg(&gdb_arch_x86_64, "rip");
	int cr3 = gdb_arch_find_reg(&gdb_arch_x86_64, "cr3");
	int eax = gdb_arch_find_reg(&gdb_arch_i386, "eax");
	int ecx = gdb_arch_find_reg(&gdb_arch_i386, "ecx");

	memset(&st, 0, sizeof(st));
	for (unsigned i = 0; i < 16; i++)
		st.gpr[i] = 0x1111111111111111ull * (i + 1);
	st.rip = 0xffffffff81000000ull;
	st.eflags = 0x202;
	st.seg[0] = 0x10;
	st.cr3 = 0x123000;
	st.efer = 0xd01;
	st.st[7][9] = 0x7f;
	st.xmm[15][15] = 0xee;
	st.mxcsr = 0x1f80;
	gdb_x86_pack(&gdb_arch_x86_64, &st, buf);
	CHECK_EQ(rip, 16);
	CHECK_EQ(gdb_arch_reg_offset(&gdb_arch_x86_64, (unsigned)rip), 128);
	CHECK_EQ(buf[128 + 7], 0xff);
	CHECK_EQ(buf[gdb_arch_reg_offset(&gdb_arch_x86_64, (unsigned)cr3) + 1], 0x30);
	memset(&back, 0, sizeof(back));
	gdb_x86_unpack(&gdb_arch_x86_64, buf, &back);
	CHECK_MEM(&back, &st, sizeof(st));
	/* One register alone (a stop reply's expedited ones): the same bytes as in the whole file. */
	for (unsigned r = 0; r < gdb_arch_x86_64.nregs; r++) {
		size_t off = gdb_arch_reg_offset(&gdb_arch_x86_64, r);
		uint8_t one[64];

		memset(one, 0xa5, sizeof(one));
		gdb_x86_pack_reg(&gdb_arch_x86_64, &st, r, one);
		CHECK_MEM(one, buf + off, gdb_arch_reg_offset(&gdb_arch_x86_64, r + 1) - off);
	}

	/* i386: eax is rax's low half; unpacking keeps the upper half. */
	CHECK_EQ(eax, 0);
	CHECK_EQ(ecx, 1);
	CHECK_EQ(gdb_arch_regs_size(&gdb_arch_i386), 344); /* ... efer, orig_eax */
	gdb_x86_pack(&gdb_arch_i386, &st, buf);
	CHECK_EQ(buf[0], 0x11);
	CHECK_EQ(buf[4], 0x33); /* ecx = gpr[2] */
	buf[0] = 0x99;
	back = st;
	gdb_x86_unpack(&gdb_arch_i386, buf, &back);
	CHECK_EQ(back.gpr[0], 0x1111111111111199ull);
	CHECK_EQ(back.rip, st.rip); /* eip's 4 bytes were the same */
	gdb_x86_unpack_reg(&gdb_arch_i386, 8, (const uint8_t *)"\x00\x10\x00\x00", &back);
	CHECK_EQ(back.rip, 0xffffffff00001000ull);
	CHECK_EQ(gdb_arch_find_reg(&gdb_arch_i386, "k_gs_base"), -1);
	CHECK_EQ(gdb_arch_find_reg(&gdb_arch_i386, "fs_base") >= 0, 1);
}
