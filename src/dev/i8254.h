/* SPDX-License-Identifier: MIT */
/*
 * Test hooks for the 8254 PIT (dev/i8254.c; its interface is in
 * x86/irqchip.h). A unit test gives the PIT its own clock and watches IRQ 0
 * without a KVM VM behind it.
 */
#ifndef MINIKVM_DEV_I8254_H
#define MINIKVM_DEV_I8254_H

#include <stdint.h>

struct vm;

struct i8254_hooks {
	/*
	 * Nanoseconds on some monotonic clock; NULL means CLOCK_MONOTONIC. With
	 * a clock of its own the test drives time, so the PIT starts no timer
	 * thread and the test calls i8254_run_timer() instead.
	 */
	uint64_t (*now_ns)(void *ctx);
	/* One pulse on IRQ 0; NULL means vm_irq_line(vm, 0, 1) then (vm, 0, 0). */
	void (*irq0_pulse)(void *ctx);
	void *ctx;
};

/* Replace the clock and IRQ 0 output: right after i8254_create(). */
void i8254_set_hooks(struct vm *vm, const struct i8254_hooks *hooks);

#define I8254_NEVER UINT64_MAX

/*
 * What the timer thread does each time it wakes: pulse IRQ 0 once if
 * channel 0 is due at the clock's now, and return when it is due next
 * (ns on the same clock) or I8254_NEVER.
 */
uint64_t i8254_run_timer(struct vm *vm);

#endif
