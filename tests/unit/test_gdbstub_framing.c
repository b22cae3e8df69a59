/* SPDX-License-Identifier: MIT */
/*
 * gdbstub framing: checksums, acks, retransmission, no-ack mode, escapes,
 * run-length encoding, 0x03, fragmentation, oversized and broken frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../gdbstub/internal.h"
#include "sim_target.h"
#include "test.h"

#define STOP1 "T05thread:1;06:3031323334353637;07:38393a3b3c3d3e3f;10:0010000000000000;"

TEST(gdbstub_framing_basic_reply_is_acked)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	CHECK_STR(fx_cmd(fx, "?"), STOP1);
	CHECK_EQ(fx->acks, 1);
	/* Ack and reply went out in one write. */
	CHECK_EQ(fx->io.writes, 1);
	CHECK_EQ(fx->io.buf[0], '+');
	CHECK(fx_quiet(fx));
	fx_free(fx);
}

TEST(gdbstub_framing_byte_at_a_time)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char frame[64];
	size_t n = sim_frame("qAttached", 9, frame);

	for (size_t i = 0; i < n; i++) {
		CHECK(fx_quiet(fx));
		fx_feed(fx, frame + i, 1);
	}
	CHECK_STR(fx_reply(fx), "1");
	fx_free(fx);
}

TEST(gdbstub_framing_several_packets_in_one_chunk)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char buf[256];
	size_t n = 0;

	buf[n++] = '+';
	n += sim_frame("qAttached", 9, buf + n);
	buf[n++] = 'x'; /* noise between packets is ignored */
	n += sim_frame("vMustReplyEmpty", 15, buf + n);
	buf[n++] = '+';
	n += sim_frame("qSymbol::", 9, buf + n);
	fx_feed(fx, buf, n);
	CHECK_STR(fx_reply(fx), "1");
	CHECK_STR(fx_reply(fx), "");
	CHECK_STR(fx_reply(fx), "OK");
	CHECK(fx_reply(fx) == NULL);
	CHECK_EQ(fx->acks, 3);
	fx_free(fx);
}

TEST(gdbstub_framing_bad_checksum_naks_and_does_nothing)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *bad = "$M100,1:ff#00";
	const char *nonhex = "$M100,1:ff#zz";
	struct gdb_server_stats st;
	uint8_t before = fx->t.mem[0x100];

	fx_feed(fx, bad, strlen(bad));
	CHECK_EQ(fx->io.len, 1);
	CHECK_EQ(fx->io.buf[0], '-');
	fx_feed(fx, nonhex, strlen(nonhex));
	CHECK_EQ(fx->io.len, 2);
	CHECK_EQ(fx->io.buf[1], '-');
	CHECK_EQ(fx->t.mem[0x100], before);
	gdb_server_get_stats(fx->srv, &st);
	CHECK_EQ(st.bad_checksums, 2);
	CHECK_EQ(st.packets, 0);
	/* The stream recovers: the next good packet is served. */
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	fx_free(fx);
}

TEST(gdbstub_framing_nak_retransmits_last_reply)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t start, first_len;

	CHECK_STR(fx_cmd(fx, "m1000,4"), "10111213");
	first_len = fx->io.len - 1; /* without the '+' */
	start = fx->io.len;
	fx_feed(fx, "-", 1);
	CHECK_EQ(fx->io.len - start, first_len);
	CHECK_MEM(fx->io.buf + start, fx->io.buf + 1, first_len);
	CHECK_STR(fx_reply(fx), "10111213");
	/* Once acknowledged there is nothing to resend. */
	fx_feed(fx, "+-", 2);
	CHECK(fx_quiet(fx));
	fx_free(fx);
}

TEST(gdbstub_framing_nak_storm_is_bounded)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char naks[100];
	unsigned replies = 0;

	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	memset(naks, '-', sizeof(naks));
	fx_feed(fx, naks, sizeof(naks));
	while (fx_reply(fx))
		replies++;
	CHECK(replies > 0 && replies <= 16);
	fx_free(fx);
}

TEST(gdbstub_framing_no_ack_mode)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t mark;

	CHECK_STR(fx_cmd(fx, "QStartNoAckMode"), "OK");
	CHECK_EQ(fx->acks, 1); /* the OK itself is still acknowledged */
	fx_feed(fx, "+", 1);
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	CHECK_EQ(fx->acks, 1);
	/* A bad checksum is dropped silently; '-' asks for nothing. */
	mark = fx->io.len;
	fx_feed(fx, "$qAttached#00-", 14);
	CHECK_EQ(fx->io.len, mark);
	/* Reconnecting starts in ack mode again. */
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	CHECK_EQ(fx->acks, 2);
	fx_free(fx);
}

TEST(gdbstub_framing_binary_write_with_escapes)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const uint8_t data[] = { '#', '$', '}', '*', 0x03, 0x00, 0xff, '+', '-', 0x7d ^ 0x20 };
	char pkt[64] = "X200,a:";
	size_t n = strlen(pkt);

	memcpy(pkt + n, data, sizeof(data));
	fx_send_bin(fx, pkt, n + sizeof(data));
	CHECK_STR(fx_reply(fx), "OK");
	CHECK_MEM(fx->t.mem + 0x200, data, sizeof(data));
	/* The 0x03 inside the packet was data, not an interrupt. */
	CHECK_EQ(fx->t.request_stop_calls, 0);
	fx_free(fx);
}

/* Encode payload through the server's framing, decode as gdb would. */
static bool round_trip(struct sim_fixture *fx, const char *payload, size_t len, size_t *raw_len)
{
	size_t start = fx->io.len;
	const char *got;

	rsp_send_packet(fx->srv, payload, len);
	*raw_len = fx->io.len - start;
	if (!sim_valid_output(fx->io.buf + start, fx->io.len - start))
		return false;
	got = fx_reply(fx);
	return got && fx->reply_len == len && memcmp(got, payload, len) == 0;
}

TEST(gdbstub_framing_reply_escapes)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char payload[] = "a#b$c}d*e}}**##$$";
	size_t raw;

	CHECK(round_trip(fx, payload, strlen(payload), &raw));
	/* Inside the frame no raw '#', '$' or lone '*' may appear. */
	CHECK(memchr(fx->io.buf + 1, '$', raw - 1) == NULL);
	CHECK(memchr(fx->io.buf, '#', raw - 3) == NULL);
	fx_free(fx);
}

TEST(gdbstub_framing_rle_every_run_length)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char *payload = malloc(400);
	size_t raw;
	bool all_ok = true;

	/* Every run length, including 7 and 8 (counts '#' and '$'). */
	for (size_t run = 1; run <= 300; run++) {
		memset(payload, '0', run);
		payload[run] = 'x';
		if (!round_trip(fx, payload, run + 1, &raw)) {
			all_ok = false;
			test_fail(__FILE__, __LINE__, "run of %zu", run);
		}
		/* Never longer than plain; shorter from 10 on ("$...#xx" is 4). */
		if (raw - 4 > run + 1 || (run >= 10 && raw - 4 >= run))
			test_fail(__FILE__, __LINE__, "run of %zu not compressed (%zu)", run, raw);
	}
	CHECK(all_ok);
	free(payload);
	fx_free(fx);
}

TEST(gdbstub_framing_rle_in_memory_reply)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char expect[257];
	size_t start;

	memset(fx->t.mem + 0x3000, 0, 128);
	memset(expect, '0', 256);
	expect[256] = '\0';
	start = fx->io.len;
	CHECK_STR(fx_cmd(fx, "m3000,80"), expect);
	CHECK(fx->io.len - start < 40); /* 256 hex digits compress to a few runs */
	fx_free(fx);
}

TEST(gdbstub_framing_oversized_packet_is_refused)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t n = GDB_PACKET_SIZE + 100;
	char *big = malloc(n + 1);

	memset(big, 'a', n);
	big[n] = '\0';
	big[0] = 'M';
	fx_send(fx, big);
	CHECK_STR(fx_reply(fx), "E07");
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	free(big);
	fx_free(fx);
}

TEST(gdbstub_framing_dangling_escape)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	/* "X0,1:}" with the right checksum: the escape has nothing to escape. */
	const char *pkt = "$X0,1:}#";
	char frame[32];
	uint8_t sum = 0;

	for (const char *p = pkt + 1; *p != '#'; p++)
		sum += (uint8_t)*p;
	snprintf(frame, sizeof(frame), "%s%02x", pkt, sum);
	fx_feed(fx, frame, strlen(frame));
	CHECK_STR(fx_reply(fx), "E16");
	fx_free(fx);
}

TEST(gdbstub_framing_dollar_resynchronises)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char buf[64] = "$qAtt";
	size_t n = strlen(buf);

	n += sim_frame("qAttached", 9, buf + n);
	fx_feed(fx, buf, n);
	CHECK_STR(fx_reply(fx), "1");
	CHECK(fx_reply(fx) == NULL);
	fx_free(fx);
}

TEST(gdbstub_framing_interrupt_only_while_running)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	fx_feed(fx, "\x03", 1); /* stopped: nothing to interrupt */
	CHECK_EQ(fx->t.request_stop_calls, 0);
	CHECK(fx_quiet(fx));
	fx->t.sync_stop = false;
	fx_send(fx, "c");
	CHECK(fx_reply(fx) == NULL); /* just the ack: no stop yet */
	CHECK_EQ(fx->acks, 1);
	fx_feed(fx, "\x03", 1);
	CHECK_EQ(fx->t.request_stop_calls, 1);
	sim_stop(&fx->t, GDB_STOP_SIGNAL, 2, GDB_SIGNAL_INT, 0);
	const char *r = fx_reply(fx);
	CHECK(r && strncmp(r, "T02thread:3;", 12) == 0);
	fx_free(fx);
}

TEST(gdbstub_framing_write_failure_stops_input)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	unsigned writes;

	fx->io.fail = true;
	fx_send(fx, "qAttached");
	writes = fx->io.writes;
	fx_send(fx, "qAttached");
	CHECK_EQ(fx->io.writes, writes); /* ignored until disconnect */
	fx->io.fail = false;
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	fx_free(fx);
}

TEST(gdbstub_framing_disconnect_mid_packet)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	fx_feed(fx, "$m10", 4);
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(gdb_server_connected(fx->srv, &(struct gdb_stop_event){ .signal = 5 }), 0);
	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	fx_free(fx);
}

static unsigned trace_in, trace_out;

static void count_trace(void *ctx, char dir, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	if (dir == '<')
		trace_in++;
	else
		trace_out++;
}

TEST(gdbstub_framing_trace_callback)
{
	struct sim_target t;
	struct sim_io io = { 0 };
	struct gdb_server_config cfg = { .write = sim_io_write, .io_ctx = &io,
					  .arch = &gdb_arch_x86_64, .trace = count_trace };
	struct gdb_server *srv;
	char frame[32];

	CHECK_EQ(sim_init(&t, &gdb_arch_x86_64, 2, 4096), 0);
	srv = gdb_server_new(&sim_ops, &t, &cfg);
	t.srv = srv;
	gdb_server_connected(srv, &(struct gdb_stop_event){ .signal = 5 });
	gdb_server_feed(srv, (const uint8_t *)frame, sim_frame("qAttached", 9, frame));
	CHECK_EQ(trace_in, 1);
	CHECK_EQ(trace_out, 1);
	gdb_server_free(srv);
	sim_fini(&t);
	free(io.buf);
}
