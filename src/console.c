/* SPDX-License-Identifier: MIT */
/*
 * The guest console (see console.h for the contract with devices and with
 * the event loop): an output buffer flushed in batches, an input ring fed
 * from stdin, raw terminal mode and the Ctrl-A escapes.
 */
#include "console.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

/*
 * The terminal settings to put back. Static rather than in struct console
 * because the atexit() handler has no argument to find a console with, and
 * a process has only one controlling terminal anyway.
 */
static struct termios saved_tty;
static int saved_tty_fd = -1;
static bool atexit_registered;

static void restore_terminal(void)
{
	if (saved_tty_fd < 0)
		return;
	/* TCSADRAIN: let queued guest output reach the screen first. */
	tcsetattr(saved_tty_fd, TCSADRAIN, &saved_tty);
	saved_tty_fd = -1;
}

/*
 * Raw input, so Ctrl-C, Ctrl-Z and friends go to the guest instead of
 * signalling us, and keys arrive one at a time without local echo. Output
 * post-processing stays on: ONLCR turns a guest's bare "\n" into "\r\n",
 * and guests that already send "\r\n" look the same either way.
 */
static int enter_raw_mode(int fd)
{
	struct termios raw;

	if (tcgetattr(fd, &saved_tty) < 0)
		return -1;
	if (!atexit_registered) {
		/* Every exit path, including exit() from main after an error. */
		atexit(restore_terminal);
		atexit_registered = true;
	}
	raw = saved_tty;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -1;
	saved_tty_fd = fd;
	return 0;
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	/*
	 * A reader that goes away (minikvm ... | head) must not kill the VMM:
	 * with SIGPIPE ignored, write() fails with EPIPE and the output is
	 * marked dead. Leave a handler someone else installed alone.
	 */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static int console_init(struct console *con, int in_fd, int out_fd, bool out_owned)
{
	int notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (notify_fd < 0)
		return err_set(EXIT_HOST, "console: eventfd failed: %s", strerror(errno));
	ignore_sigpipe();
	pthread_mutex_init(&con->lock, NULL);
	con->open = true;
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	con->out_owned = out_owned;
	con->out_dead = false;
	con->raw = false;
	con->notify_fd = notify_fd;
	con->out_len = 0;
	con->in_head = con->in_len = 0;
	/* No input source at all reads as an input that has already ended. */
	con->in_eof = in_fd < 0;
	con->escape = false;
	return 0;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

int console_open(struct console *con, enum serial_mode mode, const char *path)
{
	int fd, in_fd, out_fd;

	switch (mode) {
	case SERIAL_NONE:
		return console_init(con, -1, -1, false);
	case SERIAL_FILE:
		if (!path || !*path)
			return err_set(EXIT_USAGE, "serial output file name is empty");
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return err_set(EXIT_USAGE, "cannot open serial output file '%s': %s", path,
				       strerror(errno));
		if (console_init(con, -1, fd, true) < 0) {
			close(fd);
			return -1;
		}
		return 0;
	case SERIAL_STDERR:
		/* gdb --gdb stdio owns stdin/stdout: the guest's console is output-only, on stderr. */
		return console_init(con, -1, fd_is_open(STDERR_FILENO) ? STDERR_FILENO : -1, false);
	case SERIAL_STDIO:
		/* A closed stdin or stdout (minikvm <&-) means no input / no output, not a crash. */
		in_fd = fd_is_open(STDIN_FILENO) ? STDIN_FILENO : -1;
		out_fd = fd_is_open(STDOUT_FILENO) ? STDOUT_FILENO : -1;
		if (console_init(con, in_fd, out_fd, false) < 0)
			return -1;
		/* A terminal we cannot switch to raw mode still works, just cooked. */
		if (in_fd >= 0 && isatty(in_fd) && enter_raw_mode(in_fd) == 0)
			con->raw = true;
		return 0;
	}
	return err_set(EXIT_USAGE, "unknown serial mode %d", (int)mode);
}

int console_open_fds(struct console *con, int in_fd, int out_fd)
{
	return console_init(con, in_fd, out_fd, false);
}

/* Write out the whole buffer; lock held. Errors drop the batch, never the VMM. */
static void write_out(struct console *con)
{
	size_t done = 0;

	while (done < con->out_len && con->out_fd >= 0 && !con->out_dead) {
		ssize_t n = write(con->out_fd, con->out + done, con->out_len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The reader is gone for good: stop paying a syscall per batch. */
		if (n < 0 && (errno == EPIPE || errno == EBADF))
			con->out_dead = true;
		/* EAGAIN (a non-blocking fd that is full), ENOSPC, EIO: drop this batch. */
		break;
	}
	con->out_len = 0;
}

static void notify(struct console *con)
{
	uint64_t one = 1;

	/* Non-blocking eventfd: this cannot fail short of counter overflow. */
	if (write(con->notify_fd, &one, sizeof(one)) < 0) {
		/* nothing to do: the loop is awake anyway */
	}
}

void console_write(struct console *con, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	bool batch_started = false;

	if (!len)
		return;
	pthread_mutex_lock(&con->lock);
	if (!con->open || con->out_fd < 0 || con->out_dead) {
		pthread_mutex_unlock(&con->lock);
		return;
	}
	while (len) {
		size_t n = CONSOLE_OUT_SIZE - con->out_len;

		if (n > len)
			n = len;
		if (con->out_len == 0)
			batch_started = true;
		memcpy(con->out + con->out_len, p, n);
		con->out_len += n;
		p += n;
		len -= n;
		if (con->out_len == CONSOLE_OUT_SIZE) {
			/* Full: the writer pays for the write, in its own thread. */
			write_out(con);
			batch_started = false;
		}
	}
	/* One wake-up per batch: only the byte that starts one notifies. */
	if (batch_started)
		notify(con);
	pthread_mutex_unlock(&con->lock);
}

void console_putc(struct console *con, uint8_t c)
{
	console_write(con, &c, 1);
}

void console_flush(struct console *con)
{
	pthread_mutex_lock(&con->lock);
	if (con->open)
		write_out(con);
	pthread_mutex_unlock(&con->lock);
}

void console_clear_notify(struct console *con)
{
	uint64_t v;

	if (con->open && read(con->notify_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already drained */
	}
}

/* Bytes the ring can still take; lock held. */
static size_t input_room(const struct console *con)
{
	size_t room = CONSOLE_IN_SIZE - con->in_len;

	/* A pending Ctrl-A followed by an ordinary byte becomes two bytes. */
	if (con->escape && room > 0)
		room--;
	return room;
}

bool console_input_full(struct console *con)
{
	bool full;

	pthread_mutex_lock(&con->lock);
	full = input_room(con) == 0;
	pthread_mutex_unlock(&con->lock);
	return full;
}

bool console_wants_input(struct console *con)
{
	bool wants;

	pthread_mutex_lock(&con->lock);
	wants = con->open && con->in_fd >= 0 && !con->in_eof &&
		(con->raw || input_room(con) > 0);
	pthread_mutex_unlock(&con->lock);
	return wants;
}

/* Queue one byte; lock held. Only a terminal can overfill (see console.h): drop. */
static bool in_push(struct console *con, uint8_t c)
{
	if (con->in_len == CONSOLE_IN_SIZE)
		return false;
	con->in[(con->in_head + con->in_len) % CONSOLE_IN_SIZE] = c;
	con->in_len++;
	return true;
}

int console_read_input(struct console *con)
{
	uint8_t buf[CONSOLE_IN_SIZE];
	size_t want;
	ssize_t n;
	int quit = 0;
	bool queued = false;

	pthread_mutex_lock(&con->lock);
	if (!con->open || con->in_fd < 0 || con->in_eof) {
		pthread_mutex_unlock(&con->lock);
		return 0;
	}
	/*
	 * A pipe gives back-pressure: take no more than fits (with escapes off,
	 * one byte in is one byte queued). A terminal is always read so that
	 * the escape keys work; see in_push().
	 */
	want = con->raw ? sizeof(buf) : input_room(con);
	pthread_mutex_unlock(&con->lock);
	if (!want)
		return 0;

	/*
	 * Read without the lock: a vCPU in console_getc() must never wait on
	 * our read(). Only this thread adds input, so the room can only grow.
	 */
	n = read(con->in_fd, buf, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;

	pthread_mutex_lock(&con->lock);
	if (n <= 0) {
		/* 0: end of file. EIO (terminal hung up), EBADF, ...: input is over too. */
		con->in_eof = true;
		pthread_mutex_unlock(&con->lock);
		return 0;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t c = buf[i];

		if (!con->raw) {
			queued |= in_push(con, c);
		} else if (con->escape) {
			con->escape = false;
			if (c == 'x') {
				/* Quitting: what follows in this read goes nowhere. */
				quit = 1;
				break;
			}
			if (c != CONSOLE_ESCAPE)
				queued |= in_push(con, CONSOLE_ESCAPE);
			queued |= in_push(con, c);
		} else if (c == CONSOLE_ESCAPE) {
			con->escape = true;
		} else {
			queued |= in_push(con, c);
		}
	}
	pthread_mutex_unlock(&con->lock);
	if (queued && con->input_cb)
		con->input_cb(con->input_ctx);
	return quit;
}

int console_getc(struct console *con)
{
	int c;

	pthread_mutex_lock(&con->lock);
	if (con->in_len) {
		/* Freeing space in a full ring: wake the loop so it polls in_fd again. */
		bool was_full = input_room(con) == 0;

		c = con->in[con->in_head];
		con->in_head = (con->in_head + 1) % CONSOLE_IN_SIZE;
		con->in_len--;
		if (was_full)
			notify(con);
	} else {
		c = con->in_eof ? CONSOLE_EOF : CONSOLE_NO_INPUT;
	}
	pthread_mutex_unlock(&con->lock);
	return c;
}

bool console_input_pending(struct console *con)
{
	bool pending;

	pthread_mutex_lock(&con->lock);
	pending = con->in_len > 0;
	pthread_mutex_unlock(&con->lock);
	return pending;
}

void console_close(struct console *con)
{
	if (!con->open)
		return;
	console_flush(con);
	if (con->raw) {
		restore_terminal();
		con->raw = false;
	}
	pthread_mutex_lock(&con->lock);
	con->open = false;
	if (con->out_owned && con->out_fd >= 0)
		close(con->out_fd);
	close(con->notify_fd);
	con->out_fd = con->in_fd = con->notify_fd = -1;
	con->out_owned = false;
	pthread_mutex_unlock(&con->lock);
	pthread_mutex_destroy(&con->lock);
}
