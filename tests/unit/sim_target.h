/* SPDX-License-Identifier: MIT */
/*
 * A simulated debug target for gdbstub's tests and fuzzer, and a scripted
 * "gdb" that frames packets and decodes replies. No KVM, no sockets.
 *
 * The target: a few vCPUs each with a register file (raw bytes in the arch's
 * layout), 1 MiB of memory at address 0 with an unmapped hole, a breakpoint
 * list with 4 hardware slots, and a resume() that can stop at once (after a
 * step, at a breakpoint) or keep "running" until told.
 */
#ifndef MINIKVM_SIM_TARGET_H
#define MINIKVM_SIM_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../gdbstub/gdbstub.h"
#include "../gdbstub/arch_x86.h"

#define SIM_MAX_THREADS  8
#define SIM_REGS_MAX     1024
#define SIM_HOLE_START   0x80000
#define SIM_HOLE_END     0x81000
#define SIM_HW_SLOTS     4
#define SIM_MAX_BPS      128

struct sim_bp {
	enum gdb_bp_type type;
	uint64_t addr, kind;
};

struct sim_target {
	struct gdb_server *srv;
	const struct gdb_arch *arch;
	unsigned nthreads;
	size_t regs_size;
	uint8_t regs[SIM_MAX_THREADS][SIM_REGS_MAX];
	uint8_t *mem;
	size_t mem_size;

	struct sim_bp bps[SIM_MAX_BPS];
	unsigned nbps;

	/* Behaviour knobs. */
	bool sync_stop;            /* resume()/request_stop() report the stop at once */
	bool have_next_stop;       /* report next_stop on the next resume */
	struct gdb_stop_event next_stop;
	int resume_error;          /* resume() fails with this (negative) */
	bool running;
	/*
	 * A continue (with sync_stop) runs through the software breakpoints in
	 * list order loop_hits times (at least once), like a loop calling a
	 * function, with register loop_regno set to the iteration number, and
	 * stops at the first hit gdb_server_bp_should_stop() lets through.
	 */
	unsigned loop_hits, loop_regno;
	/*
	 * memory_regions(): nregions regions of vCPU v, region i at
	 * 0x10000 * (i + 1) + 0x1000 * v, 0x1000 bytes, writable when i is
	 * even, executable when odd.
	 */
	unsigned nregions;
	/*
	 * peek_mem (sim_ops_peek) shows memory a 4 KiB page at most at a
	 * time, and not the byte at hidden_addr (when have_hidden): read_mem
	 * answers hidden_orig for it, as a VMM hides its breakpoint's int3.
	 */
	bool have_hidden;
	uint64_t hidden_addr;
	uint8_t hidden_orig;
	unsigned peek_calls;

	/* What happened. */
	unsigned resume_calls, request_stop_calls, detach_calls, kill_calls;
	unsigned memory_regions_calls;
	unsigned set_non_stop_calls;
	bool non_stop;             /* what set_non_stop() said last */
	unsigned insert_calls, remove_calls;
	unsigned silent_hits;      /* breakpoint hits whose conditions were false */
	struct gdb_resume_action last_actions[SIM_MAX_THREADS];
	char last_monitor[256];
};

extern const struct gdb_target_ops sim_ops;
/* Ops without breakpoints, monitor, extra info, kill, detach, range step. */
extern const struct gdb_target_ops sim_ops_minimal;
/* sim_ops with conditional_breakpoints (ConditionalBreakpoints+). */
extern const struct gdb_target_ops sim_ops_conditional;
/* sim_ops with set_non_stop (QNonStop+). */
extern const struct gdb_target_ops sim_ops_non_stop;
/* Every op: non-stop, monitor, memory regions (vFile), conditions (the fuzzer's widest target). */
extern const struct gdb_target_ops sim_ops_all;
/* sim_ops with peek_mem: memory replies framed straight from t->mem. */
extern const struct gdb_target_ops sim_ops_peek;

/* The vCPU a breakpoint hit happened on, for sim_agent_access. */
struct sim_hit {
	struct sim_target *t;
	unsigned vcpu;
};
/* Registers and memory of a struct sim_hit, for gdb_server_bp_should_stop(). */
extern const struct gdb_agent_access sim_agent_access;

int sim_init(struct sim_target *t, const struct gdb_arch *arch, unsigned nthreads,
	     size_t mem_size);
void sim_fini(struct sim_target *t);
/* The register bytes of vcpu, register regno. */
uint8_t *sim_reg(struct sim_target *t, unsigned vcpu, unsigned regno);
uint64_t sim_pc(struct sim_target *t, unsigned vcpu);
void sim_set_pc(struct sim_target *t, unsigned vcpu, uint64_t pc);
/* Report a stop (as the VMM's event loop would). */
void sim_stop(struct sim_target *t, enum gdb_stop_reason reason, unsigned vcpu, int signal,
	      uint64_t addr);

/* Everything the server wrote, in one growing buffer. */
struct sim_io {
	uint8_t *buf;
	size_t len, cap, pos; /* pos: how far the client has read */
	unsigned writes;
	bool fail;            /* make write() fail */
};
int sim_io_write(void *ctx, const void *buf, size_t len);

/* "$payload#cs" with # $ } * escaped; returns the frame length. out needs 2*len+5. */
size_t sim_frame(const void *payload, size_t len, char *out);

/*
 * Parse the next item in the server's output: returns '+', '-', 'P' for a
 * packet (payload decoded — run lengths expanded, escapes undone — into out,
 * NUL-terminated, length in *len), 'N' for a notification ("%...", decoded
 * the same way), 0 at the end of the output, or 'X' for output that is not
 * valid protocol (bad checksum, bad run length, ...).
 */
int sim_next(struct sim_io *io, char *out, size_t cap, size_t *len);
/* True if buf..len is a valid sequence of acks and frames (the fuzzer's oracle). */
bool sim_valid_output(const uint8_t *buf, size_t len);

/* A connected server, a target and a client, for tests. */
struct sim_fixture {
	struct sim_target t;
	struct sim_io io;
	struct gdb_server *srv;
	unsigned acks, naks;
	size_t reply_len;
	char reply[2 * GDB_PACKET_SIZE + 16];
	unsigned notifications;   /* notifications fx_reply() stepped over */
	char notification[2048];  /* the last of them */
};

/* stopped: attach to a stopped target (else the target runs and request_stop is used). */
struct sim_fixture *fx_new(const struct gdb_arch *arch, const struct gdb_target_ops *ops,
			   bool stopped);
void fx_free(struct sim_fixture *fx);
void fx_send(struct sim_fixture *fx, const char *payload);
void fx_send_bin(struct sim_fixture *fx, const void *payload, size_t len);
void fx_feed(struct sim_fixture *fx, const void *bytes, size_t len);
/* The next packet's payload (acks are counted and skipped), or NULL if none. */
const char *fx_reply(struct sim_fixture *fx);
/* The next notification's payload (acks skipped), or NULL if the next item is not one. */
const char *fx_notification(struct sim_fixture *fx);
/* send + reply */
const char *fx_cmd(struct sim_fixture *fx, const char *payload);
/* Nothing more was written. */
bool fx_quiet(struct sim_fixture *fx);

#endif
