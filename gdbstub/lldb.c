/* SPDX-License-Identifier: MIT */
/*
 * Packets only lldb sends (lldb's docs/lldb-gdb-remote.txt). gdb never does,
 * so nothing here changes a gdb session.
 *   qHostInfo, qProcessInfo   "key:value;" lists; the triple (hex) tells lldb
 *                             the architecture and that no OS is underneath
 *   QListThreadsInStopReply   "OK": stop replies then carry "threads:1,2;"
 *                             and lldb needs no qfThreadInfo after each stop
 *   x ADDR,LEN                memory read with a binary reply (memory.c, which
 *                             serves gdb's form of it too); lldb probes it
 *                             with "x0,0", which must answer "OK"
 *   qThreadStopInfoTID        one thread's stop reply (resume.c)
 * Not implemented, lldb falls back without them: QThreadSuffixSupported (it
 * uses Hg), jThreadsInfo (qfThreadInfo and p), qMemoryRegionInfo (it then
 * does not know permissions, and unwinds by the ELF's unwind tables).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static void put_hex_text(struct rsp_buf *b, const char *text)
{
	rsp_put_hex(b, (const uint8_t *)text, strlen(text));
}

/* What qHostInfo and qProcessInfo share: the machine, not the host computer. */
static void put_machine(struct gdb_server *s)
{
	unsigned ptr_bytes = s->arch->regs[s->arch->pc_regno].bitsize / 8;

	rsp_puts(&s->reply, "triple:");
	put_hex_text(&s->reply, s->arch->triple);
	rsp_printf(&s->reply, ";endian:little;ptrsize:%u;", ptr_bytes);
}

enum rsp_result rsp_cmd_host_info(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	if (!s->arch->triple)
		return RSP_REPLY;
	put_machine(s);
	rsp_puts(&s->reply, "hostname:");
	put_hex_text(&s->reply, "minikvm");
	rsp_putc(&s->reply, ';');
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_process_info(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	if (!s->arch->triple)
		return RSP_REPLY;
	/* One guest: process 1, as the thread ids' "p1." would say. */
	rsp_puts(&s->reply, "pid:1;");
	put_machine(s);
	return RSP_REPLY;
}

enum rsp_result rsp_cmd_list_threads_in_stop(struct gdb_server *s, struct rsp_cursor *args)
{
	(void)args;
	s->list_threads_in_stop = true;
	return rsp_ok(s);
}
