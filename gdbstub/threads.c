/* SPDX-License-Identifier: MIT */
/*
 * Threads are vCPUs: vCPU i is gdb thread i + 1 (0 means "any" and -1 "all"
 * on the wire, so ids start at 1).
 *   Hg TID / Hc TID       select the thread for registers+memory / for c,s
 *   T TID                 is it alive?
 *   qC                    the current thread
 *   qfThreadInfo, qsThreadInfo   the list, in one go: "m1,2,3" then "l"
 *   qThreadExtraInfo,TID  hex text shown by "info threads"
 *   qXfer:threads:read::OFFSET,LENGTH   the same as XML, with names and cores
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A specific, existing thread id. */
static bool valid_tid(const struct gdb_server *s, long tid)
{
	return tid >= 1 && tid <= (long)s->nthreads;
}

static void extra_info(struct gdb_server *s, unsigned vcpu, char *buf, size_t size)
{
	buf[0] = '\0';
	if (s->ops->thread_extra_info && rsp_thread_stopped(s, vcpu) &&
	    s->ops->thread_extra_info(s->target, vcpu, buf, size) < 0)
		buf[0] = '\0';
	buf[size - 1] = '\0';
}

enum rsp_result rsp_cmd_set_thread(struct gdb_server *s, struct rsp_cursor *args)
{
	long tid;
	char op;

	if (rsp_at_end(args))
		return rsp_error(s, EINVAL);
	op = *args->p++;
	if ((op != 'g' && op != 'c') || !rsp_thread_id(args, &tid) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (tid != -1 && tid != 0 && !valid_tid(s, tid))
		return rsp_error(s, ESRCH);
	if (op == 'g')
		s->g_thread = tid;
	else
		s->c_thread = tid;
	return rsp_ok(s);
}

enum rsp_result rsp_cmd_thread_alive(struct gdb_server *s, struct rsp_cursor *args)
{
	long tid;

	if (!rsp_thread_id(args, &tid) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (!valid_tid(s, tid))
		return rsp_error(s, ESRCH);
	return rsp_ok(s);
}

enum rsp_result rsp_cmd_current_thread(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	rsp_puts(&s->reply, "QC");
	rsp_put_thread(s, &s->reply, rsp_g_vcpu(s) + 1);
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_thread_list_first(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	rsp_putc(&s->reply, 'm');
	for (unsigned i = 0; i < s->nthreads; i++) {
		if (i)
			rsp_putc(&s->reply, ',');
		rsp_put_thread(s, &s->reply, i + 1);
	}
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_thread_list_next(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	rsp_putc(&s->reply, 'l'); /* the first reply had them all */
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_thread_extra_info(struct gdb_server *s, struct rsp_cursor *args)
{
	char text[256];
	long tid;

	if (!rsp_eat(args, ',') || !rsp_thread_id(args, &tid) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	if (!valid_tid(s, tid))
		return rsp_error(s, ESRCH);
	extra_info(s, (unsigned)(tid - 1), text, sizeof(text));
	if (!text[0])
		snprintf(text, sizeof(text), "vCPU %ld", tid - 1);
	rsp_put_hex(&s->reply, (const uint8_t *)text, strlen(text));
	return RSP_REPLY;
}

/* qXfer:threads:read::OFFSET,LENGTH (the annex is empty). */
enum rsp_result rsp_xfer_threads(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_buf xml;
	uint64_t offset, length;
	char text[256];

	if (!rsp_eat_str(args, "::") || !rsp_hex_u64(args, &offset) || !rsp_eat(args, ',') ||
	    !rsp_hex_u64(args, &length) || !rsp_at_end(args))
		return rsp_error(s, EINVAL);
	/* Built afresh for every chunk: the target is stopped, so it is stable. */
	rsp_buf_init(&xml, (char *)s->scratch, GDB_PACKET_SIZE);
	rsp_puts(&xml, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (unsigned i = 0; i < s->nthreads; i++) {
		rsp_puts(&xml, "<thread id=\"");
		rsp_put_thread(s, &xml, i + 1);
		rsp_printf(&xml, "\" core=\"%u\" name=\"vCPU %u\">", i, i);
		extra_info(s, i, text, sizeof(text));
		rsp_put_xml_text(&xml, text);
		rsp_puts(&xml, "</thread>\n");
	}
	rsp_puts(&xml, "</threads>\n");
	if (xml.overflow)
		return rsp_error(s, E2BIG);
	return rsp_reply_xfer(s, xml.data, xml.len, offset, length);
}
