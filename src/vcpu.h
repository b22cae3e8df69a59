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
};

int vcpu_create(struct vm *vm, int id, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Make the vCPU leave KVM_RUN soon (immediate_exit + signal). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/* Register access for devices (e.g. the hypercall port). 0 or -1 with err_set(). */
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);

/* Block the kick signal in the calling thread (and threads it creates); call once, early. */
void vcpu_signals_init(void);
/* "IO", "MMIO", "SHUTDOWN", ... for KVM_EXIT_* values. */
const char *vcpu_exit_name(unsigned reason);
void vcpu_print_stats(struct vcpu *vcpu, FILE *out);

#endif
