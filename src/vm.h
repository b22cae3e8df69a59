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
struct vcpu_stop;
struct kvm_cpuid2;
struct debug;
struct i8259;
struct i8254;
struct ioapic;

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

	/* Interrupt controllers in userspace (x86/irqchip.h); all NULL with --irqchip kernel. */
	bool split_irqchip;
	struct i8259 *pic;
	struct ioapic *ioapic;
	struct i8254 *pit;
	int extint_vector;           /* acknowledged from the 8259, not yet taken by KVM; -1: none */

	/*
	 * Run control (all-stop): while paused, every vCPU parks outside
	 * KVM_RUN. A vCPU that stops the VM for the debugger sets paused itself,
	 * records why in its vcpu->stop, parks, waits for the others to park
	 * and tells gdb itself (no hand-off to the event loop on the way).
	 */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	bool paused;
	int nparked;                 /* vCPU threads parked (or gone) */
	int stopper;                 /* the vCPU that stopped the VM, or -1 */
	uint64_t run_gen;            /* +1 at every resume and reset: register caches expire */
	struct debug *debug;         /* the debugger's state, NULL without --gdb */
	int nslots;                  /* KVM memory slots in use */

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

/* Services device.c passes on to devices (struct device_host). */
int vm_irq_line(struct vm *vm, int irq, int level);
/*
 * Ask the VM to end with an exit status; reason is for --verbose. The first
 * call wins and returns true; later ones change nothing and return false.
 */
bool vm_request_exit(struct vm *vm, int status, const char *reason);
/*
 * All-stop control, from the event-loop thread. vm_pause() returns once
 * every vCPU is parked (registers and memory are then stable); vm_resume()
 * lets each vCPU go on as its vcpu->mode says.
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/*
 * From a vCPU thread: this vCPU stops the VM for the debugger. True if it
 * was first (the others are being stopped, and this vCPU reports the stop
 * to gdb once all are parked); false if the VM was already pausing, and the
 * event is dropped (a breakpoint will hit again).
 */
bool vm_debug_stop(struct vm *vm, struct vcpu *vcpu, const struct vcpu_stop *why);
/*
 * Re-map guest RAM so that the given pages (guest-physical, 4 KiB aligned)
 * are read-only to the guest: its writes there become MMIO exits. A page
 * given with VM_PAGE_NO_ACCESS or'ed in gets no memory slot at all, so its
 * reads exit too (instructions cannot be fetched from it). VM paused.
 */
#define VM_PAGE_NO_ACCESS 1ULL
int vm_protect_pages(struct vm *vm, const uint64_t *pages, int n);
/* Reload the image and put every vCPU back to its boot state. VM paused. */
int vm_reset(struct vm *vm);

#endif
