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
 * A file's contents are made once per open, at its first pread, and kept
 * with the open file until it is closed (or the connection ends): gdb reads
 * in pieces of a few KiB, and walking a guest's page tables may take a
 * while, so making the file for every piece could hold the event loop for
 * minutes. A file is at most MAX_FILE bytes (EIO beyond).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
/* 65534 regions (what a core's ELF header counts) of up to 56-byte lines: under 4 MiB. */
#define MAX_FILE (16u << 20)

static void file_close(struct rsp_file *f)
{
	free(f->data);
	*f = (struct rsp_file){ .used = false };
}

void rsp_hostio_reset(struct gdb_server *s)
{
	for (unsigned i = 0; i < RSP_MAX_FILES; i++)
		file_close(&s->files[i]);
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

/* The file being made: grows by doubling up to MAX_FILE. */
struct file_text {
	char *data;
	size_t len, cap;
};

static int maps_line(void *ctx, const struct gdb_mem_region *r)
{
	struct file_text *t = ctx;
	char line[96];
	int n;

	if (!r->size || r->start + r->size < r->start)
		return 0; /* nothing, or a region that wraps: not a line gdb could use */
	n = snprintf(line, sizeof(line), "%08llx-%08llx r%c%cp 00000000 00:00 0\n",
		     (unsigned long long)r->start, (unsigned long long)(r->start + r->size),
		     r->write ? 'w' : '-', r->exec ? 'x' : '-');
	if (t->len + (size_t)n > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *p;

		if (t->len + (size_t)n > MAX_FILE)
			return -EFBIG;
		if (cap > MAX_FILE)
			cap = MAX_FILE;
		p = realloc(t->data, cap);
		if (!p)
			return -ENOMEM;
		t->data = p;
		t->cap = cap;
	}
	memcpy(t->data + t->len, line, (size_t)n);
	t->len += (size_t)n;
	return 0;
}

/* The file's contents, made at its first pread from the (stopped) target. */
static int file_make(struct gdb_server *s, struct rsp_file *f)
{
	struct file_text t = { .data = NULL };
	int r;

	if (f->made)
		return 0;
	r = s->ops->memory_regions(s->target, f->vcpu, maps_line, &t);
	if (r) {
		free(t.data);
		return r < 0 ? r : -EIO;
	}
	f->data = t.data;
	f->len = t.len;
	f->made = true;
	return 0;
}

static enum rsp_result hostio_pread(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_file *f;
	uint64_t count, offset;

	if (!parse_fd(s, args, &f))
		return fio_error(s, FIO_EBADF);
	if (!rsp_eat(args, ',') || !rsp_hex_u64(args, &count) || !rsp_eat(args, ',') ||
	    !rsp_hex_u64(args, &offset) || !rsp_at_end(args))
		return fio_error(s, FIO_EINVAL);
	if (file_make(s, f) < 0)
		return fio_error(s, FIO_EIO);
	if (count > MAX_PREAD)
		count = MAX_PREAD; /* a short read: gdb asks for the rest */
	if (offset > f->len)
		offset = f->len;
	if (count > f->len - offset)
		count = f->len - offset;
	rsp_buf_reset(&s->reply);
	rsp_printf(&s->reply, "F%llx;", (unsigned long long)count);
	if (count)
		rsp_put(&s->reply, f->data + offset, (size_t)count); /* data is NULL for an empty file */
	return RSP_REPLY;
}

static enum rsp_result hostio_close(struct gdb_server *s, struct rsp_cursor *args)
{
	struct rsp_file *f;

	if (!parse_fd(s, args, &f) || !rsp_at_end(args))
		return fio_error(s, FIO_EBADF);
	file_close(f);
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
