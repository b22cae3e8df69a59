/* SPDX-License-Identifier: MIT */
/*
 * What the files of src/p9/ share: the message reader and writer (wire.c),
 * the server and its fids (server.c, fid.c), confinement (confine.c) and
 * the request handlers (node.c, io.c, change.c). Nothing here is for the
 * rest of minikvm: that uses p9.h.
 */
#ifndef MINIKVM_P9_INTERNAL_H
#define MINIKVM_P9_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "p9.h"
#include "protocol.h"

/* ---- wire.c: bounded little-endian reading and writing ---- */

/* A request's fields after the header; a read past the end sets bad and yields 0. */
struct p9_in {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

/* A string in the request: not NUL-terminated, may hold anything. */
struct p9_str {
	const char *s;
	uint16_t len;
};

/* The reply being written; a write past cap sets full and writes nothing. */
struct p9_out {
	uint8_t *p;
	size_t cap, pos;
	bool full;
};

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

uint8_t p9_get8(struct p9_in *in);
uint16_t p9_get16(struct p9_in *in);
uint32_t p9_get32(struct p9_in *in);
uint64_t p9_get64(struct p9_in *in);
struct p9_str p9_getstr(struct p9_in *in);
/* Where the next n bytes of the request are (NULL, bad set, if there are fewer). */
const uint8_t *p9_getbytes(struct p9_in *in, size_t n);

void p9_put8(struct p9_out *out, uint8_t v);
void p9_put16(struct p9_out *out, uint16_t v);
void p9_put32(struct p9_out *out, uint32_t v);
void p9_put64(struct p9_out *out, uint64_t v);
void p9_putstr(struct p9_out *out, const char *s, size_t len);
void p9_putqid(struct p9_out *out, const struct p9_qid *qid);
/* Room for n bytes written later (NULL, full set, if there is none). */
uint8_t *p9_reserve(struct p9_out *out, size_t n);
size_t p9_room(const struct p9_out *out);
void p9_le32_at(uint8_t *at, uint32_t v);

/* ---- the server and its fids (server.c, fid.c) ---- */

enum p9_fid_kind {
	P9_FID_NODE,  /* a file of the export */
	P9_FID_XATTR, /* Txattrwalk's answer: an empty list, read as 0 bytes */
};

struct p9_fid {
	struct p9_fid *next; /* in its hash bucket */
	uint32_t num;
	enum p9_fid_kind kind;
	int fd;        /* O_PATH | O_NOFOLLOW: which file this is; -1 for an xattr fid */
	char *path;    /* from the export's root, "" for the root, "a/b" below */
	dev_t dev;     /* the file's identity, to check a reopen by path */
	ino_t ino;
	mode_t mode;   /* S_IFMT bits at walk time */
	int open_fd;   /* after Tlopen / Tlcreate, else -1 */
	int open_flags; /* the host's O_ flags it was opened with */
};

#define P9_FID_BUCKETS 4096
#define P9_DENTS_SIZE  32768

struct p9_server {
	int root;           /* O_PATH of the export */
	dev_t root_dev;
	ino_t root_ino;
	bool writable;
	bool openat2;       /* false: the openat(O_NOFOLLOW) walk */
	bool versioned;     /* a Tversion agreed on msize */
	uint32_t max_msize, msize;
	uint32_t max_fids, nfids;
	struct p9_fid *fids[P9_FID_BUCKETS];
	char text[PATH_MAX];           /* scratch: a symlink's text */
	uint8_t dents[P9_DENTS_SIZE];  /* scratch: getdents64 */
};

struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num);
/* A node fid that exists; else NULL (the handler answers EBADF). */
struct p9_fid *p9_fid_node(struct p9_server *s, uint32_t num);
/*
 * A new fid num (not in use: -EEXIST; over the limit: -EMFILE) for the
 * file fd (taken over, closed on failure) at path; st is fd's stat.
 */
int p9_fid_add(struct p9_server *s, uint32_t num, enum p9_fid_kind kind, int fd,
	       const char *path, const struct stat *st, struct p9_fid **out);
/* Points fid at another file: fd taken over, the old ones closed. */
int p9_fid_move(struct p9_fid *fid, int fd, const char *path, const struct stat *st);
/*
 * For a handler whose fields are all read: -EPROTO if the request was
 * short of them, -EBADF if num is not a file's fid; else 0 and *fid.
 */
int p9_fid_arg(struct p9_server *s, const struct p9_in *in, uint32_t num, struct p9_fid **fid);
void p9_fid_clunk(struct p9_server *s, struct p9_fid *fid);
void p9_fid_clunk_all(struct p9_server *s);
/* After a rename: fids at from or below it now name to (or below it). */
void p9_fid_renamed(struct p9_server *s, const char *from, const char *to);

/* ---- confine.c: every lookup of the host's files ---- */

/* A name from the guest in buf (NAME_MAX + 1): not empty, no '/', no NUL. */
int p9_name(struct p9_str str, char *buf);
/* Also not "." or ".." (names that create or remove). */
int p9_new_name(struct p9_str str, char *buf);
/* dir's path joined with name into buf (PATH_MAX); -ENAMETOOLONG. */
int p9_path_join(char *buf, const char *dir, const char *name);
/* Where a path's last component starts ("a/b" -> "b", "b" -> "b"). */
const char *p9_path_base(const char *path);
/* path's parent into buf ("a/b" -> "a", "b" -> ""). */
void p9_path_parent(char *buf, const char *path);
/*
 * name (one component, checked) in the directory dirfd, never following a
 * symlink: an fd, or a negative errno.
 */
int p9_open_child(struct p9_server *s, int dirfd, const char *name, int flags, mode_t mode);
/* A path from the export's root ("" is the root) as p9_open_child opens each step. */
int p9_open_path(struct p9_server *s, const char *path, int flags);
/* 0, or -EACCES if the O_PATH fd's file is on one of the host's kernel file systems (/proc, /sys...). */
int p9_may_open(int fd);
/*
 * The fid's file opened afresh with flags, by its path, and only if it is
 * still the same file (else -ESTALE) and not on a kernel file system.
 */
int p9_reopen(struct p9_server *s, const struct p9_fid *fid, int flags);
/* The fid's parent directory (O_PATH) and the fid's name in it; the root has none (-EBUSY). */
int p9_open_parent(struct p9_server *s, const struct p9_fid *fid, const char **name);
int p9_stat_fd(int fd, struct stat *st);
/* fd (just opened) with its stat; or, if either failed, fd closed and the error. */
int p9_stat_new(int fd, struct stat *st);
void p9_qid_of(const struct p9_server *s, const struct stat *st, struct p9_qid *qid);
uint64_t p9_qid_path(const struct p9_server *s, dev_t dev, ino_t ino);

/* io.c: Tlopen / Tlcreate flags as the host's O_ flags; EROFS for a change when read-only. */
int p9_host_flags(const struct p9_server *s, uint32_t l, int *flags);

/* ---- the handlers: 0 with the reply's fields written, or a negative errno ---- */

typedef int p9_handler_fn(struct p9_server *s, struct p9_in *in, struct p9_out *out);

/* node.c */
p9_handler_fn p9_walk, p9_getattr, p9_statfs, p9_readlink, p9_xattrwalk;
/* io.c */
p9_handler_fn p9_lopen, p9_read, p9_readdir, p9_write, p9_fsync, p9_lock, p9_getlock;
/* change.c */
p9_handler_fn p9_setattr, p9_lcreate, p9_mkdir, p9_symlink, p9_mknod, p9_rename,
	p9_renameat, p9_unlinkat, p9_link, p9_remove, p9_xattrcreate;

#endif
