/* SPDX-License-Identifier: MIT */
/*
 * The server: its life, the session (Tversion, Tattach, Tauth, Tflush,
 * Tclunk) and the dispatcher that frames every request and reply.
 *
 * A request is size[4] type[1] tag[2] fields...; the reply is size[4]
 * type+1 tag[2] fields... or size[4] Rlerror tag[2] ecode[4]. The
 * dispatcher checks the frame, refuses what a read-only server must not do
 * before any handler sees it, and turns a handler's negative errno (or a
 * reply that did not fit) into Rlerror.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p9/internal.h"

#define RLERROR_SIZE (P9_HEADER_SIZE + 4)

int p9_server_new(int root_fd, const struct p9_options *opt, struct p9_server **out)
{
	static const struct p9_options defaults;
	struct p9_server *s;
	struct stat st;
	int err;

	if (!opt)
		opt = &defaults;
	if (opt->max_msize && (opt->max_msize < P9_MIN_MSIZE || opt->max_msize > P9_MAX_MSIZE))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->writable = opt->writable;
	s->max_msize = opt->max_msize ? opt->max_msize : P9_DEFAULT_MSIZE;
	s->msize = s->max_msize;
	s->max_fids = opt->max_fids ? opt->max_fids : P9_DEFAULT_MAX_FIDS;
	s->root = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->root < 0) {
		err = -errno;
		free(s);
		return err;
	}
	err = p9_stat_fd(s->root, &st);
	if (!err && !S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	if (err) {
		p9_server_free(s);
		return err;
	}
	s->root_dev = st.st_dev;
	s->root_ino = st.st_ino;
	/* openat2 unless Linux is older than 5.6 (ENOSYS) or a seccomp filter does not know it (EPERM). */
	s->openat2 = !opt->no_openat2;
	if (s->openat2) {
		int fd = p9_open_path(s, "", O_PATH);

		if (fd >= 0)
			close(fd);
		s->openat2 = fd >= 0 || (fd != -ENOSYS && fd != -EPERM);
	}
	*out = s;
	return 0;
}

void p9_server_free(struct p9_server *s)
{
	if (!s)
		return;
	p9_fid_clunk_all(s);
	if (s->root >= 0)
		close(s->root);
	free(s);
}

uint32_t p9_server_msize(const struct p9_server *s)
{
	return s->msize;
}

uint32_t p9_server_fid_count(const struct p9_server *s)
{
	return s->nfids;
}

/*
 * msize[4] version[s]. A new session: every fid of the old one is clunked.
 * A version we do not speak gets "unknown" (the protocol's answer), an
 * msize below Linux's own floor gets EINVAL.
 */
static int version(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t msize = p9_get32(in);
	struct p9_str v = p9_getstr(in);
	bool known = v.len == strlen(P9_VERSION_L) && !memcmp(v.s, P9_VERSION_L, v.len);

	if (in->bad)
		return -EPROTO;
	p9_fid_clunk_all(s);
	s->versioned = false;
	if (msize < P9_MIN_MSIZE)
		return -EINVAL;
	if (msize > s->max_msize)
		msize = s->max_msize;
	p9_put32(out, msize);
	if (!known) {
		p9_putstr(out, "unknown", 7);
		return 0;
	}
	p9_putstr(out, P9_VERSION_L, strlen(P9_VERSION_L));
	s->msize = msize;
	s->versioned = true;
	return 0;
}

/* afid[4] uname[s] aname[s] n_uname[4]: no authentication here. */
static int auth(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	(void)s;
	(void)out;
	p9_get32(in);
	p9_getstr(in);
	p9_getstr(in);
	p9_get32(in);
	return in->bad ? -EPROTO : -EOPNOTSUPP;
}

/*
 * fid[4] afid[4] uname[s] aname[s] n_uname[4]. The fid names the export's
 * root. The user names are not used: the server acts with the VMM's own
 * credentials. aname is ignored (virtio-9p picks the export by its mount
 * tag, and Linux sends aname "" unless told otherwise).
 */
static int attach(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = p9_get32(in), afid = p9_get32(in);
	struct p9_qid qid;
	struct stat st;
	int fd, err;

	p9_getstr(in);
	p9_getstr(in);
	p9_get32(in);
	if (in->bad)
		return -EPROTO;
	if (afid != P9_NOFID)
		return -EBADF; /* no Tauth ever made one */
	fd = p9_stat_new(p9_open_path(s, "", O_PATH | O_DIRECTORY), &st);
	if (fd < 0)
		return fd;
	err = p9_fid_add(s, fid, P9_FID_NODE, fd, "", &st, NULL);
	if (err)
		return err;
	p9_qid_of(s, &st, &qid);
	p9_putqid(out, &qid);
	return 0;
}

/* oldtag[2]: every request is answered before the next comes in, so nothing to cancel. */
static int flush(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	(void)s;
	(void)out;
	p9_get16(in);
	return in->bad ? -EPROTO : 0;
}

/* fid[4] */
static int clunk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t num = p9_get32(in);
	struct p9_fid *fid = in->bad ? NULL : p9_fid_get(s, num);

	(void)out;
	if (!fid)
		return in->bad ? -EPROTO : -EBADF;
	p9_fid_clunk(s, fid);
	return 0;
}

struct handler {
	p9_handler_fn *fn;
	bool changes; /* refused with EROFS by a read-only server, unread */
};

/*
 * Every request this server answers; anything else (9P2000's Topen,
 * Tcreate, Tstat, Twstat, replies, numbers nobody uses) is EOPNOTSUPP.
 * Tremove is not marked: it must clunk its fid even when it fails.
 */
static const struct handler handlers[256] = {
	[P9_TVERSION]     = { version, false },
	[P9_TAUTH]        = { auth, false },
	[P9_TATTACH]      = { attach, false },
	[P9_TFLUSH]       = { flush, false },
	[P9_TCLUNK]       = { clunk, false },
	[P9_TWALK]        = { p9_walk, false },
	[P9_TGETATTR]     = { p9_getattr, false },
	[P9_TSTATFS]      = { p9_statfs, false },
	[P9_TREADLINK]    = { p9_readlink, false },
	[P9_TXATTRWALK]   = { p9_xattrwalk, false },
	[P9_TLOPEN]       = { p9_lopen, false },
	[P9_TREAD]        = { p9_read, false },
	[P9_TREADDIR]     = { p9_readdir, false },
	[P9_TLOCK]        = { p9_lock, false },
	[P9_TGETLOCK]     = { p9_getlock, false },
	[P9_TREMOVE]      = { p9_remove, false },
	[P9_TWRITE]       = { p9_write, true },
	[P9_TFSYNC]       = { p9_fsync, true },
	[P9_TSETATTR]     = { p9_setattr, true },
	[P9_TLCREATE]     = { p9_lcreate, true },
	[P9_TMKDIR]       = { p9_mkdir, true },
	[P9_TSYMLINK]     = { p9_symlink, true },
	[P9_TMKNOD]       = { p9_mknod, true },
	[P9_TRENAME]      = { p9_rename, true },
	[P9_TRENAMEAT]    = { p9_renameat, true },
	[P9_TUNLINKAT]    = { p9_unlinkat, true },
	[P9_TLINK]        = { p9_link, true },
	[P9_TXATTRCREATE] = { p9_xattrcreate, true },
};

static int dispatch(struct p9_server *s, uint8_t type, uint32_t size, size_t req_len,
		    struct p9_in *in, struct p9_out *out)
{
	const struct handler *h = &handlers[type];

	if (size < P9_HEADER_SIZE || size > req_len)
		return -EPROTO; /* the frame says more (or less) than arrived */
	if (!s->versioned && type != P9_TVERSION)
		return -EPROTO; /* Tversion comes first */
	if (!h->fn)
		return -EOPNOTSUPP;
	if (h->changes && !s->writable)
		return -EROFS;
	return h->fn(s, in, out);
}

ssize_t p9_server_handle(struct p9_server *s, const void *req, size_t req_len,
			 void *reply, size_t reply_cap)
{
	const uint8_t *r = req;
	uint32_t size;
	uint8_t type;
	uint16_t tag;
	size_t cap = reply_cap < s->msize ? reply_cap : s->msize, body;
	struct p9_in in;
	struct p9_out out = { reply, cap, P9_HEADER_SIZE, false };
	int err;

	if (req_len < P9_HEADER_SIZE)
		return -EPROTO;
	if (cap < RLERROR_SIZE)
		return -ENOSPC;
	size = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
	type = r[4];
	tag = (uint16_t)(r[5] | r[6] << 8);
	body = size <= req_len ? size : req_len;
	in = (struct p9_in){ r + P9_HEADER_SIZE, body > P9_HEADER_SIZE ? body - P9_HEADER_SIZE : 0, 0, false };
	err = dispatch(s, type, size, req_len, &in, &out);
	if (!err && out.full)
		err = -EMSGSIZE; /* done, but the answer does not fit in msize */
	if (err) {
		out = (struct p9_out){ reply, cap, P9_HEADER_SIZE, false };
		p9_put32(&out, (uint32_t)-err);
		type = P9_RLERROR;
	} else {
		type++;
	}
	p9_le32_at(out.p, (uint32_t)out.pos);
	out.p[4] = type;
	out.p[5] = (uint8_t)tag;
	out.p[6] = (uint8_t)(tag >> 8);
	return (ssize_t)out.pos;
}
