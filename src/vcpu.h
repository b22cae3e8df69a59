/* SPDX-License-Identifier: MIT */
/*
 * A vCPU: its KVM file descriptor, the shared kvm_run page, the host thread
 * that loops on KVM_RUN, and the counters behind --stats.
 */
#ifndef MINIKVM_VCPU_H
#define MINIKVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct vm;

#define VCPU_EXIT_REASONS 64    /* KVM_EXIT_* values are small */
#define VCPU_PORT_SLOTS   128   /* open-addressed table of ports seen */

struct port_count {
	uint16_t port;
	bool used;
	uint64_t reads, writes;
};

struct vcpu_stats {
	uint64_t exits[VCPU_EXIT_REASONS];
	struct port_count ports[VCPU_PORT_SLOTS];
	uint64_t ports_overflow;     /* accesses to ports beyond the table */
	uint64_t unknown_pio, unknown_mmio;
};

/* What a vCPU does when the VM is not paused (set while it is parked). */
enum vcpu_run_mode {
	VCPU_CONTINUE,   /* run freely */
	VCPU_STAY,       /* stay parked (gdb's scheduler-locking) */
	VCPU_STEP,       /* one instruction, then stop the VM */
	VCPU_RANGE_STEP, /* step while RIP is in [range_start, range_end), then stop */
};

/* Why a vCPU stopped the VM (for the debugger). */
enum vcpu_stop_kind {
	VCPU_STOP_NONE,
	VCPU_STOP_STEP,        /* a single step (or range step) finished */
	VCPU_STOP_SWBREAK,     /* one of the debugger's software breakpoints */
	VCPU_STOP_HWBREAK,     /* a debug-register execution breakpoint */
	VCPU_STOP_WATCH,       /* write watchpoint; addr = the watched address */
	VCPU_STOP_RWATCH,      /* read watchpoint */
	VCPU_STOP_AWATCH,      /* access watchpoint */
	VCPU_STOP_INTERRUPT,   /* non-stop: gdb's ^C (vCtrlC) stopped this vCPU */
	VCPU_STOP_CRASH,       /* the guest crashed (triple fault, ...) */
	VCPU_STOP_EXITED,      /* the guest asked to end */
};

struct vcpu_stop {
	enum vcpu_stop_kind kind;
	uint64_t addr;
};

/*
 * A debug event as the CPU reported it: facts only (arch_debug_exit,
 * arch_emulation_failure). Whether it is the debugger's and what to do
 * about it is the debugger's call (struct vm_hooks), carried out by the
 * run loop.
 */
enum vcpu_debug_kind {
	VCPU_DEBUG_NONE,
	VCPU_DEBUG_BREAK_INSN, /* the arch's breakpoint instruction (x86: int3) at pc */
	VCPU_DEBUG_IO_INSN,    /* the debugger's I/O breakpoint instruction at pc, already undone */
	VCPU_DEBUG_DR,         /* debug-register slot `slot` fired; pc is where the vCPU is */
	VCPU_DEBUG_STEP,       /* a single step ended at pc */
};

struct vcpu_debug_event {
	enum vcpu_debug_kind kind;
	uint64_t pc;           /* linear address (x86: CS base + RIP) */
	unsigned slot;
};

/* The debugger's decision on a debug event. */
enum vcpu_verdict {
	VCPU_RUN_ON,      /* nothing for the debugger (or a step inside a range): run on */
	VCPU_STOP_VM,     /* stop the VM for gdb (why says why) */
	VCPU_STEP_OVER,   /* one of its breakpoints, condition false: step over it, run on */
	VCPU_REINJECT,    /* the guest's own breakpoint instruction: give the guest its exception */
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct vcpu_stats stats;

	/* Run control, under vm->run_lock. */
	enum vcpu_run_mode mode;
	uint64_t range_start, range_end;
	bool parked;            /* waiting in vcpu_park(): registers are safe to touch */
	bool debug_dirty;       /* guest-debug settings changed: apply before KVM_RUN */
	struct vcpu_stop stop;  /* set when this vCPU stopped the VM */
	bool report_stop;       /* ... and must tell the debugger once all vCPUs are parked */

	/* Owned by the vCPU thread. */
	bool io_pending;        /* the last exit was I/O or MMIO, not yet completed by KVM */
	bool stepping_over;     /* stepping over a breakpoint: guest debug is "single step" only,
				   every other vCPU is parked (vm->exclusive) */
	uint64_t step_over_gen; /* vm->run_gen when the step-over began */
	bool step_lifted;       /* ... the breakpoint is out and the others parked (vm->exclusive) */
	bool step_timer_made;
	timer_t step_timer;     /* ends step_lifted if the instruction takes long (vcpu.c) */

	void *arch_regs;        /* the arch's register cache while stopped (freed with the vCPU) */
	void *arch_debug;       /* the arch's last guest-debug settings (freed with the vCPU) */
};

int vcpu_create(struct vm *vm, int id, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Make the vCPU leave KVM_RUN soon (immediate_exit + signal). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/*
 * Dispatch the exit in vcpu->run (what the run loop does after each
 * KVM_RUN); false when the vCPU must stop. I/O and MMIO exits need no KVM
 * (the Firecracker shape): a unit test drives them with a kvm_run of its own.
 */
bool vcpu_handle_exit(struct vcpu *vcpu);

/* Register access for devices (e.g. the hypercall port). 0 or -1 with err_set(). */
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);

/* Block the kick signal in the calling thread (and threads it creates); call once, early. */
void vcpu_signals_init(void);
/* "IO", "MMIO", "SHUTDOWN", ... for KVM_EXIT_* values. */
const char *vcpu_exit_name(unsigned reason);
void vcpu_print_stats(struct vcpu *vcpu, FILE *out);

#endif
