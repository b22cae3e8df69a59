/* SPDX-License-Identifier: MIT */
/*
 * Booting Linux, two ways:
 *
 *  - bzImage, through the 64-bit boot protocol (Documentation/arch/x86/
 *    boot.rst): the setup header at 0x1f1 says where the protected-mode
 *    kernel starts in the file and how it wants to be loaded; we copy it to
 *    its preferred address, fill a "zero page" (struct boot_params) with the
 *    header, the e820 memory map, the command line and the initrd, and enter
 *    at load address + 0x200 in long mode with RSI pointing at boot_params.
 *
 *  - vmlinux, the uncompressed ELF (the very file gdb reads symbols from),
 *    through its PVH entry: the ELF note XEN_ELFNOTE_PHYS32_ENTRY names a
 *    32-bit entry point that expects flat protected mode, paging off, and
 *    EBX pointing at a struct hvm_start_info (memory map, command line,
 *    initrd as module 0, RSDP). This skips the kernel's self-decompression.
 *
 * Everything read from the image is checked against the file and RAM.
 */
#include "loader/elf.h"
#include "loader/loader.h"
#include "error.h"
#include "x86/acpi.h"
#include "x86/layout.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* boot_params ("zero page") offsets, from Documentation/arch/x86/zero-page.rst */
#define LINUX_START_KERNEL_MAP 0xffffffff80000000ULL
#define BP_ACPI_RSDP_ADDR  0x070
#define BP_E820_ENTRIES    0x1e8
#define BP_HDR             0x1f1
#define BP_E820_TABLE      0x2d0
#define BP_E820_MAX        128
#define BP_SIZE            0x1000

/* setup header fields, as offsets into the image and into boot_params alike */
#define HDR_SETUP_SECTS    0x1f1
#define HDR_BOOT_FLAG      0x1fe
#define HDR_JUMP           0x200
#define HDR_MAGIC          0x202
#define HDR_VERSION        0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS      0x211
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_HEAP_END_PTR   0x224
#define HDR_CMD_LINE_PTR   0x228
#define HDR_INITRD_MAX     0x22c
#define HDR_KERNEL_ALIGN   0x230
#define HDR_RELOCATABLE    0x234
#define HDR_XLOADFLAGS     0x236
#define HDR_CMDLINE_SIZE   0x238
#define HDR_PREF_ADDRESS   0x258
#define HDR_INIT_SIZE      0x260

#define LOADED_HIGH   0x01
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01

#define ZERO_PAGE   LAYOUT_BOOTINFO                /* boot_params / hvm_start_info */
#define CMDLINE     (LAYOUT_BOOTINFO + 0x1000)     /* up to the end of the area */
#define CMDLINE_MAX (LAYOUT_BOOTINFO_END - CMDLINE)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/*
 * The setup header lies in the file's first page (it ends by 0x301): one
 * copy of that page, zero past the end of a shorter file, is all the
 * header parsing reads. 0, or -1 when the file cannot be read.
 */
static int read_setup_page(const struct image *img, uint8_t page[BP_SIZE])
{
	return image_head(img, page, BP_SIZE) < 0 ? -1 : 0;
}

static bool is_bzimage(const struct image *img, const uint8_t *h)
{
	return img->size >= 0x250 && rd16(h + HDR_BOOT_FLAG) == 0xAA55 &&
	       memcmp(h + HDR_MAGIC, "HdrS", 4) == 0;
}

bool linux_is_bzimage(const struct image *img)
{
	uint8_t h[BP_SIZE];

	return read_setup_page(img, h) == 0 && is_bzimage(img, h);
}

/*
 * The command line the kernel gets: the user's (--append), then what the
 * caller says this host needs (extra: NULL or "" for nothing). limit is the
 * kernel's own (cmdline_size + 1), 0 for none.
 */
static int put_cmdline(const struct vm_config *cfg, const char *extra, struct guest_mem *mem,
		       uint64_t limit)
{
	const char *user = cfg->append ? cfg->append : "";
	size_t ulen = strlen(user), elen = extra ? strlen(extra) : 0;
	size_t len = ulen + (ulen && elen ? 1 : 0) + elen;
	uint64_t max = limit && limit < CMDLINE_MAX ? limit : CMDLINE_MAX;
	char *p;

	if (len + 1 > max)
		return err_set(EXIT_USAGE, "the kernel command line (%zu bytes) is longer than the %llu "
			       "bytes this kernel accepts", len, (unsigned long long)max - 1);
	p = guest_mem_ptr(mem, CMDLINE, len + 1);
	if (!p)
		return err_set(EXIT_USAGE, "guest memory too small for the kernel command line");
	memcpy(p, user, ulen);
	if (ulen && elen)
		p[ulen++] = ' ';
	memcpy(p + ulen, extra ? extra : "", elen);
	p[len] = 0;
	if (elen && cfg->verbose)
		fprintf(stderr, "minikvm: added '%s' to the kernel command line (what this host's "
			"KVM and the machine's devices need; docs/linux.md)\n", extra);
	return 0;
}

/*
 * The memory map in the layout both boot protocols share (boot.rst's
 * e820entry, PVH's hvm_memmap_table_entry): address, length, type at
 * offsets 0, 8, 16, one entry every stride bytes, at most max entries
 * (MEMMAP_MAX is well below either protocol's limit). Returns how many.
 */
static int put_memmap(const struct guest_mem *mem, uint8_t *table, unsigned stride, int max)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = layout_memmap(mem, map, MEMMAP_MAX);

	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		uint8_t *e = table + stride * (unsigned)i;

		wr64(e, map[i].addr);
		wr64(e + 8, map[i].len);
		wr32(e + 16, map[i].type);
	}
	return n;
}

/*
 * The initrd goes as high as the kernel allows (max_addr, inclusive) below
 * the RAM hole, page aligned, above everything the kernel occupies, and
 * like every piece a loader places it must pass loader_check_range(): in a
 * small guest the top of RAM can be the EBDA and ACPI tables, which the VMM
 * writes after loading.
 */
static int put_initrd(const struct vm_config *cfg, struct guest_mem *mem, uint64_t kernel_end,
		      uint64_t max_addr, uint64_t *addr, uint64_t *size)
{
	struct image rd;
	uint64_t top = mem->low_size, at;
	char what[300], rdsize[32];

	*addr = *size = 0;
	if (!cfg->initrd)
		return 0;
	if (image_read_as(&rd, cfg->initrd, "initrd") < 0)
		return -1;
	loader_size_str(rd.size, rdsize, sizeof(rdsize));
	if (max_addr + 1 < top)
		top = max_addr + 1;
	if (rd.size > top || ((top - rd.size) & ~0xFFFULL) < kernel_end) {
		err_set(EXIT_USAGE, "initrd '%s' (%s) does not fit between the kernel's end at %#llx "
			"and %#llx; give the guest more memory (-m)", cfg->initrd, rdsize,
			(unsigned long long)kernel_end, (unsigned long long)top);
		goto fail;
	}
	at = (top - rd.size) & ~0xFFFULL;
	snprintf(what, sizeof(what), "initrd '%s' (%s)", cfg->initrd, rdsize);
	if (loader_check_range(mem, at, rd.size, what) < 0) {
		char reason[512];

		snprintf(reason, sizeof(reason), "%s", err_message());
		err_set(EXIT_USAGE, "%s; an initrd goes at the top of RAM, so give the guest more "
			"memory (-m) instead", reason);
		goto fail;
	}
	if (image_copy(&rd, 0, rd.size, guest_mem_ptr(mem, at, rd.size)) < 0)
		goto fail;
	*addr = at;
	*size = rd.size;
	image_free(&rd);
	return 0;

fail:
	image_free(&rd);
	return -1;
}

/*
 * The zero page (struct boot_params) a bzImage's 64-bit entry reads: the
 * kernel's own setup header (h, up to hdr_end) with what a boot loader
 * fills in, the command line, the initrd above kernel_end, the ACPI RSDP
 * and the e820 memory map.
 */
static int put_boot_params(const uint8_t *h, unsigned hdr_end, const struct vm_config *cfg,
			   const char *extra_cmdline, struct guest_mem *mem, uint64_t kernel_end)
{
	uint8_t *bp = guest_mem_ptr(mem, ZERO_PAGE, BP_SIZE);
	uint64_t initrd, initrd_size;

	if (!bp)
		return err_set(EXIT_USAGE, "guest memory too small for boot_params");
	memset(bp, 0, BP_SIZE);
	memcpy(bp + BP_HDR, h + BP_HDR, hdr_end - BP_HDR);
	bp[HDR_TYPE_OF_LOADER] = 0xFF; /* "undefined" boot loader */
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	wr16(bp + HDR_HEAP_END_PTR, 0xFE00 - 0x200);
	if (put_cmdline(cfg, extra_cmdline, mem, rd32(h + HDR_CMDLINE_SIZE) + 1) < 0)
		return -1;
	wr32(bp + HDR_CMD_LINE_PTR, (uint32_t)CMDLINE);
	if (put_initrd(cfg, mem, kernel_end, rd32(h + HDR_INITRD_MAX), &initrd, &initrd_size) < 0)
		return -1;
	wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd);
	wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
	wr64(bp + BP_ACPI_RSDP_ADDR, acpi_rsdp_address());
	bp[BP_E820_ENTRIES] = (uint8_t)put_memmap(mem, bp + BP_E820_TABLE, 20, BP_E820_MAX);
	return 0;
}

int linux_load_bzimage(const struct image *img, const struct vm_config *cfg,
		       const char *extra_cmdline, struct guest_mem *mem, struct boot_state *boot)
{
	uint8_t h[BP_SIZE];
	unsigned setup_sects, hdr_end;
	uint16_t version;
	uint64_t kernel_off, kernel_size, load, align, init_size;

	if (read_setup_page(img, h) < 0)
		return -1;
	if (!is_bzimage(img, h))
		return err_set(EXIT_USAGE, "not a Linux bzImage (no 0xAA55 boot flag and \"HdrS\" magic)");
	version = rd16(h + HDR_VERSION);
	if (version < 0x20c)
		return err_set(EXIT_USAGE, "boot protocol %u.%02u is too old; 2.12 or later is needed "
			       "for the 64-bit entry", version >> 8, version & 0xff);
	if (!(h[HDR_LOADFLAGS] & LOADED_HIGH))
		return err_set(EXIT_USAGE, "a zImage (loaded low) is not supported; use a bzImage");
	if (!(rd16(h + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return err_set(EXIT_USAGE, "this kernel has no 64-bit entry point (XLF_KERNEL_64)");
	setup_sects = h[HDR_SETUP_SECTS] ? h[HDR_SETUP_SECTS] : 4;
	kernel_off = (uint64_t)(setup_sects + 1) * 512;
	hdr_end = 0x202 + h[0x201]; /* the jump at 0x200 skips the header: its end */
	if (kernel_off >= img->size || hdr_end > kernel_off || hdr_end > BP_SIZE)
		return err_set(EXIT_USAGE, "bzImage is truncated: %u setup sectors but %zu bytes",
			       setup_sects, img->size);
	kernel_size = img->size - kernel_off;
	init_size = rd32(h + HDR_INIT_SIZE);
	if (init_size < kernel_size)
		init_size = kernel_size;
	align = rd32(h + HDR_KERNEL_ALIGN);
	if (!align || (align & (align - 1)))
		align = 0x200000;
	/* Where it prefers to run, if it fits; else 16 MiB, aligned as it asks. */
	load = rd64(h + HDR_PREF_ADDRESS);
	if (load < LAYOUT_HIGHMEM || (load & (align - 1)) || !guest_mem_ptr(mem, load, init_size))
		load = (0x1000000 + align - 1) & ~(align - 1);
	if (loader_check_range(mem, load, init_size, "the kernel (with its decompression space)") < 0)
		return -1;
	if (image_copy(img, kernel_off, kernel_size, guest_mem_ptr(mem, load, kernel_size)) < 0)
		return -1;

	if (put_boot_params(h, hdr_end, cfg, extra_cmdline, mem, load + init_size) < 0)
		return -1;

	boot->mode = CPU_MODE_LONG64;
	boot->image_64bit = true;
	boot->entry = load + 0x200; /* the 64-bit entry: startup_64 */
	boot->rsi = ZERO_PAGE;
	boot->image_start = load;
	boot->image_end = load + kernel_size;
	/*
	 * The compressed image does not say where the kernel will map itself,
	 * but x86-64 Linux always maps its text at __START_KERNEL_map + the
	 * physical address (Documentation/arch/x86/x86_64/mm.rst: the 1 GiB
	 * "kernel text mapping, mapped to physical address 0"), and places
	 * itself at pref_address unless KASLR moves it (nokaslr for gdb).
	 */
	boot->virt_map[0] = (struct boot_virt_range){ LINUX_START_KERNEL_MAP, 0, 1ULL << 30 };
	boot->nvirt_map = 1;
	return 0;
}

/* ---- PVH ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

/*
 * Linux's notes are a few hundred bytes; a note segment is read up to this
 * much, so that a hostile header cannot make us copy a whole file.
 */
#define PVH_NOTES_MAX (64 * 1024)

/* Walk one PT_NOTE segment for XEN_ELFNOTE_PHYS32_ENTRY; 0 when absent. */
static uint64_t pvh_note(const struct image *img, const struct elf_phdr *ph)
{
	uint64_t size = ph->filesz < PVH_NOTES_MAX ? ph->filesz : PVH_NOTES_MAX;
	uint64_t off = 0, entry = 0;
	uint8_t *notes;

	if (ph->offset > img->size || size > img->size - ph->offset)
		return 0;
	notes = image_dup(img, ph->offset, size);
	if (!notes)
		return 0;
	while (size - off >= 12) {
		uint32_t namesz = rd32(notes + off), descsz = rd32(notes + off + 4);
		uint32_t type = rd32(notes + off + 8);
		uint64_t name = off + 12, desc = name + ((namesz + 3ULL) & ~3ULL);
		uint64_t next = desc + ((descsz + 3ULL) & ~3ULL);

		if (next > size)
			break;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    memcmp(notes + name, "Xen", 4) == 0 && (descsz == 4 || descsz == 8)) {
			entry = descsz == 4 ? rd32(notes + desc) : rd64(notes + desc);
			break;
		}
		off = next;
	}
	free(notes);
	return entry;
}

/* The PVH entry from the ELF notes (ELF64 or ELF32), or 0 when there is none. */
uint64_t linux_pvh_entry(const struct image *img)
{
	struct elf_headers h;
	uint64_t entry = 0;

	if (!elf_has_magic(img) || elf_read_headers(img, &h) < 0)
		return 0;
	for (unsigned i = 0; i < h.phnum && !entry; i++)
		if (h.ph[i].type == PT_NOTE)
			entry = pvh_note(img, &h.ph[i]);
	elf_free_headers(&h);
	return entry;
}

int linux_load_pvh(const struct image *img, const struct vm_config *cfg,
		   const char *extra_cmdline, struct guest_mem *mem, struct boot_state *boot)
{
	struct elf_info info;
	uint64_t entry = linux_pvh_entry(img), initrd, initrd_size;
	uint8_t *si;
	/* hvm_start_info (56 bytes), then one module entry, then the memory map. */
	const uint64_t modlist = ZERO_PAGE + 64, memmap = ZERO_PAGE + 128;

	if (!entry)
		return err_set(EXIT_USAGE, "this ELF kernel has no PVH entry note "
			       "(XEN_ELFNOTE_PHYS32_ENTRY); boot its bzImage instead");
	if (entry >= 0x100000000ULL)
		return err_set(EXIT_USAGE, "PVH entry %#llx is above 4 GiB", (unsigned long long)entry);
	if (elf_load_segments(img, mem, &info) < 0)
		return -1;
	if (put_cmdline(cfg, extra_cmdline, mem, 0) < 0 ||
	    put_initrd(cfg, mem, info.end, 0xFFFFFFFFULL, &initrd, &initrd_size) < 0)
		return -1;
	si = guest_mem_ptr(mem, ZERO_PAGE, 0x1000);
	if (!si)
		return err_set(EXIT_USAGE, "guest memory too small for hvm_start_info");
	memset(si, 0, 0x1000);
	wr32(si + 0, HVM_START_MAGIC);
	wr32(si + 4, 1);                     /* version: has the memory map */
	wr32(si + 12, initrd_size ? 1 : 0);  /* nr_modules */
	wr64(si + 16, initrd_size ? modlist : 0);
	wr64(si + 24, CMDLINE);
	wr64(si + 32, acpi_rsdp_address());
	wr64(si + 40, memmap);
	if (initrd_size) {
		wr64(si + modlist - ZERO_PAGE, initrd);
		wr64(si + modlist - ZERO_PAGE + 8, initrd_size);
	}
	wr32(si + 48, (uint32_t)put_memmap(mem, si + (memmap - ZERO_PAGE), 24, MEMMAP_MAX));

	boot->mode = CPU_MODE_PROT32;
	/* A 64-bit kernel gets gdb's x86-64 layout from its first (32-bit) instruction on. */
	boot->image_64bit = info.is64;
	boot->entry = entry;
	boot->rbx = ZERO_PAGE;
	boot->image_start = info.start;
	boot->image_end = info.end;
	memcpy(boot->virt_map, info.virt_map, sizeof(info.virt_map));
	boot->nvirt_map = info.nvirt_map;
	return 0;
}
