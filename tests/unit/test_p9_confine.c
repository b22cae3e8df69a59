/* SPDX-License-Identifier: MIT */
/*
 * src/p9 keeps the guest inside the export: ".." stops at the root, no
 * symlink is followed (in or out: the guest gets the text), names with '/',
 * NUL or nothing are refused, and a file swapped on the host between a walk
 * and an open is stale rather than followed. Each case with openat2 and
 * with the openat(O_NOFOLLOW) walk the server falls back to. The tree is
 * p9_client.h's: TOP/root is served, TOP/outside is not. And the host's
 * kernel file systems, served as they are when the host's / is: walked and
 * looked at, never opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p9_test.h"

/* Both ways of looking names up: openat2, and the openat(O_NOFOLLOW) walk. */
static const struct p9_options both_modes[2] = { { .no_openat2 = false }, { .no_openat2 = true } };

TEST(p9_dotdot_stays_inside_the_root)
{
	for (int mode = 0; mode < 2; mode++) {
		struct p9c c;
		struct p9c_attr a;
		struct p9c_qid q;
		struct stat root, hello, inner;

		if (!p9t_start(&c, &both_modes[mode]))
			return;
		p9t_host_stat(&c, ".", &root);
		p9t_host_stat(&c, "hello.txt", &hello);
		p9t_host_stat(&c, "sub/inner.txt", &inner);
		CHECK_EQ(p9c_walk(&c, 0, 1, "../../.."), 0);
		CHECK_EQ(p9c_r16(&c), 3);
		for (int i = 0; i < 3; i++) {
			p9c_rqid(&c, &q);
			CHECK_EQ(q.path, p9t_qid_path(&c, &root));
		}
		CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
		CHECK_EQ(a.qid.path, p9t_qid_path(&c, &root));
		/* The root's parent would hold "outside": it is not there. */
		CHECK_EQ(p9c_walk(&c, 0, 2, "../outside/outside.txt"), 0);
		CHECK_EQ(p9c_r16(&c), 1);
		CHECK_EQ(p9c_walk(&c, 1, 2, "outside"), -ENOENT);
		CHECK_EQ(p9c_walk(&c, 0, 2, "sub/deeper/../../../../hello.txt"), 0);
		CHECK_EQ(p9c_r16(&c), 7);
		CHECK_EQ(p9c_getattr(&c, 2, &a), 0);
		CHECK_EQ(a.qid.path, p9t_qid_path(&c, &hello));
		CHECK_EQ(p9c_walk(&c, 0, 3, "sub/./deeper/../inner.txt"), 0);
		CHECK_EQ(p9c_getattr(&c, 3, &a), 0);
		CHECK_EQ(a.qid.path, p9t_qid_path(&c, &inner));
		/* ".." from a fid below the root, in a walk of its own. */
		CHECK_EQ(p9c_walk(&c, 0, 4, "sub/deeper"), 0);
		CHECK_EQ(p9c_walk(&c, 4, 5, "../../.."), 0);
		CHECK_EQ(p9c_getattr(&c, 5, &a), 0);
		CHECK_EQ(a.qid.path, p9t_qid_path(&c, &root));
		p9c_stop(&c);
	}
}

TEST(p9_symlinks_are_never_followed_out_or_in)
{
	static const char *const through[] = {
		"link_etc/passwd", "link_up/outside.txt", "link_deep/passwd", "link_abs/outside.txt",
		"link_sub/inner.txt",
	};
	for (int mode = 0; mode < 2; mode++) {
		struct p9c c;
		struct p9c_attr a;
		char text[256];

		if (!p9t_start(&c, &both_modes[mode]))
			return;
		/* A walk reaches the link itself, never past it. */
		for (size_t i = 0; i < sizeof(through) / sizeof(through[0]); i++) {
			CHECK_EQ(p9c_walk(&c, 0, 1, through[i]), 0);
			CHECK_EQ(p9c_r16(&c), 1);
			CHECK_EQ(p9c_getattr(&c, 1, &a), -EBADF);
		}
		CHECK_EQ(p9c_walk(&c, 0, 1, "link_etc"), 0);
		CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
		CHECK_EQ(a.mode & S_IFMT, S_IFLNK);
		CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -ELOOP);
		CHECK_EQ(p9c_walk(&c, 1, 2, "passwd"), -ENOTDIR);
		/* The guest gets the text, and resolves it in what it is served. */
		CHECK_EQ(p9c_readlink(&c, 1, text, sizeof(text)), 0);
		CHECK_STR(text, "/etc");
		CHECK_EQ(p9c_walk(&c, 0, 2, "link_up"), 0);
		CHECK_EQ(p9c_readlink(&c, 2, text, sizeof(text)), 0);
		CHECK_STR(text, "../outside");
		CHECK_EQ(p9c_walk(&c, 0, 3, "hello.txt"), 0);
		CHECK_EQ(p9c_readlink(&c, 3, text, sizeof(text)), -EINVAL);
		p9c_stop(&c);
	}
}

TEST(p9_names_with_slashes_nuls_or_nothing_are_refused)
{
	char longname[300];
	struct p9c c;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (int mode = 0; mode < 2; mode++) {
		static const char *const bad[] = { "/etc", "/", "sub/inner.txt", "../outside", "", "a/" };

		if (!p9t_start(&c, &both_modes[mode]))
			return;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK_EQ(p9c_walkv(&c, 0, 1, 1, &bad[i]), -EINVAL);
		{
			const char *names[] = { "sub", "/etc" };

			/* Refused at the second name: the first one's qid only. */
			CHECK_EQ(p9c_walkv(&c, 0, 1, 2, names), 0);
			CHECK_EQ(p9c_r16(&c), 1);
		}
		{
			const char *names[] = { longname };

			CHECK_EQ(p9c_walkv(&c, 0, 1, 1, names), -ENAMETOOLONG);
		}
		/* "hello.txt\0x": a NUL would cut the name short in C. */
		p9c_begin(&c, P9_TWALK);
		p9c_u32(&c, 0);
		p9c_u32(&c, 1);
		p9c_u16(&c, 1);
		p9c_u16(&c, 11);
		p9c_bytes(&c, "hello.txt\0x", 11);
		CHECK_EQ(p9c_send(&c), -EINVAL);
		{
			const char *names[] = { "..." };

			CHECK_EQ(p9c_walkv(&c, 0, 1, 1, names), -ENOENT);
		}
		CHECK_EQ(p9_server_fid_count(c.s), 1);
		p9c_stop(&c);
	}
}

/* Files swapped on the host between the guest's walk and its open. */
TEST(p9_a_file_replaced_on_the_host_is_stale_never_followed)
{
	for (int mode = 0; mode < 2; mode++) {
		struct p9c c;
		char a[256], b[256], events[4096];
		uint32_t n;
		char buf[64];
		int watch;

		if (!p9t_start(&c, &both_modes[mode]))
			return;
		CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
		snprintf(a, sizeof(a), "%s/secret.txt", c.root);
		snprintf(b, sizeof(b), "%s/hello.txt", c.root);
		CHECK_EQ(rename(a, b), 0);
		CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -ESTALE);
		/*
		 * A directory on the way replaced by a symlink to the outside,
		 * where a file of the same name waits. Not even opened (and
		 * then found stale): inotify would see it.
		 */
		CHECK_EQ(p9c_walk(&c, 0, 2, "sub/inner.txt"), 0);
		snprintf(a, sizeof(a), "%s/sub", c.root);
		snprintf(b, sizeof(b), "%s/sub.old", c.root);
		CHECK_EQ(rename(a, b), 0);
		snprintf(b, sizeof(b), "%s/outside", c.top);
		CHECK_EQ(symlink(b, a), 0);
		snprintf(b, sizeof(b), "%s/outside/inner.txt", c.top);
		close(open(b, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		snprintf(b, sizeof(b), "%s/outside", c.top);
		CHECK(watch >= 0 && inotify_add_watch(watch, b, IN_OPEN | IN_ACCESS | IN_MODIFY) >= 0);
		CHECK(p9c_lopen(&c, 2, P9_DOTL_RDONLY) < 0);
		CHECK(p9c_read(&c, 2, 0, sizeof(buf), buf, &n) < 0);
		CHECK(read(watch, events, sizeof(events)) < 0 && errno == EAGAIN);
		close(watch);
		p9c_stop(&c);
	}
}

/* /proc and /sys exported themselves: the guest may stat them (to mount its own there), not open them. */
TEST(p9_kernel_file_systems_are_never_opened)
{
	static const char *const roots[] = { "/proc", "/sys" };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		const struct p9_options writable = { .writable = true };
		struct p9c c;
		struct p9c_attr a;
		char path[64], text[64];

		if (p9c_open_dir(&c, roots[i], &writable)) {
			CHECK(i > 0); /* /proc is there (p9c_count_fds reads it); /sys may not be */
			p9c_stop(&c);
			continue;
		}
		CHECK_EQ(p9c_version(&c, 8192, P9_VERSION_L), 0);
		CHECK_EQ(p9c_attach(&c, 0), 0);
		CHECK_EQ(p9c_getattr(&c, 0, &a), 0);
		CHECK_EQ(a.qid.type, P9_QTDIR);
		CHECK_EQ(p9c_walk(&c, 0, 1, ""), 0);
		CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -EACCES);
		if (i == 0) {
			/* The VMM's own memory and environment, as a guest would look for them. */
			snprintf(path, sizeof(path), "%d/mem", (int)getpid());
			CHECK_EQ(p9c_walk(&c, 0, 2, path), 0);
			CHECK_EQ(p9c_lopen(&c, 2, P9_DOTL_RDONLY), -EACCES);
			snprintf(path, sizeof(path), "%d/environ", (int)getpid());
			CHECK_EQ(p9c_walk(&c, 0, 3, path), 0);
			CHECK_EQ(p9c_lopen(&c, 3, P9_DOTL_RDONLY), -EACCES);
			CHECK_EQ(p9c_setattr(&c, 3, P9_SETATTR_MODE, 0666, 0, 0, 0, 0, 0), -EACCES);
			/* A symlink there is text, as anywhere. */
			CHECK_EQ(p9c_walk(&c, 0, 4, "self"), 0);
			CHECK_EQ(p9c_readlink(&c, 4, text, sizeof(text)), 0);
			CHECK_EQ(strtol(text, NULL, 10), getpid());
		} else {
			CHECK_EQ(p9c_walk(&c, 0, 2, "kernel"), 0);
			CHECK_EQ(p9c_call(&c, P9_TMKDIR, "dsdd", 2, "x", 0755, 0), -EACCES);
		}
		p9c_stop(&c);
	}
}

TEST(p9_qid_path_keeps_the_root_file_systems_inodes_and_marks_the_others)
{
	struct p9c c;
	struct stat root;

	if (!p9t_start(&c, NULL))
		return;
	p9t_host_stat(&c, ".", &root);
	/* Same device as the export's root: the inode itself, as v9fs shows it. */
	CHECK_EQ(p9_qid_path(c.s, root.st_dev, 0x1234), 0x1234);
	/* Another device: the same low 48 bits, a device hash above them. */
	{
		uint64_t other = p9_qid_path(c.s, root.st_dev + 1, 0x1234);

		CHECK_EQ(other & 0xFFFFFFFFFFFFull, 0x1234);
		CHECK(other != 0x1234);
		CHECK(other != p9_qid_path(c.s, root.st_dev + 2, 0x1234));
	}
	p9c_stop(&c);
}
