/* SPDX-License-Identifier: MIT */
/*
 * Reading guest images and modules, telling their format, and dispatching to
 * the loader for that format. Also the placement check every loader uses, so
 * that "does not fit" and "overlaps reserved memory" read the same everywhere.
 */
#include "loader.h"
#include "elf.h"
#include "../error.h"
#include "../x86/layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	/*
	 * A regular file is mapped, not read: a kernel with DWARF is hundreds
	 * of MiB of which the guest needs a few dozen; pages never touched are
	 * never read from disk.
	 */
	if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (map != MAP_FAILED) {
			close(fd);
			img->data = map;
			img->size = (size_t)st.st_size;
			img->mapped = true;
			return 0;
		}
	}
	/*
	 * One byte more than the size fstat() reports, so a regular file is read
	 * in one go and its EOF seen; pipes and the like report 0 and grow.
	 */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX - 1
		? (size_t)st.st_size + 1 : 64 * 1024;
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
	if (img->mapped)
		munmap(img->data, img->size);
	else
		free(img->data);
	img->data = NULL;
	img->size = 0;
	img->mapped = false;
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
	if (e > layout_high_tables(mem))
		return err_set(EXIT_USAGE,
			       "%s at 0x%llx..0x%llx overlaps the page tables minikvm keeps in the "
			       "last %llu KiB of RAM (from 0x%llx)", what, a, e,
			       (unsigned long long)(guest_mem_top(mem) - layout_high_tables(mem)) >> 10,
			       (unsigned long long)layout_high_tables(mem));
	if (!layout_range_free(addr, len))
		return err_set(EXIT_USAGE,
			       "%s at 0x%llx..0x%llx overlaps memory minikvm reserves for itself "
			       "(0x%llx..0x%llx: GDT, boot information, page tables; 0x%llx..0x%llx: "
			       "EBDA, ROM area, ACPI tables); load it at 0x%llx or above",
			       what, a, e, LAYOUT_GDT, LAYOUT_PAGETABLES_END, LAYOUT_EBDA,
			       LAYOUT_HIGHMEM, LAYOUT_HIGHMEM);
	return 0;
}

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

/* Put the image's name in front of a format loader's message: "k.elf: ELF ...". */
static void name_image(const char *path)
{
	char message[512];

	snprintf(message, sizeof(message), "%s", err_message());
	err_set(EXIT_USAGE, "%s: %s", path, message);
}

static int load_multiboot(const struct image *img, const struct vm_config *cfg,
			  struct guest_mem *mem, struct boot_state *boot)
{
	struct image mods[MAX_MODULES] = { 0 };
	int nread = 0, ret = -1;

	for (; nread < cfg->nmodules; nread++)
		if (read_file(&mods[nread], cfg->modules[nread], "module") < 0)
			goto out;
	ret = multiboot_load(img, cfg, mods, cfg->nmodules, mem, boot);
	if (ret < 0)
		name_image(cfg->image);
out:
	while (nread > 0)
		image_free(&mods[--nread]);
	return ret;
}

int loader_load(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot)
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
		ret = linux_load_bzimage(&img, cfg, mem, boot);
		break;
	case FORMAT_PVH:
		ret = linux_load_pvh(&img, cfg, mem, boot);
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
	case FORMAT_AUTO:
		err_set(EXIT_USAGE, "no image format chosen");
		break;
	}
	if (ret < 0)
		name_image(cfg->image);
out:
	image_free(&img);
	return ret;
}
