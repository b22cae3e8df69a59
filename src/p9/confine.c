/* SPDX-License-Identifier: MIT */
/*
 * Confinement: every file the server touches is found here, and nothing
 * found here is outside the export.
 *
 * The guest names files one component at a time (Twalk, and the name of a
 * create or unlink in a directory fid), so the server only ever looks up a
 * single name in a directory it already holds, or (to open a fid's file
 * afresh) the fid's own path from the root, which the server built itself
 * from checked names. Both go through openat2(2) with RESOLVE_BENEATH (no
 * "..", no absolute path leaves the starting directory), RESOLVE_NO_SYMLINKS
 * (no symlink followed, anywhere: the guest resolves symlinks itself from
 * Treadlink's text) and RESOLVE_NO_MAGICLINKS (no /proc/PID/fd-style jump
 * out of the tree), plus O_NOFOLLOW for the last component. Where openat2
 * is missing (Linux before 5.6, or a seccomp filter that refuses it), the
 * same walk is done by hand: openat(O_NOFOLLOW) of one component at a
 * time, each a directory opened O_PATH, never "." or "..". ".." itself
 * never reaches the host: it is worked out on the fid's path (node.c's
 * step), where the root's parent is the root.
 *
 * The host's kernel interfaces are not opened for the guest: an export of
 * the host's / holds its /proc (where /proc/PID/mem and environ of the
 * VMM's user's processes are), /sys, debugfs... The guest walks to their
 * mount points and stats them (to mount its own there, as virtme-ng's
 * guests do), but no file or directory on them is opened (EACCES).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p9/internal.h"

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

#define RESOLVE_CONFINED (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static int check_name(struct p9_str str, char *buf, bool dots_ok)
{
	if (str.len == 0)
		return -EINVAL;
	if (str.len > NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(str.s, '/', str.len) || memchr(str.s, '\0', str.len))
		return -EINVAL;
	memcpy(buf, str.s, str.len);
	buf[str.len] = '\0';
	if (!dots_ok && (!strcmp(buf, ".") || !strcmp(buf, "..")))
		return -EINVAL;
	return 0;
}

int p9_name(struct p9_str str, char *buf)
{
	return check_name(str, buf, true);
}

int p9_new_name(struct p9_str str, char *buf)
{
	return check_name(str, buf, false);
}

int p9_path_join(char *buf, const char *dir, const char *name)
{
	int n = dir[0] ? snprintf(buf, PATH_MAX, "%s/%s", dir, name)
		       : snprintf(buf, PATH_MAX, "%s", name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

const char *p9_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void p9_path_parent(char *buf, const char *path)
{
	size_t n = (size_t)(p9_path_base(path) - path);

	/* "a/b" -> "a" (the slash dropped), "b" -> "". */
	n = n ? n - 1 : 0;
	memcpy(buf, path, n);
	buf[n] = '\0';
}

int p9_open_child(struct p9_server *s, int dirfd, const char *name, int flags, mode_t mode)
{
	long fd;

	/* The callers checked the name; this is the last line, not the first. */
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".."))
		return -EINVAL;
	flags |= O_NOFOLLOW | O_CLOEXEC;
	if (s->openat2) {
		struct open_how how = {
			.flags = (uint64_t)flags,
			.mode = flags & O_CREAT ? mode : 0,
			.resolve = RESOLVE_CONFINED,
		};

		fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	} else {
		fd = openat(dirfd, name, flags, mode);
	}
	return fd < 0 ? -errno : (int)fd;
}

/* The hand walk: each component but the last a directory, opened O_PATH. */
static int walk_path(struct p9_server *s, const char *path, int flags)
{
	char name[NAME_MAX + 1];
	int dir = s->root, fd;

	for (;;) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (len == 0 || len > NAME_MAX || (len <= 2 && !strncmp(path, "..", len))) {
			fd = -EINVAL; /* "", "." and "..": the server never builds them */
			break;
		}
		memcpy(name, path, len);
		name[len] = '\0';
		fd = p9_open_child(s, dir, name, slash ? O_PATH | O_DIRECTORY : flags, 0);
		if (fd < 0 || !slash)
			break;
		if (dir != s->root)
			close(dir);
		dir = fd;
		path = slash + 1;
	}
	if (dir != s->root)
		close(dir);
	return fd;
}

int p9_open_path(struct p9_server *s, const char *path, int flags)
{
	long fd;

	if (!path[0])
		return p9_open_child(s, s->root, ".", flags, 0);
	if (!s->openat2)
		return walk_path(s, path, flags);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_CONFINED,
	};
	fd = syscall(SYS_openat2, s->root, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int p9_stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

int p9_stat_new(int fd, struct stat *st)
{
	int err = fd < 0 ? fd : p9_stat_fd(fd, st);

	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

int p9_may_open(int fd)
{
	static const long kernel_fs[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
		SELINUX_MAGIC, SMACK_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC, CGROUP_SUPER_MAGIC,
		CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC, BINFMTFS_MAGIC, DEVPTS_SUPER_MAGIC,
	};
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return -errno;
	for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if ((long)sf.f_type == kernel_fs[i])
			return -EACCES;
	return 0;
}

int p9_reopen(struct p9_server *s, const struct p9_fid *fid, int flags)
{
	struct stat st;
	int err = p9_may_open(fid->fd), fd;

	if (err)
		return err;
	fd = p9_stat_new(p9_open_path(s, fid->path, flags), &st);

	if (fd >= 0 && (st.st_dev != fid->dev || st.st_ino != fid->ino)) {
		close(fd);
		return -ESTALE; /* renamed or replaced on the host since the walk */
	}
	return fd;
}

int p9_open_parent(struct p9_server *s, const struct p9_fid *fid, const char **name)
{
	char parent[PATH_MAX];
	struct stat st;
	int fd;

	if (!fid->path[0])
		return -EBUSY;
	p9_path_parent(parent, fid->path);
	fd = p9_open_path(s, parent, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return fd;
	*name = p9_path_base(fid->path);
	if (fstatat(fd, *name, &st, AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != fid->dev || st.st_ino != fid->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

uint64_t p9_qid_path(const struct p9_server *s, dev_t dev, ino_t ino)
{
	/*
	 * The export may span file systems (the host's / has /proc, /sys, a
	 * /home of its own...) whose inode numbers overlap; Linux's v9fs takes
	 * qid.path as the inode number. The root's file system keeps its
	 * numbers, the others get their device's hash in the top 16 bits:
	 * collisions unlikely, not impossible.
	 */
	if (dev == s->root_dev)
		return ino;
	return (uint64_t)ino ^ (((uint64_t)dev * 0x9E3779B97F4A7C15ull) & 0xFFFF000000000000ull);
}

void p9_qid_of(const struct p9_server *s, const struct stat *st, struct p9_qid *qid)
{
	qid->type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : P9_QTFILE;
	/* Changes with the file's contents, for clients that cache. */
	qid->version = (uint32_t)st->st_mtim.tv_sec ^ (uint32_t)st->st_mtim.tv_nsec;
	qid->path = p9_qid_path(s, st->st_dev, st->st_ino);
}
