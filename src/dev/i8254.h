/* SPDX-License-Identifier: MIT */
/*
 * The 8254 PIT and the PC's port 0x61 (dev/i8254.c says what is modelled),
 * as a model that knows nothing of KVM or of struct vm: it puts its ports
 * on a port bus, reads a monotonic clock, and pulses IRQ 0 through its ops.
 *
 *   ports 0x40-0x43 (counters 0-2, control word), 0x61 (gate 2, speaker, OUT2)
 *
 * IRQ 0 needs a thread: it sleeps until channel 0's OUT next rises. It is
 * started the first time the guest programs channel 0 (from a vCPU thread,
 * whose signal mask it inherits) and ended by i8254_stop(). A unit test
 * gives the PIT a clock of its own instead; then there is no thread and the
 * test calls i8254_run_timer() to let time pass.
 *
 * Thread-safe: every entry point takes the PIT's mutex; irq0_pulse is
 * called without it.
 */
#ifndef MINIKVM_DEV_I8254_H
#define MINIKVM_DEV_I8254_H

#include <stdint.h>

struct iobus;
struct i8254;

struct i8254_ops {
	/* One pulse on ISA IRQ 0 (channel 0's OUT rose). */
	void (*irq0_pulse)(void *ctx);
	/*
	 * Nanoseconds on some monotonic clock; NULL means CLOCK_MONOTONIC and
	 * a timer thread. With a clock of its own the caller drives time with
	 * i8254_run_timer() and no thread is started.
	 */
	uint64_t (*now_ns)(void *ctx);
};

/* Power-on state, ports on pio; NULL with err_set() if they cannot be registered. */
struct i8254 *i8254_create(struct iobus *pio, const struct i8254_ops *ops, void *ctx);
/*
 * Stop the timer thread for good (the VM is ending: it must not raise IRQ 0
 * once the vCPU threads are gone). The ports still answer. Idempotent.
 */
void i8254_stop(struct i8254 *pit);
/* Stopped, off the bus and freed; NULL is fine. */
void i8254_free(struct i8254 *pit);
/*
 * Snapshots (src/snapshot_state.h): the chip's registers. Load checks every field
 * and leaves the chip as it was on -EINVAL.
 */
struct state_writer;
struct state_reader;
/* Times are saved as ages (now minus start), so a restored counter goes on from its count. */
void i8254_save(struct i8254 *pit, struct state_writer *w);
int i8254_load(struct i8254 *pit, struct state_reader *r);
/* Power-on: every channel waits for a control word; channel 2's gate (port 0x61) is low. */
void i8254_reset(struct i8254 *pit);

#define I8254_NEVER UINT64_MAX

/*
 * What the timer thread does each time it wakes: pulse IRQ 0 once if
 * channel 0 is due at the clock's now, and return when it is due next
 * (ns on the same clock) or I8254_NEVER.
 */
uint64_t i8254_run_timer(struct i8254 *pit);

#endif
