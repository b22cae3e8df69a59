/* SPDX-License-Identifier: MIT */
/*
 * gdbstub: a GDB Remote Serial Protocol server as a library.
 *
 * It speaks the protocol (GDB manual, appendix "Remote Protocol") and knows
 * nothing about KVM, sockets or threads. The program that embeds it
 *   - gives it bytes received from gdb (gdb_server_feed),
 *   - gets every reply through one write callback (one call per reply),
 *   - implements a table of target operations (struct gdb_target_ops),
 *   - reports when the target stopped (gdb_server_stop_event).
 *
 * Everything runs on the caller's one thread: the server never blocks, never
 * creates threads and never allocates after gdb_server_new(). Target
 * operations are called from inside gdb_server_feed(), _connected(),
 * _disconnected() and _stop_event(); they may call gdb_server_stop_event()
 * back (a target that stops synchronously), but nothing else of the server.
 * The one exception is gdb_server_bp_should_stop(), which a target may call
 * from any thread while the target runs (see there).
 *
 * The model is gdb's "all-stop": when the target reports a stop, every thread
 * (vCPU) is stopped; when gdb resumes, the target gets one action per thread.
 * A target with set_non_stop also does gdb's "non-stop" mode, where each
 * thread stops and runs on its own (see there).
 * Thread ids on the wire are vCPU index + 1 (gdb reserves 0 and -1).
 */
#ifndef MINIKVM_GDBSTUB_H
#define MINIKVM_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "regdesc.h"

/* Largest packet gdb may send us (advertised in qSupported) and largest reply. */
#define GDB_PACKET_SIZE     0x20000
/* Threads (vCPUs) the server handles; num_threads() is clamped to it. */
#define GDB_MAX_THREADS     256
/* Breakpoints and watchpoints that can be inserted at once. */
#define GDB_MAX_BREAKPOINTS 1024
/*
 * Target-side conditions (ConditionalBreakpoints): at most this many per
 * breakpoint, this many bytes of bytecode per breakpoint in all, and this
 * many breakpoints with conditions at once. A breakpoint whose conditions do
 * not fit is kept without them: every hit is reported and gdb evaluates the
 * condition itself, as it always does on a reported hit.
 */
#define GDB_MAX_BP_CONDITIONS      8
#define GDB_MAX_BP_CONDITION_BYTES 512
#define GDB_MAX_CONDITIONAL_BPS    64

/* gdb's signal numbers (gdb/signals.def); the same as Linux's for these. */
enum {
	GDB_SIGNAL_0    = 0,
	GDB_SIGNAL_INT  = 2,
	GDB_SIGNAL_ILL  = 4,
	GDB_SIGNAL_TRAP = 5,
	GDB_SIGNAL_KILL = 9,
	GDB_SIGNAL_SEGV = 11,
};

/* Z/z packet types. */
enum gdb_bp_type {
	GDB_BP_SW = 0,       /* software breakpoint (int3); kind = its size (1 on x86) */
	GDB_BP_HW = 1,       /* hardware breakpoint; kind = 1 */
	GDB_WP_WRITE = 2,    /* watchpoints; kind = length in bytes */
	GDB_WP_READ = 3,
	GDB_WP_ACCESS = 4,
};

enum gdb_resume_kind {
	GDB_RESUME_STOPPED = 0, /* all-stop: this thread stays stopped; non-stop: this running
				   thread is to stop and report it with signal (0 or INT) */
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,        /* one instruction */
	GDB_RESUME_RANGE_STEP,  /* step while pc is in [range_start, range_end) */
	GDB_RESUME_KEEP,        /* non-stop only: leave this thread as it is, running or stopped */
};

struct gdb_resume_action {
	enum gdb_resume_kind kind;
	int signal;             /* gdb signal to deliver, 0 for none */
	uint64_t range_start, range_end;
};

enum gdb_stop_reason {
	GDB_STOP_SIGNAL,     /* plain stop: step done, Ctrl-C (GDB_SIGNAL_INT), fault... */
	GDB_STOP_SWBREAK,    /* one of our software breakpoints; pc = its address */
	GDB_STOP_HWBREAK,    /* a hardware breakpoint */
	GDB_STOP_WATCH,      /* write watchpoint hit, addr = data address */
	GDB_STOP_RWATCH,     /* read watchpoint */
	GDB_STOP_AWATCH,     /* access watchpoint */
	GDB_STOP_EXITED,     /* the guest ended itself: exit_code */
	GDB_STOP_TERMINATED, /* the guest was ended by a fault: signal */
};

struct gdb_stop_event {
	enum gdb_stop_reason reason;
	unsigned vcpu;   /* the vCPU that stopped (0-based) */
	int signal;      /* 0 means SIGTRAP for breakpoints and watchpoints */
	uint64_t addr;   /* data address for watchpoints */
	int exit_code;   /* GDB_STOP_EXITED */
};

/* Output sink for monitor commands (qRcmd). */
struct gdb_console;
void gdb_console_write(struct gdb_console *out, const char *text, size_t len);
/*
 * A monitor command's one numeric argument (C syntax: 0x.., 0.., decimal;
 * spaces around it): 0 with *value set, or -EINVAL after printing
 * "usage: monitor USAGE" to out. gdb passes monitor arguments as typed,
 * unevaluated: `eval "monitor translate %#lx", &var` gives it a number,
 * and the usage line says so when the argument is not one.
 */
int gdb_monitor_number_arg(const char *arg, const char *usage, struct gdb_console *out,
			   uint64_t *value);
void gdb_console_printf(struct gdb_console *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One stretch of a vCPU's address space (gdb_target_ops.memory_regions). */
struct gdb_mem_region {
	uint64_t start, size;   /* [start, start + size) does not wrap */
	bool write, exec;       /* readable, always */
};
typedef int (*gdb_region_fn)(void *fnctx, const struct gdb_mem_region *r);

struct gdb_monitor_cmd {
	const char *name;  /* may be several words: "info sregs" */
	const char *args;  /* usage, e.g. "ADDR", or NULL */
	const char *help;  /* one line */
};

/*
 * The target. Functions return 0 (or a byte count) on success and a negative
 * errno on failure, which becomes an "E xx" reply with xx = errno. Entries
 * marked optional may be NULL: the feature is then not advertised and its
 * packets get the empty ("unsupported") reply.
 */
struct gdb_target_ops {
	/* Number of vCPUs; constant for the life of the server. Required. */
	unsigned (*num_threads)(void *ctx);

	/* All registers of one vCPU in the arch's order, raw little-endian. Required. */
	int (*read_regs)(void *ctx, unsigned vcpu, uint8_t *buf);
	int (*write_regs)(void *ctx, unsigned vcpu, const uint8_t *buf);
	/* One register (optional; without them 'p'/'P' go through read/write_regs). */
	int (*read_reg)(void *ctx, unsigned vcpu, unsigned regno, uint8_t *buf);
	int (*write_reg)(void *ctx, unsigned vcpu, unsigned regno, const uint8_t *buf);

	/*
	 * Memory at gdb (virtual) addresses as seen by vcpu; the target decides
	 * the translation. [addr, addr + len) never wraps and len > 0. Return
	 * the number of bytes done from addr on (a read that runs into an
	 * unmapped page returns what it read) or -errno when none. Required.
	 */
	long (*read_mem)(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len);
	long (*write_mem)(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len);
	/*
	 * Optional, for fast reads: where the bytes from addr on are in the
	 * target's own memory, as read_mem would return them. Set *host and
	 * return how many (1..len) may be read there, until the server's next
	 * call into the target; 0 if the byte at addr must come through
	 * read_mem (a breakpoint the target hides there); -errno if it cannot
	 * be read. Same addr/len promises as read_mem.
	 */
	long (*peek_mem)(void *ctx, unsigned vcpu, uint64_t addr, size_t len, const uint8_t **host);

	/*
	 * Breakpoints and watchpoints (optional, both or neither). The server
	 * keeps its own list, never inserts the same one twice and removes all
	 * of them on detach and disconnect. -EOPNOTSUPP from insert means "this
	 * type is not supported" (empty reply); -ENOSPC "no free slot".
	 */
	int (*insert_bp)(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
	int (*remove_bp)(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
	/*
	 * Advertise ConditionalBreakpoints+: gdb then sends breakpoint
	 * conditions as agent expressions in Z0/Z1, and the target promises to
	 * ask gdb_server_bp_should_stop() at every software or hardware
	 * breakpoint hit and to resume silently when it says 0. Needs
	 * insert_bp/remove_bp. Without it, conditions in Z packets are ignored.
	 */
	bool conditional_breakpoints;

	/*
	 * Resume: actions[i] is for vCPU i, n = num_threads(). Asynchronous: the
	 * target reports the next stop with gdb_server_stop_event(), from inside
	 * resume() or later. On error nothing may have been resumed. Required.
	 */
	int (*resume)(void *ctx, const struct gdb_resume_action *actions, unsigned n);
	/*
	 * Stop every vCPU soon and then report it with gdb_server_stop_event()
	 * (GDB_SIGNAL_INT after Ctrl-C); may be called again before that
	 * happens. Must report a stop even if the target was already stopped.
	 * Required.
	 */
	void (*request_stop)(void *ctx);
	/* Advertise vCont;r: resume() accepts GDB_RESUME_RANGE_STEP. */
	bool range_step;

	/*
	 * Non-stop mode (optional; advertised as QNonStop+). Called while
	 * gdb has every thread stopped (all-stop) or in non-stop mode.
	 * on: from now on each thread stops alone: every thread stays stopped
	 * for now; resume() then gets GDB_RESUME_KEEP for the threads it must
	 * not touch, and GDB_RESUME_STOPPED with a signal for running threads
	 * to stop; each stop is reported by gdb_server_stop_event() for its
	 * thread alone while the others run on. off: stop every thread before
	 * returning (gdb then asks '?'); all-stop from now on.
	 */
	int (*set_non_stop)(void *ctx, bool on);

	/* Text for qThreadExtraInfo, e.g. "long mode, halted" (optional). */
	int (*thread_extra_info)(void *ctx, unsigned vcpu, char *buf, size_t size);

	/*
	 * Monitor commands (optional): the list is shown by the built-in
	 * "monitor help"; monitor() gets the command line (a command that is not
	 * on the list is refused before) and the selected vCPU, and prints with
	 * gdb_console_printf(). Return 0, or -errno if the command failed.
	 */
	const struct gdb_monitor_cmd *monitor_cmds; /* ends with { NULL } */
	int (*monitor)(void *ctx, unsigned vcpu, const char *cmd, struct gdb_console *out);

	/* 'k': end the guest (optional; without it 'k' detaches). */
	void (*kill)(void *ctx);
	/*
	 * Breakpoints are already removed: resume every vCPU freely, forget
	 * single-stepping (optional; without it the server resumes all with
	 * resume()). Called on 'D' and when gdb goes away.
	 */
	int (*detach)(void *ctx);

	/*
	 * The memory a core file of the target should hold, as vcpu sees it:
	 * fn once per region, in ascending address order, non-overlapping;
	 * fn returning non-zero stops the walk with that value. Served to gdb
	 * as /proc/PID/maps (hostio.c), which gdb's `gcore` reads, and gdb
	 * reads every byte listed: keep it to memory that exists, and bounded.
	 * Optional: without it that file does not exist.
	 */
	int (*memory_regions)(void *ctx, unsigned vcpu, gdb_region_fn fn, void *fnctx);
};

struct gdb_server_config {
	/* Send bytes to gdb; called once per reply. Return 0 or -errno. Required.
	 * It must not call into the server; after a failure the server ignores
	 * input until gdb_server_disconnected(). */
	int (*write)(void *io_ctx, const void *buf, size_t len);
	void *io_ctx;
	/* The register layout (e.g. &gdb_arch_x86_64). Required. */
	const struct gdb_arch *arch;
	/* Optional packet log: dir '<' for a packet from gdb (payload), '>' for a reply,
	 * '%' for a notification. */
	void (*trace)(void *io_ctx, char dir, const char *data, size_t len);
};

struct gdb_server_stats {
	uint64_t packets;        /* well-formed packets received */
	uint64_t bad_checksums;  /* packets dropped for a bad checksum */
	uint64_t dropped;        /* packets dropped for another reason */
	uint64_t errors;         /* "E xx" replies sent */
	uint64_t interrupts;     /* 0x03 received while the target ran */
};

struct gdb_server;

/* NULL with errno set (EINVAL: a required op or config entry is missing). */
struct gdb_server *gdb_server_new(const struct gdb_target_ops *ops, void *target_ctx,
				  const struct gdb_server_config *cfg);
/* Does not touch the target: call gdb_server_disconnected() first if attached. */
void gdb_server_free(struct gdb_server *srv);

/*
 * A debugger connected. If the target is already stopped, pass how it
 * stopped (e.g. signal GDB_SIGNAL_TRAP on vCPU 0 for "wait for gdb"); with
 * NULL the server calls request_stop() and attaches when the stop event
 * comes. -EBUSY if a debugger is already connected (refuse the new one).
 */
int gdb_server_connected(struct gdb_server *srv, const struct gdb_stop_event *stopped);
/*
 * The connection is gone (at any moment: mid-packet, target running or
 * stopped). Every breakpoint is removed and the target resumed as on 'D';
 * if it was running, through request_stop() and the following stop event.
 * The protocol state is reset for the next debugger.
 */
void gdb_server_disconnected(struct gdb_server *srv);

/* Bytes from gdb, in any fragmentation. */
void gdb_server_feed(struct gdb_server *srv, const uint8_t *data, size_t len);

/*
 * The target stopped (all vCPUs). Sends the stop reply if gdb waits for one,
 * else remembers it for '?'. Exits end the debugging session's target.
 * In non-stop mode: ev->vcpu alone stopped; gdb hears of it by a %Stop
 * notification (or later in the vStopped sequence).
 */
void gdb_server_stop_event(struct gdb_server *srv, const struct gdb_stop_event *ev);

/* True while a debugger controls the target (connected and not detached). */
bool gdb_server_attached(const struct gdb_server *srv);
/* True while the target runs on gdb's behalf (a stop reply or stop is pending). */
bool gdb_server_target_running(const struct gdb_server *srv);
void gdb_server_get_stats(const struct gdb_server *srv, struct gdb_server_stats *out);

/*
 * A breakpoint of this type (GDB_BP_SW or GDB_BP_HW) at addr was hit: should
 * the target stop and report it? Evaluates the conditions gdb attached to it
 * (with acc/ctx reaching the vCPU that hit) and returns
 *   1  report the stop: the breakpoint has no conditions, one of them is
 *      true (non-zero), one could not be evaluated (gdb's own rule: an
 *      error in a condition stops, and gdb then evaluates it itself and
 *      shows the error), or no such breakpoint is in the server's list;
 *   0  every condition is false: resume the vCPU as if nothing happened.
 *
 * Threading: unlike the rest of the API this may be called from any thread
 * (e.g. the vCPU thread that took the breakpoint exit), by several threads
 * at once, provided the breakpoint list is not being changed meanwhile. The
 * list changes only inside gdb_server_feed() (Z/z packets, only while the
 * target is stopped), _connected(), _disconnected() and _stop_event(), so
 * calling this while the target runs on gdb's behalf (between resume() and
 * the gdb_server_stop_event() that ends the run) is safe; the target's own
 * resume/stop hand-over (a mutex, a condition variable) orders the memory.
 * It only reads the server and keeps its scratch state on the caller's
 * stack; it never calls the target's ops, only acc.
 */
int gdb_server_bp_should_stop(const struct gdb_server *srv, enum gdb_bp_type type,
			      uint64_t addr, const struct gdb_agent_access *acc, void *ctx);

#endif
