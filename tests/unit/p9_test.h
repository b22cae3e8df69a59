/* SPDX-License-Identifier: MIT */
/* What test_p9.c and test_p9_write.c share beyond p9_client.h: a start that fails the test, the host's view. */
#ifndef MINIKVM_P9_TEST_H
#define MINIKVM_P9_TEST_H

#include <stdbool.h>
#include <sys/stat.h>

#include "p9/internal.h"
#include "p9_client.h"
#include "test.h"

/* A server on a fresh tree, versioned at msize 8192, fid 0 the root; false (the test failed) if not. */
static inline bool p9t_start(struct p9c *c, const struct p9_options *opt)
{
	int err = p9c_start(c, opt, 8192);

	if (err)
		test_fail(__FILE__, __LINE__, "p9c_start: %s", strerror(-err));
	return !err;
}

/* lstat of a file of the export, on the host; all zeros if there is none. */
static inline void p9t_host_stat(struct p9c *c, const char *name, struct stat *st)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", c->root, name);
	memset(st, 0, sizeof(*st));
	lstat(path, st);
}

/*
 * The qid.path the server must give the file st describes: its inode on the
 * export root's file system, else the inode with that device's hash mixed in
 * (p9_qid_path). A tree under /tmp can span file systems (an overlay, a 9p
 * mount inside the emulated host), so a test never assumes the first case.
 */
static inline uint64_t p9t_qid_path(const struct p9c *c, const struct stat *st)
{
	return p9_qid_path(c->s, st->st_dev, st->st_ino);
}

#endif
