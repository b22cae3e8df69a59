/* SPDX-License-Identifier: MIT */
/*
 * Where snapshots are kept: by name in memory (monitor savevm, loadvm,
 * delvm, info snapshots), and in files (--snapshot-dir DIR writes
 * DIR/NAME.mkvm; --loadvm FILE starts from one). See snapshot.h.
 */
#include "snapshot.h"
#include "error.h"
#include "state.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file larger than the largest RAM plus room for the rest is no snapshot of ours. */
#define MAX_FILE ((256ULL << 30) + SNAPSHOT_MAX_STATE)

int snapshot_check_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SNAPSHOT_NAME_MAX || name[0] == '.' ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return err_set(EXIT_USAGE, "bad snapshot name '%s' (1-%d letters, digits, '_', '-', '.'; "
			       "not starting with '.')", name, SNAPSHOT_NAME_MAX);
	return 0;
}

int snapshot_check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_set(EXIT_USAGE, "--snapshot-dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(EXIT_USAGE, "--snapshot-dir %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) < 0)
		return err_set(EXIT_USAGE, "--snapshot-dir %s: cannot write there: %s", dir, strerror(errno));
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int snapshot_write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s%s", dir, name, SNAPSHOT_FILE_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s%s.%d.tmp", dir, name, SNAPSHOT_FILE_SUFFIX, (int)getpid()) >=
		    (int)sizeof(tmp))
		return err_set(EXIT_USAGE, "snapshot path too long in %s", dir);
	/* A reader never sees half a file: write it aside, then rename it over the old one. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(EXIT_HOST, "cannot create %s: %s", tmp, strerror(errno));
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		err_set(EXIT_HOST, "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_set(EXIT_HOST, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Up to len bytes at off; fewer at the end of the file or on an error. */
static size_t read_at(int fd, uint8_t *p, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

int snapshot_read_file(const char *path, uint8_t **buf, size_t *len)
{
	uint8_t head[SNAPSHOT_HEADER_SIZE];
	struct stat st;
	uint8_t *b;
	size_t got, size;
	/* O_NONBLOCK: a FIFO must not wait in open() for a writer; reads of a regular file ignore it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return err_set(EXIT_USAGE, "cannot open snapshot %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(EXIT_USAGE, "snapshot %s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		close(fd);
		return err_set(EXIT_USAGE, "snapshot %s is larger than any snapshot (%llu bytes)", path,
			       (unsigned long long)st.st_size);
	}
	/* The header first: a file that is no snapshot, or not the size it says, is not read. */
	size = (size_t)st.st_size;
	got = read_at(fd, head, size < sizeof(head) ? size : sizeof(head), 0);
	if (snapshot_check_header(head, got, size, path) < 0) {
		close(fd);
		return -1;
	}
	b = malloc(size);
	if (!b) {
		close(fd);
		return err_set(EXIT_HOST, "out of memory for snapshot %s", path);
	}
	got = read_at(fd, b, size, 0); /* shorter if it shrank meanwhile: the parser calls it truncated */
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

int snapshot_load_file(struct vm *vm, const char *path)
{
	struct snapshot_view *v = malloc(sizeof(*v));
	uint8_t *buf = NULL;
	size_t len;
	int r = -1;

	if (!v)
		return err_set(EXIT_HOST, "out of memory");
	if (snapshot_read_file(path, &buf, &len) == 0 && snapshot_parse(buf, len, path, v) == 0)
		r = snapshot_restore(vm, v, path);
	free(buf);
	free(v);
	return r;
}

/* ---- named snapshots in memory ---- */

static struct snapshot_entry *lookup(struct snapshot_store *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->e[i].name, name) == 0)
			return &st->e[i];
	return NULL;
}

int snapshot_store_save(struct snapshot_store *st, struct vm *vm, const char *name, const char *dir)
{
	struct snapshot_entry *e;
	struct state_writer w;

	if (snapshot_check_name(name) < 0)
		return -1;
	e = lookup(st, name);
	if (!e && st->n == SNAPSHOT_STORE_MAX)
		return err_set(EXIT_USAGE, "%d snapshots already: delete one (monitor delvm NAME)",
			       SNAPSHOT_STORE_MAX);
	if (snapshot_take(vm, &w) < 0)
		return -1;
	if (dir && snapshot_write_file(dir, name, w.buf, w.len) < 0) {
		state_writer_free(&w);
		return -1;
	}
	if (!e) {
		e = &st->e[st->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	} else {
		free(e->image);
	}
	e->image = w.buf;
	e->len = w.len;
	e->when = time(NULL);
	return 0;
}

int snapshot_store_load(struct snapshot_store *st, struct vm *vm, const char *name)
{
	struct snapshot_entry *e = lookup(st, name);
	struct snapshot_view *v;
	char what[SNAPSHOT_NAME_MAX + 16];
	int r = -1;

	if (!e)
		return err_set(EXIT_USAGE, "no snapshot named '%s' (monitor info snapshots lists them)", name);
	v = malloc(sizeof(*v));
	if (!v)
		return err_set(EXIT_HOST, "out of memory");
	snprintf(what, sizeof(what), "snapshot '%s'", name);
	if (snapshot_parse(e->image, e->len, what, v) == 0)
		r = snapshot_restore(vm, v, what);
	free(v);
	return r;
}

int snapshot_store_delete(struct snapshot_store *st, const char *name)
{
	struct snapshot_entry *e = lookup(st, name);

	if (!e)
		return err_set(EXIT_USAGE, "no snapshot named '%s'", name);
	free(e->image);
	*e = st->e[--st->n];
	memset(&st->e[st->n], 0, sizeof(st->e[0]));
	return 0;
}

void snapshot_store_list(const struct snapshot_store *st, FILE *out)
{
	if (!st->n) {
		fprintf(out, "no snapshots\n");
		return;
	}
	fprintf(out, "%-20s %12s  %s\n", "name", "size", "taken (UTC)");
	for (int i = 0; i < st->n; i++) {
		char when[32];
		struct tm tm;

		gmtime_r(&st->e[i].when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%-20s %9zu KiB  %s\n", st->e[i].name, st->e[i].len >> 10, when);
	}
}

void snapshot_store_free(struct snapshot_store *st)
{
	for (int i = 0; i < st->n; i++)
		free(st->e[i].image);
	st->n = 0;
}
