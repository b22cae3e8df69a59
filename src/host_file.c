/* SPDX-License-Identifier: MIT */
/* Files written on the host for a gdb client; see host_file.h. */
#include "host_file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Tries at a free temporary name before giving up (someone keeps planting them). */
#define TMP_TRIES 16

bool host_file_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= HOST_FILE_NAME_MAX && name[0] != '.' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int host_file_check_dir(const char *option, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_set(EXIT_USAGE, "%s %s: %s", option, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(EXIT_USAGE, "%s %s: not a directory", option, dir);
	if (access(dir, W_OK | X_OK) < 0)
		return err_set(EXIT_USAGE, "%s %s: cannot write there: %s", option, dir, strerror(errno));
	return 0;
}

/* The temporary file in dirfd: O_EXCL|O_NOFOLLOW, so a planted name or link is never opened. */
static int create_temp(int dirfd, const char *name, char *tmp, size_t size)
{
	for (int i = 0; i < TMP_TRIES; i++) {
		int fd;

		if (i == 0)
			snprintf(tmp, size, ".%s.%d.tmp", name, (int)getpid());
		else
			snprintf(tmp, size, ".%s.%d.%d.tmp", name, (int)getpid(), i);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

int host_file_write(const char *dir, const char *name, host_file_fill_fn fill, void *ctx)
{
	char tmp[HOST_FILE_NAME_MAX + 32];
	int dirfd, fd, r;

	if (!host_file_name_ok(name))
		return -EINVAL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	fd = create_temp(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0) {
		close(dirfd);
		return fd;
	}
	/* The file is whole on disk before it has its name, and the name before we say so. */
	r = fill(fd, ctx);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	else if (fsync(dirfd) < 0)
		r = -errno;
	close(dirfd);
	return r;
}

int host_file_remove(const char *dir, const char *name)
{
	int dirfd, r = 0;

	if (!host_file_name_ok(name))
		return -EINVAL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		r = -errno;
	else if (fsync(dirfd) < 0)
		r = -errno;
	close(dirfd);
	return r;
}

int host_file_space(const char *dir, uint64_t *avail, uint64_t *total)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) < 0)
		return -errno;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*total = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}
