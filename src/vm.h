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
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "console.h"
#include "guest_mem.h"
#include "iobus.h"
#include "options.h"
#include "vm_arch.h"

struct vcpu;
struct vcpu_stop;
struct vcpu_debug_event;
struct pollfd;

/*
 * What an observer of the VM plugs into the core: the debugger (src/debug.c)
 * registers these with vm_set_hooks(), as Solo5's gdb module registers its
 * VM-exit hook. The core calls them and never includes the debugger's
 * headers; a VMM built without the debugger runs with none. Any may be NULL.
 */
struct vm_hooks {
	/* The event loop's thread. */
	int (*poll_fds)(void *ctx, struct pollfd *pfd, int max); /* fds to poll: how many */
	void (*handle_fds)(void *ctx, const struct pollfd *pfd, int n);
	void (*started)(void *ctx);                      /* the vCPU threads run */
	void (*ending)(void *ctx, int status, bool crashed); /* the VM is ending */
	void (*free)(void *ctx);                         /* vm_destroy */

	/* vCPU threads. */
	/* Before KVM_RUN when vcpu->debug_dirty or a step-over begins or ends: program guest debug. */
	int (*apply_debug)(void *ctx, struct vcpu *vcpu);
	/* A KVM_EXIT_DEBUG: decide (arch_debug_exit gives the facts). */
	enum vcpu_verdict (*debug_exit)(void *ctx, struct vcpu *vcpu, struct vcpu_stop *why);
	/* A debug event found another way (emulation failure, an I/O breakpoint): decide. */
	enum vcpu_verdict (*debug_event)(void *ctx, struct vcpu *vcpu,
					 const struct vcpu_debug_event *ev, struct vcpu_stop *why);
	/* A KVM_EXIT_IO: the debugger's I/O breakpoint? Then true, ev filled; the run loop undoes the IN. */
	bool (*claim_io)(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev);
	/* A KVM_EXIT_MMIO on RAM the debugger protected: <0 not its page, 0 done, 1 done and stop. */
	int (*mmio)(void *ctx, struct vcpu *vcpu, uint64_t gpa, uint8_t *data, unsigned len,
		    bool write, struct vcpu_stop *why);
	/*
	 * After vm_debug_stop(), from the stopping vCPU's thread: every vCPU is
	 * parked (all-stop), or this one is (non-stop): tell gdb.
	 */
	void (*report_stop)(void *ctx, struct vcpu *vcpu);
	/* Step-over of a breakpoint: take it out of the guest (lift) or put it back. */
	void (*step_over)(void *ctx, struct vcpu *vcpu, bool lift);
};

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
	 * Run control (all-stop): while paused, every vCPU parks outside
	 * KVM_RUN. A vCPU that stops the VM for the debugger sets paused itself,
	 * records why in its vcpu->stop, parks, waits for the others to park
	 * and tells gdb itself (no hand-off to the event loop on the way).
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
	const struct vm_hooks *hooks; /* the debugger's, or NULL */
	void *hooks_ctx;
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

/* KVM capabilities a layer needs: -1 with err_set() naming the first one missing. */
struct kvm_cap_need {
	int cap;
	const char *name;
};
/* Open /dev/kvm (O_CLOEXEC); -1 with a message saying what to do when it cannot be. */
int vm_open_kvm(void);
int vm_require_caps(int kvm_fd, const struct kvm_cap_need *caps, size_t n);

/* Plug an observer (the debugger) in; before vm_run. */
void vm_set_hooks(struct vm *vm, const struct vm_hooks *hooks, void *ctx);

/* Services device.c passes on to devices (struct device_host); IRQ lines are the arch's. */
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
 * Non-stop: park every vCPU for a moment (vm_hold returns once all are),
 * without stopping any for gdb: vm_release lets the running ones go on
 * and the stopped ones (VCPU_STAY) stay.
 */
void vm_hold(struct vm *vm);
void vm_release(struct vm *vm);
/*
 * From a vCPU thread: this vCPU stops the VM for the debugger. True if it
 * was first (the others are being stopped, and this vCPU reports the stop
 * to gdb once all are parked); false if the VM was already pausing, and the
 * event is dropped (a breakpoint will hit again). In non-stop mode only
 * this vCPU stops (VCPU_STAY) and reports at once; always true.
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
/*
 * Reload the image (into fresh memory: on any error the guest is left as it
 * was), put every device and vCPU back to its boot state. keep_width: the
 * image must still be 64-bit (or 32-bit) code, as a connected debugger's
 * register layout depends on it. VM paused.
 */
int vm_reset(struct vm *vm, bool keep_width);

#endif
