/* SPDX-License-Identifier: MIT */
/*
 * A tiny 9P2000.L client for src/p9's tests and fuzzer: builds request
 * messages by hand, hands them to the server, checks the reply's frame and
 * reads its fields. And the tree it serves, made afresh in a temporary
 * directory:
 *
 *   TOP/outside/outside.txt  "OUTSIDE-SECRET\n"   (not served)
 *   TOP/root/                                     (the export)
 *     hello.txt     "hello, 9p\n"   0644
 *     secret.txt    "top secret\n"  0600
 *     sub/inner.txt "inner\n",  sub/deeper/leaf.txt "leaf"
 *     many/f00 .. many/f39           (empty; for listings; fewer if asked)
 *     link_in   -> hello.txt          (inside)
 *     link_sub  -> sub                (inside, a directory)
 *     link_etc  -> /etc               (absolute, outside)
 *     link_up   -> ../outside         (relative, outside)
 *     link_deep -> ../../../../../../../../etc
 *     link_abs  -> TOP/outside         (absolute, outside)
 *     fifo                            (a FIFO)
 *
 * Nothing here uses tests/unit/test.h: the fuzzer links it too.
 */
#ifndef MINIKVM_P9_CLIENT_H
#define MINIKVM_P9_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p9/p9.h"
#include "p9/protocol.h"

#define P9C_BUF         (128 * 1024)
#define P9C_MANY        40
#define P9C_HELLO       "hello, 9p\n"
#define P9C_OUTSIDE     "OUTSIDE-SECRET"
/* Rlerror's ecode comes back as -ecode; a reply that is neither: P9C_BAD_REPLY. */
#define P9C_BAD_REPLY   (-100000)

struct p9c_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

struct p9c_attr {
	uint64_t valid;
	struct p9c_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, size, blocks;
	uint64_t mtime_sec;
};

struct p9c {
	char top[64];           /* the temporary directory */
	char root[96];          /* top/root: the export */
	int rootfd;
	struct p9_server *s;
	uint32_t msize;
	uint16_t tag;
	uint8_t req[P9C_BUF];
	size_t req_len;
	uint8_t rep[P9C_BUF];
	size_t rep_len, rep_pos;
	size_t rep_cap;         /* given to the server; P9C_BUF unless a test says */
	bool rep_bad;           /* a read past the reply's end */
};

/* The tree and a server on it (opt may be NULL), not yet versioned. 0 or -errno. */
int p9c_open(struct p9c *c, const struct p9_options *opt);
/* A server on an existing directory, no tree made (p9c_stop leaves it be). */
int p9c_open_dir(struct p9c *c, const char *dir, const struct p9_options *opt);
/* p9c_open, then Tversion (msize) and Tattach of fid 0. */
int p9c_start(struct p9c *c, const struct p9_options *opt, uint32_t msize);
/* The server freed, the tree removed. */
void p9c_stop(struct p9c *c);
/* many: how many files many/ holds (P9C_MANY for the tests). */
int p9c_tree_make(char *top, size_t top_size, char *root, size_t root_size, int many);
void p9c_tree_remove(const char *top);
/*
 * Whether p holds P9C_OUTSIDE. A plain loop, not memmem: the fuzzer links
 * this file without coverage, so the check teaches it nothing (libFuzzer
 * learns the strings memmem and memcmp are asked to find).
 */
bool p9c_holds_outside(const uint8_t *p, size_t n);
/* Open descriptors of this process. */
int p9c_count_fds(void);

/* Building a request: begin, fields, then send. */
void p9c_begin(struct p9c *c, uint8_t type);
void p9c_u8(struct p9c *c, uint8_t v);
void p9c_u16(struct p9c *c, uint16_t v);
void p9c_u32(struct p9c *c, uint32_t v);
void p9c_u64(struct p9c *c, uint64_t v);
void p9c_str(struct p9c *c, const char *s);
void p9c_bytes(struct p9c *c, const void *p, size_t n);
/*
 * Sends the request (its size field filled in) and checks the reply's
 * frame: its size field is its length, within msize, the tag is the
 * request's. 0 for the right R-type, -ecode for Rlerror, else P9C_BAD_REPLY.
 */
int p9c_send(struct p9c *c);
/*
 * A request of type whose fields fmt gives, one character each: b u8,
 * w u16, d u32, q u64 (pass a uint64_t), s a C string; then p9c_send.
 */
int p9c_call(struct p9c *c, uint8_t type, const char *fmt, ...);
/* Sends req_len bytes as they are (size field and all), for malformed messages. */
int p9c_send_raw(struct p9c *c, size_t req_len);

/* Reading the reply's fields (after the header). */
uint8_t p9c_r8(struct p9c *c);
uint16_t p9c_r16(struct p9c *c);
uint32_t p9c_r32(struct p9c *c);
uint64_t p9c_r64(struct p9c *c);
/* A string into buf (NUL-terminated, cut to cap - 1). */
void p9c_rstr(struct p9c *c, char *buf, size_t cap);
void p9c_rqid(struct p9c *c, struct p9c_qid *qid);

/* Requests. Each returns what p9c_send does. */
int p9c_version(struct p9c *c, uint32_t msize, const char *version);
int p9c_attach(struct p9c *c, uint32_t fid);
/* path split at '/' ("" walks no names: a clone). */
int p9c_walk(struct p9c *c, uint32_t fid, uint32_t newfid, const char *path);
int p9c_walkv(struct p9c *c, uint32_t fid, uint32_t newfid, unsigned n, const char *const *names);
int p9c_getattr(struct p9c *c, uint32_t fid, struct p9c_attr *a);
int p9c_lopen(struct p9c *c, uint32_t fid, uint32_t flags);
/* Up to count bytes into buf; *n how many came. */
int p9c_read(struct p9c *c, uint32_t fid, uint64_t off, uint32_t count, void *buf, uint32_t *n);
int p9c_write(struct p9c *c, uint32_t fid, uint64_t off, const void *buf, uint32_t count, uint32_t *n);
/* Tsetattr; atime and mtime both get sec and nsec. */
int p9c_setattr(struct p9c *c, uint32_t fid, uint32_t valid, uint32_t mode, uint32_t uid,
		uint32_t gid, uint64_t size, uint64_t sec, uint64_t nsec);
int p9c_clunk(struct p9c *c, uint32_t fid);
int p9c_readlink(struct p9c *c, uint32_t fid, char *buf, size_t cap);

#endif
