/* SPDX-License-Identifier: MIT */
/*
 * What the loaders share (image.c): guest images and modules read into
 * host memory, and the check of where a loader may put guest bytes.
 * Depends on no loader, so every loader may use it.
 */
#ifndef MINIKVM_LOADER_IMAGE_H
#define MINIKVM_LOADER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* A guest image or module, read whole into host memory. */
struct image {
	const char *path;
	uint8_t *data;
	size_t size;
	bool mapped; /* data is an mmap of the file, not a heap copy */
};

/*
 * Read a whole file into img (img->path = path, not copied). -1 with
 * err_set(EXIT_USAGE, "cannot read guest image 'PATH': No such file or
 * directory") on failure, including for a directory; an empty file is an
 * error too ("guest image 'PATH' is empty"). image_free() is safe on a
 * zeroed or already freed image.
 */
int image_read(struct image *img, const char *path);
void image_free(struct image *img);
/* The same for other files; what names them in errors ("initrd", "module"). */
int image_read_as(struct image *img, const char *path, const char *what);

/*
 * Is [addr, addr+len) somewhere a loader may put guest
 * bytes? It must be guest RAM (which may lie above 4 GiB: callers that boot
 * 32-bit code check that limit themselves) and stay clear of the regions
 * the VMM reserves (layout_range_free). On failure,
 * -1 with err_set(EXIT_USAGE, "WHAT at 0xSTART..0xEND is beyond guest RAM
 * (128 MiB)") and similar; WHAT names the piece ("ELF program header 2:
 * segment"). len 0 is always fine.
 */
int loader_check_range(const struct guest_mem *mem, uint64_t addr, uint64_t len,
		       const char *what);
/* "128 MiB", "3 GiB", "640 KiB", "100 bytes" into buf; returns buf. */
const char *loader_size_str(uint64_t bytes, char *buf, size_t bufsize);

#endif
