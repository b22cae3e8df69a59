/* SPDX-License-Identifier: MIT */
/*
 * What the C guests in guest/riscv/ share about QEMU's virt board and the
 * SBI below them: the NS16550A UART at 0x1000_0000 (polled), the test
 * device at 0x10_0000, an SBI call, the time CSR, and the device tree's
 * big-endian numbers. Header-only (static inline): each guest is one
 * program with no library to link.
 */
#ifndef GUEST_RISCV_VIRT_H
#define GUEST_RISCV_VIRT_H

#include <stdint.h>

#define UART       ((volatile uint8_t *)0x10000000)
#define UART_LSR   5    /* line status register */
#define LSR_THRE   0x20 /* transmit holding register empty */
#define TEST_DEV   ((volatile uint32_t *)0x100000)
#define TEST_FAIL  0x3333 /* with the exit code in the upper 16 bits */
#define FDT_MAGIC  0xd00dfeedu

static inline void uart_putc(char c)
{
	while (!(UART[UART_LSR] & LSR_THRE))
		;
	UART[0] = (uint8_t)c;
}

static inline void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static inline void uart_put_hex(uint64_t v)
{
	uart_puts("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* End the machine: the test device's "fail with this code", the exit status minikvm returns. */
static inline __attribute__((noreturn)) void virt_exit(uint32_t code)
{
	*TEST_DEV = (code << 16) | TEST_FAIL;
	for (;;)
		__asm__ volatile("wfi");
}

/* An SBI call: extension in a7, function in a6, arguments in a0..a2; error in a0, value in a1. */
struct sbiret {
	long error, value;
};

static inline struct sbiret sbi_call(long ext, long fid, long arg0, long arg1, long arg2)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = arg1;
	register long a2 __asm__("a2") = arg2;
	register long a6 __asm__("a6") = fid;
	register long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
	return (struct sbiret){ a0, a1 };
}

/* The time CSR: ticks of the device tree's timebase-frequency (10 MHz on QEMU virt). */
static inline uint64_t read_time(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* The device tree is big-endian. */
static inline uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif
