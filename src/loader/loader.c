/* SPDX-License-Identifier: MIT */
/*
 * x86: telling a guest image's format and dispatching to the loader for
 * that format (RISC-V's is riscv.c). The helpers every loader shares are in
 * image.c.
 */
#include "loader/loader.h"
#include "loader/elf.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static bool name_ends_with(const char *path, const char *suffix)
{
	size_t n = path ? strlen(path) : 0, m = strlen(suffix);

	return n >= m && strcmp(path + n - m, suffix) == 0;
}

enum image_format loader_detect(const struct image *img)
{
	if (linux_is_bzimage(img))
		return FORMAT_LINUX;
	if (multiboot_find_header(img) >= 0)
		return FORMAT_MULTIBOOT;
	/* A Linux vmlinux is booted through its PVH entry, not its ELF entry. */
	if (elf_has_magic(img))
		return linux_pvh_entry(img) ? FORMAT_PVH : FORMAT_ELF;
	if (name_ends_with(img->path, ".bin"))
		return FORMAT_RAW16;
	return FORMAT_AUTO;
}

static int load_multiboot(const struct image *img, const struct vm_config *cfg,
			  struct guest_mem *mem, struct boot_state *boot)
{
	struct image mods[MAX_MODULES] = { 0 };
	int nread = 0, ret = -1;

	for (; nread < cfg->nmodules; nread++)
		if (image_read_as(&mods[nread], cfg->modules[nread], "module") < 0)
			goto out;
	ret = multiboot_load(img, cfg, mods, cfg->nmodules, mem, boot);
	if (ret < 0)
		image_name_error(cfg->image);
out:
	while (nread > 0)
		image_free(&mods[--nread]);
	return ret;
}

int loader_load(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot,
		const char *extra_cmdline)
{
	enum image_format fmt = cfg->format;
	struct image img = { 0 };
	int ret = -1;

	if (cfg->nmodules < 0 || cfg->nmodules > MAX_MODULES)
		return err_set(EXIT_USAGE, "at most %d modules are supported", MAX_MODULES);
	if (image_read(&img, cfg->image) < 0)
		return -1;
	if (fmt == FORMAT_AUTO) {
		fmt = loader_detect(&img);
		if (fmt == FORMAT_AUTO) {
			err_set(EXIT_USAGE, "cannot tell the format of '%s'; "
				"use --format raw16|raw32|raw64|elf|multiboot|linux|pvh", cfg->image);
			goto out;
		}
	}
	/* ELF, multiboot and Linux images say where they go and where they start. */
	if ((cfg->load_addr_set || cfg->entry_set) &&
	    fmt != FORMAT_RAW16 && fmt != FORMAT_RAW32 && fmt != FORMAT_RAW64) {
		err_set(EXIT_USAGE, "--load-addr and --entry are for raw images; '%s' is loaded as %s, "
			"which says where it goes", cfg->image, format_name(fmt));
		goto out;
	}
	if (cfg->nmodules && fmt != FORMAT_MULTIBOOT) {
		err_set(EXIT_USAGE, "--module needs a multiboot kernel, but '%s' %s",
			cfg->image, fmt == FORMAT_ELF
			? "is loaded as a plain ELF file (it has no multiboot header)"
			: "is loaded as a raw image");
		goto out;
	}

	if (cfg->initrd && fmt != FORMAT_LINUX && fmt != FORMAT_PVH) {
		err_set(EXIT_USAGE, "--initrd needs a Linux kernel (bzImage or a vmlinux with a PVH "
			"note), but '%s' is loaded as %s", cfg->image, format_name(fmt));
		goto out;
	}

	switch (fmt) {
	case FORMAT_LINUX:
		ret = linux_load_bzimage(&img, cfg, extra_cmdline, mem, boot);
		break;
	case FORMAT_PVH:
		ret = linux_load_pvh(&img, cfg, extra_cmdline, mem, boot);
		break;
	case FORMAT_RAW16:
	case FORMAT_RAW32:
	case FORMAT_RAW64:
		ret = raw_load(&img, fmt, cfg, mem, boot);
		break;
	case FORMAT_ELF:
		ret = elf_load(&img, mem, boot);
		break;
	case FORMAT_MULTIBOOT:
		/* Prefixes its own errors: a module's read error names the module. */
		ret = load_multiboot(&img, cfg, mem, boot);
		goto out;
	case FORMAT_RAW: /* RISC-V's; --format does not offer it here */
	case FORMAT_AUTO:
		err_set(EXIT_USAGE, "no image format chosen");
		break;
	}
	if (ret < 0)
		image_name_error(cfg->image);
out:
	image_free(&img);
	return ret;
}
