// SPDX-License-Identifier: MIT
/*
 * ticker.elf — a RISC-V guest that never ends by itself (the counterpart
 * of guest/ticker.c), for attaching, interrupting, detaching and
 * re-attaching a debugger while it runs.
 *
 * Run:    minikvm-riscv64 guest/riscv/ticker.elf
 * Prints: "tick 1\n", "tick 2\n", ... about ten a second (the time CSR at
 *         QEMU virt's 10 MHz, which KVM's timebase is on the hosts we test;
 *         elsewhere faster or slower), forever; it spins, no interrupts.
 * Ends:   when a debugger sets `stop_requested` to a non-zero value, it prints
 *         "ticker: stop requested after N ticks\n" and exits with code 0x2a.
 *
 * Symbols for gdb: tick_once() (called once per tick), delay(), the globals
 * `volatile unsigned long ticks` and `volatile int stop_requested`; and
 * count_lrsc(), an lr/sc loop (a debugger must step it as a whole), which
 * each tick runs on `lrsc_count`.
 */
#include <stdint.h>

#include "virt.h"

#define DELAY_CYCLES 1000000 /* 0.1 s at 10 MHz */

volatile unsigned long ticks;
volatile int stop_requested;
volatile uint32_t lrsc_count;

/* Atomically add 1 to *p with lr.w/sc.w, retrying while the sc fails. */
void __attribute__((noinline)) count_lrsc(volatile uint32_t *p)
{
	uint32_t old, fail;

	__asm__ volatile("1:	lr.w	%0, (%2)\n"
			 "	addiw	%1, %0, 1\n"
			 "	sc.w	%1, %1, (%2)\n"
			 "	bnez	%1, 1b\n"
			 : "=&r"(old), "=&r"(fail)
			 : "r"(p)
			 : "memory");
}

static void put_dec(unsigned long v)
{
	char buf[24];
	int n = 0;

	do
		buf[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		uart_putc(buf[--n]);
}

void delay(void)
{
	uint64_t end = read_time() + DELAY_CYCLES;

	while (read_time() < end && !stop_requested)
		;
}

void tick_once(void)
{
	ticks++;
	count_lrsc(&lrsc_count);
	uart_puts("tick ");
	put_dec(ticks);
	uart_puts("\n");
}

void kmain(unsigned long hartid, const void *fdt)
{
	(void)hartid;
	(void)fdt;
	while (!stop_requested) {
		tick_once();
		delay();
	}
	uart_puts("ticker: stop requested after ");
	put_dec(ticks);
	uart_puts(" ticks\n");
	virt_exit(0x2a);
}
