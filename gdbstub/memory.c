/* SPDX-License-Identifier: MIT */
/*
 * Memory packets, at gdb's (virtual) addresses through the Hg thread:
 *   m ADDR,LEN          -> hex bytes; fewer than LEN if the read ran into an
 *                          unmapped page (gdb asks again for the rest), E if none
 *   M ADDR,LEN:HEX      <- write, OK or E
 *   X ADDR,LEN:BINARY   <- write, binary (escapes already undone by framing.c)
 * Ranges that would wrap past the top of the address space are refused, so
 * the target never sees one. Reads are clamped to what fits in a reply.
 */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

/* The biggest read whose hex fits in one reply. */
#define MAX_READ (GDB_PACKET_SIZE / 2)

/* ADDR,LEN with [ADDR, ADDR+LEN) not wrapping. */
static bool parse_range(struct rsp_cursor *args, uint64_t *addr, uint64_t *len)
{
	if (!rsp_hex_u64(args, addr) || !rsp_eat(args, ',') || !rsp_hex_u64(args, len))
		return false;
	return *len == 0 || *len - 1 <= UINT64_MAX - *addr;
}

enum rsp_result rsp_cmd_read_mem(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t addr, len;
	long n;

	if (!parse_range(args, &addr, &len) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (len == 0)
		return RSP_REPLY; /* zero bytes: an empty hex string */
	if (len > MAX_READ)
		len = MAX_READ;
	n = s->ops->read_mem(s->target, rsp_g_vcpu(s), addr, s->scratch, (size_t)len);
	if (n <= 0)
		return rsp_error(s, n < 0 ? (int)-n : EFAULT);
	if ((uint64_t)n > len)
		n = (long)len; /* a target claiming more than asked: believe the buffer */
	rsp_put_hex(&s->reply, s->scratch, (size_t)n);
	return RSP_REPLY;
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
