/* SPDX-License-Identifier: MIT */
/*
 * p9: a 9P2000.L file server as a library, for virtio-9p.
 *
 * It serves one directory of the host (the export) to a Linux guest's v9fs
 * (mount -t 9p -o trans=virtio,version=9p2000.L). It knows nothing of KVM,
 * virtio or guest memory: the device model hands it one request message at
 * a time and gets the reply message back in a buffer of its own.
 *
 * Confinement: nothing outside the export is reachable. Every name is one
 * path component looked up with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from a directory already
 * inside (or, where the kernel has no openat2, with openat(O_NOFOLLOW) one
 * component at a time); ".." is worked out on the fid's path, and stays at
 * the export's root there; the server never follows a symlink (Treadlink
 * gives its text to the guest, which resolves it in what this server
 * serves). The host's kernel file systems below the export (/proc, /sys,
 * cgroups...) are walked and stat'ed, never opened or changed; device nodes
 * are never opened, made or chmod'ed for the guest. Read-only unless
 * asked: then every change is EROFS.
 *
 * Hostile input: every length and count is checked against the message and
 * the reply buffer; a bad request gets Rlerror with an errno, never a crash.
 *
 * Threads: one request at a time per server (the device calls it from its
 * one queue thread); separate servers share nothing.
 *
 * Files: each fid holds an O_PATH fd of its file (and a second fd once it
 * is opened), so the process needs up to 2 * max_fids descriptors: the
 * embedder raises RLIMIT_NOFILE. Past the fid limit, or when the process is
 * out of descriptors, the guest gets EMFILE.
 */
#ifndef MINIKVM_P9_H
#define MINIKVM_P9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Linux's client refuses an msize below 4096; ours too. */
#define P9_MIN_MSIZE        4096u
#define P9_DEFAULT_MSIZE    (512u * 1024)
#define P9_MAX_MSIZE        (16u * 1024 * 1024)
#define P9_DEFAULT_MAX_FIDS 16384u

struct p9_options {
	bool writable;      /* false (the default): every change is EROFS */
	uint32_t max_msize; /* 0: P9_DEFAULT_MSIZE; else P9_MIN_MSIZE..P9_MAX_MSIZE */
	uint32_t max_fids;  /* 0: P9_DEFAULT_MAX_FIDS */
	bool no_openat2;    /* walk with openat(O_NOFOLLOW) even where openat2 works (tests) */
};

struct p9_server;

/*
 * A server for the directory root_fd names (any fd of a directory, O_PATH
 * will do; the server takes its own and the caller keeps root_fd). opt may
 * be NULL (read-only, defaults). 0 or -EINVAL (bad option), -ENOTDIR,
 * -ENOMEM, or the errno of opening the root.
 */
int p9_server_new(int root_fd, const struct p9_options *opt, struct p9_server **out);
/* Closes every fd of every fid. NULL is fine. */
void p9_server_free(struct p9_server *s);

/*
 * Handles one request (req_len bytes from size[4] on; bytes past the
 * message's size are ignored) and writes the reply message to reply, at
 * most reply_cap bytes and never more than the negotiated msize. Returns
 * the reply's length; or -EPROTO for a request too short to carry a tag
 * (there is no one to answer) or -ENOSPC when reply_cap cannot hold even
 * an Rlerror (11 bytes).
 */
ssize_t p9_server_handle(struct p9_server *s, const void *req, size_t req_len,
			 void *reply, size_t reply_cap);

/* The msize Tversion agreed (the server's limit before the first Tversion). */
uint32_t p9_server_msize(const struct p9_server *s);
/* Fids in use (for tests and for the device's statistics). */
uint32_t p9_server_fid_count(const struct p9_server *s);

#endif
