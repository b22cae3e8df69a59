/* SPDX-License-Identifier: MIT */
/*
 * RISC-V: telling a guest image's format and loading it (x86's is
 * loader.c). Three kinds, each started in S-mode at its entry with a0 = 0
 * and a1 = the device tree (src/riscv/cpu.c):
 *
 *   elf    a riscv64 ELF executable, by its program headers (elf.c)
 *   linux  a Linux Image (arch/riscv/boot/Image): a 64-byte header, then
 *          the kernel, which runs where it is loaded: RAM + text_offset
 *   raw    a flat binary at --load-addr (default 0x8000_0000), entry
 *          --entry (default the load address)
 *
 * The Image header (Linux's Documentation/arch/riscv/boot-image-header.rst),
 * little-endian:
 *   0  code0, code1 (u32 each)   8  text_offset (u64)   16  image_size (u64)
 *  24  flags (u64)  32  version (u32)  36  res1  40  res2 (u64)
 *  48  magic "RISCV\0\0\0" (deprecated)   56  magic2 "RSC\x05"   60  res3
 */
#include "loader/loader.h"
#include "loader/elf.h"
#include "error.h"
#include "layout.h"

#include <endian.h>
#include <string.h>

#define IMAGE_HEADER_SIZE 64
/*
 * Where rv64 Linux maps its own image: KERNEL_LINK_ADDR, the top 2 GiB
 * (Documentation/arch/riscv/vm-layout.rst, "kernel"), its first byte at the
 * physical address it was loaded at, unless KASLR moves it (nokaslr for gdb).
 */
#define LINUX_KERNEL_LINK_ADDR 0xffffffff80000000ULL

static bool name_ends_with(const char *path, const char *suffix)
{
	size_t n = path ? strlen(path) : 0, m = strlen(suffix);

	return n >= m && strcmp(path + n - m, suffix) == 0;
}

static bool is_linux_image(const struct image *img)
{
	uint8_t h[IMAGE_HEADER_SIZE];

	return image_head(img, h, sizeof(h)) == IMAGE_HEADER_SIZE &&
	       (memcmp(h + 56, "RSC\x05", 4) == 0 || memcmp(h + 48, "RISCV\0\0\0", 8) == 0);
}

enum image_format loader_detect(const struct image *img)
{
	if (is_linux_image(img))
		return FORMAT_LINUX;
	if (elf_has_magic(img))
		return FORMAT_ELF;
	if (name_ends_with(img->path, ".bin"))
		return FORMAT_RAW;
	return FORMAT_AUTO;
}

/* Copy img to [at, at + size) after checking the range; size may exceed the file (bss). */
static int place(const struct image *img, struct guest_mem *mem, uint64_t at, uint64_t size,
		 const char *what)
{
	uint8_t *dst;

	if (size < img->size)
		size = img->size;
	if (loader_check_range(mem, at, size, what) < 0)
		return -1;
	dst = guest_mem_ptr(mem, at, size);
	memset(dst + img->size, 0, size - img->size);
	return image_copy(img, 0, img->size, dst);
}

static int load_linux_image(const struct image *img, struct guest_mem *mem, struct boot_state *boot)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	uint64_t text_offset, image_size, at;

	if (image_head(img, h, sizeof(h)) < IMAGE_HEADER_SIZE)
		return err_set(EXIT_USAGE, "Linux Image header is truncated");
	memcpy(&text_offset, h + 8, 8);
	memcpy(&image_size, h + 16, 8);
	text_offset = le64toh(text_offset);
	image_size = le64toh(image_size);
	/* A kernel runs where it is put; rv64 wants it 2 MiB aligned (the header's offset is). */
	if (text_offset % 0x1000 || text_offset >= mem->size)
		return err_set(EXIT_USAGE, "Linux Image text_offset 0x%llx is not a page-aligned "
			       "offset into RAM", (unsigned long long)text_offset);
	at = GUEST_MEM_BASE + text_offset;
	if (place(img, mem, at, image_size, "Linux Image") < 0)
		return -1;
	memset(boot, 0, sizeof(*boot));
	boot->mode = CPU_MODE_RISCV_S;
	boot->image_64bit = true;
	boot->entry = at;
	boot->image_start = at;
	boot->image_end = at + (image_size > img->size ? image_size : img->size);
	/* So `break *ADDR` at a System.map address goes in at the first instruction, before paging. */
	boot->virt_map[0] = (struct boot_virt_range){ LINUX_KERNEL_LINK_ADDR, at, boot->image_end - at };
	boot->nvirt_map = 1;
	return 0;
}

static int load_raw(const struct image *img, const struct vm_config *cfg, struct guest_mem *mem,
		    struct boot_state *boot)
{
	uint64_t at = cfg->load_addr_set ? cfg->load_addr : LAYOUT_RAW_LOAD;

	if (place(img, mem, at, img->size, "raw image") < 0)
		return -1;
	memset(boot, 0, sizeof(*boot));
	boot->mode = CPU_MODE_RISCV_S;
	boot->image_64bit = true;
	boot->entry = cfg->entry_set ? cfg->entry : at;
	boot->image_start = at;
	boot->image_end = at + img->size;
	return 0;
}

/* The initrd goes just below the device tree, page-aligned, and must clear the kernel. */
static int load_initrd(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot)
{
	struct image rd;
	uint64_t end = layout_fdt_addr(mem), start;
	int ret;

	if (image_read_as(&rd, cfg->initrd, "initrd") < 0)
		return -1;
	start = rd.size < end - boot->image_end ? (end - rd.size) & ~0xfffULL : 0;
	if (start < boot->image_end) {
		image_free(&rd);
		return err_set(EXIT_USAGE, "initrd '%s' (%zu bytes) does not fit between the kernel's "
			       "end (0x%llx) and the device tree (0x%llx); give the guest more memory (-m)",
			       cfg->initrd, rd.size, (unsigned long long)boot->image_end,
			       (unsigned long long)end);
	}
	ret = image_copy(&rd, 0, rd.size, guest_mem_ptr(mem, start, rd.size));
	boot->initrd_start = start;
	boot->initrd_end = start + rd.size;
	image_free(&rd);
	return ret;
}

/* What the command line asks that this format cannot do; 0 when nothing. */
static int check_format_options(const struct vm_config *cfg, enum image_format fmt)
{
	if (cfg->initrd && fmt != FORMAT_LINUX)
		return err_set(EXIT_USAGE, "--initrd needs a Linux Image, but '%s' is loaded as %s",
			       cfg->image, format_name(fmt));
	if ((cfg->load_addr_set || cfg->entry_set) && fmt != FORMAT_RAW)
		return err_set(EXIT_USAGE, "--load-addr and --entry are for raw images; '%s' is loaded "
			       "as %s, which says where it goes", cfg->image, format_name(fmt));
	return 0;
}

int loader_load(const struct vm_config *cfg, struct guest_mem *mem, struct boot_state *boot,
		const char *extra_cmdline)
{
	enum image_format fmt = cfg->format;
	struct image img = { 0 };
	int ret = -1;

	(void)extra_cmdline; /* the command line goes into the device tree (src/riscv/board.c) */
	if (image_read(&img, cfg->image) < 0)
		return -1;
	if (fmt == FORMAT_AUTO)
		fmt = loader_detect(&img);
	if (fmt == FORMAT_AUTO) {
		err_set(EXIT_USAGE, "cannot tell the format of '%s'; use --format raw|elf|linux",
			cfg->image);
		goto out;
	}
	if (check_format_options(cfg, fmt) < 0)
		goto out;
	switch (fmt) {
	case FORMAT_LINUX:
		ret = load_linux_image(&img, mem, boot);
		break;
	case FORMAT_ELF:
		ret = elf_load(&img, mem, boot);
		boot->mode = CPU_MODE_RISCV_S; /* elf_load() names x86's modes */
		break;
	default:
		ret = load_raw(&img, cfg, mem, boot);
		break;
	}
	if (ret < 0)
		image_name_error(cfg->image);
	else if (cfg->initrd)
		ret = load_initrd(cfg, mem, boot);
out:
	image_free(&img);
	return ret;
}
