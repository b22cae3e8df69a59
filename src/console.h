/* SPDX-License-Identifier: MIT */
/*
 * The host side of the guest's console: where serial output goes and where
 * serial input comes from. Devices (the UART, the hypercall port) talk to it;
 * the event-loop thread feeds it input and flushes its output.
 *
 * Output is batched: vCPU threads append to a buffer and the event loop
 * writes it out, so a guest printing a lot costs one write(2) per batch, not
 * per character. The first byte of a batch wakes the event loop (notify_fd),
 * which flushes after a short coalescing window (CONSOLE_FLUSH_USEC), so
 * interactive echo still appears at once to a human. A full buffer is
 * flushed by the writer itself.
 *
 * Input: when stdin is a terminal it is put in raw mode (so Ctrl-C reaches
 * the guest); Ctrl-A x quits the VMM, Ctrl-A Ctrl-A sends a literal Ctrl-A.
 * The terminal is restored by console_close() and by an atexit() handler.
 */
#ifndef MINIKVM_CONSOLE_H
#define MINIKVM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "options.h"

#define CONSOLE_OUT_SIZE   65536
#define CONSOLE_IN_SIZE    4096
#define CONSOLE_FLUSH_USEC 1000

struct console {
	pthread_mutex_t lock;
	int in_fd;        /* -1: no input */
	int out_fd;       /* -1: output discarded */
	bool out_owned;   /* out_fd was opened by us (file:PATH) */
	bool raw;         /* terminal switched to raw mode */
	struct termios saved;
	int notify_fd;    /* eventfd: output pending (event loop polls it) */

	uint8_t out[CONSOLE_OUT_SIZE];
	size_t out_len;

	uint8_t in[CONSOLE_IN_SIZE]; /* ring */
	size_t in_head, in_len;
	bool in_eof;      /* input fd reached end of file */
	bool escape;      /* last input byte was Ctrl-A */

	/* Called (without the lock held) after new input was queued: the UART raises its IRQ. */
	void (*input_cb)(void *ctx);
	void *input_ctx;
};

/* Open per --serial; stdio input is a terminal -> raw mode. -1 with err_set(). */
int console_open(struct console *con, enum serial_mode mode, const char *path);
/* Flush, restore the terminal, close what we opened. Safe to call twice. */
void console_close(struct console *con);

/* vCPU side. */
void console_putc(struct console *con, uint8_t c);
/* Next input byte, CONSOLE_NO_INPUT when none yet, CONSOLE_EOF after end of input. */
#define CONSOLE_NO_INPUT (-1)
#define CONSOLE_EOF      (-2)
int console_getc(struct console *con);
bool console_input_pending(struct console *con);

/* Event-loop side. */
void console_flush(struct console *con);
/* Read what is available on in_fd. Returns 1 if the user typed Ctrl-A x, else 0. */
int console_read_input(struct console *con);
/* Drain notify_fd (call when poll says it is readable). */
void console_clear_notify(struct console *con);

#endif
