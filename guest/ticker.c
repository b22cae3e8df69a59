/* SPDX-License-Identifier: MIT */
/*
 * ticker.elf — a long-mode guest that never ends by itself, for attaching,
 * interrupting, detaching and re-attaching a debugger while it runs.
 *
 * Run:    minikvm guest/ticker.elf
 * Prints: "tick 1\n", "tick 2\n", ... about ten a second on a fast host
 *         (fewer where guest code is emulated), forever.
 * Ends:   when a debugger sets `stop_requested` to a non-zero value, it prints
 *         "ticker: stop requested after N ticks\n" and exits with status 0;
 *         Ctrl-A x and signals end it like any guest.
 *
 * Symbols for gdb: tick_once() (called once per tick), delay(), the globals
 * `volatile unsigned long ticks` and `volatile int stop_requested`.
 */
#include <stdint.h>

#include "lib/console.h"
#include "lib/io.h"

volatile unsigned long ticks;
volatile int stop_requested;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}


/* About 0.1 s on a 2-3 GHz TSC; the guest just spins (no interrupts needed). */
void delay(void)
{
	uint64_t end = rdtsc() + (1ULL << 28);

	while (rdtsc() < end && !stop_requested)
		cpu_pause();
}

void tick_once(void)
{
	ticks++;
	kprintf("tick %lu\n", ticks);
}

void kmain(void)
{
	while (!stop_requested) {
		tick_once();
		delay();
	}
	kprintf("ticker: stop requested after %lu ticks\n", ticks);
	hc_exit(0);
}
