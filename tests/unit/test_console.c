/* SPDX-License-Identifier: MIT */
/*
 * The console's batching, wake-ups, input ring and escapes. Output goes to a
 * SOCK_SEQPACKET socket, which keeps message boundaries: one recv() per
 * write() the console made, so "one write per batch" is checkable.
 */
#include "test.h"

#include "console.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static uint8_t big[CONSOLE_OUT_SIZE + 4096];

/* Bytes of the next message on fd, or -1 if there is none. */
static ssize_t next_message(int fd, uint8_t *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size, MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : n;
}

/* The eventfd counter (0 when nothing was signalled); reading resets it. */
static uint64_t notifications(struct console *con)
{
	uint64_t v = 0;

	if (read(con->notify_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void open_output(struct console *con, int sv[2])
{
	int size = 4 * CONSOLE_OUT_SIZE;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	memset(con, 0, sizeof(*con));
	if (console_open_fds(con, -1, sv[0]) < 0)
		abort();
}

static void close_output(struct console *con, int sv[2])
{
	console_close(con);
	close(sv[0]);
	close(sv[1]);
}

static int input_calls;

static void count_input(void *ctx)
{
	(void)ctx;
	input_calls++;
}

static void open_input(struct console *con, int p[2])
{
	if (pipe(p) < 0)
		abort();
	memset(con, 0, sizeof(*con));
	if (console_open_fds(con, p[0], -1) < 0)
		abort();
	input_calls = 0;
	con->input_cb = count_input;
}

static void feed(int fd, const char *s, size_t n)
{
	if (write(fd, s, n) != (ssize_t)n)
		abort();
}

TEST(console_putc_batches_into_one_write)
{
	struct console con;
	int sv[2];
	uint8_t buf[64];

	open_output(&con, sv);
	console_putc(&con, 'a');
	console_putc(&con, 'b');
	console_putc(&con, 'c');
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), -1); /* nothing written yet */
	console_flush(&con);
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "abc", 3);
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), -1); /* exactly one write */
	console_flush(&con);
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), -1); /* empty flush writes nothing */
	close_output(&con, sv);
}

TEST(console_notifies_once_per_batch)
{
	struct console con;
	int sv[2];
	uint8_t buf[64];

	open_output(&con, sv);
	CHECK_EQ(notifications(&con), 0);
	console_putc(&con, 'x');
	console_putc(&con, 'y');
	console_write(&con, "zz", 2);
	CHECK_EQ(notifications(&con), 1);
	console_putc(&con, 'w'); /* same batch: no second wake-up */
	CHECK_EQ(notifications(&con), 0);
	console_clear_notify(&con);
	console_flush(&con);
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "xyzzw", 5);
	/* The first byte after a flush starts a new batch. */
	console_putc(&con, '!');
	CHECK_EQ(notifications(&con), 1);
	close_output(&con, sv);
}

TEST(console_full_buffer_is_flushed_by_the_writer)
{
	struct console con;
	int sv[2];
	static uint8_t got[sizeof(big)];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	open_output(&con, sv);
	for (size_t i = 0; i < CONSOLE_OUT_SIZE + 10; i++)
		console_putc(&con, big[i]);
	/* Filling the buffer wrote it at once, in one piece, without the event loop. */
	CHECK_EQ(next_message(sv[1], got, sizeof(got)), CONSOLE_OUT_SIZE);
	CHECK_MEM(got, big, CONSOLE_OUT_SIZE);
	CHECK_EQ(next_message(sv[1], got, sizeof(got)), -1);
	/* Two batches began: the full one and the 10 bytes after it. */
	CHECK_EQ(notifications(&con), 2);
	console_flush(&con);
	CHECK_EQ(next_message(sv[1], got, sizeof(got)), 10);
	CHECK_MEM(got, big + CONSOLE_OUT_SIZE, 10);

	/* console_write() of more than a buffer: same shape. */
	console_write(&con, big, sizeof(big));
	CHECK_EQ(next_message(sv[1], got, sizeof(got)), CONSOLE_OUT_SIZE);
	CHECK_MEM(got, big, CONSOLE_OUT_SIZE);
	console_flush(&con);
	CHECK_EQ(next_message(sv[1], got, sizeof(got)), sizeof(big) - CONSOLE_OUT_SIZE);
	CHECK_MEM(got, big + CONSOLE_OUT_SIZE, sizeof(big) - CONSOLE_OUT_SIZE);
	close_output(&con, sv);
}

TEST(console_close_flushes_and_is_idempotent)
{
	struct console con;
	int sv[2];
	uint8_t buf[16];

	open_output(&con, sv);
	console_write(&con, "bye", 3);
	console_close(&con);
	CHECK_EQ(next_message(sv[1], buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "bye", 3);
	console_close(&con);
	CHECK_EQ(con.notify_fd, -1);
	close(sv[0]);
	close(sv[1]);
}

TEST(console_survives_a_reader_that_went_away)
{
	struct console con;
	int sv[2];

	open_output(&con, sv);
	close(sv[1]);
	console_write(&con, "lost", 4);
	console_flush(&con); /* EPIPE, with SIGPIPE ignored: no death */
	CHECK(con.out_dead);
	console_putc(&con, 'x'); /* discarded without a wake-up */
	CHECK_EQ(notifications(&con), 1); /* only the first batch's */
	CHECK_EQ(con.out_len, 0);
	console_close(&con);
	close(sv[0]);
}

TEST(console_getc_order_and_eof)
{
	struct console con;
	int p[2];

	open_input(&con, p);
	CHECK(console_wants_input(&con));
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT);
	CHECK(!console_input_pending(&con));
	feed(p[1], "hello", 5);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(input_calls, 1);
	CHECK(console_input_pending(&con));
	CHECK_EQ(console_getc(&con), 'h');
	CHECK_EQ(console_getc(&con), 'e');
	feed(p[1], "!", 1);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(input_calls, 2);
	CHECK_EQ(console_getc(&con), 'l');
	CHECK_EQ(console_getc(&con), 'l');
	CHECK_EQ(console_getc(&con), 'o');
	CHECK_EQ(console_getc(&con), '!');
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT);
	/* End of file: reported once the ring is empty, and the fd is no longer polled. */
	feed(p[1], "z", 1);
	close(p[1]);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK(!console_wants_input(&con));
	CHECK_EQ(console_getc(&con), 'z');
	CHECK_EQ(console_getc(&con), CONSOLE_EOF);
	CHECK_EQ(console_getc(&con), CONSOLE_EOF);
	CHECK_EQ(input_calls, 2 + 1);
	console_close(&con);
	close(p[0]);
}

TEST(console_pipe_input_passes_ctrl_a_through)
{
	struct console con;
	int p[2];

	open_input(&con, p);
	feed(p[1], "\x01x\x01\x01", 4);
	CHECK_EQ(console_read_input(&con), 0); /* not a terminal: no escapes */
	CHECK_EQ(console_getc(&con), 0x01);
	CHECK_EQ(console_getc(&con), 'x');
	CHECK_EQ(console_getc(&con), 0x01);
	CHECK_EQ(console_getc(&con), 0x01);
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT);
	console_close(&con);
	close(p[0]);
	close(p[1]);
}

TEST(console_ctrl_a_x_quits)
{
	struct console con;
	int p[2];

	open_input(&con, p);
	con.raw = true; /* as if stdin were a terminal */
	feed(p[1], "ab\x01xcd", 6);
	CHECK_EQ(console_read_input(&con), 1);
	CHECK_EQ(console_getc(&con), 'a');
	CHECK_EQ(console_getc(&con), 'b');
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT); /* nothing after the escape */
	/* The escape split across two reads. */
	feed(p[1], "\x01", 1);
	input_calls = 0;
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(input_calls, 0);
	CHECK(!console_input_pending(&con));
	feed(p[1], "x", 1);
	CHECK_EQ(console_read_input(&con), 1);
	con.raw = false; /* console_close must not touch a terminal we never changed */
	console_close(&con);
	close(p[0]);
	close(p[1]);
}

TEST(console_ctrl_a_ctrl_a_sends_ctrl_a)
{
	struct console con;
	int p[2];

	open_input(&con, p);
	con.raw = true;
	feed(p[1], "\x01\x01z\x01q\x01", 6);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(console_getc(&con), 0x01); /* Ctrl-A Ctrl-A: one Ctrl-A */
	CHECK_EQ(console_getc(&con), 'z');
	CHECK_EQ(console_getc(&con), 0x01); /* Ctrl-A q: both bytes */
	CHECK_EQ(console_getc(&con), 'q');
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT); /* the last Ctrl-A waits */
	feed(p[1], "\x01", 1);
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(console_getc(&con), 0x01);
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT);
	con.raw = false;
	console_close(&con);
	close(p[0]);
	close(p[1]);
}

TEST(console_full_input_ring_gives_back_pressure)
{
	struct console con;
	int p[2];
	static char data[CONSOLE_IN_SIZE + 100];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	open_input(&con, p);
	feed(p[1], data, sizeof(data));
	CHECK_EQ(console_read_input(&con), 0);
	CHECK(console_input_full(&con));
	CHECK(!console_wants_input(&con)); /* the rest waits in the pipe */
	CHECK_EQ(console_read_input(&con), 0);
	CHECK_EQ(notifications(&con), 0);
	/* The guest takes a byte: the loop is woken to poll again. */
	CHECK_EQ(console_getc(&con), 'a');
	CHECK_EQ(notifications(&con), 1);
	CHECK(console_wants_input(&con));
	CHECK_EQ(console_read_input(&con), 0);
	CHECK(console_input_full(&con));
	/* Nothing lost, nothing reordered. */
	for (size_t i = 1; i < CONSOLE_IN_SIZE + 1; i++)
		CHECK_EQ(console_getc(&con), data[i]);
	CHECK_EQ(console_read_input(&con), 0);
	for (size_t i = CONSOLE_IN_SIZE + 1; i < sizeof(data); i++)
		CHECK_EQ(console_getc(&con), data[i]);
	CHECK_EQ(console_getc(&con), CONSOLE_NO_INPUT);
	console_close(&con);
	close(p[0]);
	close(p[1]);
}

TEST(console_terminal_keeps_reading_when_full)
{
	struct console con;
	int p[2];
	static char data[CONSOLE_IN_SIZE + 10];

	memset(data, 'k', sizeof(data));
	open_input(&con, p);
	con.raw = true;
	feed(p[1], data, sizeof(data));
	CHECK_EQ(console_read_input(&con), 0);
	CHECK(console_input_full(&con));
	CHECK(console_wants_input(&con)); /* so that Ctrl-A x still works */
	feed(p[1], "\x01x", 2);
	CHECK_EQ(console_read_input(&con), 1);
	con.raw = false;
	console_close(&con);
	close(p[0]);
	close(p[1]);
}

TEST(console_none_discards_and_has_no_input)
{
	struct console con;

	memset(&con, 0, sizeof(con));
	CHECK_EQ(console_open(&con, SERIAL_NONE, NULL), 0);
	console_write(&con, "gone", 4);
	CHECK_EQ(notifications(&con), 0);
	CHECK_EQ(con.out_len, 0);
	CHECK(!console_wants_input(&con));
	CHECK_EQ(console_getc(&con), CONSOLE_EOF);
	CHECK_EQ(console_read_input(&con), 0);
	console_close(&con);
}

TEST(console_file_output)
{
	struct console con;
	char path[] = "/tmp/minikvm-console-XXXXXX";
	char buf[32] = { 0 };
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	memset(&con, 0, sizeof(con));
	CHECK_EQ(console_open(&con, SERIAL_FILE, path), 0);
	console_write(&con, "to file\n", 8);
	console_close(&con);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	CHECK_STR(buf, "to file\n");
	close(fd);
	unlink(path);

	memset(&con, 0, sizeof(con));
	CHECK_EQ(console_open(&con, SERIAL_FILE, "/nonexistent-dir/serial.log"), -1);
	CHECK_EQ(err_status(), EXIT_USAGE);
	CHECK(strstr(err_message(), "/nonexistent-dir/serial.log") != NULL);
	console_close(&con); /* never opened: a no-op */
}
