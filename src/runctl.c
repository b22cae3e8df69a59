/* SPDX-License-Identifier: MIT */
/*
 * Run control: the vCPU states drawn in runctl.h and every transition
 * between them, one function each. All of it happens under vm->run_lock;
 * whoever changes what parks a vCPU broadcasts vm->run_cond (after the
 * unlock where a woken vCPU would otherwise sleep on the mutex again), and
 * whoever needs a vCPU out of KVM_RUN kicks it.
 */
#include "runctl.h"
#include "debug_contract.h"
#include "vcpu.h"
#include "vm.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

/* ---- kicks ---- */

static void kick_handler(int sig)
{
	(void)sig; /* only here to make KVM_RUN return -EINTR */
}

void vcpu_signals_init(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_consume_kick(void)
{
	static const struct timespec zero;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	while (sigtimedwait(&set, NULL, &zero) == VCPU_KICK_SIGNAL)
		;
}

/* Lock held: every vCPU but except (may be NULL) that is not parked leaves KVM_RUN. */
static void kick_others(struct vm *vm, const struct vcpu *except)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i] != except && !vm->vcpus[i]->parked)
			vcpu_kick(vm->vcpus[i]);
}

/* ---- RUNNING <-> PARKED ---- */

void runctl_init(struct vm *vm)
{
	vm->stopper = -1;
	pthread_mutex_init(&vm->run_lock, NULL);
	pthread_cond_init(&vm->run_cond, NULL);
}

void runctl_destroy(struct vm *vm)
{
	pthread_mutex_destroy(&vm->run_lock);
	pthread_cond_destroy(&vm->run_cond);
}

/* Lock held. The one place a vCPU becomes PARKED: counted, and whoever waits for the count hears. */
static void park(struct vcpu *vcpu)
{
	if (vcpu->parked)
		return;
	vcpu->parked = true;
	vcpu->vm->nparked++;
	pthread_cond_broadcast(&vcpu->vm->run_cond);
}

/* Lock held: PARKED -> RUNNING. */
static void unpark(struct vcpu *vcpu)
{
	if (!vcpu->parked)
		return;
	vcpu->parked = false;
	vcpu->vm->nparked--;
}

/* Lock held: paused, held, told to stay, or another vCPU steps over a breakpoint alone. */
static bool must_park(const struct vcpu *vcpu)
{
	const struct vm *vm = vcpu->vm;

	return (vm->paused || vm->held || vcpu->mode == VCPU_STAY ||
		(vm->exclusive && vm->exclusive != vcpu)) && !atomic_load(&vm->exiting);
}

bool runctl_park(struct vcpu *vcpu, void (*before_parking)(struct vcpu *vcpu))
{
	struct vm *vm = vcpu->vm;
	bool go;

	/* ALONE or FINISHING: the instruction stepped over runs first (unless abandoned, in the loop). */
	if (vcpu->stepping_over)
		return !atomic_load(&vm->exiting);
	pthread_mutex_lock(&vm->run_lock);
	if (must_park(vcpu)) {
		pthread_mutex_unlock(&vm->run_lock);
		before_parking(vcpu);
		pthread_mutex_lock(&vm->run_lock);
	}
	while (must_park(vcpu)) {
		park(vcpu);
		/*
		 * This vCPU stopped the VM: once the others are parked too, it
		 * tells gdb itself, sparing a hand-off to the event loop and back,
		 * and then serves gdb while the VM is stopped, so that gdb's next
		 * resume (a step) needs no hand-off back to it either.
		 * In non-stop mode it stopped alone and tells at once.
		 */
		if (vcpu->report_stop && (vm->non_stop || vm->nparked == vm->ncpus)) {
			vcpu->report_stop = false;
			pthread_mutex_unlock(&vm->run_lock);
			if (vm->hooks && vm->hooks->report_stop)
				vm->hooks->report_stop(vm->hooks_ctx, vcpu);
			if (vm->hooks && vm->hooks->serve_stopped)
				vm->hooks->serve_stopped(vm->hooks_ctx, vcpu);
			pthread_mutex_lock(&vm->run_lock);
			continue;
		}
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	}
	vcpu->report_stop = false;
	unpark(vcpu);
	go = !atomic_load(&vm->exiting);
	pthread_mutex_unlock(&vm->run_lock);
	return go;
}

void runctl_gone(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	/* Gone threads count as parked, so vm_pause() never waits for them. */
	pthread_mutex_lock(&vm->run_lock);
	park(vcpu);
	pthread_mutex_unlock(&vm->run_lock);
}

void runctl_wake_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}

/* ---- all-stop: the event loop pauses and resumes the VM ---- */

/* With run_lock held and a flag set that parks them: kick every vCPU and wait until all are parked. */
static void park_all_locked(struct vm *vm)
{
	kick_others(vm, NULL);
	/* Each vCPU leaves KVM_RUN within one exit's time of the kick; no timeout needed. */
	while (vm->nparked < vm->ncpus)
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->paused = true;
	park_all_locked(vm);
	pthread_mutex_unlock(&vm->run_lock);
}

void vm_pause_at_start(struct vm *vm)
{
	vm->paused = true; /* no vCPU thread yet: each parks as it starts */
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->paused = false;
	vm->stopper = -1;
	vm->run_gen++;
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->stop.kind = VCPU_STOP_NONE;
	pthread_mutex_unlock(&vm->run_lock);
	/* After the unlock: a woken vCPU then finds the mutex free instead of sleeping on it again. */
	pthread_cond_broadcast(&vm->run_cond);
}

bool vm_debug_stop(struct vm *vm, struct vcpu *vcpu, const struct vcpu_stop *why)
{
	bool first;

	pthread_mutex_lock(&vm->run_lock);
	if (vm->non_stop) {
		/* This vCPU alone: it parks and reports; the others run on. */
		vcpu->mode = VCPU_STAY;
		vcpu->stop = *why;
		vcpu->report_stop = true;
		pthread_mutex_unlock(&vm->run_lock);
		return true;
	}
	first = !vm->paused;
	if (first) {
		vm->paused = true;
		vm->stopper = vcpu->id;
		vcpu->stop = *why;
		vcpu->report_stop = true; /* in runctl_park(), once every vCPU is parked */
		kick_others(vm, vcpu);
	}
	pthread_mutex_unlock(&vm->run_lock);
	return first;
}

/* A vCPU parked: carry out gdb's order for it. */
static void set_order(struct vcpu *v, const struct vcpu_order *o)
{
	v->mode = o->mode;
	if (o->mode == VCPU_RANGE_STEP) {
		v->range_start = o->range_start;
		v->range_end = o->range_end;
	}
	v->debug_dirty = true;
}

/*
 * Non-stop: only the named vCPUs change. Every vCPU is parked meanwhile
 * (the event loop holds the VM while it serves gdb): a vCPU to stop is
 * marked to stay and to report, and does so when the hold ends.
 */
static void resume_non_stop(struct vm *vm, const struct vcpu_order *orders, unsigned n)
{
	pthread_mutex_lock(&vm->run_lock);
	for (unsigned i = 0; i < n && i < (unsigned)vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		const struct vcpu_order *o = &orders[i];

		if (o->keep)
			continue;
		if (o->mode == VCPU_STAY) {
			if (v->mode == VCPU_STAY)
				continue; /* stopped already, its report on the way */
			v->stop = (struct vcpu_stop){ o->stop_kind, 0 };
			v->report_stop = true;
			if (!v->parked)
				vcpu_kick(v);
		} else {
			v->stop.kind = VCPU_STOP_NONE;
			v->report_stop = false;
		}
		set_order(v, o);
	}
	vm->run_gen++;
	pthread_mutex_unlock(&vm->run_lock);
	pthread_cond_broadcast(&vm->run_cond);
}

void vm_resume_vcpus(struct vm *vm, const struct vcpu_order *orders, unsigned n)
{
	if (vm->non_stop) {
		resume_non_stop(vm, orders, n);
		return;
	}
	for (unsigned i = 0; i < n && i < (unsigned)vm->ncpus; i++)
		if (!orders[i].keep)
			set_order(vm->vcpus[i], &orders[i]);
	vm_resume(vm);
}

void vm_detach(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->non_stop = false;
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i]->mode = VCPU_CONTINUE;
		vm->vcpus[i]->report_stop = false;
		vm->vcpus[i]->debug_dirty = true;
	}
	pthread_mutex_unlock(&vm->run_lock);
	vm_resume(vm);
}

/* ---- non-stop: the event loop holds the VM for a moment ---- */

void vm_hold(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->held = true;
	park_all_locked(vm);
	pthread_mutex_unlock(&vm->run_lock);
}

void vm_release(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->held = false;
	vm->run_gen++; /* the vCPUs that run on: their cached registers expire */
	pthread_mutex_unlock(&vm->run_lock);
	pthread_cond_broadcast(&vm->run_cond);
}

void vm_set_non_stop(struct vm *vm, bool on)
{
	pthread_mutex_lock(&vm->run_lock);
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		v->mode = on ? VCPU_STAY : VCPU_CONTINUE;
		v->stop.kind = VCPU_STOP_NONE;
		v->report_stop = false;
		v->debug_dirty = true;
	}
	vm->paused = !on;
	vm->non_stop = on;
	vm->stopper = -1;
	vm->run_gen++;
	pthread_mutex_unlock(&vm->run_lock);
	/* Off: the event loop holds the VM, so every vCPU is parked already; paused keeps them. */
	if (!on)
		vm_pause(vm);
}

/* ---- ALONE: one vCPU steps over a breakpoint while the others are parked ---- */

bool runctl_alone_begin(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t gen;

	pthread_mutex_lock(&vm->run_lock);
	gen = vm->run_gen;
	/* Another vCPU is ALONE: wait, counted as parked (it waits for that). */
	while (vm->exclusive && !vm->paused && !vm->held && !atomic_load(&vm->exiting)) {
		park(vcpu);
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	}
	unpark(vcpu);
	/* Paused or reset meanwhile: the breakpoint will hit again after the resume. */
	if (vm->paused || vm->held || vm->exclusive || vm->run_gen != gen || atomic_load(&vm->exiting)) {
		pthread_mutex_unlock(&vm->run_lock);
		return false;
	}
	vm->exclusive = vcpu;
	kick_others(vm, vcpu);
	while (vm->nparked < vm->ncpus - 1 && !atomic_load(&vm->exiting))
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	pthread_mutex_unlock(&vm->run_lock);
	return true;
}

void runctl_alone_end(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->run_lock);
	vm->exclusive = NULL;
	pthread_mutex_unlock(&vm->run_lock);
	pthread_cond_broadcast(&vm->run_cond);
}

bool runctl_stopping(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool stop;

	pthread_mutex_lock(&vm->run_lock);
	stop = vm->paused || vm->held || atomic_load(&vm->exiting);
	pthread_mutex_unlock(&vm->run_lock);
	return stop;
}
