/* SPDX-License-Identifier: MIT */
/*
 * Finding files and asking about them: Twalk, Tgetattr, Tstatfs,
 * Treadlink, Txattrwalk.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "p9/internal.h"

/* Where a walk is: an O_PATH fd it owns and that file's path. */
struct place {
	int fd;
	char path[PATH_MAX];
	struct stat st;
};

/*
 * One step of a walk. "." stays; ".." is the parent of the path (the root's
 * is the root), opened afresh from the root; anything else is one name
 * looked up in the current directory without following it.
 */
static int step(struct p9_server *s, struct place *at, struct p9_str str)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct stat st;
	int fd, err = p9_name(str, name);

	if (err)
		return err;
	if (!strcmp(name, "."))
		return 0;
	if (!strcmp(name, "..")) {
		p9_path_parent(path, at->path);
		fd = p9_open_path(s, path, O_PATH | O_DIRECTORY);
	} else {
		if (!S_ISDIR(at->st.st_mode))
			return -ENOTDIR;
		err = p9_path_join(path, at->path, name);
		if (err)
			return err;
		fd = p9_open_child(s, at->fd, name, O_PATH, 0);
	}
	fd = p9_stat_new(fd, &st);
	if (fd < 0)
		return fd;
	close(at->fd);
	at->fd = fd;
	at->st = st;
	memcpy(at->path, path, strlen(path) + 1);
	return 0;
}

/*
 * fid[4] newfid[4] nwname[2] nwname*(wname[s]) -> nwqid[2] nwqid*(qid[13]).
 * newfid gets the place the walk reaches (newfid == fid moves fid there);
 * if a step past the first fails, the reply has the qids of the steps that
 * worked and newfid is not made; if the first fails, Rlerror.
 */
int p9_walk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), newnum = p9_get32(in);
	uint16_t n = p9_get16(in);
	struct p9_str names[P9_MAXWELEM];
	struct place at;
	struct p9_fid *fid;
	uint8_t *count;
	unsigned done = 0;
	int err = 0;

	if (in->bad)
		return -EPROTO;
	if (n > P9_MAXWELEM)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		names[i] = p9_getstr(in);
	if (in->bad)
		return -EPROTO;
	fid = p9_fid_node(s, num);
	if (!fid)
		return -EBADF;
	if (newnum == num && n == 0) {
		p9_put16(out, 0); /* a fid cloned onto itself: nothing to do, not even to close it */
		return 0;
	}
	if (newnum != num && p9_fid_get(s, newnum))
		return -EEXIST;
	if (newnum != num && s->nfids >= s->max_fids)
		return -EMFILE;
	count = p9_reserve(out, 2);
	if (!count)
		return -EMSGSIZE;
	at.fd = fcntl(fid->fd, F_DUPFD_CLOEXEC, 0);
	if (at.fd < 0)
		return -errno;
	memcpy(at.path, fid->path, strlen(fid->path) + 1);
	err = p9_stat_fd(at.fd, &at.st);
	for (; !err && done < n; done++) {
		struct p9_qid qid;

		err = step(s, &at, names[done]);
		if (err)
			break;
		p9_qid_of(s, &at.st, &qid);
		p9_putqid(out, &qid);
	}
	count[0] = (uint8_t)done;
	count[1] = 0;
	if (err && done == 0) {
		close(at.fd);
		return err;
	}
	if (done < n) {
		close(at.fd);
		return 0; /* a partial walk: the qids say how far it got */
	}
	if (newnum == num)
		return p9_fid_move(fid, at.fd, at.path, &at.st);
	return p9_fid_add(s, newnum, P9_FID_NODE, at.fd, at.path, &at.st, NULL);
}

/*
 * fid[4] request_mask[8] -> valid[8] qid[13] mode[4] uid[4] gid[4]
 * nlink[8] rdev[8] size[8] blksize[8] blocks[8] atime, mtime, ctime,
 * btime (sec[8] nsec[8] each) gen[8] data_version[8]. The basic
 * attributes every time, whatever was asked (the protocol allows more).
 */
int p9_getattr(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid;
	struct p9_qid qid;
	struct stat st;
	int err;

	p9_get64(in);
	err = p9_fid_arg(s, in, num, &fid);
	if (!err)
		err = p9_stat_fd(fid->fd, &st);
	if (err)
		return err;
	p9_qid_of(s, &st, &qid);
	p9_put64(out, P9_GETATTR_BASIC);
	p9_putqid(out, &qid);
	p9_put32(out, st.st_mode);
	p9_put32(out, st.st_uid);
	p9_put32(out, st.st_gid);
	p9_put64(out, st.st_nlink);
	p9_put64(out, st.st_rdev);
	p9_put64(out, (uint64_t)st.st_size);
	p9_put64(out, (uint64_t)st.st_blksize);
	p9_put64(out, (uint64_t)st.st_blocks);
	p9_put64(out, (uint64_t)st.st_atim.tv_sec);
	p9_put64(out, (uint64_t)st.st_atim.tv_nsec);
	p9_put64(out, (uint64_t)st.st_mtim.tv_sec);
	p9_put64(out, (uint64_t)st.st_mtim.tv_nsec);
	p9_put64(out, (uint64_t)st.st_ctim.tv_sec);
	p9_put64(out, (uint64_t)st.st_ctim.tv_nsec);
	for (int i = 0; i < 4; i++)
		p9_put64(out, 0); /* btime, gen, data_version: not given */
	return 0;
}

/* fid[4] -> type[4] bsize[4] blocks[8] bfree[8] bavail[8] files[8] ffree[8] fsid[8] namelen[4] */
int p9_statfs(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid;
	struct statfs sf;
	uint64_t fsid;
	int err = p9_fid_arg(s, in, num, &fid);

	if (err)
		return err;
	if (fstatfs(fid->fd, &sf))
		return -errno;
	memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
	p9_put32(out, (uint32_t)sf.f_type);
	p9_put32(out, (uint32_t)sf.f_bsize);
	p9_put64(out, sf.f_blocks);
	p9_put64(out, sf.f_bfree);
	p9_put64(out, sf.f_bavail);
	p9_put64(out, sf.f_files);
	p9_put64(out, sf.f_ffree);
	p9_put64(out, fsid);
	p9_put32(out, (uint32_t)sf.f_namelen);
	return 0;
}

/* fid[4] -> target[s]: the link's text as it is; the guest resolves it in its own tree. */
int p9_readlink(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid;
	ssize_t n;
	int err = p9_fid_arg(s, in, num, &fid);

	if (err)
		return err;
	if (!S_ISLNK(fid->mode))
		return -EINVAL;
	n = readlinkat(fid->fd, "", s->text, sizeof(s->text));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(s->text))
		return -ENAMETOOLONG;
	if ((size_t)n + 2 > p9_room(out))
		return -ENAMETOOLONG; /* longer than msize allows */
	p9_putstr(out, s->text, (size_t)n);
	return 0;
}

/*
 * fid[4] newfid[4] name[s] -> size[8]. No extended attributes are served:
 * the list (name "") is empty, a fid to read it with (0 bytes) is made;
 * any one attribute is ENODATA, which Linux's getxattr passes on as "no
 * such attribute" (security.capability on every write, for one).
 */
int p9_xattrwalk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in), newnum = p9_get32(in);
	struct p9_str name = p9_getstr(in);
	struct p9_fid *fid;
	int err = p9_fid_arg(s, in, num, &fid);

	if (err)
		return err;
	if (name.len)
		return -ENODATA;
	err = p9_fid_add(s, newnum, P9_FID_XATTR, -1, "", NULL, NULL);
	if (err)
		return err;
	p9_put64(out, 0);
	return 0;
}
