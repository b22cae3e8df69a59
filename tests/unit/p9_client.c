/* SPDX-License-Identifier: MIT */
/* The tiny 9P2000.L client of src/p9's tests and fuzzer (see p9_client.h). */
#include "p9_client.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[256];
	int fd;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return chmod(path, mode) ? -errno : 0; /* whatever the umask */
}

int p9c_tree_make(char *top, size_t top_size, char *root, size_t root_size, int many)
{
	static const char *const links[][2] = {
		{ "hello.txt", "link_in" }, { "sub", "link_sub" }, { "/etc", "link_etc" },
		{ "../outside", "link_up" }, { "../../../../../../../../etc", "link_deep" },
	};
	char path[256], target[256];
	int err = 0;

	snprintf(top, top_size, "%s/p9test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		return -errno;
	snprintf(root, root_size, "%s/root", top);
	snprintf(path, sizeof(path), "%s/outside", top);
	if (mkdir(path, 0755) || mkdir(root, 0755))
		return -errno;
	err = put_file(path, "outside.txt", P9C_OUTSIDE "\n", 0644);
	if (!err)
		err = put_file(root, "hello.txt", P9C_HELLO, 0644);
	if (!err)
		err = put_file(root, "secret.txt", "top secret\n", 0600);
	snprintf(path, sizeof(path), "%s/sub", root);
	if (!err && mkdir(path, 0755))
		err = -errno;
	if (!err)
		err = put_file(path, "inner.txt", "inner\n", 0644);
	snprintf(path, sizeof(path), "%s/sub/deeper", root);
	if (!err && mkdir(path, 0755))
		err = -errno;
	if (!err)
		err = put_file(path, "leaf.txt", "leaf", 0644);
	snprintf(path, sizeof(path), "%s/many", root);
	if (!err && mkdir(path, 0755))
		err = -errno;
	for (int i = 0; !err && i < many; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%02d", i);
		err = put_file(path, name, "", 0644);
	}
	for (size_t i = 0; !err && i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, links[i][1]);
		if (symlink(links[i][0], path))
			err = -errno;
	}
	/* The outside by its absolute path (the fuzzer's only way out: it has no link_etc). */
	snprintf(path, sizeof(path), "%s/link_abs", root);
	snprintf(target, sizeof(target), "%s/outside", top);
	if (!err && symlink(target, path))
		err = -errno;
	snprintf(path, sizeof(path), "%s/fifo", root);
	if (!err && mkfifo(path, 0644))
		err = -errno;
	return err;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void p9c_tree_remove(const char *top)
{
	char path[256];

	/* A test may have left a directory without search permission. */
	snprintf(path, sizeof(path), "%s/root", top);
	chmod(path, 0755);
	nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool p9c_holds_outside(const uint8_t *p, size_t n)
{
	static const char text[] = P9C_OUTSIDE;
	size_t len = sizeof(text) - 1;

	for (size_t i = 0; i + len <= n; i++) {
		size_t j = 0;

		while (j < len && p[i + j] == (uint8_t)text[j])
			j++;
		if (j == len)
			return true;
	}
	return false;
}

int p9c_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int serve(struct p9c *c, const struct p9_options *opt)
{
	c->rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return -errno;
	return p9_server_new(c->rootfd, opt, &c->s);
}

static void init(struct p9c *c)
{
	memset(c, 0, sizeof(*c));
	c->rootfd = -1;
	c->rep_cap = P9C_BUF;
	c->msize = P9C_BUF;
}

int p9c_open(struct p9c *c, const struct p9_options *opt)
{
	int err;

	init(c);
	err = p9c_tree_make(c->top, sizeof(c->top), c->root, sizeof(c->root), P9C_MANY);
	return err ? err : serve(c, opt);
}

int p9c_open_dir(struct p9c *c, const char *dir, const struct p9_options *opt)
{
	init(c);
	snprintf(c->root, sizeof(c->root), "%s", dir);
	return serve(c, opt);
}

int p9c_start(struct p9c *c, const struct p9_options *opt, uint32_t msize)
{
	int err = p9c_open(c, opt);

	if (!err)
		err = p9c_version(c, msize, P9_VERSION_L);
	if (!err)
		err = p9c_attach(c, 0);
	return err;
}

void p9c_stop(struct p9c *c)
{
	p9_server_free(c->s);
	c->s = NULL;
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->rootfd = -1;
	if (c->top[0])
		p9c_tree_remove(c->top);
}

static void put(struct p9c *c, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n && c->req_len < P9C_BUF; i++)
		c->req[c->req_len++] = (uint8_t)(v >> (8 * i));
}

void p9c_begin(struct p9c *c, uint8_t type)
{
	c->req_len = 0;
	put(c, 0, 4);
	put(c, type, 1);
	put(c, ++c->tag == P9_NOTAG ? ++c->tag : c->tag, 2);
}

void p9c_u8(struct p9c *c, uint8_t v) { put(c, v, 1); }
void p9c_u16(struct p9c *c, uint16_t v) { put(c, v, 2); }
void p9c_u32(struct p9c *c, uint32_t v) { put(c, v, 4); }
void p9c_u64(struct p9c *c, uint64_t v) { put(c, v, 8); }

void p9c_bytes(struct p9c *c, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		put(c, b[i], 1);
}

void p9c_str(struct p9c *c, const char *s)
{
	size_t n = strlen(s);

	put(c, n, 2);
	p9c_bytes(c, s, n);
}

static uint64_t get(struct p9c *c, size_t n)
{
	uint64_t v = 0;

	if (c->rep_len - c->rep_pos < n) {
		c->rep_bad = true;
		c->rep_pos = c->rep_len;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->rep[c->rep_pos++] << (8 * i);
	return v;
}

uint8_t p9c_r8(struct p9c *c) { return (uint8_t)get(c, 1); }
uint16_t p9c_r16(struct p9c *c) { return (uint16_t)get(c, 2); }
uint32_t p9c_r32(struct p9c *c) { return (uint32_t)get(c, 4); }
uint64_t p9c_r64(struct p9c *c) { return get(c, 8); }

void p9c_rstr(struct p9c *c, char *buf, size_t cap)
{
	size_t n = p9c_r16(c);

	if (c->rep_len - c->rep_pos < n) {
		c->rep_bad = true;
		n = c->rep_len - c->rep_pos;
	}
	memcpy(buf, c->rep + c->rep_pos, n < cap ? n : cap - 1);
	buf[n < cap ? n : cap - 1] = '\0';
	c->rep_pos += n;
}

void p9c_rqid(struct p9c *c, struct p9c_qid *qid)
{
	qid->type = p9c_r8(c);
	qid->version = p9c_r32(c);
	qid->path = p9c_r64(c);
}

int p9c_send_raw(struct p9c *c, size_t req_len)
{
	uint8_t type = c->req_len >= 5 ? c->req[4] : 0;
	uint16_t tag = c->req_len >= 7 ? (uint16_t)(c->req[5] | c->req[6] << 8) : 0;
	ssize_t n = p9_server_handle(c->s, c->req, req_len, c->rep, c->rep_cap);

	c->rep_len = n > 0 ? (size_t)n : 0;
	c->rep_pos = P9_HEADER_SIZE;
	c->rep_bad = false;
	if (n < P9_HEADER_SIZE || (size_t)n > c->rep_cap || (size_t)n > c->msize)
		return P9C_BAD_REPLY;
	if ((uint32_t)(c->rep[0] | c->rep[1] << 8 | c->rep[2] << 16 | (uint32_t)c->rep[3] << 24) != (uint32_t)n ||
	    (uint16_t)(c->rep[5] | c->rep[6] << 8) != tag)
		return P9C_BAD_REPLY;
	if (c->rep[4] == P9_RLERROR) {
		uint32_t e = p9c_r32(c);

		return n == P9_HEADER_SIZE + 4 && e && e < 4096 ? -(int)e : P9C_BAD_REPLY;
	}
	return c->rep[4] == type + 1 ? 0 : P9C_BAD_REPLY;
}

int p9c_send(struct p9c *c)
{
	uint32_t n = (uint32_t)c->req_len;

	c->req[0] = (uint8_t)n;
	c->req[1] = (uint8_t)(n >> 8);
	c->req[2] = (uint8_t)(n >> 16);
	c->req[3] = (uint8_t)(n >> 24);
	return p9c_send_raw(c, c->req_len);
}

int p9c_call(struct p9c *c, uint8_t type, const char *fmt, ...)
{
	va_list ap;

	p9c_begin(c, type);
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		switch (*fmt) {
		case 'b': p9c_u8(c, (uint8_t)va_arg(ap, unsigned)); break;
		case 'w': p9c_u16(c, (uint16_t)va_arg(ap, unsigned)); break;
		case 'd': p9c_u32(c, va_arg(ap, uint32_t)); break;
		case 'q': p9c_u64(c, va_arg(ap, uint64_t)); break;
		case 's': p9c_str(c, va_arg(ap, const char *)); break;
		default:  abort(); /* a test's typo */
		}
	}
	va_end(ap);
	return p9c_send(c);
}

int p9c_version(struct p9c *c, uint32_t msize, const char *version)
{
	char v[32];
	int err;

	p9c_begin(c, P9_TVERSION);
	c->req[5] = c->req[6] = 0xFF; /* NOTAG, as the protocol wants */
	p9c_u32(c, msize);
	p9c_str(c, version);
	err = p9c_send(c);
	if (err)
		return err;
	c->msize = p9c_r32(c);
	p9c_rstr(c, v, sizeof(v));
	return strcmp(v, P9_VERSION_L) ? -EPROTONOSUPPORT : 0;
}

int p9c_attach(struct p9c *c, uint32_t fid)
{
	return p9c_call(c, P9_TATTACH, "ddssd", fid, P9_NOFID, "root", "", 0);
}

int p9c_walkv(struct p9c *c, uint32_t fid, uint32_t newfid, unsigned n, const char *const *names)
{
	p9c_begin(c, P9_TWALK);
	p9c_u32(c, fid);
	p9c_u32(c, newfid);
	p9c_u16(c, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		p9c_str(c, names[i]);
	return p9c_send(c);
}

int p9c_walk(struct p9c *c, uint32_t fid, uint32_t newfid, const char *path)
{
	char copy[512], *save, *name;
	const char *names[64];
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	for (name = strtok_r(copy, "/", &save); name && n < 64; name = strtok_r(NULL, "/", &save))
		names[n++] = name;
	return p9c_walkv(c, fid, newfid, n, names);
}

int p9c_getattr(struct p9c *c, uint32_t fid, struct p9c_attr *a)
{
	int err = p9c_call(c, P9_TGETATTR, "dq", fid, (uint64_t)P9_GETATTR_ALL);

	if (err)
		return err;
	a->valid = p9c_r64(c);
	p9c_rqid(c, &a->qid);
	a->mode = p9c_r32(c);
	a->uid = p9c_r32(c);
	a->gid = p9c_r32(c);
	a->nlink = p9c_r64(c);
	p9c_r64(c); /* rdev */
	a->size = p9c_r64(c);
	p9c_r64(c); /* blksize */
	a->blocks = p9c_r64(c);
	p9c_r64(c); /* atime */
	p9c_r64(c);
	a->mtime_sec = p9c_r64(c);
	for (int i = 0; i < 7; i++)
		p9c_r64(c); /* mtime_nsec, ctime, btime, gen, data_version */
	return c->rep_bad || c->rep_pos != c->rep_len ? P9C_BAD_REPLY : 0;
}

int p9c_lopen(struct p9c *c, uint32_t fid, uint32_t flags)
{
	return p9c_call(c, P9_TLOPEN, "dd", fid, flags);
}

int p9c_read(struct p9c *c, uint32_t fid, uint64_t off, uint32_t count, void *buf, uint32_t *n)
{
	int err = p9c_call(c, P9_TREAD, "dqd", fid, off, count);

	if (err)
		return err;
	*n = p9c_r32(c);
	if (*n > count || *n != c->rep_len - c->rep_pos)
		return P9C_BAD_REPLY;
	memcpy(buf, c->rep + c->rep_pos, *n);
	return 0;
}

int p9c_write(struct p9c *c, uint32_t fid, uint64_t off, const void *buf, uint32_t count, uint32_t *n)
{
	int err;

	p9c_begin(c, P9_TWRITE);
	p9c_u32(c, fid);
	p9c_u64(c, off);
	p9c_u32(c, count);
	p9c_bytes(c, buf, count);
	err = p9c_send(c);
	if (!err)
		*n = p9c_r32(c);
	return err;
}

int p9c_setattr(struct p9c *c, uint32_t fid, uint32_t valid, uint32_t mode, uint32_t uid,
		uint32_t gid, uint64_t size, uint64_t sec, uint64_t nsec)
{
	return p9c_call(c, P9_TSETATTR, "dddddqqqqq", fid, valid, mode, uid, gid, size,
			sec, nsec, sec, nsec);
}

int p9c_clunk(struct p9c *c, uint32_t fid)
{
	return p9c_call(c, P9_TCLUNK, "d", fid);
}

int p9c_readlink(struct p9c *c, uint32_t fid, char *buf, size_t cap)
{
	int err = p9c_call(c, P9_TREADLINK, "d", fid);

	if (!err)
		p9c_rstr(c, buf, cap);
	return err;
}
