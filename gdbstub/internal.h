/* SPDX-License-Identifier: MIT */
/*
 * The server object and the functions gdbstub's files share. Not for users
 * of the library: they see gdbstub.h only.
 *
 * Who does what, from the top down; a file calls only files below it:
 *   server.c       the top: life cycle, entry points, dispatch of packets
 *   resume.c       all-stop: '?', c/s/C/S, vCont, stop replies owed, D, k
 *   nonstop.c      non-stop mode: QNonStop, %Stop notifications, vStopped,
 *                  vCtrlC, and its own '?' and vCont
 *   registers.c    g G p P
 *   memory.c       m x M X
 *   breakpoints.c  Z z, the list of inserted breakpoints and their conditions
 *   threads.c      H T qC qfThreadInfo qThreadExtraInfo qXfer:threads
 *   query.c        qSupported, qXfer:features, QStartNoAckMode, small queries
 *   monitor.c      qRcmd and the console monitor commands print to
 *   lldb.c         packets only lldb sends: qHostInfo, qProcessInfo, ...
 *   hostio.c       vFile: gdb's file I/O on the target, a tiny read-only /proc
 *   -- below every handler --
 *   run_control.c  what resume.c and nonstop.c share: stop replies, vCont's
 *                  actions, detaching the target
 *   framing.c      bytes <-> packets: '$'..'#xx', acks, escapes, RLE, 0x03;
 *                  tells server.c a packet is complete by returning true
 *   reply.c        the replies handlers give (OK, E xx, qXfer chunks), thread
 *                  ids, the vCPU a packet means, one register read or written
 *   agent.c        the agent-expression evaluator for breakpoint conditions
 *   text.c, regdesc.c  packet text; register descriptions and target.xml
 */
#ifndef MINIKVM_GDBSTUB_INTERNAL_H
#define MINIKVM_GDBSTUB_INTERNAL_H

#include "gdbstub.h"
#include "text.h"

/*
 * The one process id we show when gdb speaks multiprocess: the VM. gdb needs
 * a real pid (not its "fake" 42000) before it reads /proc/PID/... files
 * through vFile (hostio.c), which its gcore does.
 */
#define RSP_PID 1

/* Files gdb may have open at once through vFile (hostio.c). */
#define RSP_MAX_FILES 8

/* A file of hostio.c's read-only /proc, open for gdb. */
struct rsp_file {
	bool used;
	unsigned vcpu;      /* whose address space /proc/PID/maps describes */
	bool made;          /* data holds the file (made at the first pread) */
	char *data;         /* malloc'd, freed at close */
	size_t len;
};

/* A stop reply: "T05thread:ff;watch:ffffffffffffffff;" plus expedited registers. */
#define RSP_STOP_REPLY_MAX 1024
/* A notification's payload: "Stop:" and a stop reply. */
#define RSP_NOTIFY_MAX (RSP_STOP_REPLY_MAX + 8)
/* In the non-stop queue: the process's exit (W/X), not a thread's stop. */
#define RSP_NS_EXIT GDB_MAX_THREADS

enum rsp_rx_state {
	RX_IDLE,   /* between packets: '$', '+', '-', 0x03 or noise */
	RX_DATA,   /* inside $...#, collecting the payload */
	RX_SUM1,   /* first checksum digit */
	RX_SUM2,   /* second checksum digit */
};

enum rsp_target_state {
	TARGET_DETACHED, /* not ours: before attach, after D/k/exit */
	TARGET_STOPPED,  /* every vCPU stopped, gdb may look at it */
	TARGET_RUNNING,  /* resumed or asked to stop; a stop event will come */
};

/* What a packet handler did with the reply buffer. */
enum rsp_result {
	RSP_REPLY,     /* send s->reply (possibly empty: "unsupported") */
	RSP_NO_REPLY,  /* nothing now (resumed, or already sent) */
	RSP_FRAMED,    /* sent by the handler, framed in place (memory reads) */
};

/*
 * A memory reply framed as the bytes come (framing.c): hex or binary
 * straight into s->frame, with no copy in s->reply, then sent in one write.
 */
struct rsp_mem_frame {
	char *out;     /* the next byte of s->frame */
	uint8_t sum;
	bool hex;
};

/*
 * The conditions gdb gave one breakpoint (Z0/Z1 ";X" lists): n agent
 * expressions stored one after the other in code[], len[i] bytes each.
 * A fixed pool of these lives in the server; a breakpoint points at one.
 */
struct rsp_conditions {
	bool used;
	unsigned n;
	uint16_t len[GDB_MAX_BP_CONDITIONS];
	uint8_t code[GDB_MAX_BP_CONDITION_BYTES];
};

struct rsp_breakpoint {
	enum gdb_bp_type type;
	uint64_t addr, kind;
	int cond;   /* index in s->conds, or -1: report every hit */
};

struct gdb_server {
	const struct gdb_target_ops *ops;
	void *target;
	struct gdb_server_config cfg;
	const struct gdb_arch *arch;
	size_t regs_size;
	unsigned nthreads;

	/* Connection and negotiated protocol state. */
	bool connected;
	bool io_broken;       /* write() failed: ignore input until disconnect */
	bool ack_mode;        /* until QStartNoAckMode */
	bool client_swbreak;  /* gdb said swbreak+ / hwbreak+ in qSupported */
	bool client_hwbreak;
	bool list_threads_in_stop; /* lldb's QListThreadsInStopReply */
	bool multiprocess;    /* gdb said multiprocess+: thread ids are "pPID.TID" */
	bool binary_upload;   /* gdb said binary-upload+: 'x' replies are "b" + binary */

	/* Receiving (framing.c). */
	enum rsp_rx_state rx;
	bool rx_escape, rx_overflow;
	uint8_t rx_sum, rx_sum_given;
	char *in;             /* payload, unescaped, NUL-terminated */
	size_t in_len;

	/* Sending (framing.c). frame[0] is room for a '+' ack sent with the reply. */
	char *frame;
	size_t frame_len;     /* the last packet, kept for retransmission; 0 = none */
	unsigned naks;
	bool ack_pending;     /* the packet being handled is not acked yet */

	struct rsp_buf reply; /* payload of the reply being built */
	uint8_t *scratch;     /* GDB_PACKET_SIZE bytes: registers, memory, XML */
	uint8_t *stop_regs;   /* regs_size bytes for expedited registers */
	char stop_reply[RSP_STOP_REPLY_MAX + 1];

	/* The target (resume.c; run_control.c detaches it). */
	enum rsp_target_state target_state;
	bool stop_reply_owed;   /* gdb waits for a stop reply */
	bool detach_on_stop;    /* gdb left while the target ran */
	bool have_stop;
	struct gdb_stop_event last_stop;
	long g_thread, c_thread; /* Hg / Hc: -1 all, 0 any, else tid */
	struct gdb_resume_action actions[GDB_MAX_THREADS];

	/*
	 * Non-stop mode (nonstop.c). Each thread is stopped or running on its
	 * own; a stop gdb has not been told of waits in ns_queue (oldest
	 * first), the head is sent as a %Stop notification and each vStopped
	 * takes one off. notify_busy: a notification or a '?' began a
	 * sequence that gdb has not ended with vStopped -> OK yet; new stops
	 * only queue meanwhile.
	 */
	bool non_stop;
	bool notify_busy;
	bool ns_split;  /* a '?' sequence: its first vStopped ends it (nonstop.c) */
	bool ns_stopped[GDB_MAX_THREADS];
	bool ns_queued[GDB_MAX_THREADS];
	struct gdb_stop_event ns_stop[GDB_MAX_THREADS];
	uint16_t ns_queue[GDB_MAX_THREADS + 1]; /* thread index, or RSP_NS_EXIT */
	unsigned ns_head, ns_count;
	char notify_frame[2 * RSP_NOTIFY_MAX + 8];

	/* Breakpoints we inserted and their conditions (breakpoints.c). */
	struct rsp_breakpoint bps[GDB_MAX_BREAKPOINTS];
	unsigned nbps;
	struct rsp_conditions conds[GDB_MAX_CONDITIONAL_BPS];

	/* qXfer:features:read:target.xml */
	char *tdesc;
	size_t tdesc_len;

	/* vFile's open files (hostio.c). */
	struct rsp_file files[RSP_MAX_FILES];

	/* Monitor output not yet sent (monitor.c); lives in scratch. */
	size_t console_len;
	bool in_monitor;

	struct gdb_server_stats stats;
};

/* framing.c */
/* Take one byte from gdb. True: s->in holds a complete, good packet to handle. */
bool rsp_rx_byte(struct gdb_server *s, uint8_t c);
void rsp_rx_reset(struct gdb_server *s);
void rsp_send_packet(struct gdb_server *s, const char *payload, size_t len);
void rsp_send_ack_if_pending(struct gdb_server *s);
void rsp_send_notification(struct gdb_server *s, const char *payload, size_t len);
/* A memory reply: start it (after prefix), add data (as often as needed), send it. */
void rsp_mem_frame_start(struct gdb_server *s, struct rsp_mem_frame *m, bool hex,
			 const char *prefix);
void rsp_mem_frame_put(struct rsp_mem_frame *m, const uint8_t *data, size_t len);
void rsp_send_framed(struct gdb_server *s, const struct rsp_mem_frame *m);

/* reply.c */
/* "E xx" with xx = |err| (an errno; 0 gives E00). */
enum rsp_result rsp_error(struct gdb_server *s, int err);
enum rsp_result rsp_ok(struct gdb_server *s);
/* Reply to a qXfer read of data[0..total) at offset/length. */
enum rsp_result rsp_reply_xfer(struct gdb_server *s, const char *data, size_t total,
			       uint64_t offset, uint64_t length);
/* Thread id tid as gdb expects it on the wire: "TID", or "pPID.TID" with multiprocess. */
void rsp_put_thread(const struct gdb_server *s, struct rsp_buf *b, unsigned tid);
/* The vCPU that register and memory packets address (Hg, else the last stop). */
unsigned rsp_g_vcpu(const struct gdb_server *s);
unsigned rsp_current_vcpu(const struct gdb_server *s);
/* May registers of this thread be touched (all-stop: the target is stopped)? */
bool rsp_thread_stopped(const struct gdb_server *s, unsigned vcpu);
/* Read all registers (scratch must not be in use) or one register into out. */
int rsp_read_one_reg(struct gdb_server *s, unsigned vcpu, unsigned regno, uint8_t *out);
int rsp_write_one_reg(struct gdb_server *s, unsigned vcpu, unsigned regno, const uint8_t *val);

/* run_control.c */
bool rsp_is_exit(const struct gdb_stop_event *ev);
/* The stop reply for ev in s->stop_reply (expedited registers if they fit); its length. */
size_t rsp_build_stop_reply(struct gdb_server *s, const struct gdb_stop_event *ev);
/*
 * Parse vCont's actions into s->actions: per thread the leftmost action
 * that names it (or names all); unnamed threads get `unnamed`. False on a
 * malformed packet; *err is then the errno to reply.
 */
bool rsp_parse_vcont(struct gdb_server *s, struct rsp_cursor *args, enum gdb_resume_kind unnamed,
		     int *err);
/* Forget non-stop state (all-stop again, or a new connection). */
void rsp_ns_reset(struct gdb_server *s);
/* Let the target go (its detach op, else resume every vCPU); forget non-stop state. */
void rsp_detach_target(struct gdb_server *s);

/* Packet handlers: args points just past the command name. */
typedef enum rsp_result (*rsp_handler)(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_stop_reason(struct gdb_server *s, struct rsp_cursor *args);  /* ? */
enum rsp_result rsp_cmd_continue(struct gdb_server *s, struct rsp_cursor *args);     /* c C */
enum rsp_result rsp_cmd_continue_sig(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_step(struct gdb_server *s, struct rsp_cursor *args);         /* s S */
enum rsp_result rsp_cmd_step_sig(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_vcont(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_vcont_query(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_detach(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_kill(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_vkill(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_thread_stop_info(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_read_regs(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_write_regs(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_read_reg(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_write_reg(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_read_mem(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_read_mem_bin(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_write_mem_hex(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_write_mem_bin(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_insert_bp(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_remove_bp(struct gdb_server *s, struct rsp_cursor *args);
/* Remove every breakpoint we inserted (call_target false: the target is gone). */
void rsp_remove_all_breakpoints(struct gdb_server *s, bool call_target);

enum rsp_result rsp_cmd_set_thread(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_thread_alive(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_current_thread(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_thread_list_first(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_thread_list_next(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_thread_extra_info(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_xfer_threads(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_supported(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_no_ack_mode(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_xfer_features(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_attached(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_symbol(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_monitor(struct gdb_server *s, struct rsp_cursor *args);

enum rsp_result rsp_cmd_hostio(struct gdb_server *s, struct rsp_cursor *args);
/* Close every file gdb left open (a new connection starts with none). */
void rsp_hostio_reset(struct gdb_server *s);

enum rsp_result rsp_cmd_host_info(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_process_info(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_cmd_list_threads_in_stop(struct gdb_server *s, struct rsp_cursor *args);

/* resume.c: all-stop */
/* A stop event (normalised, not non-stop): record it, send the stop reply owed. */
void rsp_stop_event(struct gdb_server *s, const struct gdb_stop_event *ev);

/* nonstop.c */
enum rsp_result rsp_cmd_non_stop(struct gdb_server *s, struct rsp_cursor *args);   /* QNonStop */
enum rsp_result rsp_cmd_vstopped(struct gdb_server *s, struct rsp_cursor *args);   /* vStopped */
enum rsp_result rsp_cmd_vctrlc(struct gdb_server *s, struct rsp_cursor *args);     /* vCtrlC */
/* Non-stop versions of '?', vCont and a stop event. */
enum rsp_result rsp_ns_stop_reason(struct gdb_server *s, struct rsp_cursor *args);
enum rsp_result rsp_ns_vcont(struct gdb_server *s, struct rsp_cursor *args);
void rsp_ns_stop_event(struct gdb_server *s, const struct gdb_stop_event *ev);
/* Send the oldest stop gdb has not heard of, unless a sequence is under way. */
void rsp_ns_notify(struct gdb_server *s);

#endif
