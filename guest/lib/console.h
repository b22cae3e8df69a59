/* SPDX-License-Identifier: MIT */
/* Output on COM1 and a small printf, shared by the C guests (guest/lib/). */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

/* Write one byte to COM1, polling the line status register first. */
void console_putc(char c);
void console_puts(const char *s);

/*
 * printf for guests. Conversions: %d %i %u %x %X %p %s %c %%, with the
 * length modifiers hh h l ll z, the flags '0' and '-', and a field width.
 * 64-bit values work in 32-bit code too (no libgcc needed). Returns the
 * number of characters written.
 */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* The compiler may emit calls to these even in freestanding code. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
