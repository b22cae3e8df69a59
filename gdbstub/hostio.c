/* SPDX-License-Identifier: MIT */
/*
 * gdb's file I/O on the target (GDB manual, "Host I/O Packets"), for one
 * purpose: gdb's `gcore` on a GNU/Linux OS ABI reads /proc/PID/smaps (or
 * /proc/PID/maps) through it to learn which memory to write. This is a tiny
 * read-only file system with one file per process:
 *
 *   /proc/PID/maps   PID = RSP_PID: the regions the target's
 *                    memory_regions() lists for the selected vCPU, one line
 *                    each in Linux's format ("start-end rwxp 0 00:00 0")
 *
 * Everything else does not exist (ENOENT), so gdb falls back or goes
 * without: smaps (then maps is read), cmdline and stat (the core gets no
 * process name), auxv. Nothing is written, nothing on the host is opened.
 *
 *   vFile:setfs:PID                  F0 (one file system, whatever the pid)
 *   vFile:open:HEXPATH,FLAGS,MODE    Ffd, or F-1,errno
 *   vFile:pread:FD,COUNT,OFFSET      Fn;DATA (binary, escaped by framing.c)
 *   vFile:close:FD                   F0
 *   vFile:pwrite, unlink, readlink   F-1,errno; other vFile operations: ""
 *
 * A file's contents are made again for every pread, from the stopped
 * target, so the server keeps no buffer and allocates nothing; the target
 * cannot change while gdb reads (it is stopped), so the pieces agree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* errno values of the protocol (GDB manual, "Errno Values"): not the host's. */
enum {
	FIO_ENOENT = 2,
	FIO_EIO = 5,
	FIO_EBADF = 9,
	FIO_EACCES = 13,
	FIO_EINVAL = 22,
	FIO_EMFILE = 24,
	FIO_ENAMETOOLONG = 91,
};

/* Open flags of the protocol: anything but O_RDONLY (0) writes. */
#define FIO_ACCMODE 0x3
#define FIO_WRITING (0x8 | 0x200 | 0x400 | 0x800) /* O_APPEND O_CREAT O_TRUNC O_EXCL */

#define MAX_PATH 256
/* pread data and its "Fn;" header must fit the reply buffer. */
#define MAX_PREAD (GDB_PACKET_SIZE - 32)

void rsp_hostio_reset(struct gdb_server *s)
{
	memset(s->files, 0, sizeof(s->files));
}

static enum rsp_result fio_error(struct gdb_server *s, int fio_errno)
{
	rsp_buf_reset(&s->reply);
	rsp_printf(&s->reply, "F-1,%x", (unsigned)fio_errno);
	return RSP_REPLY;
}

static enum rsp_result fio_result(struct gdb_server *s, uint64_t value)
{
	rsp_printf(&s->reply, "F%llx", (unsigned long long)value);
	return RSP_REPLY;
}

/* "/proc/PID/maps" with our pid? Paths are exact: no "/proc/self", no "//". */
static bool is_our_maps(const char *path)
{
	char want[64];

	snprintf(want, sizeof(want), "/proc/%d/maps", RSP_PID);
	return strcmp(path, want) == 0;
}

static enum rsp_result hostio_open(struct gdb_server *s, struct rsp_cursor *args)
{
	const char *hex = args->p;
	char path[MAX_PATH + 1];
	uint64_t flags, mode;
	size_t n;
	int fd;

	while (args->p < args->end && *args->p != ',')
		args->p++;
	n = (size_t)(args->p - hex);
	if (n % 2 || !rsp_eat(args, ',') || !rsp_hex_u64(args, &flags) || !rsp_eat(args, ',') ||
	    !rsp_hex_u64(args, &mode) || !rsp_at_end(args))
		return fio_error(s, FIO_EINVAL);
	if (n / 2 > MAX_PATH)
		return fio_error(s, FIO_ENAMETOOLONG);
	if (!rsp_hex_decode(hex, n / 2, (uint8_t *)path))
		return fio_error(s, FIO_EINVAL);
	path[n / 2] = '\0';
	/* A NUL inside the name makes it no name we have. */
	if (strlen(path) != n / 2 || !s->ops->memory_regions || !is_our_maps(path))
		return fio_error(s, FIO_ENOENT);
	if ((flags & FIO_ACCMODE) || (flags & FIO_WRITING))
		return fio_error(s, FIO_EACCES);
	for (fd = 0; fd < RSP_MAX_FILES && s->files[fd].used; fd++)
		;
	if (fd == RSP_MAX_FILES)
		return fio_error(s, FIO_EMFILE);
	s->files[fd] = (struct rsp_file){ .used = true, .vcpu = rsp_g_vcpu(s) };
	return fio_result(s, (uint64_t)fd);
}

static bool parse_fd(struct gdb_server *s, struct rsp_cursor *args, struct rsp_file **out)
{
	uint64_t fd;

	if (!rsp_hex_u64(args, &fd) || fd >= RSP_MAX_FILES || !s->files[fd].used)
		return false;
	*out = &s->files[fd];
	return true;
}

/* The window [offset, offset + count) of a file being made line by line. */
struct window {
	struct rsp_buf *out;
	uint64_t offset, count;
	uint64_t pos;        /* bytes of the file made so far */
};

/* Add text to the file; 1 once the window is full (no need to go on). */
static int window_put(struct window *w, const char *text, size_t len)
{
	uint64_t end = w->offset + w->count;

	if (w->pos + len > w->offset && w->pos < end) {
		uint64_t from = w->pos < w->offset ? w->offset - w->pos : 0;
		uint64_t to = w->pos + len > end ? end - w->pos : len;

		rsp_put(w->out, text + from, (size_t)(to - from));
	}
	w->pos += len;
	return w->pos >= end;
}

static int maps_line(void *ctx, const struct gdb_mem_region *r)
{
	char line[96];
	int n;

	if (!r->size || r->start + r->size < r->start)
		return 0; /* nothing, or a region that wraps: not a line gdb could use */
	n = snprintf(line, sizeof(line), "%08llx-%08llx r%c%cp 00000000 00:00 0\n",
		     (unsigned long long)r->start, (unsigned long long)(r->start + r->size),
		     r->write ? 'w' : '-', r->exec ? 'x' : '-');
	return window_put(ctx, line, (size_t)n);
}

static enum rsp_result hostio_pread(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_file *f;
	uint64_t count, offset;
	char head[24];
	size_t head_len;
	int r;

	if (!parse_fd(s, args, &f))
		return fio_error(s, FIO_EBADF);
	if (!rsp_eat(args, ',') || !rsp_hex_u64(args, &count) || !rsp_eat(args, ',') ||
	    !rsp_hex_u64(args, &offset) || !rsp_at_end(args))
		return fio_error(s, FIO_EINVAL);
	if (count > MAX_PREAD)
		count = MAX_PREAD; /* a short read: gdb asks for the rest */
	/*
	 * Make the data first, after room for the "Fn;" header, then put the
	 * header in front: its length depends on n.
	 */
	struct window w = { .out = &s->reply, .offset = offset, .count = count };

	rsp_buf_reset(&s->reply);
	s->reply.len = sizeof(head);
	r = s->ops->memory_regions(s->target, f->vcpu, maps_line, &w);
	if (r < 0)
		return fio_error(s, FIO_EIO);
	size_t n = s->reply.len - sizeof(head);

	head_len = (size_t)snprintf(head, sizeof(head), "F%zx;", n);
	memmove(s->reply.data + head_len, s->reply.data + sizeof(head), n);
	memcpy(s->reply.data, head, head_len);
	s->reply.len = head_len + n;
	return RSP_REPLY;
}

static enum rsp_result hostio_close(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_file *f;

	if (!parse_fd(s, args, &f) || !rsp_at_end(args))
		return fio_error(s, FIO_EBADF);
	f->used = false;
	return fio_result(s, 0);
}

enum rsp_result rsp_cmd_hostio(struct gdb_server *s, struct rsp_cursor *args)
{
	uint64_t pid;

	if (rsp_eat_str(args, ":setfs:")) {
		/* One file system for every process (and for gdb's pid 0, "the stub's"). */
		if (!rsp_hex_u64(args, &pid) || !rsp_at_end(args))
			return fio_error(s, FIO_EINVAL);
		return fio_result(s, 0);
	}
	if (rsp_eat_str(args, ":open:"))
		return hostio_open(s, args);
	if (rsp_eat_str(args, ":pread:"))
		return hostio_pread(s, args);
	if (rsp_eat_str(args, ":close:"))
		return hostio_close(s, args);
	if (rsp_eat_str(args, ":pwrite:"))
		return fio_error(s, FIO_EBADF); /* no file is open for writing */
	if (rsp_eat_str(args, ":unlink:"))
		return fio_error(s, FIO_EACCES);
	if (rsp_eat_str(args, ":readlink:"))
		return fio_error(s, FIO_ENOENT); /* no links: /proc/PID/exe, cwd do not exist */
	return RSP_REPLY; /* fstat and the rest: unsupported */
}
