/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: guest memory and the image loaded into it, /dev/kvm
 * and the VM file descriptor, the arch's part (interrupt controllers,
 * CPUID), the I/O buses and devices, the vCPUs, the event loop, and how the
 * VM comes to an end (vm.c). vm_create() goes in that order: the image
 * first (a bad image is the user's error and needs no KVM to report), then
 * KVM, the arch's setup, the memory slots (memslot.c), devices, boot tables
 * and vCPUs.
 *
 * Run control (which vCPUs run: runctl.c) and what the debugger may ask of
 * the VM (src/debug_contract.h) have their own headers.
 */
#ifndef MINIKVM_VM_H
#define MINIKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "console.h"
#include "guest_mem.h"
#include "iobus.h"
#include "options.h"
#include "vm_arch.h"

struct vcpu;
struct vm_hooks;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;                /* size of each vCPU's kvm_run mapping */
	struct guest_mem mem;
	struct boot_state boot;

	int ncpus;
	struct vcpu *vcpus[MAX_CPUS];

	struct iobus pio, mmio;
	struct console console;

	struct vm_arch arch;         /* the arch's own (src/x86/vm_arch.h): CPUID, interrupt chips */

	/*
	 * Run control (runctl.c, whose header draws the states; paused,
	 * non_stop, held, nparked, stopper and exclusive change only there):
	 * while paused, every vCPU parks outside KVM_RUN. A vCPU
	 * that stops the VM for the debugger sets paused itself, records why in
	 * its vcpu->stop, parks, waits for the others to park and tells gdb
	 * itself (no hand-off to the event loop on the way).
	 */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	bool paused;
	bool non_stop;               /* gdb's non-stop mode: a vCPU stops alone (its mode VCPU_STAY) */
	bool held;                   /* non-stop: every vCPU parks while the debugger serves gdb */
	int nparked;                 /* vCPU threads parked (or gone) */
	int stopper;                 /* the vCPU that stopped the VM, or -1 */
	uint64_t run_gen;            /* +1 at every resume and reset: register caches expire */
	struct vcpu *exclusive;      /* runs alone (stepping over a breakpoint), or NULL */
	const struct vm_hooks *hooks; /* the debugger's (src/debug_contract.h), or NULL */
	void *hooks_ctx;
	int nslots;                  /* KVM memory slots in use (memslot.c) */

	/* The end: the first request wins; the event loop then stops every vCPU. */
	pthread_mutex_t exit_lock;
	atomic_bool exiting;
	int exit_status;
	char exit_reason[256];
	int event_fd;                /* eventfd: wakes the event loop */
};

/* Load the image, open KVM, create the VM, its memory slots, devices and vCPUs. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Run all vCPUs and the event loop until the VM ends; returns the exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* KVM capabilities a layer needs: -1 with err_set() naming the first one missing. */
struct kvm_cap_need {
	int cap;
	const char *name;
};
/* Open /dev/kvm (O_CLOEXEC); -1 with a message saying what to do when it cannot be. */
int vm_open_kvm(void);
int vm_require_caps(int kvm_fd, const struct kvm_cap_need *caps, size_t n);

/* Services device.c passes on to devices (struct device_host); IRQ lines are the arch's. */
/*
 * Ask the VM to end with an exit status; reason is for --verbose. The first
 * call wins and returns true; later ones change nothing and return false.
 */
bool vm_request_exit(struct vm *vm, int status, const char *reason);
/*
 * What the debugger may ask of the VM (pause, resume, hold, protect pages,
 * reset, plug its hooks in) is declared in src/debug_contract.h, part 2.
 */

#endif
