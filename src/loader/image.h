/* SPDX-License-Identifier: MIT */
/*
 * What the loaders share (image.c): guest images and modules opened for
 * reading on demand (struct image below says how), and the check of where a
 * loader may put guest bytes. Depends on no loader, so every loader may
 * use it.
 */
#ifndef MINIKVM_LOADER_IMAGE_H
#define MINIKVM_LOADER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/*
 * A guest image or module. A regular file is read on demand with pread()
 * (data is NULL): a kernel with DWARF is hundreds of MiB of which the guest
 * needs a few dozen. Anything else (a pipe, or a buffer a test or fuzzer
 * hands over) is whole in data. Loaders reach the bytes only through
 * image_copy()/image_dup(), so both kinds read the same.
 *
 * Why not mmap the file: a file truncated after it is mapped turns every
 * access past its new end into SIGBUS, even through MAP_PRIVATE (truncation
 * discards private pages too), and another program may rewrite a kernel
 * while minikvm starts. pread() reports the short read instead, which
 * becomes "guest image 'PATH' shrank while it was being loaded".
 */
struct image {
	const char *path;
	uint8_t *data;    /* the whole image in host memory, or NULL: read from fd */
	size_t size;      /* bytes, as the file was when opened */
	int fd;           /* from_file: the open file */
	bool from_file;
	const char *what; /* "guest image", "initrd", "module": names it in errors */
};

/*
 * Open or read a whole file into img (img->path = path, not copied). -1
 * with err_set(EXIT_USAGE, "cannot read guest image 'PATH': No such file or
 * directory") on failure, including for a directory; an empty file is an
 * error too ("guest image 'PATH' is empty"). image_free() is safe on a
 * zeroed or already freed image.
 */
int image_read(struct image *img, const char *path);
void image_free(struct image *img);
/* The same for other files; what names them in errors ("initrd", "module"). */
int image_read_as(struct image *img, const char *path, const char *what);

/*
 * Copy len bytes at offset off of the image to dst. Callers check their
 * ranges against img->size first, with messages that name the field at
 * fault; this is the backstop: -1 with err_set(EXIT_USAGE, ...) when the
 * range is not inside the image, when the file has shrunk since it was
 * opened ("guest image 'PATH' shrank while it was being loaded ...") or
 * cannot be read.
 */
int image_copy(const struct image *img, uint64_t off, uint64_t len, void *dst);
/* The same into a new malloc'd buffer (free() it), or NULL with the error set. */
void *image_dup(const struct image *img, uint64_t off, uint64_t len);
/*
 * The first len bytes into dst, zero-filled past the end of a shorter
 * image: for headers at fixed offsets. Returns how many came from the
 * image, or -1 as image_copy().
 */
long image_head(const struct image *img, void *dst, size_t len);

/*
 * Is [addr, addr+len) somewhere a loader may put guest
 * bytes? It must be guest RAM (which may lie above 4 GiB: callers that boot
 * 32-bit code check that limit themselves) and stay clear of the regions
 * the VMM reserves (the arch's layout_check_reserved). On failure,
 * -1 with err_set(EXIT_USAGE, "WHAT at 0xSTART..0xEND is beyond guest RAM
 * (128 MiB)") and similar; WHAT names the piece ("ELF program header 2:
 * segment"). len 0 is always fine.
 */
int loader_check_range(const struct guest_mem *mem, uint64_t addr, uint64_t len,
		       const char *what);
/* Put the image's name in front of a format loader's message: "k.elf: ELF ...". */
void image_name_error(const char *path);
/* "128 MiB", "3 GiB", "640 KiB", "100 bytes" into buf; returns buf. */
const char *loader_size_str(uint64_t bytes, char *buf, size_t bufsize);

#endif
