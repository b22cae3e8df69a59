/* SPDX-License-Identifier: MIT */
/*
 * Guest image loaders. Each one checks every header field and segment
 * against the file size and guest RAM, copies the image into guest memory
 * and fills a boot_state. No KVM here: loaders are unit-tested against a
 * guest_mem that wraps a plain buffer.
 *
 * Loaders know nothing of the host: what a host needs (extra kernel
 * command-line words) comes from the caller.
 *
 * Errors: -1 with err_set(EXIT_USAGE, "...") naming what is wrong with the
 * image ("ELF program header 2 extends past the end of the file").
 */
#ifndef MINIKVM_LOADER_H
#define MINIKVM_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "boot.h"
#include "guest_mem.h"
#include "loader/image.h"
#include "options.h"

/*
 * Which format an image has when --format auto: multiboot (header in the
 * first 8 KiB), then ELF (by its magic), then raw16 for a .bin file name.
 * Returns FORMAT_AUTO when it cannot tell.
 */
enum image_format loader_detect(const struct image *img);

/*
 * Load cfg->image (and modules) as cfg->format says; detects when auto.
 * extra_cmdline (NULL or "": none) is appended, after a space, to the
 * command line a Linux kernel gets (cfg->append); other formats ignore it.
 */
int loader_load(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot,
		const char *extra_cmdline);

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
		       const char *extra_cmdline, struct guest_mem *mem, struct boot_state *boot);
int linux_load_pvh(const struct image *img, const struct vm_config *cfg,
		   const char *extra_cmdline, struct guest_mem *mem, struct boot_state *boot);

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const struct image *img);

#endif
