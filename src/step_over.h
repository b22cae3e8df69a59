/* SPDX-License-Identifier: MIT */
/*
 * Stepping over a breakpoint whose condition was false (the debugger's
 * verdict VCPU_STEP_OVER): this vCPU runs the one instruction under the
 * breakpoint alone, then the breakpoint goes back. States and locking are
 * run control's (src/runctl.h: ALONE, FINISHING); this is the step itself.
 */
#ifndef MINIKVM_STEP_OVER_H
#define MINIKVM_STEP_OVER_H

struct vcpu;

/* The verdict: park the others, lift the breakpoint, single-step only (the run loop's next KVM_RUN). */
void step_over_begin(struct vcpu *vcpu);
/* The step's debug exit, or the vCPU thread ends: breakpoint back, the others go, debug as before. */
void step_over_end(struct vcpu *vcpu);
/* KVM_RUN returned -EINTR during a step-over: give way to a pause or the end, or time out. */
void step_over_kicked(struct vcpu *vcpu);
/* The vCPU is destroyed: its timer goes. */
void step_over_free(struct vcpu *vcpu);

#endif
