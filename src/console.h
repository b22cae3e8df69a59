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
 * flushed by the writer itself, in its own thread. Bytes are written as the
 * guest sent them; on a terminal the output post-processing (OPOST|ONLCR) is
 * left on so a guest that prints a bare "\n" still starts a new line.
 * A write error drops the batch and never stops the VMM (a closed pipe marks
 * the output dead and later output is discarded; SIGPIPE is ignored).
 *
 * Input: when stdin is a terminal it is put in raw mode (so Ctrl-C reaches
 * the guest); Ctrl-A x quits the VMM, Ctrl-A Ctrl-A sends a literal Ctrl-A,
 * Ctrl-A followed by anything else sends both bytes. When stdin is a pipe or
 * a file there are no escapes: bytes pass through unmodified, and end of
 * file is reported to the guest as CONSOLE_EOF once the buffer drains.
 * The terminal is restored by console_close() and by an atexit() handler.
 *
 * What the event loop does (the contract with vm.c):
 *   - poll notify_fd for POLLIN. When it is readable, console_clear_notify()
 *     first, then (after about CONSOLE_FLUSH_USEC, to coalesce a burst)
 *     console_flush(). In that order no wake-up is lost: a byte appended
 *     after the flush finds the buffer empty and writes notify_fd again.
 *   - at the top of every iteration, if console_wants_input(), poll in_fd
 *     for POLLIN and, on any revents (POLLIN, POLLHUP, POLLERR, POLLNVAL),
 *     call console_read_input(); 1 means the user asked to quit.
 *     console_wants_input() is false after end of input and, for a pipe
 *     or file, while the input buffer is full (the bytes wait in the
 *     kernel, which gives the writer back-pressure), so poll never spins.
 *     When the guest frees space in a full buffer, console_getc() writes
 *     notify_fd, which wakes the loop so that it asks again. A terminal is
 *     always read, so Ctrl-A x works even when the guest reads nothing:
 *     keystrokes that find the buffer full are dropped (a UART overrun).
 *   - console_close() at the end (it flushes what is left).
 *
 * Locking: one mutex per console. Devices may call putc/getc while holding
 * their own lock (device lock, then console lock; never the other way:
 * input_cb is called without the console lock).
 */
#ifndef MINIKVM_CONSOLE_H
#define MINIKVM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define CONSOLE_OUT_SIZE   65536
#define CONSOLE_IN_SIZE    4096
#define CONSOLE_FLUSH_USEC 1000

#define CONSOLE_ESCAPE     0x01 /* Ctrl-A */

struct console {
	pthread_mutex_t lock;
	bool open;        /* between console_open*() and console_close() */
	int in_fd;        /* -1: no input */
	int out_fd;       /* -1: output discarded */
	bool out_owned;   /* out_fd was opened by us (file:PATH) */
	bool out_dead;    /* a write failed for good (e.g. EPIPE): discard from now on */
	bool raw;         /* input is a raw-mode terminal: Ctrl-A escapes apply */
	int notify_fd;    /* eventfd: output pending / input space freed */

	uint8_t out[CONSOLE_OUT_SIZE];
	size_t out_len;

	uint8_t in[CONSOLE_IN_SIZE]; /* ring */
	size_t in_head, in_len;
	bool in_eof;      /* input fd reached end of file (or there is no input) */
	bool escape;      /* last input byte was Ctrl-A */

	/*
	 * Called (without the console lock held) after new input was queued:
	 * the UART re-evaluates its IRQ. console_open*() leaves these two
	 * fields alone, so a device may set them before or after.
	 */
	void (*input_cb)(void *ctx);
	void *input_ctx;
};

/*
 * Open per --serial: stdio (stdin is a terminal -> raw mode), none (output
 * discarded, no input) or file:PATH (output to PATH, no input).
 * -1 with err_set(): EXIT_USAGE for an unwritable file, EXIT_HOST otherwise.
 */
int console_open(struct console *con, enum serial_mode mode, const char *path);
/*
 * Open on descriptors the caller owns (-1 for none); no terminal handling,
 * raw stays false. For tests and embedders. -1 with err_set().
 */
int console_open_fds(struct console *con, int in_fd, int out_fd);
/* Flush, restore the terminal, close what we opened. Safe to call twice. */
void console_close(struct console *con);

/* vCPU side. */
void console_putc(struct console *con, uint8_t c);
void console_write(struct console *con, const void *buf, size_t len);
/* Next input byte, CONSOLE_NO_INPUT when none yet, CONSOLE_EOF after end of input. */
#define CONSOLE_NO_INPUT (-1)
#define CONSOLE_EOF      (-2)
int console_getc(struct console *con);
bool console_input_pending(struct console *con);

/* Event-loop side. */
void console_flush(struct console *con);
/* Should the loop poll in_fd now? False: no input, end of input, or buffer full. */
bool console_wants_input(struct console *con);
/* The input buffer has no room for another byte. */
bool console_input_full(struct console *con);
/* Read what is available on in_fd (one read). Returns 1 if the user typed Ctrl-A x, else 0. */
int console_read_input(struct console *con);
/* Drain notify_fd: call when poll says it is readable, before console_flush(). */
void console_clear_notify(struct console *con);

#endif
