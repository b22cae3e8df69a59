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

#include "error.h"
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

static uint8_t *image(size_t len)
{
	uint8_t *p = malloc(len);

	memset(p, 0x5A, len);
	return p;
}

/* savevm's bounds in memory (issue 19): a count and the bytes of all images together. */
TEST(snapshot_store_bounds_count_and_bytes)
{
	struct snapshot_store st = { .max_bytes = 10000 };
	char name[16];

	CHECK_EQ(snapshot_store_put(&st, "a", image(4096), 4096, NULL), 0);
	CHECK_EQ(snapshot_store_put(&st, "b", image(4096), 4096, NULL), 0);
	err_clear();
	CHECK(snapshot_store_room(&st, "c", 4096) < 0);
	CHECK(strstr(err_message(), "needs 1 MiB and the snapshots in memory use 1 MiB of the 1 MiB") != NULL);
	CHECK(strstr(err_message(), "monitor delvm NAME") != NULL);
	CHECK(snapshot_store_put(&st, "c", image(4096), 4096, NULL) < 0); /* the image is freed (ASan) */
	CHECK(snapshot_store_room(&st, "c", 1000) == 0);
	/* Saving a name again needs room for both while the new one is taken. */
	CHECK(snapshot_store_room(&st, "a", 4096) < 0);
	CHECK(strstr(err_message(), "the older one of that name among them") != NULL);
	CHECK(snapshot_store_room(&st, "a", 1000) == 0);
	CHECK_EQ(snapshot_store_delete(&st, "a", NULL), 0);
	CHECK_EQ(snapshot_store_put(&st, "c", image(4096), 4096, NULL), 0);
	CHECK_EQ(st.n, 2);
	snapshot_store_free(&st);

	st.max_bytes = 1 << 30;
	for (int i = 0; i < SNAPSHOT_STORE_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		CHECK_EQ(snapshot_store_put(&st, name, image(16), 16, NULL), 0);
	}
	CHECK(snapshot_store_room(&st, "one-more", 16) < 0);
	CHECK(strstr(err_message(), "16 snapshots in memory already") != NULL);
	CHECK_EQ(snapshot_store_room(&st, "s3", 16), 0); /* replacing one is fine */
	/* Without a bound set: half of this host's RAM, never the whole address space. */
	st.max_bytes = 0;
	CHECK(snapshot_store_room(&st, "s3", 1ULL << 62) < 0);
	CHECK(strstr(err_message(), "half of this host's RAM") != NULL);
	snapshot_store_free(&st);
}

/* delvm takes the file savevm wrote with it; a file never outgrows its disk's reserve. */
TEST(snapshot_store_delete_removes_its_file_and_disk_is_bounded)
{
	struct snapshot_store st = { .max_bytes = 1 << 20 };
	char dir[] = "/tmp/minikvm-snapfile-XXXXXX", path[96];
	struct stat sb;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a%s", dir, SNAPSHOT_FILE_SUFFIX);
	CHECK_EQ(snapshot_store_put(&st, "a", image(4096), 4096, dir), 0);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 4096);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	CHECK_EQ(snapshot_store_put(&st, "b", image(100), 100, NULL), 0); /* memory only */
	CHECK_EQ(snapshot_store_delete(&st, "a", dir), 0);
	CHECK(stat(path, &sb) < 0);
	CHECK_EQ(snapshot_store_delete(&st, "b", dir), 0);
	CHECK(snapshot_store_delete(&st, "a", dir) < 0);
	CHECK(strstr(err_message(), "no snapshot named 'a'") != NULL);

	err_clear();
	CHECK(snapshot_check_disk(dir, "huge", 1ULL << 60) < 0);
	CHECK(strstr(err_message(), "huge.mkvm: it needs") != NULL);
	CHECK(strstr(err_message(), "5% of its file system") != NULL);
	CHECK_EQ(snapshot_check_disk(dir, "small", 4096), 0);
	CHECK_EQ(st.n, 0);
	CHECK(rmdir(dir) == 0); /* nothing left there */
}
