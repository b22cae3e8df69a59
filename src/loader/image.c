/* SPDX-License-Identifier: MIT */
/*
 * What every loader shares: opening a guest image or module (a regular file
 * stays open and is read with pread() as a loader asks for bytes; a pipe or
 * other stream is read whole into a buffer), copying its bytes into guest
 * memory or a loader's own copy, and the placement check every loader uses,
 * so that "does not fit" and "overlaps reserved memory" read the same
 * everywhere. Depends on no loader: loader.c (dispatch) ->
 * raw/elf/multiboot/linux -> here.
 */
#include "loader/image.h"
#include "error.h"
#include "layout.h" /* the arch's: src/$(ARCH)/layout.h */

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_file(struct image *img, const char *path, const char *what)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap, len = 0;
	int fd, err;

	memset(img, 0, sizeof(*img));
	img->path = path;
	img->what = what;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(EXIT_USAGE, "cannot read %s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto fail;
	}
	/* A regular file is read on demand (see struct image): keep it open. */
	if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX) {
		img->fd = fd;
		img->from_file = true;
		img->size = (size_t)st.st_size;
		return 0;
	}
	/* Pipes and the like report no size: read them whole, growing the buffer. */
	cap = 64 * 1024;
	buf = malloc(cap);
	if (!buf) {
		err = ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *bigger;

			if (cap > SIZE_MAX / 2) {
				err = EFBIG;
				goto fail;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				err = ENOMEM;
				goto fail;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len == 0) {
		free(buf);
		return err_set(EXIT_USAGE, "%s '%s' is empty", what, path);
	}
	img->data = buf;
	img->size = len;
	return 0;

fail:
	free(buf);
	close(fd);
	return err_set(EXIT_USAGE, "cannot read %s '%s': %s", what, path, strerror(err));
}

int image_read(struct image *img, const char *path)
{
	return read_file(img, path, "guest image");
}

int image_read_as(struct image *img, const char *path, const char *what)
{
	return read_file(img, path, what);
}

void image_free(struct image *img)
{
	if (img->from_file)
		close(img->fd);
	else
		free(img->data);
	img->data = NULL;
	img->size = 0;
	img->from_file = false;
}

int image_copy(const struct image *img, uint64_t off, uint64_t len, void *dst)
{
	const char *what = img->what ? img->what : "guest image";
	uint8_t *out = dst;

	if (off > img->size || len > img->size - off)
		return err_set(EXIT_USAGE, "%s '%s': 0x%llx bytes at offset 0x%llx are past its end "
			       "(%zu bytes)", what, img->path, (unsigned long long)len,
			       (unsigned long long)off, img->size);
	if (!img->from_file) {
		memcpy(dst, img->data + off, len);
		return 0;
	}
	while (len) {
		ssize_t n = pread(img->fd, out, len < SSIZE_MAX ? len : SSIZE_MAX, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(EXIT_USAGE, "cannot read %s '%s': %s", what, img->path,
				       strerror(errno));
		if (n == 0)
			return err_set(EXIT_USAGE, "%s '%s' shrank while it was being loaded (it was "
				       "%zu bytes; offset 0x%llx is past its end now); was it being "
				       "rewritten?", what, img->path, img->size,
				       (unsigned long long)off);
		out += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

void *image_dup(const struct image *img, uint64_t off, uint64_t len)
{
	void *buf = malloc(len ? len : 1);

	if (!buf) {
		err_set(EXIT_USAGE, "out of memory reading 0x%llx bytes of '%s'",
			(unsigned long long)len, img->path);
		return NULL;
	}
	if (image_copy(img, off, len, buf) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

long image_head(const struct image *img, void *dst, size_t len)
{
	size_t n = img->size < len ? img->size : len;

	memset(dst, 0, len);
	return image_copy(img, 0, n, dst) < 0 ? -1 : (long)n;
}

const char *loader_size_str(uint64_t bytes, char *buf, size_t bufsize)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = { { 1ULL << 30, "GiB" }, { 1ULL << 20, "MiB" }, { 1ULL << 10, "KiB" } };

	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bytes && bytes % units[i].unit == 0) {
			snprintf(buf, bufsize, "%llu %s",
				 (unsigned long long)(bytes / units[i].unit), units[i].name);
			return buf;
		}
	}
	snprintf(buf, bufsize, "%llu bytes", (unsigned long long)bytes);
	return buf;
}

int loader_check_range(const struct guest_mem *mem, uint64_t addr, uint64_t len,
		       const char *what)
{
	unsigned long long a = addr, e = addr + len;
	char size[32];

	if (len == 0)
		return 0;
	if (addr + len < addr) /* wraps: cannot be anywhere */
		return err_set(EXIT_USAGE, "%s at 0x%llx (0x%llx bytes) is beyond guest RAM (%s)",
			       what, a, (unsigned long long)len,
			       loader_size_str(mem->size, size, sizeof(size)));
	if (!guest_mem_ptr(mem, addr, len)) {
		if (guest_mem_high_size(mem) && e <= guest_mem_top(mem))
			return err_set(EXIT_USAGE,
				       "%s at 0x%llx..0x%llx falls in the MMIO hole between 3 GiB "
				       "and 4 GiB, which is not RAM", what, a, e);
		return err_set(EXIT_USAGE, "%s at 0x%llx..0x%llx is beyond guest RAM (%s)",
			       what, a, e, loader_size_str(mem->size, size, sizeof(size)));
	}
	return layout_check_reserved(mem, addr, len, what);
}

void image_name_error(const char *path)
{
	char message[512];

	snprintf(message, sizeof(message), "%s", err_message());
	err_set(EXIT_USAGE, "%s: %s", path, message);
}
