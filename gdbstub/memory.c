/* SPDX-License-Identifier: MIT */
/*
 * Memory packets, at gdb's (virtual) addresses through the Hg thread:
 *   m ADDR,LEN          -> hex bytes; fewer than LEN if the read ran into an
 *                          unmapped page (gdb asks again for the rest), E if none
 *   x ADDR,LEN          -> the same in binary (escaped like any payload):
 *                          "b" + bytes for a gdb that offered binary-upload+
 *                          (gdb 16 on), the bare bytes for lldb, whose probe
 *                          "x0,0" must answer "OK" (lldb-gdb-remote.txt)
 *   M ADDR,LEN:HEX      <- write, OK or E
 *   X ADDR,LEN:BINARY   <- write, binary (escapes already undone by framing.c)
 * Ranges that would wrap past the top of the address space are refused, so
 * the target never sees one. Reads are clamped to what fits in a reply.
 *
 * Reads are the bulk of a debugger's traffic (a `dump memory`, a core):
 * where the target shows its memory (peek_mem) the bytes go from there
 * straight into the reply's frame, hex or escaped, and out in one write.
 */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

/* The biggest read whose hex (or escaped binary, at worst twice as long) fits in one reply. */
#define MAX_READ (GDB_PACKET_SIZE / 2)

/* ADDR,LEN with [ADDR, ADDR+LEN) not wrapping. */
static bool parse_range(struct rsp_cursor *args, uint64_t *addr, uint64_t *len)
{
	if (!rsp_hex_u64(args, addr) || !rsp_eat(args, ',') || !rsp_hex_u64(args, len))
		return false;
	return *len == 0 || *len - 1 <= UINT64_MAX - *addr;
}

/* Through read_mem into scratch, then the reply buffer: the way for targets without peek_mem. */
static enum rsp_result read_copied(struct gdb_server *s, uint64_t addr, size_t len, bool hex,
				   const char *prefix)
{
	long n = s->ops->read_mem(s->target, rsp_g_vcpu(s), addr, s->scratch, len);

	if (n <= 0)
		return rsp_error(s, n < 0 ? (int)-n : EFAULT);
	if ((uint64_t)n > len)
		n = (long)len; /* a target claiming more than asked: believe the buffer */
	rsp_puts(&s->reply, prefix);
	if (hex)
		rsp_put_hex(&s->reply, s->scratch, (size_t)n);
	else
		rsp_put(&s->reply, s->scratch, (size_t)n);
	return RSP_REPLY;
}

/*
 * Straight from the target's memory into the frame, span by span; a byte
 * the target will not show as it is (one of its breakpoints) comes
 * through read_mem. Stops at the first byte that cannot be read.
 */
static enum rsp_result read_framed(struct gdb_server *s, uint64_t addr, size_t len, bool hex,
				   const char *prefix)
{
	unsigned vcpu = rsp_g_vcpu(s);
	struct rsp_mem_frame m;
	size_t done = 0;
	long n = -EFAULT;

	rsp_mem_frame_start(s, &m, hex, prefix);
	while (done < len) {
		const uint8_t *p = NULL;

		n = s->ops->peek_mem(s->target, vcpu, addr + done, len - done, &p);
		if (n == 0) {
			n = s->ops->read_mem(s->target, vcpu, addr + done, s->scratch, 1);
			p = s->scratch;
		}
		if (n <= 0 || !p)
			break;
		if ((size_t)n > len - done)
			n = (long)(len - done);
		rsp_mem_frame_put(&m, p, (size_t)n);
		done += (size_t)n;
	}
	if (!done)
		return rsp_error(s, n < 0 ? (int)-n : EFAULT);
	rsp_send_framed(s, &m);
	return RSP_FRAMED;
}

static enum rsp_result read_mem(struct gdb_server *s, uint64_t addr, uint64_t len, bool hex,
				const char *prefix)
{
	if (len > MAX_READ)
		len = MAX_READ;
	/* A trace shows the reply's payload, which only the copying way has. */
	if (!s->ops->peek_mem || s->cfg.trace)
		return read_copied(s, addr, (size_t)len, hex, prefix);
	return read_framed(s, addr, (size_t)len, hex, prefix);
}

enum rsp_result rsp_cmd_read_mem(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t addr, len;

	if (!parse_range(args, &addr, &len) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (len == 0)
		return RSP_REPLY; /* zero bytes: an empty hex string */
	return read_mem(s, addr, len, true, "");
}

enum rsp_result rsp_cmd_read_mem_bin(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t addr, len;
	const char *prefix = s->binary_upload ? "b" : "";

	if (!parse_range(args, &addr, &len) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (len == 0) {
		/* gdb: no bytes; lldb's probe: "x is supported". */
		rsp_puts(&s->reply, s->binary_upload ? "b" : "OK");
		return RSP_REPLY;
	}
	return read_mem(s, addr, len, false, prefix);
}

static enum rsp_result write_mem(struct gdb_server *s, uint64_t addr, const uint8_t *data,
				 size_t len)
{
	long n;

	if (len == 0)
		return rsp_ok(s); /* gdb probes 'X' support with a zero-length write */
	n = s->ops->write_mem(s->target, rsp_g_vcpu(s), addr, data, len);
	if (n < 0)
		return rsp_error(s, (int)-n);
	if ((size_t)n != len)
		return rsp_error(s, EFAULT);
	return rsp_ok(s);
}

enum rsp_result rsp_cmd_write_mem_hex(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t addr, len;

	if (!parse_range(args, &addr, &len) || !rsp_eat(args, ':'))
		return rsp_error(s, EINVAL);
	/* The packet itself bounds len: it must carry exactly 2*len digits. */
	if (len > rsp_cursor_left(args) / 2 || rsp_cursor_left(args) != 2 * len ||
	    !rsp_hex_decode(args->p, (size_t)len, s->scratch))
		return rsp_error(s, EINVAL);
	return write_mem(s, addr, s->scratch, (size_t)len);
}

enum rsp_result rsp_cmd_write_mem_bin(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t addr, len;

	if (!parse_range(args, &addr, &len) || !rsp_eat(args, ':'))
		return rsp_error(s, EINVAL);
	if (rsp_cursor_left(args) != len)
		return rsp_error(s, EINVAL);
	return write_mem(s, addr, (const uint8_t *)args->p, (size_t)len);
}
