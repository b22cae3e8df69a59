// SPDX-License-Identifier: MIT
/*
 * smp.elf — bring up every hart of QEMU's virt board the way a RISC-V
 * operating system does (the counterpart of guest/smp.c on x86):
 *   1. find the harts in the device tree the VMM handed over in a1: a small
 *      walker over its structure block (devicetree specification, chapter 5,
 *      "Flattened Devicetree (DTB) Format") takes /cpus's
 *      timebase-frequency and the reg (hart id) of each cpu@N child whose
 *      status is "okay" or absent. The device tree rather than probing with
 *      HSM hart_get_status: it is the source a kernel trusts, and the walk
 *      is a page of code;
 *   2. start every other hart with SBI HSM hart_start (extension "HSM",
 *      function 0; KVM serves it in the kernel) at smp_secondary_entry
 *      (smp_secondary.S), each with its own 4 KiB stack;
 *   3. each hart prints its line under a spinlock (amoswap.w.aq to take
 *      it, amoswap.w.rl to give it back), notes the hart id it arrived as
 *      and counts itself into a barrier (amoadd.w.aqrl); the boot hart
 *      waits for all of them, with a 10 s timeout read from the time CSR
 *      (an emulated host is slow, so generous), then checks that each hart
 *      arrived as the hart it started.
 *
 * The boot hart enters through start.S (stack, .bss) at kmain with a0 =
 * its hart id and a1 = the device tree, as minikvm-riscv64 starts vCPU 0;
 * the other harts are stopped until hart_start.
 *
 * Run:    minikvm-riscv64 -c 4 guest/riscv/smp.elf
 * Prints: "smp: hart N up\n" once for every hart N, the boot hart's first,
 *         the others in whatever order they win the lock;
 *         "smp: 4 harts met\n"
 * Exit status (the test device): 0x20 + the number of harts (0x24 for
 * -c 4). On failure a line "smp: FAIL: ..." and: 0x10 the device tree is
 * missing, malformed or lists no usable harts (or more than 64, or not the
 * boot hart); 0x11 hart_start returned an error; 0x12 not all harts
 * arrived within 10 s; 0x13 a hart arrived with another hart id in a0.
 * Built with -g: gdb-multiarch guest/riscv/smp.elf has its symbols.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virt.h"

#define MAX_HARTS     64 /* minikvm's -c limit */
#define STACK_SIZE    4096
#define TIMEOUT_SEC   10
#define DEFAULT_HZ    10000000 /* QEMU virt's timebase, if /cpus does not say */

#define EXIT_MET_BASE 0x20
#define EXIT_BAD_FDT  0x10
#define EXIT_HSM      0x11
#define EXIT_TIMEOUT  0x12
#define EXIT_WRONG_ID 0x13

#define SBI_EXT_HSM        0x48534D /* "HSM" */
#define SBI_HSM_HART_START 0

/* One per hart, in device-tree order. smp_secondary.S loads sp from stack_top: keep it first. */
struct hart {
	uint64_t stack_top;
	uint64_t id;                  /* the hart id the device tree gives it */
	volatile uint64_t arrived_as; /* 0 until it arrives; then the a0 it arrived with, + 1 */
};

static struct hart harts[MAX_HARTS];
static unsigned nharts;
static uint64_t timebase_hz;
static uint8_t stacks[MAX_HARTS][STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t uart_lock;
static volatile uint32_t arrived;

extern void smp_secondary_entry(void);

/* ---- The device tree: /cpus and its cpu@N children. ---- */

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

/* s (which may run to limit, unterminated) is want, its NUL included. */
static bool str_is(const char *s, const char *limit, const char *want)
{
	do {
		if (s >= limit || *s != *want)
			return false;
		s++;
	} while (*want++);
	return true;
}

static bool str_starts(const char *s, const char *limit, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (s >= limit || *s != *prefix)
			return false;
	return true;
}

/* Where the name at s ends, rounded up to the next token: NULL if not terminated before limit. */
static const uint8_t *past_name(const uint8_t *s, const uint8_t *limit)
{
	const uint8_t *p = s;

	while (p < limit && *p)
		p++;
	if (p >= limit)
		return NULL;
	return s + (((uintptr_t)(p - s) + 1 + 3) & ~(uintptr_t)3);
}

/* A cpu@N node as the walk reads it: added at its end if it has a reg and is not disabled. */
struct cpu_node {
	bool open, has_reg, usable;
	uint32_t reg;
};

static const char *cpu_node_close(struct cpu_node *cpu)
{
	cpu->open = false;
	if (!cpu->has_reg || !cpu->usable)
		return NULL;
	if (nharts == MAX_HARTS)
		return "more than 64 harts";
	harts[nharts].id = cpu->reg;
	harts[nharts].stack_top = (uintptr_t)stacks[nharts] + STACK_SIZE;
	nharts++;
	return NULL;
}

/*
 * Fill harts[] and timebase_hz from the device tree. Returns NULL, or what
 * is wrong with it: the walk checks every offset against the blob's size.
 */
static const char *fdt_find_harts(const uint8_t *fdt)
{
	struct cpu_node cpu = { 0 };
	const uint8_t *p, *end;
	const char *strings, *strings_end, *err;
	uint32_t total, off_struct, off_strings, size_struct, size_strings;
	int depth = 0;
	bool in_cpus = false;

	if (!fdt || be32(fdt) != FDT_MAGIC)
		return "no device tree in a1";
	total = be32(fdt + 4);
	off_struct = be32(fdt + 8);
	off_strings = be32(fdt + 12);
	size_strings = be32(fdt + 32);
	size_struct = be32(fdt + 36);
	if (off_struct > total || size_struct > total - off_struct || off_strings > total ||
	    size_strings > total - off_strings)
		return "device tree blocks outside its size";
	p = fdt + off_struct;
	end = p + size_struct;
	strings = (const char *)fdt + off_strings;
	strings_end = strings + size_strings;
	timebase_hz = DEFAULT_HZ;

	while (p + 4 <= end) {
		uint32_t token = be32(p);
		const char *name;
		uint32_t len;

		p += 4;
		switch (token) {
		case FDT_BEGIN_NODE:
			name = (const char *)p;
			p = past_name(p, end);
			if (!p)
				return "unterminated node name";
			depth++;
			/* The root is depth 1, /cpus depth 2, /cpus/cpu@N depth 3. */
			if (depth == 2)
				in_cpus = str_is(name, (const char *)end, "cpus");
			else if (depth == 3 && in_cpus && str_starts(name, (const char *)end, "cpu@"))
				cpu = (struct cpu_node){ .open = true, .usable = true };
			break;
		case FDT_PROP:
			if (end - p < 8)
				return "truncated property";
			len = be32(p);
			name = strings + be32(p + 4);
			p += 8;
			if ((uintptr_t)(end - p) < len || name < strings || name >= strings_end)
				return "property outside the device tree";
			if (depth == 2 && in_cpus && len == 4 &&
			    str_is(name, strings_end, "timebase-frequency"))
				timebase_hz = be32(p);
			if (depth == 3 && cpu.open && len == 4 && str_is(name, strings_end, "reg")) {
				cpu.reg = be32(p);
				cpu.has_reg = true;
			}
			if (depth == 3 && cpu.open && str_is(name, strings_end, "status"))
				cpu.usable = str_is((const char *)p, (const char *)p + len, "okay") ||
					     str_is((const char *)p, (const char *)p + len, "ok");
			p += (len + 3) & ~3u;
			break;
		case FDT_END_NODE:
			if (depth == 3 && cpu.open && (err = cpu_node_close(&cpu)))
				return err;
			if (depth == 2)
				in_cpus = false;
			if (--depth < 0)
				return "unbalanced nodes";
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return nharts ? NULL : "no cpu@N nodes under /cpus";
		default:
			return "unknown token in the structure block";
		}
	}
	return "no end token";
}

/* ---- The UART lock and the barrier. ---- */

static void spin_lock(volatile uint32_t *lock)
{
	uint32_t old;

	for (;;) {
		/* Acquire: what the last holder wrote is seen once we own it. */
		__asm__ volatile("amoswap.w.aq %0, %2, %1" : "=r"(old), "+A"(*lock) : "r"(1) : "memory");
		if (old == 0)
			return;
		while (*lock)
			;
	}
}

static void spin_unlock(volatile uint32_t *lock)
{
	/* Release: everything written under the lock is seen before it is free. */
	__asm__ volatile("amoswap.w.rl zero, zero, %0" : "+A"(*lock) : : "memory");
}

/* Add one, ordered after this hart's earlier writes and before its later reads; the old value. */
static uint32_t atomic_inc(volatile uint32_t *counter)
{
	uint32_t old;

	__asm__ volatile("amoadd.w.aqrl %0, %2, %1" : "=r"(old), "+A"(*counter) : "r"(1) : "memory");
	return old;
}

static void put_dec(uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		uart_putc(digits[--n]);
}

/* "smp: hart N up", then count this hart into the barrier. */
static void arrive(struct hart *self, unsigned long hartid)
{
	spin_lock(&uart_lock);
	uart_puts("smp: hart ");
	put_dec(hartid);
	uart_puts(" up\n");
	spin_unlock(&uart_lock);
	self->arrived_as = hartid + 1;
	atomic_inc(&arrived);
}

/* A failure line: fail_begin(), what went wrong in pieces, fail_end(exit code). */
static void fail_begin(void)
{
	spin_lock(&uart_lock); /* held to the end: no other line after this one */
	uart_puts("smp: FAIL: ");
}

static __attribute__((noreturn)) void fail_end(uint32_t code)
{
	uart_putc('\n');
	virt_exit(code);
}

static __attribute__((noreturn)) void fail_hart(uint32_t code, const char *what, uint64_t hartid)
{
	fail_begin();
	uart_puts(what);
	uart_puts(", hart ");
	put_dec(hartid);
	fail_end(code);
}

static __attribute__((noreturn)) void fail_hart_start(uint64_t hartid, long error)
{
	fail_begin();
	uart_puts("SBI HSM hart_start of hart ");
	put_dec(hartid);
	uart_puts(" returned error -");
	put_dec((uint64_t)-error);
	fail_end(EXIT_HSM);
}

static __attribute__((noreturn)) void fail_timeout(void)
{
	fail_begin();
	put_dec(arrived);
	uart_puts(" of ");
	put_dec(nharts);
	uart_puts(" harts arrived within ");
	put_dec(TIMEOUT_SEC);
	uart_puts(" s; missing:");
	for (unsigned i = 0; i < nharts; i++) {
		if (!harts[i].arrived_as) {
			uart_puts(" hart ");
			put_dec(harts[i].id);
		}
	}
	fail_end(EXIT_TIMEOUT);
}

/* Every hart the boot hart started comes here, on its own stack (smp_secondary.S). */
void smp_secondary_main(unsigned long hartid, struct hart *self)
{
	arrive(self, hartid);
	/* The barrier: nharts was written before this hart was started. */
	while (arrived < nharts)
		;
	/* Then it parks in smp_secondary.S while the boot hart ends the machine. */
}

/* The boot hart, from start.S. */
void kmain(unsigned long hartid, const void *fdt)
{
	const char *err = fdt_find_harts(fdt);
	struct hart *boot = NULL;
	uint64_t deadline;

	if (err) {
		fail_begin();
		uart_puts(err);
		fail_end(EXIT_BAD_FDT);
	}
	for (unsigned i = 0; i < nharts; i++)
		if (harts[i].id == hartid)
			boot = &harts[i];
	if (!boot)
		fail_hart(EXIT_BAD_FDT, "the device tree does not list the boot hart", hartid);
	arrive(boot, hartid);

	/* harts[] and nharts are in memory before any other hart can look. */
	__asm__ volatile("fence rw, rw" : : : "memory");
	for (unsigned i = 0; i < nharts; i++) {
		struct sbiret r;

		if (&harts[i] == boot)
			continue;
		r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)harts[i].id,
			     (long)(uintptr_t)smp_secondary_entry, (long)(uintptr_t)&harts[i]);
		if (r.error)
			fail_hart_start(harts[i].id, r.error);
	}

	deadline = read_time() + TIMEOUT_SEC * timebase_hz;
	while (arrived < nharts)
		if (read_time() > deadline)
			fail_timeout();
	/* Acquire: the arrived_as each hart wrote before its amoadd. */
	__asm__ volatile("fence r, rw" : : : "memory");
	for (unsigned i = 0; i < nharts; i++)
		if (harts[i].arrived_as != harts[i].id + 1)
			fail_hart(EXIT_WRONG_ID, "arrived with another hart id in a0", harts[i].id);

	spin_lock(&uart_lock);
	uart_puts("smp: ");
	put_dec(nharts);
	uart_puts(" harts met\n");
	virt_exit(EXIT_MET_BASE + nharts);
}
