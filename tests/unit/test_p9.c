/* SPDX-License-Identifier: MIT */
/*
 * src/p9, the 9P2000.L server, read-only (as issue 24 exports the host's
 * userland): the session, walks and attributes, reads and listings, every
 * change refused, malformed messages, limits. What confines the guest to
 * the export is test_p9_confine.c, the writable mode test_p9_write.c. A real tree in a temporary directory
 * (p9_client.h draws it); messages built by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p9_test.h"

TEST(p9_version_negotiates_msize_and_comes_first)
{
	struct p9_options opt = { .max_msize = 65536 };
	struct p9c c;
	char v[32];

	CHECK_EQ(p9c_open(&c, &opt), 0);
	/* Nothing but Tversion before Tversion. */
	CHECK_EQ(p9c_attach(&c, 0), -EPROTO);
	/* Asked for more than the server's limit: the limit. */
	CHECK_EQ(p9c_version(&c, 1u << 20, P9_VERSION_L), 0);
	CHECK_EQ(c.msize, 65536);
	CHECK_EQ(p9_server_msize(c.s), 65536);
	CHECK_EQ(p9c_version(&c, 8192, P9_VERSION_L), 0);
	CHECK_EQ(c.msize, 8192);
	/* Another dialect: "unknown", and no session. */
	CHECK_EQ(p9c_call(&c, P9_TVERSION, "ds", 8192, "9P2000.u"), 0);
	CHECK_EQ(p9c_r32(&c), 8192);
	p9c_rstr(&c, v, sizeof(v));
	CHECK_STR(v, "unknown");
	CHECK_EQ(p9c_attach(&c, 0), -EPROTO);
	/* Below Linux's own floor. */
	CHECK_EQ(p9c_version(&c, 512, P9_VERSION_L), -EINVAL);
	CHECK_EQ(p9c_version(&c, 4096, P9_VERSION_L), 0);
	CHECK_EQ(p9c_attach(&c, 0), 0);
	/* An msize option out of range is refused at creation. */
	{
		struct p9_options bad = { .max_msize = 100 };
		struct p9_server *s = NULL;

		CHECK_EQ(p9_server_new(c.rootfd, &bad, &s), -EINVAL);
		CHECK(s == NULL);
	}
	p9c_stop(&c);
}

TEST(p9_attach_gives_the_root)
{
	struct p9c c;
	struct p9c_attr a;
	struct stat st;

	if (!p9t_start(&c, NULL))
		return;
	p9t_host_stat(&c, ".", &st);
	CHECK_EQ(p9c_getattr(&c, 0, &a), 0);
	CHECK_EQ(a.qid.type, P9_QTDIR);
	CHECK_EQ(a.qid.path, p9t_qid_path(&c, &st));
	CHECK_EQ(a.mode, st.st_mode);
	CHECK_EQ(a.valid & P9_GETATTR_BASIC, P9_GETATTR_BASIC);
	/* The same fid twice; an afid with no Tauth behind it; Tauth itself. */
	CHECK_EQ(p9c_attach(&c, 0), -EEXIST);
	CHECK_EQ(p9c_call(&c, P9_TATTACH, "ddssd", 1, 7, "u", "", 0), -EBADF);
	CHECK_EQ(p9c_call(&c, P9_TAUTH, "dssd", 7, "u", "", 0), -EOPNOTSUPP);
	CHECK_EQ(p9_server_fid_count(c.s), 1);
	p9c_stop(&c);
}

TEST(p9_walk_and_getattr_give_sizes_modes_and_inodes)
{
	static const struct { const char *path; uint32_t mode; uint64_t size; uint8_t qtype; } want[] = {
		{ "hello.txt", S_IFREG | 0644, sizeof(P9C_HELLO) - 1, P9_QTFILE },
		{ "secret.txt", S_IFREG | 0600, 11, P9_QTFILE },
		{ "sub/inner.txt", S_IFREG | 0644, 6, P9_QTFILE },
		{ "sub/deeper/leaf.txt", S_IFREG | 0644, 4, P9_QTFILE },
		{ "sub", S_IFDIR | 0755, 0, P9_QTDIR },
		{ "link_in", S_IFLNK | 0777, 9, P9_QTSYMLINK },
		{ "link_etc", S_IFLNK | 0777, 4, P9_QTSYMLINK },
	};
	struct p9c c;

	if (!p9t_start(&c, NULL))
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct p9c_attr a;
		struct stat st;
		unsigned steps = 1;

		for (const char *p = want[i].path; *p; p++)
			steps += *p == '/';
		p9t_host_stat(&c, want[i].path, &st);
		CHECK_EQ(p9c_walk(&c, 0, 1, want[i].path), 0);
		CHECK_EQ(p9c_r16(&c), steps);
		CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
		CHECK_EQ(a.mode, want[i].mode);
		CHECK_EQ(a.qid.type, want[i].qtype);
		CHECK_EQ(a.qid.path, p9t_qid_path(&c, &st));
		CHECK_EQ(a.nlink, st.st_nlink);
		CHECK_EQ(a.mtime_sec, (uint64_t)st.st_mtim.tv_sec);
		if (!S_ISDIR(want[i].mode))
			CHECK_EQ(a.size, want[i].size);
		CHECK_EQ(p9c_clunk(&c, 1), 0);
	}
	/* Each qid of a three-step walk is its step's file. */
	{
		struct stat st[3];
		struct p9c_qid q;

		p9t_host_stat(&c, "sub", &st[0]);
		p9t_host_stat(&c, "sub/deeper", &st[1]);
		p9t_host_stat(&c, "sub/deeper/leaf.txt", &st[2]);
		CHECK_EQ(p9c_walk(&c, 0, 1, "sub/deeper/leaf.txt"), 0);
		CHECK_EQ(p9c_r16(&c), 3);
		for (int i = 0; i < 3; i++) {
			p9c_rqid(&c, &q);
			CHECK_EQ(q.path, p9t_qid_path(&c, &st[i]));
			CHECK_EQ(q.type, i < 2 ? P9_QTDIR : P9_QTFILE);
		}
		CHECK(!c.rep_bad && c.rep_pos == c.rep_len);
	}
	p9c_stop(&c);
}

TEST(p9_walk_clones_moves_and_stops_part_way)
{
	struct p9c c;
	struct p9c_attr a;
	struct stat st;

	if (!p9t_start(&c, NULL))
		return;
	/* No names: newfid is a clone of fid. */
	CHECK_EQ(p9c_walk(&c, 0, 1, ""), 0);
	CHECK_EQ(p9c_r16(&c), 0);
	CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
	CHECK_EQ(a.qid.type, P9_QTDIR);
	/* newfid == fid: fid itself moves. */
	CHECK_EQ(p9c_walk(&c, 1, 1, "sub"), 0);
	p9t_host_stat(&c, "sub", &st);
	CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
	CHECK_EQ(a.qid.path, p9t_qid_path(&c, &st));
	/* newfid in use. */
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), -EEXIST);
	/* Fails at the first name: Rlerror, no fid. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "nothing"), -ENOENT);
	CHECK_EQ(p9c_getattr(&c, 2, &a), -EBADF);
	/* Fails at the second: Rwalk with one qid, no fid. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "sub/nothing"), 0);
	CHECK_EQ(p9c_r16(&c), 1);
	CHECK_EQ(p9c_getattr(&c, 2, &a), -EBADF);
	/* A file is no directory to walk in. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "hello.txt/x"), 0);
	CHECK_EQ(p9c_r16(&c), 1);
	CHECK_EQ(p9c_walk(&c, 0, 2, "hello.txt"), 0);
	CHECK_EQ(p9c_walk(&c, 2, 3, "x"), -ENOTDIR);
	/* Unknown fid. */
	CHECK_EQ(p9c_walk(&c, 99, 100, "sub"), -EBADF);
	CHECK_EQ(p9_server_fid_count(c.s), 3);
	p9c_stop(&c);
}

TEST(p9_lopen_and_read_give_the_contents)
{
	struct p9c c;
	char buf[8192];
	uint32_t n;

	if (!p9t_start(&c, NULL))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	/* Not open yet. */
	CHECK_EQ(p9c_read(&c, 1, 0, 100, buf, &n), -EBADF);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	{
		struct p9c_qid q;
		struct stat st;

		p9t_host_stat(&c, "hello.txt", &st);
		p9c_rqid(&c, &q);
		CHECK_EQ(q.path, p9t_qid_path(&c, &st));
		p9c_r32(&c); /* iounit */
		CHECK(!c.rep_bad && c.rep_pos == c.rep_len);
	}
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -EINVAL); /* open already */
	/* Walked onto itself with no names: still open. */
	CHECK_EQ(p9c_walk(&c, 1, 1, ""), 0);
	CHECK_EQ(p9c_r16(&c), 0);
	CHECK_EQ(p9c_read(&c, 1, 0, 100, buf, &n), 0);
	CHECK_EQ(n, strlen(P9C_HELLO));
	CHECK_MEM(buf, P9C_HELLO, n);
	CHECK_EQ(p9c_read(&c, 1, 7, 2, buf, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_MEM(buf, "9p", 2);
	CHECK_EQ(p9c_read(&c, 1, 1000, 100, buf, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(p9c_read(&c, 1, 1ull << 63, 100, buf, &n), -EINVAL);
	/* A count past msize gets what fits: msize less Rread's 11 bytes. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "many"), 0);
	CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_read(&c, 2, 0, 100, buf, &n), -EISDIR);
	{
		char path[256], big[10000];
		int fd;

		memset(big, 'x', sizeof(big));
		snprintf(path, sizeof(path), "%s/big", c.root);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		CHECK(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
		close(fd);
	}
	CHECK_EQ(p9c_walk(&c, 0, 3, "big"), 0);
	CHECK_EQ(p9c_lopen(&c, 3, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_read(&c, 3, 0, 0xFFFFFFFF, buf, &n), 0);
	CHECK_EQ(n, 8192 - 11);
	/* The Linux client's flags it does not mean for the host are dropped, not refused. */
	CHECK_EQ(p9c_walk(&c, 0, 4, "sub/inner.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 4, P9_DOTL_RDONLY | P9_DOTL_LARGEFILE | P9_DOTL_CLOEXEC |
			   P9_DOTL_NOATIME | P9_DOTL_DIRECT), 0);
	CHECK_EQ(p9c_read(&c, 4, 0, 100, buf, &n), 0);
	CHECK_EQ(n, 6);
	CHECK_MEM(buf, "inner\n", 6);
	p9c_stop(&c);
}

TEST(p9_lopen_refuses_what_is_not_a_file_or_directory)
{
	struct p9c c;

	if (!p9t_start(&c, NULL))
		return;
	/* A FIFO is not opened (nor waited on: this would hang if it were). */
	CHECK_EQ(p9c_walk(&c, 0, 1, "fifo"), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -EOPNOTSUPP);
	/* A symlink is never followed. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "link_in"), 0);
	CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_RDONLY), -ELOOP);
	CHECK_EQ(p9c_lopen(&c, 0, P9_DOTL_ACCMODE), -EINVAL);
	p9c_stop(&c);
}

struct entry {
	struct p9c_qid qid;
	uint64_t off;
	uint8_t type;
	char name[16];
};

/*
 * A listing of the open directory fid from offset from, with Treaddir
 * counts of count bytes, until an empty reply: entries in e[], how many
 * returned, requests in *calls.
 */
static int list_dir(struct p9c *c, uint32_t fid, uint32_t count, uint64_t from,
		    struct entry *e, int max, int *calls)
{
	uint64_t off = from;
	int n = 0;

	*calls = 0;
	for (;;) {
		uint32_t got;
		size_t end;
		int err;

		err = p9c_call(c, P9_TREADDIR, "dqd", fid, off, count);
		if (err)
			return err;
		++*calls;
		got = p9c_r32(c);
		if (got > count || got != c->rep_len - c->rep_pos)
			return P9C_BAD_REPLY;
		if (!got)
			return n;
		end = c->rep_pos + got;
		while (c->rep_pos < end && n < max) {
			p9c_rqid(c, &e[n].qid);
			e[n].off = off = p9c_r64(c);
			e[n].type = p9c_r8(c);
			p9c_rstr(c, e[n].name, sizeof(e[n].name));
			n++;
		}
		if (c->rep_bad || c->rep_pos != end)
			return P9C_BAD_REPLY;
	}
}

static int count_name(const struct entry *e, int n, const char *name)
{
	int found = 0;

	for (int i = 0; i < n; i++)
		found += !strcmp(e[i].name, name);
	return found;
}

TEST(p9_readdir_lists_every_name_once_across_small_reads)
{
	static struct entry e[128], rest[128];
	struct p9c c;
	int calls, n, m;

	if (!p9t_start(&c, NULL))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "many"), 0);
	CHECK_EQ(list_dir(&c, 1, 4096, 0, e, 128, &calls), -EBADF); /* not open */
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY), 0);
	/* 64 bytes: two entries ("f00": 27 bytes each) a request. */
	n = list_dir(&c, 1, 64, 0, e, 128, &calls);
	CHECK_EQ(n, P9C_MANY + 2);
	CHECK(calls >= (P9C_MANY + 2) / 2);
	CHECK_EQ(count_name(e, n, "."), 1);
	CHECK_EQ(count_name(e, n, ".."), 1);
	for (int i = 0; i < P9C_MANY; i++) {
		char name[32];
		struct stat st;

		snprintf(name, sizeof(name), "f%02d", i);
		CHECK_EQ(count_name(e, n, name), 1);
		for (int j = 0; j < n; j++) {
			if (strcmp(e[j].name, name))
				continue;
			snprintf(name, sizeof(name), "many/f%02d", i);
			p9t_host_stat(&c, name, &st);
			CHECK_EQ(e[j].qid.path, p9t_qid_path(&c, &st));
			CHECK_EQ(e[j].type, DT_REG);
			break;
		}
	}
	/* Resumed from the tenth entry's offset: exactly the rest, in order. */
	m = list_dir(&c, 1, 200, e[9].off, rest, 128, &calls);
	CHECK_EQ(m, n - 10);
	for (int i = 0; i < m && i + 10 < n; i++)
		CHECK_STR(rest[i].name, e[i + 10].name);
	/* From 0 again: all of it, in one request this time. */
	CHECK_EQ(list_dir(&c, 1, 8000, 0, rest, 128, &calls), n);
	CHECK_EQ(calls, 2);
	/* Too small for one entry: an error, not an empty (end-of-directory) reply. */
	CHECK_EQ(list_dir(&c, 1, 20, 0, rest, 128, &calls), -EINVAL);
	CHECK_EQ(list_dir(&c, 1, 64, 1ull << 63, rest, 128, &calls), -EINVAL);
	/* Not a directory. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_RDONLY), 0);
	CHECK_EQ(list_dir(&c, 2, 4096, 0, rest, 128, &calls), -ENOTDIR);
	p9c_stop(&c);
}

TEST(p9_readdir_of_the_root_says_its_parent_is_itself)
{
	static struct entry e[128];
	struct p9c c;
	struct stat st;
	int calls, n;

	if (!p9t_start(&c, NULL))
		return;
	p9t_host_stat(&c, ".", &st);
	CHECK_EQ(p9c_walk(&c, 0, 1, ""), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	n = list_dir(&c, 1, 4096, 0, e, 128, &calls);
	CHECK_EQ(n, 13); /* . .. hello secret sub many 6 links fifo */
	for (int i = 0; i < n; i++) {
		if (!strcmp(e[i].name, "..") || !strcmp(e[i].name, "."))
			CHECK_EQ(e[i].qid.path, p9t_qid_path(&c, &st));
		if (!strcmp(e[i].name, "link_etc"))
			CHECK(e[i].type == DT_LNK && e[i].qid.type == P9_QTSYMLINK);
		if (!strcmp(e[i].name, "sub"))
			CHECK(e[i].type == DT_DIR && e[i].qid.type == P9_QTDIR);
	}
	CHECK_EQ(count_name(e, n, "outside"), 0);
	p9c_stop(&c);
}

/* Every change, each with fids that would make it work on a writable server. */
TEST(p9_read_only_refuses_every_change)
{
	struct p9c c;
	struct p9c_attr a;
	struct stat before, after;
	uint32_t n;

	if (!p9t_start(&c, NULL))
		return;
	p9t_host_stat(&c, "hello.txt", &before);
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_WRONLY), -EROFS);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDWR), -EROFS);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY | P9_DOTL_TRUNC), -EROFS);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_write(&c, 1, 0, "x", 1, &n), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TFSYNC, "dd", 1, 0), -EROFS);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_SIZE, 0, 0, 0, 0, 0, 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 0, "new", P9_DOTL_RDWR, 0644, 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 0, "newdir", 0755, 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TSYMLINK, "dssd", 0, "newlink", "hello.txt", 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TMKNOD, "dsdddd", 0, "newfifo", S_IFIFO | 0644, 0, 0, 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TRENAMEAT, "dsds", 0, "hello.txt", 0, "moved.txt"), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TRENAME, "dds", 1, 0, "moved.txt"), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "hello.txt", 0), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TLINK, "dds", 0, 1, "hardlink"), -EROFS);
	CHECK_EQ(p9c_call(&c, P9_TXATTRCREATE, "dsqd", 1, "user.x", (uint64_t)1, 0), -EROFS);
	/* Tremove fails, and clunks its fid all the same (the client forgets it). */
	CHECK_EQ(p9_server_fid_count(c.s), 2);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 1), -EROFS);
	CHECK_EQ(p9_server_fid_count(c.s), 1);
	CHECK_EQ(p9c_getattr(&c, 1, &a), -EBADF);
	/* And nothing changed. */
	p9t_host_stat(&c, "hello.txt", &after);
	CHECK_EQ(after.st_ino, before.st_ino);
	CHECK_EQ(after.st_size, before.st_size);
	CHECK_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	p9t_host_stat(&c, "new", &after);
	CHECK_EQ(after.st_ino, 0);
	p9t_host_stat(&c, "newdir", &after);
	CHECK_EQ(after.st_ino, 0);
	p9t_host_stat(&c, "moved.txt", &after);
	CHECK_EQ(after.st_ino, 0);
	p9c_stop(&c);
}

TEST(p9_malformed_messages_get_rlerror)
{
	struct p9c c;
	uint32_t n;
	char buf[64];

	if (!p9t_start(&c, NULL))
		return;
	/* Shorter than a header: there is no tag to answer. */
	p9c_begin(&c, P9_TCLUNK);
	CHECK_EQ(p9_server_handle(c.s, c.req, 6, c.rep, sizeof(c.rep)), -EPROTO);
	/* The size field says more than arrived, or less than a header. */
	p9c_begin(&c, P9_TCLUNK);
	p9c_u32(&c, 0);
	c.req[0] = 20;
	CHECK_EQ(p9c_send_raw(&c, c.req_len), -EPROTO);
	c.req[0] = 3;
	CHECK_EQ(p9c_send_raw(&c, c.req_len), -EPROTO);
	/* A message cut short of its fields. */
	CHECK_EQ(p9c_call(&c, P9_TGETATTR, "d", 0), -EPROTO);
	CHECK_EQ(p9c_call(&c, P9_TWALK, "ddws", 0, 1, 3, "sub"), -EPROTO);
	/* A string longer than the message. */
	p9c_begin(&c, P9_TWALK);
	p9c_u32(&c, 0);
	p9c_u32(&c, 1);
	p9c_u16(&c, 1);
	p9c_u16(&c, 0xFFFF);
	p9c_bytes(&c, "sub", 3);
	CHECK_EQ(p9c_send(&c), -EPROTO);
	/* More names than a walk may have. */
	{
		const char *names[17];

		for (int i = 0; i < 17; i++)
			names[i] = ".";
		CHECK_EQ(p9c_walkv(&c, 0, 1, 17, names), -E2BIG);
		CHECK_EQ(p9c_walkv(&c, 0, 1, 16, names), 0);
		CHECK_EQ(p9c_r16(&c), 16);
		CHECK_EQ(p9c_clunk(&c, 1), 0);
	}
	/* Types nobody serves: unknown, 9P2000's own, a reply, Rlerror's pair. */
	{
		static const uint8_t types[] = { 0, 1, 0xEE, 0xFF, P9_TOPEN, P9_TCREATE, P9_TSTAT,
						 P9_TWSTAT, P9_TVERSION + 1, P9_TLERROR, P9_RLERROR };

		for (size_t i = 0; i < sizeof(types); i++) {
			p9c_begin(&c, types[i]);
			p9c_u32(&c, 0);
			CHECK_EQ(p9c_send(&c), -EOPNOTSUPP);
		}
	}
	/* Fids that do not exist. */
	CHECK_EQ(p9c_clunk(&c, 42), -EBADF);
	CHECK_EQ(p9c_lopen(&c, 42, 0), -EBADF);
	CHECK_EQ(p9c_read(&c, 42, 0, 10, buf, &n), -EBADF);
	CHECK_EQ(p9c_readlink(&c, 42, buf, sizeof(buf)), -EBADF);
	CHECK_EQ(p9c_walk(&c, P9_NOFID, 1, "sub"), -EBADF);
	CHECK_EQ(p9c_walk(&c, 0, P9_NOFID, "sub"), -EEXIST);
	/* A reply buffer too small for Rlerror: nothing written; for Rgetattr: EMSGSIZE. */
	c.rep_cap = 10;
	p9c_begin(&c, P9_TCLUNK);
	p9c_u32(&c, 42);
	CHECK_EQ(p9_server_handle(c.s, c.req, c.req_len, c.rep, c.rep_cap), -ENOSPC);
	c.rep_cap = 11;
	{
		struct p9c_attr a;

		CHECK_EQ(p9c_getattr(&c, 0, &a), -EMSGSIZE);
	}
	c.rep_cap = P9C_BUF;
	/* Still serving. */
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_read(&c, 1, 0, sizeof(buf), buf, &n), 0);
	CHECK_EQ(n, strlen(P9C_HELLO));
	p9c_stop(&c);
}

TEST(p9_fid_limit_session_reset_and_every_fd_closed)
{
	struct p9_options opt = { .max_fids = 8 };
	int fds = p9c_count_fds();
	struct p9c c;
	struct p9c_attr a;

	if (!p9t_start(&c, &opt))
		return;
	for (uint32_t fid = 1; fid < 8; fid++) {
		CHECK_EQ(p9c_walk(&c, 0, fid, "sub/inner.txt"), 0);
		if (fid % 2)
			CHECK_EQ(p9c_lopen(&c, fid, P9_DOTL_RDONLY), 0);
	}
	CHECK_EQ(p9_server_fid_count(c.s), 8);
	CHECK_EQ(p9c_walk(&c, 0, 8, "sub"), -EMFILE);
	CHECK_EQ(p9c_attach(&c, 8), -EMFILE);
	CHECK_EQ(p9c_call(&c, P9_TXATTRWALK, "dds", 0, 8, ""), -EMFILE);
	/* A walk in place needs no new fid. */
	CHECK_EQ(p9c_walk(&c, 7, 7, ".."), 0);
	CHECK_EQ(p9c_clunk(&c, 3), 0);
	CHECK_EQ(p9c_walk(&c, 0, 8, "sub"), 0);
	/* Tversion starts a new session: no fids, every fd closed. */
	CHECK_EQ(p9c_version(&c, 8192, P9_VERSION_L), 0);
	CHECK_EQ(p9_server_fid_count(c.s), 0);
	CHECK_EQ(p9c_getattr(&c, 0, &a), -EBADF);
	CHECK_EQ(p9c_attach(&c, 0), 0);
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	p9c_stop(&c);
	/* Freed with fids open: nothing left behind. */
	CHECK_EQ(p9c_count_fds(), fds);
}

TEST(p9_xattrs_statfs_locks_and_flush)
{
	struct p9c c;
	char buf[64], client[32];
	uint32_t n;

	if (!p9t_start(&c, NULL))
		return;
	/* The list of attributes: empty, read through its own fid. */
	CHECK_EQ(p9c_call(&c, P9_TXATTRWALK, "dds", 0, 1, ""), 0);
	CHECK_EQ(p9c_r64(&c), 0);
	CHECK_EQ(p9c_read(&c, 1, 0, sizeof(buf), buf, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(p9c_walk(&c, 1, 2, "sub"), -EBADF); /* not a file */
	CHECK_EQ(p9c_clunk(&c, 1), 0);
	/* One attribute: none there. */
	CHECK_EQ(p9c_call(&c, P9_TXATTRWALK, "dds", 0, 1, "security.capability"), -ENODATA);
	CHECK_EQ(p9_server_fid_count(c.s), 1);
	/* statfs: the host's own numbers for the export's file system. */
	CHECK_EQ(p9c_call(&c, P9_TSTATFS, "d", 0), 0);
	p9c_r32(&c);
	CHECK(p9c_r32(&c) > 0);      /* bsize */
	for (int i = 0; i < 6; i++)
		p9c_r64(&c);
	CHECK_EQ(p9c_r32(&c), 255);  /* namelen */
	CHECK(!c.rep_bad && c.rep_pos == c.rep_len);
	/* Locks: granted; nothing in the way. */
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_call(&c, P9_TLOCK, "dbdqqds", 1, P9_LOCK_TYPE_RDLCK, 0, (uint64_t)0, (uint64_t)0, 1234, "guest"), 0);
	CHECK_EQ(p9c_r8(&c), P9_LOCK_SUCCESS);
	CHECK_EQ(p9c_call(&c, P9_TGETLOCK, "dbqqds", 1, P9_LOCK_TYPE_WRLCK, (uint64_t)10, (uint64_t)20, 1234, "guest"), 0);
	CHECK_EQ(p9c_r8(&c), P9_LOCK_TYPE_UNLCK);
	CHECK_EQ(p9c_r64(&c), 10);
	CHECK_EQ(p9c_r64(&c), 20);
	CHECK_EQ(p9c_r32(&c), 1234);
	p9c_rstr(&c, client, sizeof(client));
	CHECK_STR(client, "guest");
	CHECK_EQ(p9c_call(&c, P9_TLOCK, "dbdqqds", 1, 7, 0, (uint64_t)0, (uint64_t)0, 1, ""), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TFLUSH, "w", 3), 0);
	CHECK_EQ(c.rep_len, P9_HEADER_SIZE);
	p9c_stop(&c);
}
