/* SPDX-License-Identifier: MIT */
/*
 * src/p9 asked to be writable: files made, written, read back, renamed and
 * removed, checked on the host's side; and still nothing outside the
 * export touched. The tree is p9_client.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "p9_test.h"

static const struct p9_options writable = { .writable = true };

/* The first bytes of a file of the export, read on the host; "" if there is none. */
static const char *host_read(struct p9c *c, const char *name)
{
	static char buf[256];
	char path[256];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->root, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* TOP/outside holds outside.txt and nothing else, TOP nothing but root and outside. */
static bool outside_untouched(struct p9c *c)
{
	char path[256];
	struct stat st;
	int fd, n;

	snprintf(path, sizeof(path), "%s/outside/outside.txt", c->top);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size != sizeof(P9C_OUTSIDE))
		n = -1;
	else
		n = 0;
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/outside", c->top);
	if (stat(path, &st) || st.st_nlink != 2)
		n = -1;
	snprintf(path, sizeof(path), "%s", c->top);
	if (stat(path, &st) || st.st_nlink != 4)
		n = -1;
	return n == 0;
}

TEST(p9w_create_write_read_back_and_unlink)
{
	struct p9c c;
	struct p9c_attr a;
	struct stat st;
	char buf[64];
	uint32_t n;

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, ""), 0);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 1, "new.txt", P9_DOTL_RDWR | P9_DOTL_EXCL,
			  0640, getgid()), 0);
	CHECK_EQ(p9c_write(&c, 1, 0, "hello world", 11, &n), 0);
	CHECK_EQ(n, 11);
	CHECK_EQ(p9c_write(&c, 1, 6, "9P!!!", 5, &n), 0);
	CHECK_EQ(p9c_read(&c, 1, 0, sizeof(buf), buf, &n), 0);
	CHECK_EQ(n, 11);
	CHECK_MEM(buf, "hello 9P!!!", 11);
	CHECK_EQ(p9c_call(&c, P9_TFSYNC, "dd", 1, 0), 0);
	CHECK_EQ(p9c_call(&c, P9_TFSYNC, "dd", 1, 1), 0);
	CHECK_EQ(p9c_call(&c, P9_TFSYNC, "d", 1), 0); /* without datasync, as older clients send it */
	CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
	CHECK_EQ(a.size, 11);
	CHECK_EQ(a.mode, S_IFREG | 0640);
	CHECK_STR(host_read(&c, "new.txt"), "hello 9P!!!");
	p9t_host_stat(&c, "new.txt", &st);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(a.qid.path, p9t_qid_path(&c, &st));
	/* The guest's mode exactly, whatever the VMM's umask. */
	{
		mode_t old = umask(0077);

		CHECK_EQ(p9c_walk(&c, 0, 2, ""), 0);
		CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 2, "shared.txt", P9_DOTL_WRONLY, 0664, getgid()), 0);
		umask(old);
		p9t_host_stat(&c, "shared.txt", &st);
		CHECK_EQ(st.st_mode, S_IFREG | 0664);
	}
	/* Names that are there already, or are not names. */
	CHECK_EQ(p9c_walk(&c, 0, 3, ""), 0);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 3, "hello.txt", P9_DOTL_RDWR | P9_DOTL_EXCL, 0644, 0), -EEXIST);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 3, "link_in", P9_DOTL_RDWR | P9_DOTL_TRUNC, 0644, 0), -EEXIST);
	CHECK_STR(host_read(&c, "hello.txt"), P9C_HELLO);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 3, "a/b", P9_DOTL_RDWR, 0644, 0), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 3, "..", P9_DOTL_RDWR, 0644, 0), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 3, "", P9_DOTL_RDWR, 0644, 0), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 1, "x", P9_DOTL_RDWR, 0644, 0), -ENOTDIR);
	/* Not into the places a symlink points at: a symlink is no directory here. */
	CHECK_EQ(p9c_walk(&c, 0, 4, "link_up"), 0);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 4, "evil", P9_DOTL_RDWR, 0644, 0), -ENOTDIR);
	CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 4, "evil", 0755, 0), -ENOTDIR);
	/* Unlinked: gone on the host. */
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "new.txt", 0), 0);
	p9t_host_stat(&c, "new.txt", &st);
	CHECK_EQ(st.st_ino, 0);
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "new.txt", 0), -ENOENT);
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "sub", 0), -EISDIR);
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "sub", P9_DOTL_AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "hello.txt", 1), -EINVAL);
	/* A symlink to /etc goes; /etc stays. */
	CHECK_EQ(p9c_call(&c, P9_TUNLINKAT, "dsd", 0, "link_etc", 0), 0);
	CHECK(access("/etc", F_OK) == 0);
	CHECK(outside_untouched(&c));
	p9c_stop(&c);
}

TEST(p9w_write_checks_its_fid_offset_and_count)
{
	struct p9c c;
	uint32_t n;

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_write(&c, 1, 0, "x", 1, &n), -EBADF); /* not open */
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_write(&c, 1, 0, "x", 1, &n), -EBADF); /* open for reading */
	CHECK_EQ(p9c_walk(&c, 0, 2, "hello.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_WRONLY | P9_DOTL_APPEND), 0);
	CHECK_EQ(p9c_write(&c, 2, 1ull << 63, "x", 1, &n), -EINVAL);
	/* count says 100, 3 bytes came. */
	CHECK_EQ(p9c_call(&c, P9_TWRITE, "dqdb", 2, (uint64_t)0, 100, 'x'), -EPROTO);
	CHECK_EQ(p9c_write(&c, 2, 0, "more\n", 5, &n), 0); /* O_APPEND: at the end */
	CHECK_STR(host_read(&c, "hello.txt"), P9C_HELLO "more\n");
	/* Truncated on open, once the server knows it is the right file. */
	CHECK_EQ(p9c_walk(&c, 0, 3, "sub/inner.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 3, P9_DOTL_WRONLY | P9_DOTL_TRUNC), 0);
	CHECK_STR(host_read(&c, "sub/inner.txt"), "");
	CHECK_EQ(p9c_walk(&c, 0, 4, "sub"), 0);
	CHECK_EQ(p9c_lopen(&c, 4, P9_DOTL_RDWR), -EISDIR);
	CHECK_EQ(p9c_call(&c, P9_TXATTRCREATE, "dsqd", 1, "user.x", (uint64_t)1, 0), -EOPNOTSUPP);
	p9c_stop(&c);
}

TEST(p9w_mkdir_symlink_mknod_and_link)
{
	struct p9c c;
	struct stat st, st2;
	char text[64];
	struct p9c_qid q;

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 0, "d", 0750, getgid()), 0);
	p9c_rqid(&c, &q);
	p9t_host_stat(&c, "d", &st);
	CHECK_EQ(st.st_mode, S_IFDIR | 0750);
	CHECK_EQ(q.type, P9_QTDIR);
	CHECK_EQ(q.path, p9t_qid_path(&c, &st));
	CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 0, "d", 0750, 0), -EEXIST);
	/* A symlink's text is kept as it is, and never followed by the server. */
	CHECK_EQ(p9c_call(&c, P9_TSYMLINK, "dssd", 0, "sl", "/etc/passwd", getgid()), 0);
	p9c_rqid(&c, &q);
	CHECK_EQ(q.type, P9_QTSYMLINK);
	CHECK_EQ(p9c_walk(&c, 0, 1, "sl"), 0);
	CHECK_EQ(p9c_readlink(&c, 1, text, sizeof(text)), 0);
	CHECK_STR(text, "/etc/passwd");
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -ELOOP);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_MODE, 0600, 0, 0, 0, 0, 0), -EOPNOTSUPP);
	CHECK_EQ(p9c_call(&c, P9_TSYMLINK, "dssd", 0, "empty", "", 0), -ENOENT);
	/* A FIFO; a directory is not made by mknod. */
	CHECK_EQ(p9c_call(&c, P9_TMKNOD, "dsdddd", 0, "pipe", S_IFIFO | 0600, 0, 0, getgid()), 0);
	p9t_host_stat(&c, "pipe", &st);
	CHECK_EQ(st.st_mode, S_IFIFO | 0600);
	CHECK_EQ(p9c_call(&c, P9_TMKNOD, "dsdddd", 0, "dir2", S_IFDIR | 0700, 0, 0, 0), -EINVAL);
	/* No device nodes from the guest: the host's /dev/mem (1, 1) would be one. */
	CHECK_EQ(p9c_call(&c, P9_TMKNOD, "dsdddd", 0, "mem", S_IFCHR | 0666, 1, 1, 0), -EPERM);
	CHECK_EQ(p9c_call(&c, P9_TMKNOD, "dsdddd", 0, "disk", S_IFBLK | 0666, 8, 0, 0), -EPERM);
	p9t_host_stat(&c, "mem", &st);
	CHECK_EQ(st.st_ino, 0);
	/* A hard link: the same inode twice. */
	CHECK_EQ(p9c_walk(&c, 0, 2, "hello.txt"), 0);
	CHECK_EQ(p9c_walk(&c, 0, 3, "d"), 0);
	CHECK_EQ(p9c_call(&c, P9_TLINK, "dds", 3, 2, "hard"), 0);
	p9t_host_stat(&c, "hello.txt", &st);
	p9t_host_stat(&c, "d/hard", &st2);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(p9c_call(&c, P9_TLINK, "dds", 0, 3, "dirlink"), -EPERM);
	/* Made in the root, however many ".." the walk to it had. */
	CHECK_EQ(p9c_walk(&c, 0, 4, "../.."), 0);
	CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 4, "escaped", 0755, 0), 0);
	p9t_host_stat(&c, "escaped", &st);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFDIR);
	CHECK(outside_untouched(&c));
	p9c_stop(&c);
}

TEST(p9w_rename_takes_the_fids_along)
{
	struct p9c c;
	struct p9c_attr a;
	struct stat st;
	char buf[64];
	uint32_t n;

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "sub"), 0);
	CHECK_EQ(p9c_walk(&c, 0, 2, "sub/inner.txt"), 0);
	CHECK_EQ(p9c_walk(&c, 0, 3, "sub/deeper"), 0);
	CHECK_EQ(p9c_call(&c, P9_TRENAMEAT, "dsds", 0, "sub", 0, "moved"), 0);
	p9t_host_stat(&c, "moved/inner.txt", &st);
	CHECK(S_ISREG(st.st_mode));
	/* Opened by its new path. */
	CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_read(&c, 2, 0, sizeof(buf), buf, &n), 0);
	CHECK_EQ(n, 6);
	CHECK_MEM(buf, "inner\n", 6);
	CHECK_EQ(p9c_walk(&c, 3, 4, "leaf.txt"), 0);
	CHECK_EQ(p9c_lopen(&c, 4, P9_DOTL_RDONLY), 0);
	CHECK_EQ(p9c_walk(&c, 3, 5, "../../hello.txt"), 0);
	CHECK_EQ(p9c_clunk(&c, 5), 0);
	/* Trename: the fid's own file, into the root. */
	CHECK_EQ(p9c_call(&c, P9_TRENAME, "dds", 3, 0, "deep"), 0);
	p9t_host_stat(&c, "deep/leaf.txt", &st);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(p9c_walk(&c, 3, 5, "leaf.txt"), 0);
	CHECK_EQ(p9c_walk(&c, 3, 6, ".."), 0);
	CHECK_EQ(p9c_getattr(&c, 6, &a), 0);
	p9t_host_stat(&c, ".", &st);
	CHECK_EQ(a.qid.path, p9t_qid_path(&c, &st));
	/* Into itself, onto "..", the root: refused. */
	CHECK_EQ(p9c_call(&c, P9_TRENAMEAT, "dsds", 0, "moved", 1, "inside"), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TRENAMEAT, "dsds", 0, "hello.txt", 0, ".."), -EINVAL);
	CHECK_EQ(p9c_call(&c, P9_TRENAME, "dds", 0, 1, "root"), -EBUSY);
	/* Renamed behind the server's back: the fid's file is stale, not another. */
	{
		char from[256], to[256];

		CHECK_EQ(p9c_walk(&c, 0, 7, "hello.txt"), 0);
		snprintf(from, sizeof(from), "%s/hello.txt", c.root);
		snprintf(to, sizeof(to), "%s/hello2.txt", c.root);
		CHECK_EQ(rename(from, to), 0);
		CHECK_EQ(p9c_call(&c, P9_TRENAME, "dds", 7, 0, "x"), -ESTALE);
	}
	CHECK(outside_untouched(&c));
	p9c_stop(&c);
}

TEST(p9w_setattr_mode_size_and_times)
{
	struct p9c c;
	struct stat st;
	time_t now = time(NULL);

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_MODE, 0604, 0, 0, 0, 0, 0), 0);
	p9t_host_stat(&c, "hello.txt", &st);
	CHECK_EQ(st.st_mode, S_IFREG | 0604);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_SIZE, 0, 0, 0, 5, 0, 0), 0);
	CHECK_STR(host_read(&c, "hello.txt"), "hello");
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET | P9_SETATTR_ATIME,
			     0, 0, 0, 0, 1000000000, 250), 0);
	p9t_host_stat(&c, "hello.txt", &st);
	CHECK_EQ(st.st_mtim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 250);
	CHECK(st.st_atim.tv_sec >= now);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, 0, 0, 0, 0, 1, 2000000000), -EINVAL);
	/* To one's own user and group: allowed, nothing changes. */
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_UID | P9_SETATTR_GID, 0, getuid(), getgid(), 0, 0, 0), 0);
	/* An open fid truncates through its own descriptor. */
	CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDWR), 0);
	CHECK_EQ(p9c_setattr(&c, 1, P9_SETATTR_SIZE | P9_SETATTR_MODE, 0600, 0, 0, 2, 0, 0), 0);
	CHECK_STR(host_read(&c, "hello.txt"), "he");
	p9t_host_stat(&c, "hello.txt", &st);
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_EQ(p9c_walk(&c, 0, 2, "sub"), 0);
	CHECK_EQ(p9c_setattr(&c, 2, P9_SETATTR_SIZE, 0, 0, 0, 0, 0, 0), -EISDIR);
	CHECK_EQ(p9c_setattr(&c, 2, P9_SETATTR_MODE, 0700, 0, 0, 0, 0, 0), 0);
	p9t_host_stat(&c, "sub", &st);
	CHECK_EQ(st.st_mode, S_IFDIR | 0700);
	CHECK_EQ(p9c_walk(&c, 0, 3, "fifo"), 0);
	CHECK_EQ(p9c_setattr(&c, 3, P9_SETATTR_SIZE, 0, 0, 0, 0, 0, 0), -EINVAL);
	p9c_stop(&c);
}

TEST(p9w_remove_clunks_its_fid_always)
{
	struct p9c c;
	struct stat st;

	if (!p9t_start(&c, &writable))
		return;
	CHECK_EQ(p9c_walk(&c, 0, 1, "many/f00"), 0);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 1), 0);
	p9t_host_stat(&c, "many/f00", &st);
	CHECK_EQ(st.st_ino, 0);
	CHECK_EQ(p9c_clunk(&c, 1), -EBADF);
	CHECK_EQ(p9c_walk(&c, 0, 1, "sub/deeper/leaf.txt"), 0);
	CHECK_EQ(p9c_walk(&c, 0, 2, "sub/deeper"), 0);
	CHECK_EQ(p9c_walk(&c, 0, 3, "sub"), 0);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 3), -ENOTEMPTY);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 1), 0);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 2), 0);
	p9t_host_stat(&c, "sub/deeper", &st);
	CHECK_EQ(st.st_ino, 0);
	/* The root is not removed; its fid goes all the same. */
	CHECK_EQ(p9c_walk(&c, 0, 4, ""), 0);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 4), -EBUSY);
	CHECK_EQ(p9_server_fid_count(c.s), 1);
	CHECK_EQ(p9c_call(&c, P9_TREMOVE, "d", 4), -EBADF);
	CHECK(outside_untouched(&c));
	p9c_stop(&c);
}

/* Special files already in the export: never opened, their mode and owner left alone. */
TEST(p9w_special_files_are_not_opened_or_changed)
{
	struct p9c c;
	struct p9c_qid q;
	struct stat st;
	char path[256], buf[32];
	uint32_t n;

	if (!p9t_start(&c, &writable))
		return;
	/* Tlcreate without O_EXCL of a name that is there: a regular file is opened... */
	CHECK_EQ(p9c_walk(&c, 0, 1, ""), 0);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 1, "hello.txt", P9_DOTL_RDWR, 0600, 0), 0);
	p9c_rqid(&c, &q);
	p9t_host_stat(&c, "hello.txt", &st);
	CHECK_EQ(q.path, p9t_qid_path(&c, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644); /* not made: its mode stays */
	CHECK_EQ(p9c_read(&c, 1, 0, sizeof(buf), buf, &n), 0);
	CHECK_EQ(n, strlen(P9C_HELLO));
	/* ... a FIFO is not (nor waited on). */
	CHECK_EQ(p9c_walk(&c, 0, 2, ""), 0);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 2, "fifo", P9_DOTL_RDONLY, 0600, 0), -EEXIST);
	CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 2, "sub", P9_DOTL_RDONLY, 0600, 0), -EEXIST);
	/* A device node the host made (where this test may make one: as root). */
	snprintf(path, sizeof(path), "%s/null", c.root);
	if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) {
		CHECK_EQ(p9c_call(&c, P9_TLCREATE, "dsddd", 2, "null", P9_DOTL_RDWR, 0600, 0), -EEXIST);
		CHECK_EQ(p9c_walk(&c, 0, 3, "null"), 0);
		CHECK_EQ(p9c_lopen(&c, 3, P9_DOTL_RDONLY), -EOPNOTSUPP);
		CHECK_EQ(p9c_setattr(&c, 3, P9_SETATTR_MODE, 0666, 0, 0, 0, 0, 0), -EPERM);
		CHECK_EQ(p9c_setattr(&c, 3, P9_SETATTR_UID, 0, 1000, 0, 0, 0, 0), -EPERM);
		p9t_host_stat(&c, "null", &st);
		CHECK_EQ(st.st_mode, S_IFCHR | 0600);
		CHECK_EQ(st.st_uid, getuid());
	}
	p9c_stop(&c);
}
