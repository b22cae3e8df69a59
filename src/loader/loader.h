/* SPDX-License-Identifier: MIT */
/*
 * Guest image loaders. Each one checks every header field and segment
 * against the file size and guest RAM, copies the image into guest memory
 * and fills a boot_state. No KVM here: loaders are unit-tested against a
 * guest_mem that wraps a plain buffer.
 *
 * Errors: -1 with err_set(EXIT_USAGE, "...") naming what is wrong with the
 * image ("ELF program header 2 extends past the end of the file").
 */
#ifndef MINIKVM_LOADER_H
#define MINIKVM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../boot.h"
#include "../guest_mem.h"
#include "../options.h"

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
 * Which format an image has when --format auto: multiboot (header in the
 * first 8 KiB), then ELF (by its magic), then raw16 for a .bin file name.
 * Returns FORMAT_AUTO when it cannot tell.
 */
enum image_format loader_detect(const struct image *img);

/* Load cfg->image (and modules) as cfg->format says; detects when auto. */
int loader_load(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot);

/* Individual formats. */
int raw_load(const struct image *img, enum image_format fmt, const struct vm_config *cfg,
	     struct guest_mem *mem, struct boot_state *boot);
int elf_load(const struct image *img, struct guest_mem *mem, struct boot_state *boot);
int multiboot_load(const struct image *img, const struct vm_config *cfg,
		   const struct image *modules, int nmodules,
		   struct guest_mem *mem, struct boot_state *boot);
/* Linux (src/loader/linux.c). */
bool linux_is_bzimage(const struct image *img);
uint64_t linux_pvh_entry(const struct image *img);
int linux_load_bzimage(const struct image *img, const struct vm_config *cfg,
		       struct guest_mem *mem, struct boot_state *boot);
int linux_load_pvh(const struct image *img, const struct vm_config *cfg,
		   struct guest_mem *mem, struct boot_state *boot);

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const struct image *img);

/*
 * Helpers the loaders share (loader.c).
 *
 * loader_check_range: is [addr, addr+len) somewhere a loader may put guest
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
