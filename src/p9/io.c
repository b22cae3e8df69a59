/* SPDX-License-Identifier: MIT */
/*
 * Open files: Tlopen, Tread, Treaddir, Twrite, Tfsync, Tlock, Tgetlock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "p9/internal.h"

int p9_host_flags(const struct p9_server *s, uint32_t l, int *flags)
{
	int f;

	switch (l & P9_DOTL_ACCMODE) {
	case P9_DOTL_RDONLY: f = O_RDONLY; break;
	case P9_DOTL_WRONLY: f = O_WRONLY; break;
	case P9_DOTL_RDWR:   f = O_RDWR; break;
	default:             return -EINVAL;
	}
	if (!s->writable && (f != O_RDONLY || l & P9_DOTL_TRUNC))
		return -EROFS;
	if (l & P9_DOTL_TRUNC)
		f |= O_TRUNC;
	if (l & P9_DOTL_APPEND)
		f |= O_APPEND;
	if (l & P9_DOTL_SYNC)
		f |= O_SYNC;
	else if (l & P9_DOTL_DSYNC)
		f |= O_DSYNC;
	/*
	 * Never passed on: O_DIRECT (the guest's alignment is not the host's),
	 * O_NOATIME (EPERM on files not ours), O_ASYNC, and the guest's own
	 * O_NONBLOCK and O_CLOEXEC. O_NONBLOCK is always on: a host lease or
	 * a FIFO must not block the server.
	 */
	*flags = f | O_NONBLOCK | O_NOCTTY;
	return 0;
}

/*
 * fid[4] flags[4] -> qid[13] iounit[4]. Regular files and directories
 * only: Linux opens device nodes, FIFOs and sockets of a 9p mount in the
 * guest (their inodes are the guest's), so a Tlopen of one is not from
 * Linux, and the host's device must not be opened for it.
 */
int p9_lopen(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), l = p9_get32(in);
	struct p9_fid *fid;
	struct p9_qid qid;
	struct stat st;
	int flags, fd, err = p9_fid_arg(s, in, num, &fid);

	if (err)
		return err;
	if (fid->open_fd >= 0)
		return -EINVAL;
	err = p9_host_flags(s, l, &flags);
	if (err)
		return err;
	if (S_ISDIR(fid->mode)) {
		if ((flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		flags = O_RDONLY | O_DIRECTORY | O_NONBLOCK;
	} else if (S_ISLNK(fid->mode)) {
		return -ELOOP;
	} else if (!S_ISREG(fid->mode)) {
		return -EOPNOTSUPP;
	}
	/* Truncated only once known to be the fid's own file. */
	fd = p9_reopen(s, fid, flags & ~O_TRUNC);
	if (fd >= 0 && flags & O_TRUNC && ftruncate(fd, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	fd = p9_stat_new(fd, &st);
	if (fd < 0)
		return fd;
	fid->open_fd = fd;
	fid->open_flags = flags;
	p9_qid_of(s, &st, &qid);
	p9_putqid(out, &qid);
	p9_put32(out, 0); /* iounit 0: the client reads up to msize less the header */
	return 0;
}

/* fid[4] offset[8] count[4] -> count[4] data[count]: as much as fits in msize. */
int p9_read(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), count;
	uint64_t offset = p9_get64(in);
	struct p9_fid *fid;
	uint8_t *at;
	size_t room;
	ssize_t n;

	count = p9_get32(in);
	if (in->bad)
		return -EPROTO;
	fid = p9_fid_get(s, num);
	if (!fid)
		return -EBADF;
	at = p9_reserve(out, 4);
	if (!at)
		return -EMSGSIZE;
	if (fid->kind == P9_FID_XATTR) {
		p9_le32_at(at, 0); /* the empty attribute list */
		return 0;
	}
	if (fid->open_fd < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	room = p9_room(out);
	n = pread(fid->open_fd, out->p + out->pos, count < room ? count : room, (off_t)offset);
	if (n < 0)
		return -errno;
	out->pos += (size_t)n;
	p9_le32_at(at, (uint32_t)n);
	return 0;
}

/* The fixed part of a Linux dirent64: ino[8] off[8] reclen[2] type[1], then the name. */
#define DIRENT_NAME_AT 19

/*
 * The qid.path of a directory entry: the same number Tgetattr gives that
 * file. d_ino alone is not it: on an overlay (as many containers' and
 * emulated hosts' roots are) readdir's d_ino and stat's st_ino differ, and a
 * file's st_dev differs from its directory's. So each entry is stat'ed, as
 * QEMU's 9p does (walked and stat'ed only, never opened; no automount).
 * "." is the fid itself, the root's ".." the root (its parent is not
 * served); a name that vanished meanwhile keeps its d_ino.
 */
static uint64_t entry_qid_path(const struct p9_server *s, const struct p9_fid *fid,
			       const char *name, size_t len, uint64_t d_ino)
{
	struct stat st;

	if (len == 1 && name[0] == '.')
		return p9_qid_path(s, fid->dev, fid->ino);
	if (len == 2 && !memcmp(name, "..", 2) && !fid->path[0])
		return p9_qid_path(s, s->root_dev, s->root_ino);
	if (fstatat(fid->open_fd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) == 0)
		return p9_qid_path(s, st.st_dev, st.st_ino);
	return p9_qid_path(s, fid->dev, (ino_t)d_ino);
}

/*
 * fid[4] offset[8] count[4] -> count[4] then entries qid[13] offset[8]
 * type[1] name[s], as many whole ones as fit in count (and msize). An
 * entry's offset is where the next one starts: the client resumes with the
 * last one it got. Offsets are the host file system's own (getdents64's
 * d_off, which lseek takes back), so a resumed listing is exactly the rest,
 * however many requests it takes.
 */
int p9_readdir(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), count;
	uint64_t offset = p9_get64(in);
	struct p9_fid *fid;
	size_t room, used = 0;
	uint8_t *at;
	bool more = false;
	int err;

	count = p9_get32(in);
	err = p9_fid_arg(s, in, num, &fid);
	if (err)
		return err;
	if (fid->open_fd < 0)
		return -EBADF;
	if (!S_ISDIR(fid->mode))
		return -ENOTDIR;
	if (offset > INT64_MAX)
		return -EINVAL;
	at = p9_reserve(out, 4);
	if (!at)
		return -EMSGSIZE;
	room = p9_room(out) < count ? p9_room(out) : count;
	if (lseek(fid->open_fd, (off_t)offset, SEEK_SET) < 0)
		return -errno;
	while (!more) {
		ssize_t n = getdents64(fid->open_fd, s->dents, sizeof(s->dents));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (size_t pos = 0; pos < (size_t)n;) {
			const uint8_t *d = s->dents + pos;
			uint64_t ino, off;
			uint16_t reclen;
			size_t len;
			struct p9_qid qid;

			memcpy(&reclen, d + 16, 2);
			if (reclen <= DIRENT_NAME_AT || reclen > (size_t)n - pos)
				return -EIO; /* not what the kernel writes */
			memcpy(&ino, d, 8);
			memcpy(&off, d + 8, 8);
			len = strnlen((const char *)d + DIRENT_NAME_AT, reclen - DIRENT_NAME_AT);
			if (used + P9_QID_SIZE + 8 + 1 + 2 + len > room) {
				more = true;
				break;
			}
			qid.type = d[18] == DT_DIR ? P9_QTDIR : d[18] == DT_LNK ? P9_QTSYMLINK : P9_QTFILE;
			qid.version = 0;
			qid.path = entry_qid_path(s, fid, (const char *)d + DIRENT_NAME_AT, len, ino);
			p9_putqid(out, &qid);
			p9_put64(out, off);
			p9_put8(out, d[18]);
			p9_putstr(out, (const char *)d + DIRENT_NAME_AT, len);
			used += P9_QID_SIZE + 8 + 1 + 2 + len;
			pos += reclen;
		}
	}
	if (more && used == 0)
		return -EINVAL; /* count too small for even one entry */
	p9_le32_at(at, (uint32_t)used);
	return 0;
}

/* fid[4] offset[8] count[4] data[count] -> count[4] */
int p9_write(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), count;
	uint64_t offset = p9_get64(in);
	const uint8_t *data;
	struct p9_fid *fid;
	ssize_t n;
	int err;

	count = p9_get32(in);
	data = p9_getbytes(in, count);
	err = p9_fid_arg(s, in, num, &fid);
	if (err)
		return err;
	if (fid->open_fd < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	n = pwrite(fid->open_fd, data, count, (off_t)offset);
	if (n < 0)
		return -errno;
	p9_put32(out, (uint32_t)n);
	return 0;
}

/* fid[4] datasync[4] (Linux sends it; older clients do not). */
int p9_fsync(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	uint32_t datasync = in->len - in->pos >= 4 ? p9_get32(in) : 0;
	struct p9_fid *fid;
	int err = p9_fid_arg(s, in, num, &fid);

	(void)out;
	if (err)
		return err;
	if (fid->open_fd < 0)
		return -EBADF;
	if (datasync ? fdatasync(fid->open_fd) : fsync(fid->open_fd))
		return -errno;
	return 0;
}

struct lock_args {
	uint8_t type;
	uint64_t start, length;
	uint32_t proc_id;
	struct p9_str client;
};

/* Tlock's and Tgetlock's fields (Tlock has flags[4] after type). */
static int lock_args(struct p9_server *s, struct p9_in *in, bool has_flags, struct lock_args *a)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid;
	int err;

	a->type = p9_get8(in);
	if (has_flags)
		p9_get32(in);
	a->start = p9_get64(in);
	a->length = p9_get64(in);
	a->proc_id = p9_get32(in);
	a->client = p9_getstr(in);
	err = p9_fid_arg(s, in, num, &fid);
	if (!err && a->type > P9_LOCK_TYPE_UNLCK)
		err = -EINVAL;
	return err;
}

/*
 * fid[4] type[1] flags[4] start[8] length[8] proc_id[4] client_id[s] ->
 * status[1]. Always granted: the guest's own VFS keeps its processes'
 * locks apart, and nobody else shares this export through us.
 */
int p9_lock(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct lock_args a;
	int err = lock_args(s, in, true, &a);

	if (err)
		return err;
	p9_put8(out, P9_LOCK_SUCCESS);
	return 0;
}

/*
 * fid[4] type[1] start[8] length[8] proc_id[4] client_id[s] -> the same
 * fields back, type UNLCK: nothing stands in the way.
 */
int p9_getlock(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct lock_args a;
	int err = lock_args(s, in, false, &a);

	if (err)
		return err;
	p9_put8(out, P9_LOCK_TYPE_UNLCK);
	p9_put64(out, a.start);
	p9_put64(out, a.length);
	p9_put32(out, a.proc_id);
	p9_putstr(out, a.client.s, a.client.len);
	return 0;
}
