/* SPDX-License-Identifier: MIT */
/*
 * The debugger's state, shared by src/debug.c (gdb connection, run control,
 * monitor commands) and src/debug_bp.c (memory, breakpoints, watchpoints).
 * Nothing outside those two files includes this.
 */
#ifndef MINIKVM_DEBUG_INTERNAL_H
#define MINIKVM_DEBUG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	uint64_t gpa;   /* where the instruction byte was written */
	uint8_t orig;
	uint8_t insn;   /* the byte written: the breakpoint instruction, or the I/O one */
	bool hw;        /* gdb's hbreak, done by patching: the page is kept read-only so
			   that a guest writing it (loading code) keeps the breakpoint */
};

/* A watchpoint done with memory slots: its page read-only (write) or unmapped (read, access). */
struct sw_watch {
	uint64_t addr, gpa;
	unsigned len;
	enum debug_hw_type type;
};

struct debug {
	struct vm *vm;
	/* The gdb server and connection: the event loop (packets) or a vCPU (its stop report). */
	pthread_mutex_t lock;
	struct gdb_server *srv;
	struct gdb_endpoint ep;
	int listen_fd, in_fd, out_fd; /* in/out: the connection (both the socket, or stdin/stdout) */
	int timer_fd;       /* wakes the event loop to drain or drop a slow client (debug.c) */
	uint8_t *outq;      /* replies gdb has not taken yet */
	size_t outq_len, outq_cap;
	int64_t write_deadline; /* CLOCK_MONOTONIC ms: no progress by then and the client is dropped */
	bool drop;          /* drop the client at the event loop's next turn */
	bool greeted;       /* the client has sent a byte: it is attached (debug.c) */
	struct debug_host_caps caps;
	struct debug_arch_state arch;
	struct sw_breakpoint bps[DEBUG_MAX_SW_BREAKPOINTS];
	int nbps;
	int nio_bps;        /* of them, patched with arch_io_breakpoint_insn */
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


void debug_mark_all_dirty(struct vm *vm);
struct vcpu *debug_vcpu(struct debug *dbg, unsigned i);

/* gdbstub target operations implemented in debug_bp.c */
long debug_op_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len);
long debug_op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len);
int debug_op_insert_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
int debug_op_remove_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
/* After the image was reloaded over them (monitor reset): write our breakpoints again. */
void debug_reinsert_breakpoints(struct debug *dbg);
/* Put the original bytes back under every patched breakpoint (before a snapshot of RAM). */
void debug_lift_breakpoints(struct debug *dbg);
/* monitor savevm/loadvm/delvm/info snapshots (debug_snapshot.c); -ENOENT: not one of them. */
int debug_snapshot_monitor(struct debug *dbg, const char *cmd, struct gdb_console *out);

/* The debugger's side of the VM's debug events (struct vm_hooks), in debug_bp.c; ctx is the debug. */
int debug_on_apply(void *ctx, struct vcpu *vcpu);
enum vcpu_verdict debug_on_exit(void *ctx, struct vcpu *vcpu, struct vcpu_stop *why);
enum vcpu_verdict debug_on_event(void *ctx, struct vcpu *vcpu, const struct vcpu_debug_event *ev,
				 struct vcpu_stop *why);
bool debug_on_claim_io(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev);
int debug_on_mmio(void *ctx, struct vcpu *vcpu, uint64_t gpa, uint8_t *data, unsigned len,
		  bool write, struct vcpu_stop *why);
void debug_on_step_over(void *ctx, struct vcpu *vcpu, bool lift);

#endif
