/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: /dev/kvm, the VM file descriptor, guest memory slots,
 * the in-kernel interrupt controllers, the I/O buses, the vCPUs, and how the
 * VM comes to an end.
 */
#ifndef MINIKVM_VM_H
#define MINIKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "boot.h"
#include "console.h"
#include "guest_mem.h"
#include "iobus.h"
#include "options.h"

struct vcpu;
struct kvm_cpuid2;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;                /* size of each vCPU's kvm_run mapping */
	struct guest_mem mem;
	struct boot_state boot;
	struct kvm_cpuid2 *cpuid;    /* KVM_GET_SUPPORTED_CPUID, adjusted per vCPU */

	int ncpus;
	struct vcpu *vcpus[MAX_CPUS];

	struct iobus pio, mmio;
	struct console console;

	/* The end: the first request wins; the event loop then stops every vCPU. */
	pthread_mutex_t exit_lock;
	atomic_bool exiting;
	int exit_status;
	char exit_reason[256];
	int event_fd;                /* eventfd: wakes the event loop */
};

/* Open KVM, create the VM, memory, irqchip, devices, vCPUs; load the image. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Run all vCPUs and the event loop until the VM ends; returns the exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Device services. */
int vm_irq_line(struct vm *vm, int irq, int level);
/*
 * Ask the VM to end with an exit status; reason is for --verbose. The first
 * call wins and returns true; later ones change nothing and return false.
 */
bool vm_request_exit(struct vm *vm, int status, const char *reason);
int vm_register_pio(struct vm *vm, struct io_device *dev);
int vm_register_mmio(struct vm *vm, struct io_device *dev);

#endif
