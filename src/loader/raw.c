/* SPDX-License-Identifier: MIT */
/*
 * Raw images: the file's bytes, copied to one address and started there.
 *
 *   raw16  real mode, at 0x7C00 like a boot sector; must end below 1 MiB,
 *          the most a real-mode program can address, and below the EBDA
 *          (0x9FC00), above which the ACPI tables go
 *   raw32  flat 32-bit protected mode, at 1 MiB
 *   raw64  64-bit long mode with identity-mapped paging, at 1 MiB
 *
 * --load-addr and --entry override the defaults; the entry defaults to the
 * load address.
 */
#include "loader/loader.h"
#include "error.h"
#include "x86/layout.h"

#include <string.h>

#define REAL_MODE_LIMIT 0x100000ULL  /* 1 MiB: what segment:offset reaches */
#define FOUR_GIB        0x100000000ULL

int raw_load(const struct image *img, enum image_format fmt, const struct vm_config *cfg,
	     struct guest_mem *mem, struct boot_state *boot)
{
	uint64_t load, entry, size = img->size;
	char memsize[32];
	void *dst;

	if (fmt != FORMAT_RAW16 && fmt != FORMAT_RAW32 && fmt != FORMAT_RAW64)
		return err_set(EXIT_USAGE, "raw_load: format %d is not a raw format", (int)fmt);
	if (cfg->load_addr_set)
		load = cfg->load_addr;
	else
		load = fmt == FORMAT_RAW16 ? LAYOUT_RAW16_LOAD : LAYOUT_RAW_LOAD;
	entry = cfg->entry_set ? cfg->entry : load;

	if (fmt == FORMAT_RAW16) {
		if (load >= REAL_MODE_LIMIT || size > REAL_MODE_LIMIT - load)
			return err_set(EXIT_USAGE,
				       "raw16 image (%llu bytes at 0x%llx) goes past 1 MiB, the most "
				       "real mode can reach; use --format raw32 or raw64 for a bigger "
				       "program", (unsigned long long)size, (unsigned long long)load);
		if (entry >= REAL_MODE_LIMIT)
			return err_set(EXIT_USAGE,
				       "entry point 0x%llx is past 1 MiB, the most real mode can reach",
				       (unsigned long long)entry);
	}
	if (fmt == FORMAT_RAW32 && entry >= FOUR_GIB)
		return err_set(EXIT_USAGE,
			       "entry point 0x%llx is past 4 GiB, the most 32-bit code can reach",
			       (unsigned long long)entry);
	if (fmt == FORMAT_RAW32 && (load >= FOUR_GIB || size > FOUR_GIB - load))
		return err_set(EXIT_USAGE,
			       "raw32 image (%llu bytes at 0x%llx) goes past 4 GiB, the most 32-bit "
			       "code can reach; use --format raw64", (unsigned long long)size,
			       (unsigned long long)load);

	dst = guest_mem_ptr(mem, load, size);
	if (!dst)
		return err_set(EXIT_USAGE, "raw image (%llu bytes at 0x%llx) does not fit in %s of "
			       "guest memory", (unsigned long long)size,
			       (unsigned long long)load,
			       loader_size_str(mem->size, memsize, sizeof(memsize)));
	/*
	 * A real-mode program has the low 640 KiB to itself: the VMM writes no
	 * GDT, boot information or page tables for it. Only the EBDA and the
	 * ACPI tables above it are off limits. Other modes get the full check.
	 */
	if (fmt == FORMAT_RAW16 && load + size > LAYOUT_EBDA)
		return err_set(EXIT_USAGE,
			       "raw16 image (%llu bytes at 0x%llx) runs into the EBDA and ACPI "
			       "tables at 0x%llx..0x%llx; it must end at or below 0x%llx",
			       (unsigned long long)size, (unsigned long long)load,
			       LAYOUT_EBDA, LAYOUT_ACPI_END, LAYOUT_EBDA);
	if (fmt != FORMAT_RAW16 && loader_check_range(mem, load, size, "raw image") < 0)
		return -1;
	if (image_copy(img, 0, size, dst) < 0)
		return -1;

	memset(boot, 0, sizeof(*boot));
	boot->entry = entry;
	boot->image_start = load;
	boot->image_end = load + size;
	switch (fmt) {
	case FORMAT_RAW16:
		boot->mode = CPU_MODE_REAL16;
		/* A stack just below the image, as below a boot sector at 0x7C00. */
		boot->rsp = load;
		break;
	case FORMAT_RAW32:
		boot->mode = CPU_MODE_PROT32;
		break;
	default:
		boot->mode = CPU_MODE_LONG64;
		boot->image_64bit = true;
		break;
	}
	return 0;
}
