/* SPDX-License-Identifier: MIT */
/*
 * loop.elf — the gdb benchmark guest (scripts/bench.py, rows 4 to 6).
 *
 * An ELF64 booted through its PVH entry (guest/bench/pvh_start.S switches to
 * long mode), built with -O0 -g so that gdb has every line and variable.
 * scripts/bench.py finds the lines it needs by the "BENCH:" tags below.
 *
 * In order:
 *   1. fill():  16 MiB at dump_area (0x1000000, 16 MiB) with a pattern that has
 *      no runs of one hex digit (so no stub can shrink a memory read by run-length encoding);
 *      the harness reads or dumps exactly this range.
 *   2. bench_ready(): an empty function, the harness's hardware breakpoint.
 *   3. f(i) called CALLS (100 000) times: `break f if i == 99999`.
 *   4. one C statement (a one-line loop) of about 100 000 instructions: `next`.
 *   5. a forever loop that increments counter: `stepi 10000`, breakpoint
 *      cycles, Ctrl-C, single steps; the memory benchmark lets it run.
 * Serial output: "loop: ready", "loop: calls done", "loop: spinning".
 *
 * Run: minikvm -S guest/bench/loop.elf; gdb guest/bench/loop.elf -ex "target remote :1234"
 */
#include <stdint.h>

#include "lib/console.h"

#define CALLS 100000
#define DUMP_AREA 0x1000000UL
#define DUMP_SIZE (16UL << 20)

volatile uint64_t counter;   /* the global counter */
volatile uint64_t sum;       /* what f() and the long statement add up */
volatile uint64_t calls_done;

/*
 * One `rep stosq` of a pattern whose hex digits never repeat side by side. A
 * loop of 2 M stores would take seconds on a host whose KVM emulates guest
 * instructions one by one; a string instruction is one instruction there.
 */
static void fill(void)
{
	uint64_t dst = DUMP_AREA, n = DUMP_SIZE / 8;

	__asm__ volatile("rep stosq"
			 : "+D"(dst), "+c"(n)
			 : "a"(0x0123456789abcdefULL)
			 : "memory");
}

void bench_ready(void)
{
	__asm__ volatile("" ::: "memory");
}

void f(int i)
{
	sum += (uint64_t)i;  /* BENCH:f-body */
}

int main(void)
{
	uint64_t j;

	fill();
	console_puts("loop: ready\n");
	bench_ready();
	for (int i = 0; i < CALLS; i++)
		f(i);  /* BENCH:call */
	calls_done = 1;
	console_puts("loop: calls done\n");
	for (j = 0; j < 14286; j++) sum += j;  /* BENCH:next: 7 instructions x 14 286 = 100 002 */
	console_puts("loop: spinning\n");  /* BENCH:after-next */
	for (;;)
		counter++;  /* BENCH:spin */
}
