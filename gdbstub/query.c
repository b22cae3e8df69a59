/* SPDX-License-Identifier: MIT */
/*
 * General queries that do not touch the target:
 *   qSupported[:GDBFEATURES]   what we implement (and what gdb does)
 *   QStartNoAckMode            stop sending and expecting '+'/'-'
 *   qXfer:features:read:target.xml:OFFSET,LENGTH   the target description
 *   qAttached                  "1": we attached to an existing process, so
 *                              gdb's "quit" detaches instead of killing
 *   qSymbol::                  "OK": we need no symbols
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/*
 * Note gdb's features we act on: swbreak+/hwbreak+ allow those stop reasons;
 * multiprocess+ makes thread ids "pPID.TID"; binary-upload+ that gdb reads
 * memory with 'x' and wants its replies in gdb's form ("b" + bytes).
 */
static void client_features(struct gdb_server *s, struct rsp_cursor *args)
{
	s->client_swbreak = false;
	s->client_hwbreak = false;
	s->multiprocess = false;
	s->binary_upload = false;
	if (!rsp_eat(args, ':'))
		return;
	while (!rsp_at_end(args)) {
		const char *start = args->p;
		size_t n;

		while (args->p < args->end && *args->p != ';')
			args->p++;
		n = (size_t)(args->p - start);
		if (n == 8 && memcmp(start, "swbreak+", 8) == 0)
			s->client_swbreak = true;
		if (n == 8 && memcmp(start, "hwbreak+", 8) == 0)
			s->client_hwbreak = true;
		if (n == 13 && memcmp(start, "multiprocess+", 13) == 0)
			s->multiprocess = true;
		if (n == 14 && memcmp(start, "binary-upload+", 14) == 0)
			s->binary_upload = true;
		rsp_eat(args, ';');
	}
}

enum rsp_result rsp_cmd_supported(struct gdb_server *s, struct rsp_cursor *args)
{
	client_features(s, args);
	/*
	 * Advertise only what is implemented: breakpoint stop reasons if the
	 * target has breakpoints, target-side conditions if it evaluates them.
	 * Multiprocess (one process, the VM, pid RSP_PID) when gdb offers it:
	 * without it gdb makes up a pid and will not read /proc/PID/maps,
	 * which its gcore needs (hostio.c). lldb does not offer it.
	 */
	rsp_printf(&s->reply, "PacketSize=%x;QStartNoAckMode+;qXfer:features:read+;"
		   "qXfer:threads:read+;vContSupported+;multiprocess%c", GDB_PACKET_SIZE,
		   s->multiprocess ? '+' : '-');
	/* gdb's 'x' (its own form of lldb's, which needs no asking) when gdb asks for it. */
	if (s->binary_upload)
		rsp_puts(&s->reply, ";binary-upload+");
	if (s->ops->insert_bp)
		rsp_puts(&s->reply, ";swbreak+;hwbreak+");
	/* Conditions in Z0/Z1, evaluated by gdb_server_bp_should_stop(). */
	if (s->ops->insert_bp && s->ops->conditional_breakpoints)
		rsp_puts(&s->reply, ";ConditionalBreakpoints+");
	if (s->ops->set_non_stop)
		rsp_puts(&s->reply, ";QNonStop+");
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_no_ack_mode(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	/* The OK still goes out acknowledged; from then on, no acks. */
	rsp_ok(s);
	rsp_send_packet(s, s->reply.data, s->reply.len);
	s->ack_mode = false;
	s->frame_len = 0;
	return RSP_NO_REPLY;
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH; everything is in target.xml. */
enum rsp_result rsp_xfer_features(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t offset, length;

	if (!rsp_eat_str(args, ":target.xml:"))
		return rsp_error(s, 0); /* E00: unknown annex, as the manual says */
	if (!rsp_hex_u64(args, &offset) || !rsp_eat(args, ',') || !rsp_hex_u64(args, &length) ||
	    !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	return rsp_reply_xfer(s, s->tdesc, s->tdesc_len, offset, length);
}

enum rsp_result rsp_cmd_attached(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	rsp_putc(&s->reply, '1');
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_symbol(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	return rsp_ok(s);
}
