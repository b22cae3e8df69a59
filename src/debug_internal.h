/* SPDX-License-Identifier: MIT */
/*
 * The debugger's state (struct debug), shared by its files (debug.h lists
 * them), and what each of them offers the others. Nothing outside the
 * debugger includes this.
 */
#ifndef MINIKVM_DEBUG_INTERNAL_H
#define MINIKVM_DEBUG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "debug.h"
#include "gdb_endpoint.h"
#include "options.h"
#include "snapshot.h"
#include "vcpu.h"
#include "../gdbstub/gdbstub.h"

#define PAGE 4096ULL
#define MAX_MONITOR_CMDS 32

struct sw_breakpoint {
	uint64_t addr;  /* as gdb gave it */
	uint64_t kind;  /* gdb's KIND: with type and addr, what names the breakpoint */
	uint64_t gpa;   /* where the instruction was written (len bytes, in one page) */
	unsigned len;
	uint8_t orig[ARCH_BP_MAX];
	uint8_t insn[ARCH_BP_MAX]; /* what was written: the breakpoint instruction, or the I/O one */
	bool io;        /* the I/O one (arch_io_breakpoint_insn) */
	bool hw;        /* gdb's hbreak, done by patching: the page is kept read-only so
			   that a guest writing it (loading code) keeps the breakpoint */
};

/* Does bp's patch cover the byte at gpa? Then *off is its place in the patch. */
static inline bool patch_covers(const struct sw_breakpoint *bp, uint64_t gpa, unsigned *off)
{
	if (gpa - bp->gpa >= bp->len)
		return false;
	*off = (unsigned)(gpa - bp->gpa);
	return true;
}

/* A watchpoint done with memory slots: its page read-only (write) or unmapped (read, access). */
struct sw_watch {
	uint64_t addr, gpa;
	unsigned len;
	enum debug_hw_type type;
};

struct pollfd;

struct debug {
	struct vm *vm;
	/* The gdb server and connection: the event loop (packets) or a vCPU (its stop report). */
	pthread_mutex_t lock;
	struct gdb_server *srv;
	struct gdb_endpoint ep;
	int listen_fd, in_fd, out_fd; /* in/out: the connection (both the socket, or stdin/stdout) */
	int timer_fd;       /* wakes the event loop to drain or drop a slow client (gdb_conn.c) */
	uint8_t *outq;      /* replies gdb has not taken yet */
	size_t outq_len, outq_cap;
	int64_t write_deadline; /* CLOCK_MONOTONIC ms: no progress by then and the client is dropped */
	bool drop;          /* drop the client at the event loop's next turn */
	bool greeted;       /* the client has sent a byte: it is attached (gdb_conn.c) */
	/*
	 * Who reads gdb's bytes (gdb_conn.c): the event loop (CONN_LOOP), the
	 * thread of a parked vCPU while the VM is stopped (that vCPU's id), or,
	 * after an all-stop step for a moment, nobody (CONN_LENT): whichever
	 * vCPU stops the VM next takes it without a wake-up.
	 */
	int reader;
	int lend_timer;     /* the lending's tick (timerfd), armed while lend_armed */
	bool lend_armed;
	uint64_t lend_gen, lend_seen; /* lendings made; the one the last tick saw */
	int serve_wake;     /* eventfd: the event loop takes the connection back from a vCPU */
	uint64_t reads_loop, reads_vcpu; /* reads of gdb's bytes by each (monitor stats) */
	struct debug_host_caps caps;
	struct debug_arch_state arch;
	struct sw_breakpoint bps[DEBUG_MAX_SW_BREAKPOINTS];
	int nbps;
	int nio_bps;        /* of them, patched with arch_io_breakpoint_insn (bp->io) */
	struct sw_watch watches[DEBUG_MAX_WATCH];
	int nwatches;
	bool phys;          /* monitor phys on: gdb addresses are guest-physical */
	bool running;       /* resumed on gdb's behalf; a stop must be reported */
	bool started;       /* the guest has run (for -S: the first attach sees the entry) */
	unsigned last_vcpu; /* where the last stop happened */
	uint64_t step_over_addr[MAX_CPUS]; /* the breakpoint each vCPU is to step over */
	struct gdb_monitor_cmd cmds[MAX_MONITOR_CMDS];
	struct snapshot_store snaps; /* monitor savevm/loadvm (debug_snapshot.c) */
};


/* gdb_conn.c: the connection to gdb (its fields above), its I/O and vm_hooks' fd hooks. */
void gdb_conn_init(struct debug *dbg);
/* Listen where --gdb says (nothing for stdio) and tell the user; -1 with err_set(). */
int gdb_conn_listen(struct debug *dbg);
void gdb_conn_close(struct debug *dbg);
/* gdbstub's write callback: never blocks; what the client does not take at once waits. */
int gdb_conn_write(void *io, const void *buf, size_t len);
int gdb_conn_poll_fds(void *ctx, struct pollfd *pfd, int max);
void gdb_conn_handle_fds(void *ctx, const struct pollfd *pfd, int n);
/* vm_hooks.started: gdb over stdio is attached from the start. */
void gdb_conn_start(void *ctx);
/* All-stop step (lock held): nobody reads gdb for a moment; the vCPU that stops next will. */
void gdb_conn_lend(struct debug *dbg);
/* vm_hooks.serve_stopped: a parked vCPU's thread serves gdb while the VM stays stopped. */
void gdb_conn_serve(void *ctx, struct vcpu *vcpu);

void debug_mark_all_dirty(struct vm *vm);
struct vcpu *debug_vcpu(struct debug *dbg, unsigned i);

/* debug_mem.c: gdb's addresses (virtual, or physical with monitor phys on). */
int debug_to_gpa(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa);
/* The same, and how many bytes from addr on are mapped alike (the rest of its page). */
int debug_to_gpa_span(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa,
		      uint64_t *span);
/* Copy between gdb and guest memory page by page, breakpoints hidden; bytes done or -EFAULT. */
long debug_access_mem(struct debug *dbg, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len,
		      bool write);
long debug_op_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len);
long debug_op_peek_mem(void *ctx, unsigned vcpu, uint64_t addr, size_t len, const uint8_t **host);
long debug_op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len);
/* debug_bp.c: gdb's Z and z packets */
int debug_op_insert_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
int debug_op_remove_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
/* After the image was reloaded over them (monitor reset): write our breakpoints again. */
void debug_reinsert_breakpoints(struct debug *dbg);
/* Put the original bytes back under every patched breakpoint (before a snapshot of RAM). */
void debug_lift_breakpoints(struct debug *dbg);
/* monitor savevm/loadvm/delvm/info snapshots (debug_snapshot.c); -ENOENT: not one of them. */
int debug_snapshot_monitor(struct debug *dbg, const char *cmd, struct gdb_console *out);

/* The VM's debug events (struct vm_hooks); ctx is the debug. debug_bp.c: */
int debug_on_apply(void *ctx, struct vcpu *vcpu);
void debug_on_step_over(void *ctx, struct vcpu *vcpu, bool lift);
/* debug_verdict.c: */
enum vcpu_verdict debug_on_exit(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev,
				struct vcpu_stop *why);
enum vcpu_verdict debug_on_event(void *ctx, struct vcpu *vcpu, const struct vcpu_debug_event *ev,
				 struct vcpu_stop *why);
bool debug_on_claim_io(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev);
int debug_on_mmio(void *ctx, struct vcpu *vcpu, uint64_t gpa, uint8_t *data, unsigned len,
		  bool write, struct vcpu_stop *why);

#endif
