/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for gdbstub: the packet framing, the parsers of every
 * packet and the command dispatcher, wired to the simulated target of the
 * unit tests (whose ops abort() if the server breaks its promises: a range
 * that wraps, a breakpoint inserted twice or removed without being inserted,
 * a detach with breakpoints still in).
 *
 * Input: one mode byte, then the stream.
 *   mode bit 0      i386 layout (else x86-64)
 *   mode bits 1-2   1..4 vCPUs
 *   mode bit 3      the target stops synchronously inside resume()
 *   mode bit 4      minimal ops (no breakpoints, monitor, kill, detach)
 *                   unless bit 7 is set too: see below
 *   mode bit 5      attach to a running target (else a stopped one)
 *   mode bit 6      "lines" mode: each '\n'-separated line is a packet
 *                   payload that gets framed with a correct checksum, so the
 *                   fuzzer reaches the parsers; a one-byte line 0x01..0x08 is
 *                   an event instead (stop, reconnect, 0x03, '-', '+',
 *                   toggle sync stops, an oversized packet, every
 *                   breakpoint hit on every vCPU).
 *                   Otherwise the bytes are fed raw, in chunks of
 *                   data-dependent sizes, with events between chunks.
 *   mode bit 7      target-side conditions (ConditionalBreakpoints): Z0/Z1
 *                   ";X" lists are stored and evaluated, by the simulated
 *                   target's continue and by event 8, with the registers and
 *                   memory the packets wrote.
 *   mode bits 4 + 7 every op (sim_ops_all: non-stop, vFile's memory
 *                   regions, monitor, conditions), and the next byte
 *                   chooses a preamble, packets sent before the input's:
 *     bit 0         non-stop: QNonStop:1, '?', vStopped until "OK"
 *     bit 1         vFile: setfs and open of /proc/1/maps (fd 0), a pread
 *     bit 2         monitor: qRcmd of "help" and "echo hi"
 *     bits 3-5      the target's memory regions: 3 per step (0-21)
 *                   (what vFile's /proc/1/maps lists)
 *                   Without a preamble the parsers are reached from the
 *                   dictionary alone; with it, from the state a real gdb
 *                   leaves (non-stop mode on, a file open).
 * Every write the server makes must be valid protocol (acks and
 * well-formed frames); anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/sim_target.h"

static int check_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	if (!sim_valid_output(buf, len))
		abort();
	return 0;
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	/* xorshift32: deterministic, so every crash reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static struct gdb_stop_event random_stop(void)
{
	uint32_t r = rng();

	return (struct gdb_stop_event){
		.reason = (enum gdb_stop_reason)(r % 9), /* 8 is out of range on purpose */
		.vcpu = (r >> 4) % 6,
		.signal = (int)((r >> 8) % 40),
		.addr = (uint64_t)rng() << 32 | rng(),
		.exit_code = (int)(r >> 16),
	};
}

static void event(struct sim_target *t, struct gdb_server *srv, unsigned which)
{
	static const struct gdb_stop_event stopped = { .signal = GDB_SIGNAL_TRAP };
	struct gdb_stop_event ev;
	char *big;

	switch (which) {
	case 1:
		ev = random_stop();
		/*
		 * An exit the server takes goes with the guest's breakpoints: one
		 * of a running guest (all-stop ignores stop events while the
		 * target is stopped), and in non-stop mode any exit, which ends
		 * the session (attached before, not after).
		 */
		if (ev.reason == GDB_STOP_EXITED || ev.reason == GDB_STOP_TERMINATED) {
			bool running = gdb_server_target_running(srv);
			bool attached = gdb_server_attached(srv);

			gdb_server_stop_event(srv, &ev);
			if (running || (attached && !gdb_server_attached(srv)))
				t->nbps = 0;
			break;
		}
		gdb_server_stop_event(srv, &ev);
		break;
	case 2:
		gdb_server_disconnected(srv);
		gdb_server_connected(srv, rng() & 1 ? NULL : &stopped);
		break;
	case 3:
		gdb_server_feed(srv, (const uint8_t *)"\x03", 1);
		break;
	case 4:
		gdb_server_feed(srv, (const uint8_t *)"-", 1);
		break;
	case 5:
		gdb_server_feed(srv, (const uint8_t *)"+", 1);
		break;
	case 6:
		t->sync_stop = !t->sync_stop;
		break;
	case 8:
		/* What a VMM does at a hit, from "vCPU threads", on each breakpoint. */
		for (unsigned i = 0; i < t->nbps; i++) {
			for (unsigned v = 0; v < t->nthreads; v++) {
				struct sim_hit hit = { t, v };
				int r = gdb_server_bp_should_stop(srv, t->bps[i].type, t->bps[i].addr,
								  &sim_agent_access, &hit);

				if (r != 0 && r != 1)
					abort();
			}
		}
		break;
	case 7:
		big = malloc(GDB_PACKET_SIZE + 16);
		if (!big)
			abort();
		memset(big, 'X', GDB_PACKET_SIZE + 16);
		big[0] = '$';
		memcpy(big + GDB_PACKET_SIZE + 12, "#00", 3);
		gdb_server_feed(srv, (const uint8_t *)big, GDB_PACKET_SIZE + 15);
		free(big);
		break;
	}
}

static void feed_lines(struct sim_target *t, struct gdb_server *srv, const uint8_t *data,
		       size_t size)
{
	char *frame = malloc(2 * size + 8);

	if (!frame)
		abort();
	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;

		if (n == 1 && data[0] >= 1 && data[0] <= 8) {
			event(t, srv, data[0]);
		} else {
			size_t len = sim_frame(data, n, frame), cut = rng() % (len + 1);

			gdb_server_feed(srv, (const uint8_t *)frame, cut);
			gdb_server_feed(srv, (const uint8_t *)frame + cut, len - cut);
		}
		data += n;
		size -= n;
		if (nl) {
			data++;
			size--;
		}
	}
	free(frame);
}

static void feed_raw(struct sim_target *t, struct gdb_server *srv, const uint8_t *data,
		     size_t size)
{
	while (size) {
		size_t n = 1 + rng() % 64;
		uint32_t r = rng();

		if (n > size)
			n = size;
		gdb_server_feed(srv, data, n);
		data += n;
		size -= n;
		if (r % 16 == 0) {
			static const unsigned events[] = { 1, 2, 3, 4, 5, 6, 8 };

			event(t, srv, events[(r >> 8) % 7]);
		}
	}
}

static void send_packet(struct gdb_server *srv, const char *payload)
{
	char frame[256];

	gdb_server_feed(srv, (const uint8_t *)frame, sim_frame(payload, strlen(payload), frame));
}

static void preamble(struct sim_target *t, struct gdb_server *srv, uint8_t pre)
{
	t->nregions = 3u * (pre >> 3 & 7);
	if (pre & 1) {
		send_packet(srv, "QNonStop:1");
		send_packet(srv, "?");
		for (unsigned i = 0; i <= t->nthreads; i++) /* the stopped threads, then "OK" */
			send_packet(srv, "vStopped");
	}
	if (pre & 2) {
		send_packet(srv, "vFile:setfs:0");
		send_packet(srv, "vFile:open:2f70726f632f312f6d617073,0,1c0"); /* /proc/1/maps */
		send_packet(srv, "vFile:pread:0,3fff,0");
	}
	if (pre & 4) {
		send_packet(srv, "qRcmd,68656c70");           /* help */
		send_packet(srv, "qRcmd,6563686f206869");     /* echo hi */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gdb_stop_event stopped = { .signal = GDB_SIGNAL_TRAP };
	struct gdb_server_config cfg = { .write = check_write };
	struct sim_target t;
	struct gdb_server *srv;
	uint8_t mode, pre = 0;
	bool all_ops;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	all_ops = (mode & 0x90) == 0x90;
	if (all_ops) {
		if (size < 1)
			return 0;
		pre = data[0];
		data++;
		size--;
	}
	rng_state = 0x9e3779b9u ^ mode ^ (uint32_t)size << 8;
	cfg.arch = mode & 1 ? &gdb_arch_i386 : &gdb_arch_x86_64;
	if (sim_init(&t, cfg.arch, 1 + (mode >> 1 & 3), 0x10000) < 0)
		abort();
	t.sync_stop = mode & 8;
	srv = gdb_server_new(all_ops ? &sim_ops_all : mode & 16 ? &sim_ops_minimal :
			     mode & 128 ? &sim_ops_conditional : &sim_ops, &t, &cfg);
	if (!srv)
		abort();
	t.srv = srv;
	gdb_server_connected(srv, mode & 32 ? NULL : &stopped);
	if (all_ops)
		preamble(&t, srv, pre);
	if (mode & 64)
		feed_lines(&t, srv, data, size);
	else
		feed_raw(&t, srv, data, size);
	/* Whatever state it is in, gdb leaving must leave a consistent target. */
	gdb_server_disconnected(srv);
	if (gdb_server_target_running(srv)) {
		struct gdb_stop_event ev = { .signal = GDB_SIGNAL_INT };

		gdb_server_stop_event(srv, &ev);
	}
	if (t.nbps)
		abort(); /* a breakpoint left in a guest nobody debugs */
	gdb_server_free(srv);
	sim_fini(&t);
	return 0;
}
