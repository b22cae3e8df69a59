/* SPDX-License-Identifier: MIT */
/*
 * Where snapshots are kept: by name in memory (monitor savevm, loadvm,
 * delvm, info snapshots), and in files (--snapshot-dir DIR writes
 * DIR/NAME.mkvm; --loadvm FILE starts from one). See snapshot.h.
 */
#include "snapshot.h"
#include "error.h"
#include "host_file.h"
#include "snapshot_state.h"
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file larger than the largest RAM plus room for the rest is no snapshot of ours. */
#define MAX_FILE ((256ULL << 30) + SNAPSHOT_MAX_STATE)

int snapshot_check_name(const char *name)
{
	if (!host_file_name_ok(name) || strlen(name) > SNAPSHOT_NAME_MAX)
		return err_set(EXIT_USAGE, "bad snapshot name '%s' (1-%d letters, digits, '_', '-', '.'; "
			       "not starting with '.')", name, SNAPSHOT_NAME_MAX);
	return 0;
}

struct image_bytes {
	const uint8_t *p;
	size_t len;
};

static int write_image(int fd, void *ctx)
{
	struct image_bytes *b = ctx;

	for (size_t done = 0; done < b->len;) {
		ssize_t n = write(fd, b->p + done, b->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int snapshot_write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char file[SNAPSHOT_NAME_MAX + sizeof(SNAPSHOT_FILE_SUFFIX)];
	struct image_bytes b = { buf, len };
	int r;

	if (snapshot_check_name(name) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s%s", name, SNAPSHOT_FILE_SUFFIX);
	/* A reader never sees half a file, and a link planted in dir is never followed. */
	r = host_file_write(dir, file, write_image, &b);
	if (r < 0)
		return err_set(EXIT_HOST, "cannot write %s/%s: %s", dir, file, strerror(-r));
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

int snapshot_file_open(struct snapshot_file *f, const char *path, const struct vm_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->view = malloc(sizeof(*f->view));
	if (!f->view)
		return err_set(EXIT_HOST, "out of memory");
	if (snapshot_read_file(path, &f->buf, &f->len) < 0 ||
	    snapshot_parse(f->buf, f->len, path, f->view) < 0 ||
	    snapshot_check_machine(f->view, cfg->mem_size, cfg->cpus, cfg->irqchip, path) < 0)
		return -1;
	return 0;
}

int snapshot_file_restore(struct vm *vm, const struct snapshot_file *f)
{
	return snapshot_restore(vm, f->view, f->path);
}

void snapshot_file_free(struct snapshot_file *f)
{
	free(f->buf);
	free(f->view);
	f->buf = NULL;
	f->view = NULL;
}

/* ---- named snapshots in memory ---- */

static struct snapshot_entry *lookup(struct snapshot_store *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->e[i].name, name) == 0)
			return &st->e[i];
	return NULL;
}

static uint64_t mib(uint64_t bytes)
{
	return (bytes + (1 << 20) - 1) >> 20;
}

/* What the store may hold when the debugger set no bound: half of this host's RAM. */
static uint64_t default_max_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : 1ULL << 30;
}

int snapshot_store_room(const struct snapshot_store *st, const char *name, uint64_t need)
{
	uint64_t used = 0, max = st->max_bytes ? st->max_bytes : default_max_bytes();
	const struct snapshot_entry *old = lookup((struct snapshot_store *)st, name);

	if (!old && st->n == SNAPSHOT_STORE_MAX)
		return err_set(EXIT_USAGE, "%d snapshots in memory already, the most minikvm keeps: "
			       "delete one (monitor delvm NAME)", SNAPSHOT_STORE_MAX);
	for (int i = 0; i < st->n; i++)
		used += st->e[i].len;
	/* An older snapshot of the same name is freed only once the new one is taken. */
	if (need > max || used > max - need)
		return err_set(EXIT_USAGE, "snapshot '%s' needs %" PRIu64 " MiB and the snapshots in memory "
			       "use %" PRIu64 " MiB%s of the %" PRIu64 " MiB minikvm allows them%s: delete one "
			       "(monitor delvm NAME)", name, mib(need), mib(used),
			       old ? " (the older one of that name among them)" : "", mib(max),
			       st->max_bytes ? "" : " (half of this host's RAM)");
	return 0;
}

int snapshot_check_disk(const char *dir, const char *name, uint64_t need)
{
	uint64_t avail, total, keep;
	int r = host_file_space(dir, &avail, &total);

	if (r < 0)
		return err_set(EXIT_HOST, "cannot write %s/%s%s: %s", dir, name, SNAPSHOT_FILE_SUFFIX,
			       strerror(-r));
	keep = total / SNAPSHOT_DISK_KEEP;
	if (avail < keep || need > avail - keep)
		return err_set(EXIT_HOST, "cannot write %s/%s%s: it needs %" PRIu64 " MiB and %s has %"
			       PRIu64 " MiB free, of which minikvm leaves %" PRIu64 " MiB (5%% of its file "
			       "system): remove files there, or snapshots (monitor delvm NAME)", dir, name,
			       SNAPSHOT_FILE_SUFFIX, mib(need), dir, avail >> 20, mib(keep));
	return 0;
}

int snapshot_store_put(struct snapshot_store *st, const char *name, uint8_t *image, size_t len,
		       const char *dir)
{
	struct snapshot_entry *e;

	if (snapshot_check_name(name) < 0 || snapshot_store_room(st, name, len) < 0 ||
	    (dir && (snapshot_check_disk(dir, name, len) < 0 ||
		     snapshot_write_file(dir, name, image, len) < 0))) {
		free(image);
		return -1;
	}
	e = lookup(st, name);
	if (!e) {
		e = &st->e[st->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	} else {
		free(e->image);
	}
	e->image = image;
	e->len = len;
	e->when = time(NULL);
	e->in_dir = dir != NULL;
	return 0;
}

int snapshot_store_save(struct snapshot_store *st, struct vm *vm, const char *name, const char *dir)
{
	struct state_writer w;

	/* Refuse before snapshot_take() allocates the guest's RAM size again. */
	if (snapshot_check_name(name) < 0 ||
	    snapshot_store_room(st, name, vm->cfg->mem_size + SNAPSHOT_EXTRA) < 0)
		return -1;
	if (snapshot_take(vm, &w) < 0)
		return -1;
	return snapshot_store_put(st, name, w.buf, w.len, dir);
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

int snapshot_store_delete(struct snapshot_store *st, const char *name, const char *dir)
{
	struct snapshot_entry *e = lookup(st, name);
	char file[SNAPSHOT_NAME_MAX + sizeof(SNAPSHOT_FILE_SUFFIX)];
	bool in_dir;
	int r = 0;

	if (!e)
		return err_set(EXIT_USAGE, "no snapshot named '%s'", name);
	in_dir = e->in_dir;
	free(e->image);
	*e = st->e[--st->n];
	memset(&st->e[st->n], 0, sizeof(st->e[0]));
	if (in_dir && dir) {
		snprintf(file, sizeof(file), "%s%s", name, SNAPSHOT_FILE_SUFFIX);
		r = host_file_remove(dir, file);
		if (r < 0)
			return err_set(EXIT_HOST, "snapshot '%s' is gone from memory, but %s/%s stays: %s",
				       name, dir, file, strerror(-r));
	}
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
