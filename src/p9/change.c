/* SPDX-License-Identifier: MIT */
/*
 * Changes to the export, for a writable server only (the dispatcher
 * answers EROFS for all of them otherwise, except Tremove, which clunks its
 * fid whatever happens): Tsetattr, Tlcreate, Tmkdir, Tsymlink, Tmknod,
 * Trename, Trenameat, Tunlinkat, Tlink, Tremove, Txattrcreate.
 *
 * New files belong to the VMM's user: the guest's uid is not the host's.
 * The group the guest asks for is given where the host lets us (one of our
 * own groups), else the file keeps the default one, as QEMU's "none"
 * security model does.
 *
 * Nothing changes on the host's kernel file systems (/proc, /sys, cgroups:
 * EACCES, confine.c's p9_may_open). Device nodes are the host's business,
 * not the guest's: a VMM running as root would otherwise let a guest make
 * a node for the host's disk or /dev/mem in the export (readable by the
 * host's users, openable by the server itself), or chmod one that is
 * there. Tmknod makes FIFOs, sockets and regular files; the mode and owner
 * of a device node stay as they are (EPERM); Tlcreate opens only regular
 * files (Tlopen likewise).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "p9/internal.h"

static void give_gid(int fd, uint32_t gid, struct stat *st)
{
	if (st->st_gid != gid && !fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		st->st_gid = gid;
}

/* An O_PATH fd cannot fchmod; its /proc link reaches the very same file. */
static int chmod_opath(int fd, mode_t mode)
{
	char proc[40];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, mode) ? -errno : 0;
}

/*
 * The mode the guest asked for, exactly: its client applied the guest's
 * umask already, so the VMM's must not take bits away too. Where that
 * fails, the file keeps what the umask left.
 */
static void give_mode(int fd, mode_t mode, struct stat *st)
{
	if ((st->st_mode & 07777) != mode && !S_ISLNK(st->st_mode) && !chmod_opath(fd, mode))
		st->st_mode = (st->st_mode & S_IFMT) | mode;
}

/* The qid of dir's new child name, given the mode and group the guest asked for. */
static int put_child_qid(struct p9_server *s, const struct p9_fid *dir, const char *name,
			 mode_t mode, uint32_t gid, struct p9_out *out)
{
	struct p9_qid qid;
	struct stat st;
	int fd = p9_stat_new(p9_open_child(s, dir->fd, name, O_PATH, 0), &st);

	if (fd < 0)
		return fd;
	give_mode(fd, mode & 07777, &st);
	give_gid(fd, gid, &st);
	p9_qid_of(s, &st, &qid);
	p9_putqid(out, &qid);
	close(fd);
	return 0;
}

static int chmod_fid(struct p9_server *s, const struct p9_fid *fid, mode_t mode)
{
	int fd, err;

	if (S_ISLNK(fid->mode))
		return -EOPNOTSUPP; /* Linux keeps no mode on a symlink */
	if (fid->open_fd >= 0)
		return fchmod(fid->open_fd, mode) ? -errno : 0;
	err = chmod_opath(fid->fd, mode);
	if (err != -ENOENT || !(S_ISREG(fid->mode) || S_ISDIR(fid->mode)))
		return err;
	/* No /proc here: open the file itself, which needs read permission. */
	fd = p9_reopen(s, fid, O_RDONLY | O_NONBLOCK | O_NOCTTY | (S_ISDIR(fid->mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return fd;
	err = fchmod(fd, mode) ? -errno : 0;
	close(fd);
	return err;
}

static int truncate_fid(struct p9_server *s, const struct p9_fid *fid, uint64_t size)
{
	int fd, err = 0;

	if (S_ISDIR(fid->mode))
		return -EISDIR;
	if (!S_ISREG(fid->mode))
		return -EINVAL;
	if (size > INT64_MAX)
		return -EFBIG;
	if (fid->open_fd >= 0 && (fid->open_flags & O_ACCMODE) != O_RDONLY)
		return ftruncate(fid->open_fd, (off_t)size) ? -errno : 0;
	fd = p9_reopen(s, fid, O_WRONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size))
		err = -errno;
	close(fd);
	return err;
}

static int time_of(uint32_t valid, uint32_t is, uint32_t set, uint64_t sec, uint64_t nsec,
		   struct timespec *ts)
{
	if (!(valid & is)) {
		ts->tv_nsec = UTIME_OMIT;
	} else if (!(valid & set)) {
		ts->tv_nsec = UTIME_NOW;
	} else {
		if (nsec >= 1000000000u || sec > INT64_MAX)
			return -EINVAL;
		ts->tv_sec = (time_t)sec;
		ts->tv_nsec = (long)nsec;
	}
	return 0;
}

/*
 * fid[4] valid[4] mode[4] uid[4] gid[4] size[8] atime_sec[8] atime_nsec[8]
 * mtime_sec[8] mtime_nsec[8]: mode, owner, size, times, in that order;
 * the first failure is the answer. CTIME alone changes nothing (the host
 * sets ctime itself on any change).
 */
int p9_setattr(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), valid = p9_get32(in), mode = p9_get32(in);
	uint32_t uid = p9_get32(in), gid = p9_get32(in);
	uint64_t size = p9_get64(in);
	uint64_t asec = p9_get64(in), ansec = p9_get64(in);
	uint64_t msec = p9_get64(in), mnsec = p9_get64(in);
	struct timespec ts[2];
	struct p9_fid *fid;
	int err = p9_fid_arg(s, in, num, &fid);

	(void)out;
	if (!err)
		err = p9_may_open(fid->fd);
	if (!err && valid & (P9_SETATTR_MODE | P9_SETATTR_UID | P9_SETATTR_GID) &&
	    (S_ISCHR(fid->mode) || S_ISBLK(fid->mode)))
		err = -EPERM;
	if (!err && valid & P9_SETATTR_MODE)
		err = chmod_fid(s, fid, mode & 07777);
	if (!err && valid & (P9_SETATTR_UID | P9_SETATTR_GID) &&
	    fchownat(fid->fd, "", valid & P9_SETATTR_UID ? uid : (uid_t)-1,
		     valid & P9_SETATTR_GID ? gid : (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		err = -errno;
	if (!err && valid & P9_SETATTR_SIZE)
		err = truncate_fid(s, fid, size);
	if (!err && valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)) {
		err = time_of(valid, P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET, asec, ansec, &ts[0]);
		if (!err)
			err = time_of(valid, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET, msec, mnsec, &ts[1]);
		if (!err && utimensat(fid->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			err = -errno;
	}
	return err;
}

/* A directory fid and a name (not "." or "..") in it, from a request read whole. */
static int dir_and_name(struct p9_server *s, const struct p9_in *in, uint32_t num,
			struct p9_str str, char *name, struct p9_fid **dir)
{
	int err = p9_fid_arg(s, in, num, dir);

	if (err)
		return err;
	if (!S_ISDIR((*dir)->mode))
		return -ENOTDIR;
	err = p9_may_open((*dir)->fd);
	return err ? err : p9_new_name(str, name);
}

/*
 * Tlcreate without O_EXCL of a name that is there: opened if it is a
 * regular file (never a device node, FIFO or socket: their open is not
 * the server's to do), else EEXIST.
 */
static int open_existing(struct p9_server *s, const struct p9_fid *dir, const char *name, int flags)
{
	struct stat st;
	int fd = p9_stat_new(p9_open_child(s, dir->fd, name, O_PATH, 0), &st), err;

	if (fd < 0)
		return fd;
	err = p9_may_open(fd);
	close(fd);
	if (err)
		return err;
	if (!S_ISREG(st.st_mode))
		return -EEXIST;
	fd = p9_stat_new(p9_open_child(s, dir->fd, name, flags, 0), &st);
	if (fd >= 0 && !S_ISREG(st.st_mode)) {
		close(fd); /* swapped on the host in between */
		return -EEXIST;
	}
	return fd;
}

/*
 * fid[4] name[s] flags[4] mode[4] gid[4] -> qid[13] iounit[4]: name made
 * in the directory fid, opened; fid is that file from now on.
 */
int p9_lcreate(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_str str = p9_getstr(in);
	uint32_t l = p9_get32(in), mode = p9_get32(in), gid = p9_get32(in);
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct stat st, pst;
	struct p9_fid *dir;
	struct p9_qid qid;
	int flags, fd, pfd, err;
	bool created;

	err = dir_and_name(s, in, num, str, name, &dir);
	if (!err && dir->open_fd >= 0)
		err = -EINVAL;
	if (!err)
		err = p9_host_flags(s, l, &flags);
	if (!err)
		err = p9_path_join(path, dir->path, name);
	if (err)
		return err;
	fd = p9_open_child(s, dir->fd, name, flags | O_CREAT | O_EXCL, mode & 07777);
	created = fd >= 0;
	if (fd == -EEXIST && !(l & P9_DOTL_EXCL))
		fd = open_existing(s, dir, name, flags);
	if (fd < 0)
		return fd;
	pfd = p9_open_child(s, dir->fd, name, O_PATH, 0);
	err = pfd < 0 ? pfd : p9_stat_fd(fd, &st);
	if (!err)
		err = p9_stat_fd(pfd, &pst);
	if (!err && (st.st_dev != pst.st_dev || st.st_ino != pst.st_ino))
		err = -ESTALE;
	if (!err) {
		if (created) {
			give_mode(pfd, mode & 07777, &st);
			give_gid(pfd, gid, &st);
		}
		err = p9_fid_move(dir, pfd, path, &st);
		pfd = -1; /* the fid's now, or closed */
	}
	if (err) {
		if (pfd >= 0)
			close(pfd);
		close(fd);
		return err;
	}
	dir->open_fd = fd;
	dir->open_flags = flags;
	p9_qid_of(s, &st, &qid);
	p9_putqid(out, &qid);
	p9_put32(out, 0);
	return 0;
}

/* dfid[4] name[s] mode[4] gid[4] -> qid[13] */
int p9_mkdir(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_str str = p9_getstr(in);
	uint32_t mode = p9_get32(in), gid = p9_get32(in);
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int err;

	err = dir_and_name(s, in, num, str, name, &dir);
	if (err)
		return err;
	if (mkdirat(dir->fd, name, mode & 07777))
		return -errno;
	return put_child_qid(s, dir, name, mode, gid, out);
}

/* fid[4] name[s] symtgt[s] gid[4] -> qid[13]: the text is stored, never followed. */
int p9_symlink(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_str str = p9_getstr(in), target = p9_getstr(in);
	uint32_t gid = p9_get32(in);
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int err;

	err = dir_and_name(s, in, num, str, name, &dir);
	if (err)
		return err;
	if (!target.len)
		return -ENOENT;
	if (memchr(target.s, '\0', target.len))
		return -EINVAL;
	if (target.len >= sizeof(s->text))
		return -ENAMETOOLONG;
	memcpy(s->text, target.s, target.len);
	s->text[target.len] = '\0';
	if (symlinkat(s->text, dir->fd, name))
		return -errno;
	return put_child_qid(s, dir, name, 0777, gid, out);
}

/*
 * dfid[4] name[s] mode[4] major[4] minor[4] gid[4] -> qid[13]. No device
 * nodes (see the top of this file).
 */
int p9_mknod(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_str str = p9_getstr(in);
	uint32_t mode = p9_get32(in), major = p9_get32(in), minor = p9_get32(in), gid = p9_get32(in);
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int err;

	err = dir_and_name(s, in, num, str, name, &dir);
	if (err)
		return err;
	switch (mode & S_IFMT) {
	case 0: case S_IFREG: case S_IFIFO: case S_IFSOCK:
		break;
	case S_IFCHR: case S_IFBLK:
		return -EPERM;
	default:
		return -EINVAL;
	}
	if (mknodat(dir->fd, name, mode & (S_IFMT | 07777), makedev(major, minor)))
		return -errno;
	return put_child_qid(s, dir, name, mode, gid, out);
}

/* The file at from is now at to: fids there follow it. */
static int renamed(struct p9_server *s, const char *from, const char *to)
{
	char old[PATH_MAX];

	/* from may be a fid's own path, which the update replaces. */
	memcpy(old, from, strlen(from) + 1);
	p9_fid_renamed(s, old, to);
	return 0;
}

/*
 * fid's file renamed (Trename) or linked (Tlink) to name in the directory
 * dnum: from its parent, found by its path and checked to be it still.
 */
static int rename_or_link(struct p9_server *s, struct p9_in *in, uint32_t num, uint32_t dnum,
			  struct p9_str str, bool link)
{
	char name[NAME_MAX + 1], to[PATH_MAX];
	struct p9_fid *fid, *dir;
	const char *oldname;
	int parent, err = p9_fid_arg(s, in, num, &fid);

	if (!err)
		err = dir_and_name(s, in, dnum, str, name, &dir);
	if (!err)
		err = p9_path_join(to, dir->path, name);
	if (!err && link && S_ISDIR(fid->mode))
		err = -EPERM;
	if (err)
		return err;
	parent = p9_open_parent(s, fid, &oldname);
	if (parent < 0)
		return parent;
	if (link)
		err = linkat(parent, oldname, dir->fd, name, 0) ? -errno : 0;
	else
		err = renameat(parent, oldname, dir->fd, name) ? -errno : 0;
	close(parent);
	return err || link ? err : renamed(s, fid->path, to);
}

/* fid[4] dfid[4] name[s]: the older form of Trenameat, for the file fid. */
int p9_rename(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), dnum = p9_get32(in);
	struct p9_str str = p9_getstr(in);

	(void)out;
	return rename_or_link(s, in, num, dnum, str, false);
}

/* olddirfid[4] oldname[s] newdirfid[4] newname[s] */
int p9_renameat(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t onum = p9_get32(in);
	struct p9_str ostr = p9_getstr(in);
	uint32_t nnum = p9_get32(in);
	struct p9_str nstr = p9_getstr(in);
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1], from[PATH_MAX], to[PATH_MAX];
	struct p9_fid *odir, *ndir;
	int err;

	(void)out;
	err = dir_and_name(s, in, onum, ostr, oname, &odir);
	if (!err)
		err = dir_and_name(s, in, nnum, nstr, nname, &ndir);
	if (!err)
		err = p9_path_join(from, odir->path, oname);
	if (!err)
		err = p9_path_join(to, ndir->path, nname);
	if (err)
		return err;
	if (renameat(odir->fd, oname, ndir->fd, nname))
		return -errno;
	return renamed(s, from, to);
}

/* dirfd[4] name[s] flags[4]: flags 0 or AT_REMOVEDIR (0x200). */
int p9_unlinkat(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_str str = p9_getstr(in);
	uint32_t flags = p9_get32(in);
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int err;

	(void)out;
	err = dir_and_name(s, in, num, str, name, &dir);
	if (!err && flags & ~(uint32_t)P9_DOTL_AT_REMOVEDIR)
		err = -EINVAL;
	if (err)
		return err;
	return unlinkat(dir->fd, name, flags ? AT_REMOVEDIR : 0) ? -errno : 0;
}

/* dfid[4] fid[4] name[s]: a hard link to fid's file, named name in dfid. */
int p9_link(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t dnum = p9_get32(in), num = p9_get32(in);
	struct p9_str str = p9_getstr(in);

	(void)out;
	return rename_or_link(s, in, num, dnum, str, true);
}

static int remove_file(struct p9_server *s, const struct p9_fid *fid)
{
	const char *name;
	int parent, err = p9_may_open(fid->fd);

	if (err)
		return err;
	parent = p9_open_parent(s, fid, &name);
	if (parent < 0)
		return parent;
	err = unlinkat(parent, name, S_ISDIR(fid->mode) ? AT_REMOVEDIR : 0) ? -errno : 0;
	close(parent);
	return err;
}

/* fid[4]: the file goes, and so does the fid, whether or not the file could. */
int p9_remove(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid = in->bad ? NULL : p9_fid_get(s, num);
	int err;

	(void)out;
	if (!fid)
		return in->bad ? -EPROTO : -EBADF;
	if (fid->kind != P9_FID_NODE)
		err = -EINVAL;
	else if (!s->writable)
		err = -EROFS;
	else
		err = remove_file(s, fid);
	p9_fid_clunk(s, fid);
	return err;
}

/* fid[4] name[s] attr_size[8] flags[4]: no extended attributes are kept. */
int p9_xattrcreate(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid;
	int err;

	(void)out;
	p9_getstr(in);
	p9_get64(in);
	p9_get32(in);
	err = p9_fid_arg(s, in, num, &fid);
	return err ? err : -EOPNOTSUPP;
}
