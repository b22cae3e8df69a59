/* SPDX-License-Identifier: MIT */
#include "console.h"

#include "io.h"

void console_putc(char c)
{
	while (!(inb(COM1_LSR) & UART_LSR_THRE))
		cpu_pause();
	outb(COM1_THR, (uint8_t)c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}
