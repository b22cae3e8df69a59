/* SPDX-License-Identifier: MIT */
/*
 * A vCPU: its KVM file descriptor, the shared kvm_run page, the host thread
 * that loops on KVM_RUN (vcpu.c), its run-control state (runctl.h draws the
 * states), and the counters behind --stats. The words a vCPU's debugger
 * state is made of (run modes, stops, debug events, verdicts) are part of
 * the debugger contract, src/debug_contract.h.
 */
#ifndef MINIKVM_VCPU_H
#define MINIKVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "debug_contract.h"
#include "runctl.h"

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

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct vcpu_stats stats;

	/* Run control (runctl.c), under vm->run_lock. */
	enum vcpu_run_mode mode;
	uint64_t range_start, range_end;
	bool parked;            /* PARKED (or GONE): registers are safe to touch */
	bool debug_dirty;       /* guest-debug settings changed: apply before KVM_RUN */
	struct vcpu_stop stop;  /* set when this vCPU stopped the VM */
	bool report_stop;       /* ... and must tell the debugger once all vCPUs are parked */

	/* Owned by the vCPU thread. */
	bool io_pending;        /* the last exit was I/O or MMIO, not yet completed by KVM */
	bool stepping_over;     /* stepping over a breakpoint (ALONE or FINISHING, step_over.c):
				   guest debug is "single step" only */
	bool step_lifted;       /* ... ALONE: the breakpoint is out and the others parked (vm->exclusive) */
	bool step_timer_made;
	timer_t step_timer;     /* ends step_lifted if the instruction takes long (step_over.c) */

	void *arch_regs;        /* the arch's register cache while stopped (freed with the vCPU) */
	void *arch_debug;       /* the arch's last guest-debug settings (freed with the vCPU) */
};

int vcpu_create(struct vm *vm, int id, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
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

/* "IO", "MMIO", "SHUTDOWN", ... for KVM_EXIT_* values. */
const char *vcpu_exit_name(unsigned reason);
void vcpu_print_stats(struct vcpu *vcpu, FILE *out);

#endif
