/* SPDX-License-Identifier: MIT */
/*
 * Stepping over a breakpoint (its condition was false): every other vCPU
 * parks first, so none can run past the lifted breakpoint unseen; then
 * the debugger lifts it and this vCPU runs one instruction in the run loop
 * (vcpu.c) with guest debug set to "single step" only. The step ends at the
 * next debug exit (I/O the instruction does is served on the way), or is
 * abandoned when the VM is paused or ends meanwhile: the breakpoint goes
 * back and the instruction, not yet run, will hit it again.
 *
 * Bounded: an instruction that does not finish at once (`hlt` with
 * interrupts off) must not keep the other vCPUs parked. After
 * STEP_OVER_ALONE_MS a timer kicks this vCPU: the breakpoint goes back and
 * the others run on, while this one finishes its step. That is safe either
 * way: if the instruction had begun (the vCPU is halted in it) the restored
 * byte changes nothing; if not, it fetches the breakpoint and hits it again.
 *
 * The states (ALONE, then FINISHING once the others run again) are drawn
 * in runctl.h; runctl.c parks the others and lets them go.
 */
#include "step_over.h"
#include "debug_contract.h"
#include "runctl.h"
#include "vcpu.h"
#include "vm.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#define STEP_OVER_ALONE_MS 20

static void step_timer_arm(struct vcpu *vcpu, long ms)
{
	struct itimerspec t = { .it_value = { ms / 1000, (ms % 1000) * 1000000 } };

	if (!vcpu->step_timer_made) {
		struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = VCPU_KICK_SIGNAL };

		ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id, which this glibc does not name */
		if (timer_create(CLOCK_MONOTONIC, &ev, &vcpu->step_timer) < 0)
			return; /* then only a pause ends a step that does not finish: still correct */
		vcpu->step_timer_made = true;
	}
	timer_settime(vcpu->step_timer, 0, &t, NULL);
}

static bool step_timer_expired(struct vcpu *vcpu)
{
	struct itimerspec t;

	return vcpu->step_timer_made && timer_gettime(vcpu->step_timer, &t) == 0 &&
	       !t.it_value.tv_sec && !t.it_value.tv_nsec;
}

void step_over_free(struct vcpu *vcpu)
{
	if (vcpu->step_timer_made)
		timer_delete(vcpu->step_timer);
}

/* ALONE -> FINISHING: put the breakpoint back and let the other vCPUs go. */
static void step_over_release(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!vcpu->step_lifted)
		return;
	vcpu->step_lifted = false;
	step_timer_arm(vcpu, 0);
	if (vm->hooks->step_over)
		vm->hooks->step_over(vm->hooks_ctx, vcpu, false);
	runctl_alone_end(vcpu);
}

void step_over_begin(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!runctl_alone_begin(vcpu))
		return;
	if (vm->hooks->step_over)
		vm->hooks->step_over(vm->hooks_ctx, vcpu, true);
	vcpu->stepping_over = true;
	vcpu->step_lifted = true;
	vcpu->debug_dirty = true;
	step_timer_arm(vcpu, STEP_OVER_ALONE_MS);
}

void step_over_end(struct vcpu *vcpu)
{
	if (!vcpu->stepping_over)
		return;
	step_over_release(vcpu);
	vcpu->stepping_over = false;
	vcpu->debug_dirty = true;
}

void step_over_kicked(struct vcpu *vcpu)
{
	/* A pause (or the end) does not wait for a step-over: abandon it. */
	if (vcpu->stepping_over && runctl_stopping(vcpu))
		step_over_end(vcpu);
	else if (vcpu->step_lifted && step_timer_expired(vcpu))
		step_over_release(vcpu); /* a long instruction: the others go on */
}
