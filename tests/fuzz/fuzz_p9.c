/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for src/p9, the 9P2000.L server, on a real tree
 * (tests/unit/p9_client.h's, without its link to /etc: the fuzzer may
 * write, and runs as whoever runs it).
 *
 * Input: one mode byte, then requests, each len[2] (little endian) and that
 * many bytes, handed to p9_server_handle() as they are (size field and
 * all) in a buffer of exactly that length, so ASan sees any read past it.
 *   mode bit 0     writable (a fresh tree for every input), else read-only
 *                  (one tree for the whole run)
 *   mode bit 1     the openat(O_NOFOLLOW) walk instead of openat2
 *   mode bits 2-3  msize 4096, 8192, 65536, 256 KiB (the server's limit:
 *                  Tversion asks for 256 KiB)
 *   mode bit 4     a reply buffer of 64 bytes (else msize), exactly that big
 *   mode bit 5     no preamble; else Tversion and Tattach of fid 0 first,
 *                  so the input starts inside a session
 * The server may hold 32 fids. After each reply: its frame is sound (size
 * field = length, within the buffer and msize, the request's tag, T+1 or an
 * 11-byte Rlerror with an errno), and no reply holds the outside file's
 * text (unless the input does: Tgetlock, a written file, a symlink give
 * back what they were given). After each input: the server freed, every fd it opened is closed,
 * nothing outside the export changed; read-only, nothing inside either.
 * Anything else aborts. FUZZ_P9_TRACE=1 in the environment prints each
 * request's type and its answer (to see what a seed reaches).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/p9_client.h"

#define MAX_FIDS 32

struct tree {
	char top[64], root[96];
	int rootfd;
};

/* What must not change: (path, mtime, ctime, size) of each. */
struct watch {
	char path[160];
	struct stat st;
};

static struct tree ro_tree;
static bool trace;
static bool input_holds_outside;
static struct watch ro_watch[8], rw_watch[3];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_p9: %s\n", what);
	abort();
}

static void tree_make(struct tree *t, int many)
{
	char path[160];

	if (p9c_tree_make(t->top, sizeof(t->top), t->root, sizeof(t->root), many))
		die("cannot make the tree");
	snprintf(path, sizeof(path), "%s/link_etc", t->root);
	if (unlink(path))
		die("cannot remove link_etc");
	t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0)
		die("cannot open the root");
}

static void tree_remove(struct tree *t)
{
	close(t->rootfd);
	p9c_tree_remove(t->top);
}

static void watch_set(struct watch *w, int n, const struct tree *t, const char *const *names)
{
	for (int i = 0; i < n; i++) {
		snprintf(w[i].path, sizeof(w[i].path), "%s/%s", t->top, names[i]);
		if (lstat(w[i].path, &w[i].st))
			die("cannot stat the tree");
	}
}

static void watch_check(const struct watch *w, int n)
{
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (lstat(w[i].path, &st) || st.st_ino != w[i].st.st_ino ||
		    st.st_size != w[i].st.st_size || st.st_nlink != w[i].st.st_nlink ||
		    st.st_mode != w[i].st.st_mode ||
		    st.st_mtim.tv_sec != w[i].st.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != w[i].st.st_mtim.tv_nsec ||
		    st.st_ctim.tv_nsec != w[i].st.st_ctim.tv_nsec) {
			fprintf(stderr, "fuzz_p9: %s changed\n", w[i].path);
			abort();
		}
	}
}

static const char *const outside_names[] = { ".", "outside", "outside/outside.txt" };
static const char *const inside_names[] = {
	"root", "root/hello.txt", "root/sub", "root/sub/deeper", "root/many",
	"root/sub/inner.txt", "root/link_abs", "root/secret.txt",
};

static void remove_ro_tree(void)
{
	tree_remove(&ro_tree);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tree_make(&ro_tree, P9C_MANY);
	atexit(remove_ro_tree);
	trace = getenv("FUZZ_P9_TRACE") != NULL;
	watch_set(ro_watch, 8, &ro_tree, inside_names);
	return 0;
}

static void check_reply(const uint8_t *req, size_t req_len, const uint8_t *rep, ssize_t n,
			size_t cap, uint32_t msize)
{
	uint16_t tag;

	if (req_len < P9_HEADER_SIZE) {
		if (n != -EPROTO)
			die("a request without a tag was answered");
		return;
	}
	if (n == -ENOSPC && cap < P9_HEADER_SIZE + 4)
		return;
	if (n < P9_HEADER_SIZE || (size_t)n > cap || (uint32_t)n > msize)
		die("a reply outside its buffer or msize");
	tag = (uint16_t)(req[5] | req[6] << 8);
	if ((uint32_t)(rep[0] | rep[1] << 8 | rep[2] << 16 | (uint32_t)rep[3] << 24) != (uint32_t)n ||
	    (uint16_t)(rep[5] | rep[6] << 8) != tag)
		die("a reply's frame is wrong");
	if (rep[4] == P9_RLERROR) {
		uint32_t e = (uint32_t)(rep[7] | rep[8] << 8 | rep[9] << 16 | (uint32_t)rep[10] << 24);

		if (n != P9_HEADER_SIZE + 4 || e == 0 || e >= 4096)
			die("a bad Rlerror");
	} else if (rep[4] != (uint8_t)(req[4] + 1)) {
		die("a reply of the wrong type");
	}
	if (!input_holds_outside && p9c_holds_outside(rep, (size_t)n))
		die("the outside file's text came back");
}

/* One request in a buffer of exactly its length; one reply buffer of exactly cap. */
static void send(struct p9_server *s, const uint8_t *msg, size_t len, size_t cap)
{
	uint8_t *req = malloc(len ? len : 1), *rep = malloc(cap);
	ssize_t n;

	if (!req || !rep)
		die("out of memory");
	memcpy(req, msg, len);
	n = p9_server_handle(s, req, len, rep, cap);
	if (trace && len >= P9_HEADER_SIZE && n >= P9_HEADER_SIZE)
		fprintf(stderr, "T%u -> %s%d (%zd bytes)\n", req[4], rep[4] == P9_RLERROR ? "Rlerror " : "R",
			rep[4] == P9_RLERROR ? rep[7] | rep[8] << 8 : rep[4], n);
	check_reply(req, len, rep, n, cap, p9_server_msize(s));
	if (p9_server_fid_count(s) > MAX_FIDS)
		die("more fids than the limit");
	free(req);
	free(rep);
}

static void preamble(struct p9_server *s, uint32_t msize)
{
	uint8_t v[] = { 21, 0, 0, 0, P9_TVERSION, 0xFF, 0xFF, (uint8_t)msize, (uint8_t)(msize >> 8),
			(uint8_t)(msize >> 16), (uint8_t)(msize >> 24), 8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L' };
	uint8_t a[] = { 24, 0, 0, 0, P9_TATTACH, 1, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
			1, 0, 'u', 0, 0, 0, 0, 0, 0 };

	send(s, v, sizeof(v), 4096);
	send(s, a, sizeof(a), 4096);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t msizes[] = { 4096, 8192, 65536, 256u << 10 };
	struct p9_options opt = { .max_fids = MAX_FIDS, .max_msize = 256u << 10 };
	struct tree rw_tree, *t = &ro_tree;
	struct p9_server *s;
	uint8_t mode;
	size_t pos = 1;
	int fds;

	if (!size)
		return 0;
	mode = data[0];
	input_holds_outside = p9c_holds_outside(data, size);
	opt.writable = mode & 1;
	opt.no_openat2 = mode & 2;
	if (opt.writable) {
		tree_make(&rw_tree, 4); /* a smaller many/: one for every input */
		watch_set(rw_watch, 3, &rw_tree, outside_names);
		t = &rw_tree;
	}
	fds = p9c_count_fds();
	if (p9_server_new(t->rootfd, &opt, &s))
		die("p9_server_new failed");
	if (!(mode & 32))
		preamble(s, msizes[(mode >> 2) & 3]);
	while (pos + 2 <= size) {
		size_t len = (size_t)(data[pos] | data[pos + 1] << 8);

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		send(s, data + pos, len, mode & 16 ? 64 : p9_server_msize(s));
		pos += len;
	}
	p9_server_free(s);
	if (p9c_count_fds() != fds)
		die("the server left fds open");
	if (opt.writable) {
		watch_check(rw_watch, 3);
		tree_remove(&rw_tree);
	} else {
		watch_check(ro_watch, 8);
	}
	return 0;
}
