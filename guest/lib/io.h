/* SPDX-License-Identifier: MIT */
/*
 * Port I/O, the hypercall and a few privileged instructions as inline
 * functions for the C guests. Works in 32-bit and 64-bit code.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdint.h>

#include "machine.h"

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/*
 * One hypercall. unsigned long is the register width in both modes, so in
 * 32-bit code a result of -1 arrives as 0xffffffff, which compares equal to
 * (unsigned long)-1 all the same.
 */
static inline unsigned long hypercall(unsigned long nr, unsigned long arg0, unsigned long arg1)
{
	unsigned long ret;

	__asm__ volatile("outl %%eax, %%dx"
			 : "=a"(ret)
			 : "a"(nr), "b"(arg0), "c"(arg1), "d"(HYPERCALL_PORT)
			 : "memory");
	return ret;
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline unsigned long read_cr0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_cs(void)
{
	uint16_t v;

	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_ds(void)
{
	uint16_t v;

	__asm__ volatile("mov %%ds, %0" : "=r"(v));
	return v;
}

/* Stop this CPU for good: interrupts off, then hlt (a wake-up just halts again). */
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* End the VM through the hypercall port; the exit status is code & 0xff. */
static inline __attribute__((noreturn)) void hc_exit(unsigned code)
{
	hypercall(HC_EXIT, code, 0);
	halt_forever();
}

/* End the VM through isa-debug-exit; the exit status is (value << 1) | 1. */
static inline __attribute__((noreturn)) void debug_exit(uint8_t value)
{
	outb(DEBUG_EXIT_PORT, value);
	halt_forever();
}

#endif
