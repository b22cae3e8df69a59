/* SPDX-License-Identifier: MIT */
/*
 * Framing (GDB manual, "Overview" of the Remote Protocol):
 *
 *   $payload#cs     cs = two hex digits, the sum of the payload bytes mod 256
 *   +  -            acknowledgement / request to resend (until QStartNoAckMode)
 *   0x03            interrupt, sent by gdb between packets while the target runs
 *   }x              escape: the byte is x ^ 0x20 (used for # $ } *)
 *   c*n             run-length encoding in replies: c repeated n - 29 more times
 *
 * Input is a byte-at-a-time state machine, so any fragmentation works; the
 * payload is unescaped into one fixed buffer as it arrives. A 0x03 inside a
 * packet is data (binary 'X' writes may contain it), not an interrupt.
 * rsp_rx_byte() tells its caller (the dispatcher, server.c) when a whole
 * good packet is in s->in; framing itself answers only what is wrong with
 * the frame: '-' for a bad checksum, "E xx" for a packet too long or cut.
 * Output escapes and run-length encodes into one fixed frame buffer, and
 * every reply goes to the write callback in one call, with the '+' that
 * acknowledges the request in front of it.
 */
#include <endian.h>
#include <string.h>

#include "internal.h"

/* Give up resending one reply after this many '-' in a row. */
#define MAX_NAKS 16

static void io_write(struct gdb_server *s, const char *buf, size_t len)
{
	if (s->io_broken || !len)
		return;
	if (s->cfg.write(s->cfg.io_ctx, buf, len) < 0)
		s->io_broken = true;
}

void rsp_send_ack_if_pending(struct gdb_server *s)
{
	if (s->ack_pending) {
		s->ack_pending = false;
		io_write(s, "+", 1);
	}
}

void rsp_rx_reset(struct gdb_server *s)
{
	s->rx = RX_IDLE;
	s->rx_escape = false;
	s->rx_overflow = false;
	s->in_len = 0;
}

/* The checksum has arrived. True: s->in holds a good packet to handle. */
static bool packet_complete(struct gdb_server *s)
{
	bool good_sum = s->rx_sum == s->rx_sum_given;

	s->rx = RX_IDLE;
	if (!good_sum) {
		/* In no-ack mode there is nobody to ask for a resend: drop it. */
		s->stats.bad_checksums++;
		if (s->ack_mode)
			io_write(s, "-", 1);
		return false;
	}
	/* gdb received our last reply, or it would not send a new packet. */
	s->frame_len = 0;
	s->ack_pending = s->ack_mode;
	s->in[s->in_len] = '\0';
	if (s->rx_overflow || s->rx_escape) {
		/* Larger than the PacketSize we advertised, or ends in '}'. */
		s->stats.dropped++;
		rsp_buf_reset(&s->reply);
		rsp_error(s, s->rx_overflow ? 7 /* E2BIG */ : 22 /* EINVAL */);
		rsp_send_packet(s, s->reply.data, s->reply.len);
		return false;
	}
	s->stats.packets++;
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.io_ctx, '<', s->in, s->in_len);
	return true;
}

static void rx_idle(struct gdb_server *s, uint8_t c)
{
	switch (c) {
	case '$':
		s->rx = RX_DATA;
		s->rx_escape = false;
		s->rx_overflow = false;
		s->rx_sum = 0;
		s->in_len = 0;
		break;
	case '+':
		s->frame_len = 0; /* delivered: nothing to resend */
		break;
	case '-':
		if (s->ack_mode && s->frame_len && s->naks < MAX_NAKS) {
			s->naks++;
			io_write(s, s->frame + 1, s->frame_len);
		}
		break;
	case 0x03:
		if (s->target_state == TARGET_RUNNING && s->connected) {
			s->stats.interrupts++;
			s->ops->request_stop(s->target);
		}
		break;
	default:
		break; /* line noise between packets */
	}
}

static void rx_data(struct gdb_server *s, uint8_t c)
{
	if (c == '#') {
		s->rx = RX_SUM1;
		return;
	}
	if (c == '$') {
		/* A new packet began before this one ended: resynchronise. */
		s->stats.dropped++;
		rx_idle(s, c);
		return;
	}
	s->rx_sum += c;
	if (s->rx_escape) {
		s->rx_escape = false;
		c ^= 0x20;
	} else if (c == '}') {
		s->rx_escape = true;
		return;
	}
	if (s->in_len < GDB_PACKET_SIZE)
		s->in[s->in_len++] = (char)c;
	else
		s->rx_overflow = true;
}

bool rsp_rx_byte(struct gdb_server *s, uint8_t c)
{
	int d;

	switch (s->rx) {
	case RX_IDLE:
		rx_idle(s, c);
		break;
	case RX_DATA:
		rx_data(s, c);
		break;
	case RX_SUM1:
	case RX_SUM2:
		d = rsp_hex_digit(c);
		if (d < 0) {
			/* Not a checksum: count it bad, then see the byte afresh. */
			s->rx_sum_given = (uint8_t)~s->rx_sum;
			packet_complete(s);
			rx_idle(s, c);
			break;
		}
		if (s->rx == RX_SUM1) {
			s->rx_sum_given = (uint8_t)(d << 4);
			s->rx = RX_SUM2;
			break;
		}
		s->rx_sum_given |= (uint8_t)d;
		return packet_complete(s);
	}
	return false;
}

/*
 * A repeat count is sent as the character 29 + count. It must be printable
 * (count >= 3) and at most '~' (count <= 97). '#' and '$' would end or start
 * a packet; we also avoid '*' and '}' so no reader can mistake the count for
 * another marker.
 */
static bool bad_count(size_t count)
{
	char ch = (char)(29 + count);

	return ch == '#' || ch == '$' || ch == '*' || ch == '}';
}

static bool needs_escape(uint8_t c)
{
	return c == '#' || c == '$' || c == '}' || c == '*';
}

/* Frame payload into f starting with the byte start ('$' or '%'); returns the length. */
static size_t encode(char *f, char start, const char *payload, size_t len)
{
	size_t n = 0, i = 0;
	uint8_t sum = 0;
	static const char hex[] = "0123456789abcdef";

	f[n++] = start;
	while (i < len) {
		uint8_t c = (uint8_t)payload[i];
		size_t run = 1;

		if (needs_escape(c)) {
			f[n++] = '}';
			f[n++] = (char)(c ^ 0x20);
			sum += (uint8_t)'}' + (uint8_t)(c ^ 0x20);
			i++;
			continue;
		}
		while (i + run < len && (uint8_t)payload[i + run] == c && run < 98)
			run++;
		f[n++] = (char)c;
		sum += c;
		size_t repeat = run - 1;
		while (repeat >= 3 && bad_count(repeat))
			repeat--;
		if (repeat >= 3) {
			f[n++] = '*';
			f[n++] = (char)(29 + repeat);
			sum += (uint8_t)'*' + (uint8_t)(29 + repeat);
			i += 1 + repeat;
		} else {
			i++;
		}
	}
	f[n++] = '#';
	f[n++] = hex[sum >> 4];
	f[n++] = hex[sum & 15];
	return n;
}

/* Send the packet framed in s->frame + 1 (n bytes), with the '+' owed in front of it. */
static void send_frame(struct gdb_server *s, size_t n)
{
	char *f = s->frame; /* f[0] is kept for a '+' ack */

	s->frame_len = n;
	s->naks = 0;
	if (s->ack_pending) {
		s->ack_pending = false;
		f[0] = '+';
		io_write(s, f, n + 1);
	} else {
		io_write(s, f + 1, n);
	}
}

void rsp_send_packet(struct gdb_server *s, const char *payload, size_t len)
{
	if (len > GDB_PACKET_SIZE)
		len = GDB_PACKET_SIZE; /* cannot happen: the reply buffer is that size */
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.io_ctx, '>', payload, len);
	send_frame(s, encode(s->frame + 1, '$', payload, len));
}

/*
 * Memory replies, framed as the bytes come: the hex or binary goes from the
 * target's memory straight into s->frame, which the caller sizes (a read is
 * at most GDB_PACKET_SIZE / 2 bytes: 2 * GDB_PACKET_SIZE framed, at worst).
 * Run-length encoding as in encode(), but only of runs inside one put:
 * for hex, runs of a byte whose two digits are the same (00, ff), the
 * runs that matter (zeroed pages); for binary, runs of any byte.
 */
static const char hex_digit[] = "0123456789abcdef";

/*
 * Eight bytes at a time where nothing needs care, which is nearly always:
 * the framers below spend a handful of instructions a byte (an emulated
 * host, where every instruction costs tens, is where that shows).
 */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOWS  0x00ff00ff00ff00ffULL

static inline uint64_t load8(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return le64toh(x); /* byte k of x is p[k] */
}

/* Some byte of x is zero. */
static inline bool any_zero_byte(uint64_t x)
{
	return ((x - ONES) & ~x & HIGHS) != 0;
}

/* The sum of x's eight bytes, mod 256. */
static inline uint8_t byte_sum(uint64_t x)
{
	uint64_t pairs = (x & LOWS) + ((x >> 8) & LOWS); /* four 16-bit lanes, each < 511 */

	return (uint8_t)(pairs + (pairs >> 16) + (pairs >> 32) + (pairs >> 48));
}

static inline void put_char(struct rsp_mem_frame *m, char c)
{
	*m->out++ = c;
	m->sum += (uint8_t)c;
}

/* n copies of c (not a character that needs escaping), run-length encoded. */
static void put_run(struct rsp_mem_frame *m, char c, size_t n)
{
	while (n) {
		size_t repeat = n - 1 > 97 ? 97 : n - 1;

		put_char(m, c);
		while (repeat >= 3 && bad_count(repeat))
			repeat--;
		if (repeat >= 3) {
			put_char(m, '*');
			put_char(m, (char)(29 + repeat));
			n -= 1 + repeat;
		} else {
			n--;
		}
	}
}

static void put_hex(struct rsp_mem_frame *m, const uint8_t *data, size_t len)
{
	char *out = m->out;
	uint8_t sum = m->sum;

	for (size_t i = 0; i < len;) {
		uint8_t b = data[i], hi = b >> 4, lo = b & 15;
		size_t run = 1;

		/* No byte of eight whose digits are the same (00, 11...): no run can start. */
		if (len - i >= 8 && !any_zero_byte(((load8(data + i) >> 4) ^ load8(data + i)) &
						   (ONES * 0x0f))) {
			for (int k = 0; k < 8; k++) {
				out[2 * k] = hex_digit[data[i + k] >> 4];
				out[2 * k + 1] = hex_digit[data[i + k] & 15];
			}
			sum += byte_sum(load8((const uint8_t *)out)) +
			       byte_sum(load8((const uint8_t *)out + 8));
			out += 16;
			i += 8;
			continue;
		}
		if (hi != lo) {
			out[0] = hex_digit[hi];
			out[1] = hex_digit[lo];
			sum += (uint8_t)(out[0] + out[1]);
			out += 2;
			i++;
			continue;
		}
		while (i + run < len && data[i + run] == b && run < 49)
			run++;
		m->out = out;
		m->sum = sum;
		put_run(m, hex_digit[lo], 2 * run);
		out = m->out;
		sum = m->sum;
		i += run;
	}
	m->out = out;
	m->sum = sum;
}

/* Eight bytes that go out as they are: none to escape, and no run of four from any of them. */
static inline bool plain8(const uint8_t *p, bool more)
{
	uint64_t x = load8(p);

	if (any_zero_byte(x ^ (ONES * '#')) || any_zero_byte(x ^ (ONES * '$')) ||
	    any_zero_byte(x ^ (ONES * '}')) || any_zero_byte(x ^ (ONES * '*')))
		return false;
	/* Neighbours equal (byte k and k + 1), or the last equal to the byte after. */
	return !any_zero_byte((x ^ (x >> 8)) | (0xffULL << 56)) && !(more && p[7] == p[8]);
}

static void put_binary(struct rsp_mem_frame *m, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint8_t c = data[i];
		size_t run = 1;

		if (len - i >= 8 && plain8(data + i, len - i > 8)) {
			memcpy(m->out, data + i, 8);
			m->sum += byte_sum(load8(data + i));
			m->out += 8;
			i += 8;
			continue;
		}
		if (needs_escape(c)) {
			put_char(m, '}');
			put_char(m, (char)(c ^ 0x20));
			i++;
			continue;
		}
		while (i + run < len && data[i + run] == c && run < 98)
			run++;
		if (run < 4) {
			put_char(m, (char)c);
			i++;
			continue;
		}
		put_run(m, (char)c, run);
		i += run;
	}
}

void rsp_mem_frame_start(struct gdb_server *s, struct rsp_mem_frame *m, bool hex,
			 const char *prefix)
{
	m->out = s->frame + 1;
	m->sum = 0;
	m->hex = hex;
	*m->out++ = '$';
	while (*prefix)
		put_char(m, *prefix++);
}

void rsp_mem_frame_put(struct rsp_mem_frame *m, const uint8_t *data, size_t len)
{
	if (m->hex)
		put_hex(m, data, len);
	else
		put_binary(m, data, len);
}

void rsp_send_framed(struct gdb_server *s, const struct rsp_mem_frame *m)
{
	char *end = m->out;

	*end++ = '#';
	*end++ = hex_digit[m->sum >> 4];
	*end++ = hex_digit[m->sum & 15];
	send_frame(s, (size_t)(end - (s->frame + 1)));
}

/*
 * A notification ("%Stop:T05..."): sent at any time between packets, never
 * acknowledged nor resent, so it has its own buffer and leaves the last
 * reply (kept for a resend) alone. A '+' owed for the packet being handled
 * goes first: gdb reads notifications while it waits for that ack.
 */
void rsp_send_notification(struct gdb_server *s, const char *payload, size_t len)
{
	if (len > RSP_NOTIFY_MAX)
		len = RSP_NOTIFY_MAX;
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.io_ctx, '%', payload, len);
	rsp_send_ack_if_pending(s);
	io_write(s, s->notify_frame, encode(s->notify_frame, '%', payload, len));
}
