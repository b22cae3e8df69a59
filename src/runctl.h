/* SPDX-License-Identifier: MIT */
/*
 * Run control: whether each vCPU runs or waits outside KVM_RUN, and every
 * change of that, in one file (src/runctl.c; Firecracker's vstate/vcpu.rs
 * is the model). The debugger drives it through part 2 of
 * src/debug_contract.h (vm_pause, vm_resume, vm_hold, ...); the run loop
 * (vcpu.c) and the step over a breakpoint (step_over.c) through the
 * functions below.
 *
 * A vCPU's states (its fields in struct vcpu, the VM's in struct vm, all
 * under vm->run_lock unless said otherwise):
 *
 *                  something parks it (must_park): vm->paused, vm->held,
 *                  its mode VCPU_STAY, or another vCPU is ALONE;
 *                  vm_pause, vm_hold, vm_debug_stop kick it out of KVM_RUN
 *   +-------------+ ----------------------------------------> +-------------+
 *   | RUNNING     |                                           | PARKED      |
 *   | in or near  |                                           | waits on    |
 *   | KVM_RUN     | <---------------------------------------- | run_cond;   |
 *   +-------------+  nothing parks it any more: vm_resume,    | vcpu->parked|
 *     |   ^    ^     vm_release, vm_resume_vcpus,             | counted in  |
 *     |   |    |     vm_detach, runctl_alone_end              | vm->nparked |
 *     |   |    |                                              +-------------+
 *     |   |    | step_over_end: the step's debug exit, or a pause
 *     |   |    | or the end meanwhile (step_over_kicked)
 *     |   |    +------------------------------+
 *     |   | step_over_end (the same)          |
 *     |   |                                   |
 *     | verdict VCPU_STEP_OVER: runctl_alone_begin, once every other
 *     | vCPU is PARKED (while another is ALONE, it waits its turn PARKED)
 *     v   |                                   |
 *   +-------------+   20 ms and not done:   +-------------+
 *   | ALONE       |   the timer kicks it    | FINISHING   |
 *   | breakpoint  | ----------------------> | its step,   |
 *   | lifted;     |   breakpoint back,      | the others  |
 *   | vm->exclusive   runctl_alone_end      | run again   |
 *   +-------------+                         +-------------+
 *   (stepping_over and step_lifted)         (stepping_over only)
 *
 *   any state --- the thread ends (the VM ends, the guest crashed) ---> GONE
 *   (counted in vm->nparked, so that nobody waits for it: runctl_gone)
 *
 * The VM's side: vm->paused (all-stop: every vCPU parks; vm->stopper is the
 * vCPU that stopped it, which reports once all are parked), vm->held
 * (non-stop: every vCPU parks while the event loop serves gdb), vm->non_stop
 * (a stop parks one vCPU, its mode VCPU_STAY, and it reports at once),
 * vm->exclusive (the ALONE vCPU), vm->exiting (nothing parks any more).
 * vcpu->mode, vcpu->stop and vcpu->report_stop are gdb's orders and their
 * answer; the debugger changes vcpu->mode only while the vCPU is parked
 * (its own thread sets VCPU_STAY when it stops in non-stop mode).
 * stepping_over and step_lifted belong to the vCPU's own thread.
 *
 * Kicking a vCPU out of KVM_RUN: VCPU_KICK_SIGNAL is blocked in every
 * thread and unblocked only *inside* KVM_RUN (KVM_SET_SIGNAL_MASK, set in
 * vcpu_create). A kick sent while the thread is elsewhere stays pending and
 * makes the next KVM_RUN return -EINTR at once, so a kick is never lost and
 * needs no timing. Because the signal is blocked again in user space, it
 * stays pending after that -EINTR: the vCPU consumes it
 * (vcpu_consume_kick) or every later KVM_RUN would fail the same way.
 */
#ifndef MINIKVM_RUNCTL_H
#define MINIKVM_RUNCTL_H

#include <signal.h>
#include <stdbool.h>

struct vm;
struct vcpu;

#define VCPU_KICK_SIGNAL SIGUSR1

/* The lock, the condition variable and "no stopper" (vm_create); freed in vm_destroy. */
void runctl_init(struct vm *vm);
void runctl_destroy(struct vm *vm);

/* Block the kick signal in the calling thread (and threads it creates); call once, early. */
void vcpu_signals_init(void);
/* Make the vCPU leave KVM_RUN soon (a pending signal). */
void vcpu_kick(struct vcpu *vcpu);
/* Take a pending kick off the calling vCPU thread, without waiting. */
void vcpu_consume_kick(void);

/*
 * The run loop, before each KVM_RUN: wait (PARKED) while something parks
 * this vCPU; before the first wait, with the lock dropped, before_parking
 * finishes what the vCPU was doing (an I/O instruction). A vCPU that stopped
 * the VM calls the report_stop hook once every vCPU is parked. False when
 * the VM is ending.
 */
bool runctl_park(struct vcpu *vcpu, void (*before_parking)(struct vcpu *vcpu));
/* The vCPU's thread ends: GONE. */
void runctl_gone(struct vcpu *vcpu);
/* The VM is ending (vm_request_exit): parked vCPUs wake to see it. */
void runctl_wake_all(struct vm *vm);

/*
 * Step-over (step_over.c): become ALONE once every other vCPU is parked;
 * false if the VM was paused, held or reset meanwhile (or is ending), or
 * another vCPU went alone first: then the breakpoint will hit again.
 */
bool runctl_alone_begin(struct vcpu *vcpu);
/* ALONE ends: the others run again. */
void runctl_alone_end(struct vcpu *vcpu);
/* Is the VM pausing, held or ending (a step-over then gives way)? */
bool runctl_stopping(struct vcpu *vcpu);

#endif
