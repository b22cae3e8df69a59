/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the guest image loaders: the input is an image,
 * handed over in memory (a struct image with data and size, as a pipe's
 * contents are), and goes through format detection and every loader:
 * raw16, raw32, raw64 (at their default addresses, and at one the input's
 * last bytes choose), ELF, multiboot, bzImage and PVH, each into a small
 * guest RAM of its own (a malloc'd buffer, so AddressSanitizer sees any
 * write past it).
 *
 * Besides not crashing, a loader must keep its promises: an error is one
 * line of EXIT_USAGE class; a success says where the image went, and that
 * is guest RAM.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/error.h"
#include "../../src/loader/loader.h"

#define FUZZ_RAM (4u << 20) /* room for 1 MiB loads; bzImage then loads at 2 MiB */

static void check_result(int ret, const struct guest_mem *mem, const struct boot_state *boot)
{
	if (ret < 0) {
		const char *msg = err_message();

		if (err_status() != EXIT_USAGE || !msg[0] || strchr(msg, '\n'))
			abort();
		return;
	}
	if (ret != 0 || boot->image_end < boot->image_start)
		abort();
	if (boot->image_end > boot->image_start &&
	    !guest_mem_ptr(mem, boot->image_start, boot->image_end - boot->image_start))
		abort();
}

enum loader_kind { RAW16, RAW32, RAW64, RAW32_AT, ELF, MULTIBOOT, BZIMAGE, PVH, NKINDS };

static int load(enum loader_kind kind, const struct image *img, struct guest_mem *mem,
		struct boot_state *boot)
{
	struct vm_config cfg = { .append = "console=ttyS0 nokaslr" };
	const char *extra = "noxsave";

	switch (kind) {
	case RAW16:
		return raw_load(img, FORMAT_RAW16, &cfg, mem, boot);
	case RAW32:
		return raw_load(img, FORMAT_RAW32, &cfg, mem, boot);
	case RAW64:
		return raw_load(img, FORMAT_RAW64, &cfg, mem, boot);
	case RAW32_AT:
		/* --load-addr and --entry from the image's last 8 bytes. */
		if (img->size < 8)
			return raw_load(img, FORMAT_RAW32, &cfg, mem, boot);
		cfg.load_addr_set = cfg.entry_set = true;
		cfg.load_addr = (uint64_t)img->data[img->size - 1] << 16 |
				(uint64_t)img->data[img->size - 2] << 8 | img->data[img->size - 3];
		cfg.entry = (uint64_t)img->data[img->size - 5] << 24 |
			    (uint64_t)img->data[img->size - 6] << 16 | img->data[img->size - 7];
		return raw_load(img, img->data[img->size - 8] & 1 ? FORMAT_RAW16 : FORMAT_RAW64,
				&cfg, mem, boot);
	case ELF:
		return elf_load(img, mem, boot);
	case MULTIBOOT:
		return multiboot_load(img, &cfg, NULL, 0, mem, boot);
	case BZIMAGE:
		return linux_load_bzimage(img, &cfg, extra, mem, boot);
	case PVH:
		return linux_load_pvh(img, &cfg, extra, mem, boot);
	case NKINDS:
		break;
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct image img = { .path = "fuzz.img", .data = (uint8_t *)data, .size = size };
	struct guest_mem mem;
	struct boot_state boot;
	enum image_format fmt;

	if (!ram && !(ram = malloc(FUZZ_RAM)))
		abort();
	fmt = loader_detect(&img);
	if ((unsigned)fmt > FORMAT_PVH)
		abort();
	for (int kind = 0; kind < NKINDS; kind++) {
		/* RAM keeps what earlier loads left: no loader may rely on its contents. */
		guest_mem_wrap(&mem, ram, FUZZ_RAM);
		memset(&boot, 0, sizeof(boot));
		err_clear();
		check_result(load(kind, &img, &mem, &boot), &mem, &boot);
	}
	return 0;
}
