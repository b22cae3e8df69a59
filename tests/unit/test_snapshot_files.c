/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files on the host (src/snapshot_store.c): written mode 0600
 * through a temporary file that is never a planted link.
 */
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

static int slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return (int)n;
}

/* A link planted where minikvm puts its temporary file must not make it write the victim. */
TEST(snapshot_file_is_0600_and_its_temp_file_follows_no_link)
{
	char dir[] = "/tmp/minikvm-snapfile-XXXXXX", victim[] = "/tmp/minikvm-victim-XXXXXX";
	char path[128], tmp[128], text[64];
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	fd = mkstemp(victim);
	CHECK(fd >= 0);
	CHECK(write(fd, "precious", 8) == 8);
	close(fd);
	snprintf(tmp, sizeof(tmp), "%s/.a%s.%d.tmp", dir, SNAPSHOT_FILE_SUFFIX, (int)getpid());
	CHECK(symlink(victim, tmp) == 0);

	CHECK_EQ(snapshot_write_file(dir, "a", "guest ram", 9), 0);
	CHECK_EQ(slurp(victim, text, sizeof(text)), 8);
	CHECK_STR(text, "precious");
	snprintf(path, sizeof(path), "%s/a%s", dir, SNAPSHOT_FILE_SUFFIX);
	CHECK_EQ(slurp(path, text, sizeof(text)), 9);
	CHECK_STR(text, "guest ram");
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	/* The planted link is left alone; nothing else is left behind. */
	CHECK(lstat(tmp, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(unlink(tmp) == 0);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
	unlink(victim);
}
