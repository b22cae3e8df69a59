/* SPDX-License-Identifier: MIT */
/*
 * The top of the library: the server object's creation, the connection's
 * life cycle, the entry points the target calls (bytes from gdb, a stop
 * event) and the table that routes each packet to its handler. Nothing
 * below calls back up here: framing.c reports a complete packet by its
 * return value, and handlers answer through reply.c.
 *
 * Every handler follows one pattern: parse its arguments from a cursor over
 * the packet (nothing is copied), check every number, call the target,
 * write the reply into s->reply and return RSP_REPLY. A handler that cannot
 * make sense of its packet replies "E xx"; a packet nobody handles gets the
 * empty reply, which tells gdb "not supported".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum match {
	LETTER, /* one character, arguments follow directly: "m1000,4" */
	NAME,   /* a name ended by the packet's end or one of ":,;" */
};

struct command {
	const char *name;
	enum match match;
	bool needs_stop; /* touches the target: only while it is stopped */
	rsp_handler handle;
};

static const struct command commands[] = {
	{ "?", LETTER, false, rsp_cmd_stop_reason },
	{ "c", LETTER, true, rsp_cmd_continue },
	{ "C", LETTER, true, rsp_cmd_continue_sig },
	{ "s", LETTER, true, rsp_cmd_step },
	{ "S", LETTER, true, rsp_cmd_step_sig },
	{ "g", LETTER, true, rsp_cmd_read_regs },
	{ "G", LETTER, true, rsp_cmd_write_regs },
	{ "p", LETTER, true, rsp_cmd_read_reg },
	{ "P", LETTER, true, rsp_cmd_write_reg },
	{ "m", LETTER, true, rsp_cmd_read_mem },
	{ "M", LETTER, true, rsp_cmd_write_mem_hex },
	{ "X", LETTER, true, rsp_cmd_write_mem_bin },
	{ "x", LETTER, true, rsp_cmd_read_mem_bin },
	{ "Z", LETTER, true, rsp_cmd_insert_bp },
	{ "z", LETTER, true, rsp_cmd_remove_bp },
	{ "H", LETTER, false, rsp_cmd_set_thread },
	{ "T", LETTER, false, rsp_cmd_thread_alive },
	{ "D", LETTER, true, rsp_cmd_detach },
	{ "k", LETTER, true, rsp_cmd_kill },
	{ "qSupported", NAME, false, rsp_cmd_supported },
	{ "QStartNoAckMode", NAME, false, rsp_cmd_no_ack_mode },
	{ "qXfer:features:read", NAME, false, rsp_xfer_features },
	{ "qXfer:threads:read", NAME, true, rsp_xfer_threads },
	{ "qC", NAME, false, rsp_cmd_current_thread },
	{ "qfThreadInfo", NAME, false, rsp_cmd_thread_list_first },
	{ "qsThreadInfo", NAME, false, rsp_cmd_thread_list_next },
	{ "qThreadExtraInfo", NAME, true, rsp_cmd_thread_extra_info },
	{ "qAttached", NAME, false, rsp_cmd_attached },
	{ "qSymbol", NAME, false, rsp_cmd_symbol },
	{ "qRcmd", NAME, true, rsp_cmd_monitor },
	{ "vCont?", NAME, false, rsp_cmd_vcont_query },
	{ "vCont", NAME, true, rsp_cmd_vcont },
	{ "vKill", NAME, true, rsp_cmd_vkill },
	{ "qHostInfo", NAME, false, rsp_cmd_host_info },
	{ "qProcessInfo", NAME, false, rsp_cmd_process_info },
	{ "qThreadStopInfo", LETTER, true, rsp_cmd_thread_stop_info },
	{ "QListThreadsInStopReply", NAME, false, rsp_cmd_list_threads_in_stop },
	{ "QNonStop", NAME, false, rsp_cmd_non_stop },
	{ "vStopped", NAME, false, rsp_cmd_vstopped },
	{ "vCtrlC", NAME, false, rsp_cmd_vctrlc },
	{ "vFile", NAME, true, rsp_cmd_hostio },
	/* Everything else, e.g. qOffsets, qTStatus, vMustReplyEmpty: empty reply. */
};

/* Looked up first in non-stop mode: the packets nonstop.c answers its own way. */
static const struct command non_stop_commands[] = {
	{ "?", LETTER, false, rsp_ns_stop_reason },
	{ "vCont", NAME, true, rsp_ns_vcont },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct command *lookup(const struct command *table, size_t n, const char *pkt,
				    size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const struct command *cmd = &table[i];
		size_t name_len = strlen(cmd->name);

		if (len < name_len || memcmp(pkt, cmd->name, name_len) != 0)
			continue;
		if (cmd->match == LETTER || len == name_len || strchr(":,;", pkt[name_len]))
			return cmd;
	}
	return NULL;
}

static const struct command *find_command(const struct gdb_server *s)
{
	const struct command *cmd = NULL;

	if (s->non_stop)
		cmd = lookup(non_stop_commands, COUNT(non_stop_commands), s->in, s->in_len);
	return cmd ? cmd : lookup(commands, COUNT(commands), s->in, s->in_len);
}

static void handle_packet(struct gdb_server *s)
{
	struct rsp_cursor args = { s->in, s->in + s->in_len };
	const struct command *cmd = find_command(s);
	enum rsp_result res = RSP_REPLY;

	rsp_buf_reset(&s->reply);
	if (cmd && cmd->needs_stop && s->target_state != TARGET_STOPPED) {
		if (s->target_state == TARGET_RUNNING) {
			/*
			 * In all-stop gdb sends nothing but 0x03 while it waits
			 * for a stop reply; anything else is dropped, because an
			 * answer would be taken for that stop reply.
			 */
			s->stats.dropped++;
			return;
		}
		res = rsp_error(s, ESRCH);
	} else if (cmd) {
		args.p += strlen(cmd->name);
		res = cmd->handle(s, &args);
	}
	if (res == RSP_NO_REPLY)
		return;
	if (res == RSP_REPLY && s->reply.overflow) {
		rsp_buf_reset(&s->reply);
		rsp_error(s, E2BIG);
	}
	if (res == RSP_REPLY)
		rsp_send_packet(s, s->reply.data, s->reply.len);
	if (s->non_stop)
		rsp_ns_notify(s); /* stops a reply had to wait for */
}

static bool arch_valid(const struct gdb_arch *arch)
{
	if (!arch || !arch->name || !arch->nregs || arch->pc_regno >= arch->nregs)
		return false;
	for (unsigned i = 0; i < arch->nregs; i++)
		if (!arch->regs[i].bitsize || arch->regs[i].bitsize % 8 ||
		    arch->regs[i].feature >= arch->nfeatures)
			return false;
	for (unsigned i = 0; i < arch->nexpedite; i++)
		if (arch->expedite[i] >= arch->nregs)
			return false;
	return gdb_arch_regs_size(arch) <= GDB_PACKET_SIZE / 2;
}

struct gdb_server *gdb_server_new(const struct gdb_target_ops *ops, void *target_ctx,
				  const struct gdb_server_config *cfg)
{
	struct gdb_server *s;
	char *reply;

	if (!ops || !cfg || !cfg->write || !arch_valid(cfg->arch) || !ops->num_threads ||
	    !ops->read_regs || !ops->write_regs || !ops->read_mem || !ops->write_mem ||
	    !ops->resume || !ops->request_stop || !ops->insert_bp != !ops->remove_bp) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ops = ops;
	s->target = target_ctx;
	s->cfg = *cfg;
	s->arch = cfg->arch;
	s->regs_size = gdb_arch_regs_size(s->arch);
	s->in = malloc(GDB_PACKET_SIZE + 1);
	s->frame = malloc(2 * GDB_PACKET_SIZE + 8);
	reply = malloc(GDB_PACKET_SIZE + 1);
	s->scratch = malloc(GDB_PACKET_SIZE + 1);
	s->stop_regs = malloc(s->regs_size);
	s->tdesc_len = gdb_arch_target_xml(s->arch, NULL, 0);
	s->tdesc = malloc(s->tdesc_len + 1);
	if (!s->in || !s->frame || !reply || !s->scratch || !s->stop_regs || !s->tdesc) {
		s->reply.data = reply;
		gdb_server_free(s);
		errno = ENOMEM;
		return NULL;
	}
	gdb_arch_target_xml(s->arch, s->tdesc, s->tdesc_len + 1);
	rsp_buf_init(&s->reply, reply, GDB_PACKET_SIZE);
	s->target_state = TARGET_DETACHED;
	s->nthreads = 1;
	s->ack_mode = true;
	return s;
}

void gdb_server_free(struct gdb_server *s)
{
	if (!s)
		return;
	rsp_hostio_reset(s);
	free(s->in);
	free(s->frame);
	free(s->reply.data);
	free(s->scratch);
	free(s->stop_regs);
	free(s->tdesc);
	free(s);
}

static void reset_protocol(struct gdb_server *s)
{
	rsp_rx_reset(s);
	s->io_broken = false;
	s->ack_mode = true;
	s->ack_pending = false;
	s->client_swbreak = false;
	s->client_hwbreak = false;
	s->list_threads_in_stop = false;
	s->multiprocess = false;
	rsp_hostio_reset(s);
	s->frame_len = 0;
	s->naks = 0;
	s->g_thread = 0;
	s->c_thread = 0;
	s->stop_reply_owed = false;
	rsp_ns_reset(s);
}

void gdb_server_stop_event(struct gdb_server *s, const struct gdb_stop_event *event)
{
	struct gdb_stop_event ev = *event;

	if (ev.vcpu >= s->nthreads)
		ev.vcpu = 0;
	if (ev.reason > GDB_STOP_TERMINATED)
		ev.reason = GDB_STOP_SIGNAL;
	if (ev.signal == 0 && ev.reason >= GDB_STOP_SWBREAK && ev.reason <= GDB_STOP_AWATCH)
		ev.signal = GDB_SIGNAL_TRAP;

	if (s->detach_on_stop) {
		/* gdb left while the target ran; this is the stop we asked for. */
		s->detach_on_stop = false;
		rsp_remove_all_breakpoints(s, !rsp_is_exit(&ev));
		if (!s->connected) {
			if (rsp_is_exit(&ev))
				s->target_state = TARGET_DETACHED;
			else
				rsp_detach_target(s);
			return;
		}
		/* A new debugger attached meanwhile: this stop is its first. */
	}
	if (s->non_stop && s->target_state != TARGET_DETACHED)
		rsp_ns_stop_event(s, &ev);
	else
		rsp_stop_event(s, &ev);
}

int gdb_server_connected(struct gdb_server *s, const struct gdb_stop_event *stopped)
{
	unsigned n;

	if (s->connected)
		return -EBUSY;
	n = s->ops->num_threads(s->target);
	s->nthreads = n < 1 ? 1 : n > GDB_MAX_THREADS ? GDB_MAX_THREADS : n;
	reset_protocol(s);
	s->connected = true;
	if (stopped) {
		if (s->detach_on_stop) {
			/* The previous debugger's breakpoints are still in. */
			s->detach_on_stop = false;
			rsp_remove_all_breakpoints(s, true);
		}
		s->target_state = TARGET_RUNNING;
		gdb_server_stop_event(s, stopped);
	} else {
		s->target_state = TARGET_RUNNING;
		s->ops->request_stop(s->target);
	}
	return 0;
}

void gdb_server_disconnected(struct gdb_server *s)
{
	if (!s->connected)
		return;
	s->connected = false;
	reset_protocol(s);
	switch (s->target_state) {
	case TARGET_STOPPED:
		rsp_remove_all_breakpoints(s, true);
		rsp_detach_target(s);
		break;
	case TARGET_RUNNING:
		/* Finish in gdb_server_stop_event(), once it is stopped. */
		s->detach_on_stop = true;
		s->ops->request_stop(s->target);
		break;
	case TARGET_DETACHED:
		break;
	}
}

void gdb_server_feed(struct gdb_server *s, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && s->connected && !s->io_broken; i++) {
		if (!rsp_rx_byte(s, data[i]))
			continue;
		handle_packet(s);
		rsp_send_ack_if_pending(s);
	}
}

bool gdb_server_attached(const struct gdb_server *s)
{
	return s->connected && s->target_state != TARGET_DETACHED;
}

bool gdb_server_target_running(const struct gdb_server *s)
{
	return s->target_state == TARGET_RUNNING && !s->non_stop;
}

void gdb_server_get_stats(const struct gdb_server *s, struct gdb_server_stats *out)
{
	*out = s->stats;
}
