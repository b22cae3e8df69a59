/* SPDX-License-Identifier: MIT */
/*
 * src/p9 keeps the guest inside the export: ".." stops at the root, no
 * symlink is followed (in or out: the guest gets the text), names with '/',
 * NUL or nothing are refused, and a file swapped on the host between a walk
 * and an open is stale rather than followed. Each case with openat2 and
 * with the openat(O_NOFOLLOW) walk the server falls back to. The tree is
 * p9_client.h's: TOP/root is served, TOP/outside is not.
 */
#include <errno.h>
#include <stdio.h>
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
			CHECK_EQ(q.path, root.st_ino);
		}
		CHECK_EQ(p9c_getattr(&c, 1, &a), 0);
		CHECK_EQ(a.qid.path, root.st_ino);
		/* The root's parent would hold "outside": it is not there. */
		CHECK_EQ(p9c_walk(&c, 0, 2, "../outside/outside.txt"), 0);
		CHECK_EQ(p9c_r16(&c), 1);
		CHECK_EQ(p9c_walk(&c, 1, 2, "outside"), -ENOENT);
		CHECK_EQ(p9c_walk(&c, 0, 2, "sub/deeper/../../../../hello.txt"), 0);
		CHECK_EQ(p9c_r16(&c), 7);
		CHECK_EQ(p9c_getattr(&c, 2, &a), 0);
		CHECK_EQ(a.qid.path, hello.st_ino);
		CHECK_EQ(p9c_walk(&c, 0, 3, "sub/./deeper/../inner.txt"), 0);
		CHECK_EQ(p9c_getattr(&c, 3, &a), 0);
		CHECK_EQ(a.qid.path, inner.st_ino);
		/* ".." from a fid below the root, in a walk of its own. */
		CHECK_EQ(p9c_walk(&c, 0, 4, "sub/deeper"), 0);
		CHECK_EQ(p9c_walk(&c, 4, 5, "../../.."), 0);
		CHECK_EQ(p9c_getattr(&c, 5, &a), 0);
		CHECK_EQ(a.qid.path, root.st_ino);
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
		char a[256], b[256];
		uint32_t n;
		char buf[64];

		if (!p9t_start(&c, &both_modes[mode]))
			return;
		CHECK_EQ(p9c_walk(&c, 0, 1, "hello.txt"), 0);
		snprintf(a, sizeof(a), "%s/secret.txt", c.root);
		snprintf(b, sizeof(b), "%s/hello.txt", c.root);
		CHECK_EQ(rename(a, b), 0);
		CHECK_EQ(p9c_lopen(&c, 1, P9_DOTL_RDONLY), -ESTALE);
		/* A directory on the way replaced by a symlink to the outside. */
		CHECK_EQ(p9c_walk(&c, 0, 2, "sub/inner.txt"), 0);
		snprintf(a, sizeof(a), "%s/sub", c.root);
		snprintf(b, sizeof(b), "%s/sub.old", c.root);
		CHECK_EQ(rename(a, b), 0);
		snprintf(b, sizeof(b), "%s/outside", c.top);
		CHECK_EQ(symlink(b, a), 0);
		snprintf(b, sizeof(b), "%s/outside/inner.txt", c.top);
		CHECK_EQ(symlink("outside.txt", b), 0);
		CHECK(p9c_lopen(&c, 2, P9_DOTL_RDONLY) < 0);
		CHECK(p9c_read(&c, 2, 0, sizeof(buf), buf, &n) < 0);
		p9c_stop(&c);
	}
}
