/* SPDX-License-Identifier: MIT */
/*
 * ckernel.elf — a freestanding C program in long mode, built to be debugged.
 *
 * ELF64 linked at 1 MiB (physical = virtual), compiled -O0 -g so that gdb
 * sees every local and argument where the source says they are. The gdb
 * integration tests rely on the names and values below; change them only
 * together with those tests.
 *
 * Run:    minikvm guest/ckernel.elf
 * Prints: "ckernel: hello from C in long mode\n"
 *         "ckernel: message=\"minikvm ckernel data\" checksum(pattern)=2016\n"
 *         "ckernel: compute(10)=295\n"
 *         "ckernel: point=(3,4) area=12\n"
 *         "ckernel: counter=55 sum=295\n"
 *         "mode: 0\n"
 *         "ckernel: done\n"
 * Exit status: 0 (hypercall EXIT)
 *
 * Call chain: _start (ckernel_start.S) -> kmain -> compute -> accumulate -> leaf.
 * A breakpoint on leaf and `bt` shows: leaf, accumulate, compute, kmain, _start.
 *
 * Functions (all global, none inlined at -O0):
 *   void kmain(void)                      entry from _start; never returns
 *   unsigned long compute(int n)          returns sum over i < n of leaf(i) = i*i + 1;
 *                                         compute(10) = 295 (local: total, i)
 *   unsigned long accumulate(unsigned long total, unsigned long i)
 *                                         returns total + leaf(i) (local: square)
 *   unsigned long leaf(unsigned long x)   returns x*x + 1 (local: result);
 *                                         first call leaf(0) = 1, last leaf(9) = 82
 *   struct point make_point(long x, long y)
 *                                         returns {x, y}; called as make_point(3, 4),
 *                                         so `finish` prints {x = 3, y = 4}
 *   long area(struct point p)             p.x * p.y = 12
 *   unsigned long checksum(const unsigned char *buf, unsigned long len)
 *                                         byte sum; checksum(pattern, 64) = 2016
 *   void count_up(int n)                  for (i = 1; i <= n; i++) counter += i;
 *                                         called with n = 10: counter goes
 *                                         1, 3, 6, 10, 15, 21, 28, 36, 45, 55
 *   unsigned long spin(unsigned long iterations)
 *                                         the long loop: called (with 100000) only
 *                                         when long_loop != 0; spin(100000) = 4999950000
 *                                         and prints "ckernel: spin=4999950000"
 *                                         before the "mode" line
 *   void report(void)                     prints the "mode:" line
 *
 * Globals:
 *   volatile unsigned long counter        0 at start (.bss), 55 after count_up(10)
 *   int mode                              0 (.bss); `set var mode = 42` before
 *                                         report() runs makes it print "mode: 42"
 *   volatile int long_loop                0 (.bss); set non-zero to run spin()
 *   unsigned long last_result             compute(10)'s result, 295, once stored
 *   const unsigned char pattern[64]       bytes 0x00, 0x01, ..., 0x3f
 *   char message[]                        "minikvm ckernel data" (21 bytes with NUL)
 */
#include <stdint.h>

#include "lib/console.h"
#include "lib/io.h"

#define LONG_LOOP_ITERATIONS 100000UL

struct point {
	long x;
	long y;
};

volatile unsigned long counter;
int mode;
volatile int long_loop;
unsigned long last_result;

const unsigned char pattern[64] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

char message[] = "minikvm ckernel data";

unsigned long leaf(unsigned long x)
{
	unsigned long result = x * x + 1;

	return result;
}

unsigned long accumulate(unsigned long total, unsigned long i)
{
	unsigned long square = leaf(i);

	return total + square;
}

unsigned long compute(int n)
{
	unsigned long total = 0;

	for (int i = 0; i < n; i++)
		total = accumulate(total, (unsigned long)i);
	return total;
}

struct point make_point(long x, long y)
{
	struct point p;

	p.x = x;
	p.y = y;
	return p;
}

long area(struct point p)
{
	return p.x * p.y;
}

unsigned long checksum(const unsigned char *buf, unsigned long len)
{
	unsigned long sum = 0;

	for (unsigned long i = 0; i < len; i++)
		sum += buf[i];
	return sum;
}

void count_up(int n)
{
	for (int i = 1; i <= n; i++)
		counter += i;
}

unsigned long spin(unsigned long iterations)
{
	unsigned long acc = 0;

	for (unsigned long i = 0; i < iterations; i++)
		acc += i;
	return acc;
}

void report(void)
{
	kprintf("mode: %d\n", mode);
}

void kmain(void)
{
	unsigned long sum;
	struct point p;

	kprintf("ckernel: hello from C in long mode\n");
	kprintf("ckernel: message=\"%s\" checksum(pattern)=%lu\n", message,
		checksum(pattern, sizeof(pattern)));

	sum = compute(10);
	last_result = sum;
	kprintf("ckernel: compute(10)=%lu\n", sum);

	p = make_point(3, 4);
	kprintf("ckernel: point=(%ld,%ld) area=%ld\n", p.x, p.y, area(p));

	count_up(10);
	kprintf("ckernel: counter=%lu sum=%lu\n", counter, sum);

	if (long_loop)
		kprintf("ckernel: spin=%lu\n", spin(LONG_LOOP_ITERATIONS));

	report();
	kprintf("ckernel: done\n");
	hc_exit(0);
}
