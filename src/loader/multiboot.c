/* SPDX-License-Identifier: MIT */
/*
 * Multiboot (version 1, the GNU Multiboot Specification 0.6.96) kernels.
 *
 * The kernel carries a header in its first 8 KiB. Either the header's
 * address fields (flag 16, "a.out kludge") say where the file's bytes go,
 * or the kernel is an ELF file and its program headers do (elf.c). Modules
 * follow the kernel, each on a page boundary. The kernel starts in flat
 * 32-bit protected mode with EAX = 0x2BADB002 and EBX = the physical address
 * of the multiboot information structure, which lives in the VMM's
 * boot-information area together with everything it points to.
 */
#include "loader/loader.h"
#include "loader/elf.h"
#include "error.h"
#include "x86/layout.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC   0x2BADB002u  /* in EAX at entry */
#define MB_SEARCH_LEN   8192         /* the header lies in the first 8 KiB... */
#define MB_HEADER_ALIGN 4            /* ...on a 32-bit boundary */
#define MB_HEADER_LEN   12           /* magic, flags, checksum */
#define MB_ADDR_LEN     32           /* plus the five address fields */

/* Header flags. Bits 0-15 are requirements: a loader must refuse unknown ones. */
#define MB_HF_PAGE_ALIGN 0x00000001u /* modules on 4 KiB boundaries */
#define MB_HF_MEMINFO    0x00000002u /* mem_* (and mmap) in the info structure */
#define MB_HF_VIDEO      0x00000004u /* a graphics mode set up for the kernel */
#define MB_HF_REQUIRED   0x0000FFFFu
#define MB_HF_AOUT       0x00010000u /* the address fields are valid */

/* Information structure flags: which fields are valid. */
#define MB_IF_MEM        (1u << 0)
#define MB_IF_CMDLINE    (1u << 2)
#define MB_IF_MODS       (1u << 3)
#define MB_IF_MMAP       (1u << 6)
#define MB_IF_LOADERNAME (1u << 9)

#define PAGE_SIZE 4096ULL
#define FOUR_GIB  0x100000000ULL

/* The multiboot information structure, little-endian, as the spec lays it out. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;   /* KiB below 640 KiB / from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start, mod_end;     /* [start, end) */
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/* mmap_addr points at the size field, which counts the bytes after itself. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct mb_info) == 116, "multiboot info layout");
_Static_assert(offsetof(struct mb_info, mmap_addr) == 48, "multiboot info layout");
_Static_assert(offsetof(struct mb_info, boot_loader_name) == 64, "multiboot info layout");
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

/* The header's address fields (flag 16). */
struct mb_addrs {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Where the kernel went. */
struct mb_kernel {
	uint64_t start, end, entry;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/*
 * The file's first 8 KiB, where the header must be, plus room for the
 * address fields of a header at its very end: read once, and every header
 * field is taken from this copy.
 */
struct mb_head {
	uint8_t bytes[MB_SEARCH_LEN + MB_ADDR_LEN];
	size_t len; /* how many came from the file */
};

static int read_head(const struct image *img, struct mb_head *head)
{
	long n = image_head(img, head->bytes, sizeof(head->bytes));

	head->len = n < 0 ? 0 : (size_t)n;
	return n < 0 ? -1 : 0;
}

static long find_header(const struct mb_head *head)
{
	size_t limit = head->len < MB_SEARCH_LEN ? head->len : MB_SEARCH_LEN;

	for (size_t off = 0; off + MB_HEADER_LEN <= limit; off += MB_HEADER_ALIGN) {
		const uint8_t *h = head->bytes + off;

		/* magic + flags + checksum == 0 (mod 2^32) */
		if (get32(h) == MB_HEADER_MAGIC &&
		    (uint32_t)(get32(h) + get32(h + 4) + get32(h + 8)) == 0)
			return (long)off;
	}
	return -1;
}

long multiboot_find_header(const struct image *img)
{
	struct mb_head head;

	return read_head(img, &head) < 0 ? -1 : find_header(&head);
}

static int check_flags(uint32_t flags)
{
	uint32_t unknown;

	if (flags & MB_HF_VIDEO)
		return err_set(EXIT_USAGE, "the multiboot header asks for a video mode (flag 2), "
			       "which minikvm does not provide; it has a serial console only");
	unknown = flags & MB_HF_REQUIRED & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMINFO);
	if (unknown)
		return err_set(EXIT_USAGE, "the multiboot header requires feature flag %d, "
			       "which minikvm does not know", __builtin_ctz(unknown));
	return 0;
}

/* The a.out kludge: the header says which bytes of the file go where. */
static int load_aout(const struct image *img, const struct mb_head *head, size_t off,
		     struct guest_mem *mem, struct mb_kernel *k)
{
	const uint8_t *h = head->bytes + off;
	struct mb_addrs a;
	uint64_t file_off, load_len, mem_len;
	uint8_t *dst;

	if (head->len - off < MB_ADDR_LEN)
		return err_set(EXIT_USAGE, "the multiboot header at offset 0x%zx is cut short by "
			       "the end of the file; its address fields (flag 16) need %d bytes",
			       off, MB_ADDR_LEN);
	a.header_addr = get32(h + 12);
	a.load_addr = get32(h + 16);
	a.load_end_addr = get32(h + 20);
	a.bss_end_addr = get32(h + 24);
	a.entry_addr = get32(h + 28);

	if (a.load_addr > a.header_addr)
		return err_set(EXIT_USAGE, "multiboot load_addr 0x%x is above header_addr 0x%x",
			       a.load_addr, a.header_addr);
	/* The load starts header_addr - load_addr bytes before the header in the file. */
	if (a.header_addr - a.load_addr > off)
		return err_set(EXIT_USAGE, "multiboot header_addr 0x%x and load_addr 0x%x put the "
			       "start of the load 0x%x bytes before the header, which is only at "
			       "file offset 0x%zx", a.header_addr, a.load_addr,
			       a.header_addr - a.load_addr, off);
	file_off = off - (a.header_addr - a.load_addr);
	if (a.load_end_addr == 0) {
		load_len = img->size - file_off; /* the rest of the file */
	} else {
		if (a.load_end_addr <= a.load_addr)
			return err_set(EXIT_USAGE, "multiboot load_end_addr 0x%x is not above "
				       "load_addr 0x%x", a.load_end_addr, a.load_addr);
		load_len = a.load_end_addr - a.load_addr;
		if (load_len > img->size - file_off)
			return err_set(EXIT_USAGE, "multiboot load_end_addr 0x%x asks for 0x%llx "
				       "bytes from file offset 0x%llx, past the end of the file "
				       "(%zu bytes)", a.load_end_addr, (unsigned long long)load_len,
				       (unsigned long long)file_off, img->size);
	}
	mem_len = load_len;
	if (a.bss_end_addr) {
		if (a.bss_end_addr < a.load_addr + load_len)
			return err_set(EXIT_USAGE, "multiboot bss_end_addr 0x%x is below the end of "
				       "the loaded data 0x%llx", a.bss_end_addr,
				       (unsigned long long)(a.load_addr + load_len));
		mem_len = a.bss_end_addr - a.load_addr;
	}
	if (a.entry_addr < a.load_addr || a.entry_addr - a.load_addr >= load_len)
		return err_set(EXIT_USAGE, "multiboot entry_addr 0x%x is outside the loaded "
			       "image 0x%x..0x%llx", a.entry_addr, a.load_addr,
			       (unsigned long long)(a.load_addr + load_len));
	if (loader_check_range(mem, a.load_addr, mem_len, "multiboot kernel") < 0)
		return -1;

	dst = guest_mem_ptr(mem, a.load_addr, mem_len);
	memset(dst + load_len, 0, mem_len - load_len);
	if (image_copy(img, file_off, load_len, dst) < 0)
		return -1;
	k->start = a.load_addr;
	k->end = a.load_addr + mem_len;
	k->entry = a.entry_addr;
	return 0;
}

static int load_kernel(const struct image *img, const struct mb_head *head, size_t off,
		       uint32_t flags, struct guest_mem *mem, struct mb_kernel *k)
{
	struct elf_info elf = { 0 };

	if (flags & MB_HF_AOUT)
		return load_aout(img, head, off, mem, k);
	if (!elf_has_magic(img))
		return err_set(EXIT_USAGE, "the multiboot kernel is not ELF and its header has no "
			       "address fields (flag 16), so there is no telling where it goes");
	if (elf_load_segments(img, mem, &elf) < 0)
		return -1;
	/* Even an ELF64 kernel is entered in 32-bit mode: it sets up long mode itself. */
	if (elf.end > FOUR_GIB)
		return err_set(EXIT_USAGE, "the multiboot kernel reaches up to 0x%llx, above 4 GiB, "
			       "out of reach of 32-bit code", (unsigned long long)elf.end);
	if (elf.entry >= FOUR_GIB)
		return err_set(EXIT_USAGE, "the multiboot kernel's entry point 0x%llx is above "
			       "4 GiB, out of reach of 32-bit code", (unsigned long long)elf.entry);
	k->start = elf.start;
	k->end = elf.end;
	k->entry = elf.entry;
	return 0;
}

/* A bump allocator over the boot-information area. */
struct info_area {
	struct guest_mem *mem;
	uint64_t next, end;
};

static int area_put(struct info_area *a, const void *data, uint64_t len, const char *what,
		    uint32_t *gpa)
{
	uint64_t at = (a->next + 7) & ~7ULL; /* 8-byte alignment suits every structure */

	if (at > a->end || len > a->end - at)
		return err_set(EXIT_USAGE, "%s (%llu bytes) does not fit in the %llu KiB "
			       "multiboot information area", what, (unsigned long long)len,
			       (LAYOUT_BOOTINFO_END - LAYOUT_BOOTINFO) >> 10);
	if (data && guest_mem_write(a->mem, at, data, len) < 0)
		return err_set(EXIT_USAGE, "the multiboot information area is not in guest RAM");
	*gpa = (uint32_t)at;
	a->next = at + len;
	return 0;
}

static int area_put_string(struct info_area *a, const char *s, const char *what,
			   uint32_t *gpa)
{
	return area_put(a, s, strlen(s) + 1, what, gpa);
}

/* Copy the modules to page boundaries above the kernel; fill their list entries. */
static int place_modules(const struct image *mods, int n, uint64_t kernel_end,
			 struct guest_mem *mem, struct mb_module *list)
{
	uint64_t at = kernel_end > LAYOUT_HIGHMEM ? kernel_end : LAYOUT_HIGHMEM;
	char what[300];

	for (int i = 0; i < n; i++) {
		at = (at + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		snprintf(what, sizeof(what), "module '%s' (%zu bytes)", mods[i].path, mods[i].size);
		if (loader_check_range(mem, at, mods[i].size, what) < 0)
			return -1;
		/* RAM after a kernel below 4 GiB is low RAM (< 3 GiB): 32-bit fields hold it. */
		if (image_copy(&mods[i], 0, mods[i].size, guest_mem_ptr(mem, at, mods[i].size)) < 0)
			return -1;
		list[i].mod_start = htole32((uint32_t)at);
		list[i].mod_end = htole32((uint32_t)(at + mods[i].size));
		list[i].reserved = 0;
		at += mods[i].size;
	}
	return 0;
}

static uint32_t mem_lower_kib(const struct guest_mem *mem)
{
	uint64_t low = mem->low_size < LAYOUT_EBDA ? mem->low_size : LAYOUT_EBDA;

	return (uint32_t)(low >> 10);
}

/* Contiguous RAM from 1 MiB up to the first hole (at most 3 GiB, so it fits). */
static uint32_t mem_upper_kib(const struct guest_mem *mem)
{
	return mem->low_size > LAYOUT_HIGHMEM
		? (uint32_t)((mem->low_size - LAYOUT_HIGHMEM) >> 10) : 0;
}

static int build_info(const struct vm_config *cfg, const struct image *mods, int nmods,
		      struct mb_module *list, struct guest_mem *mem, uint32_t *info_gpa)
{
	struct info_area area = { mem, LAYOUT_BOOTINFO, LAYOUT_BOOTINFO_END };
	struct memmap_entry map[MEMMAP_MAX];
	struct mb_mmap_entry mmap[MEMMAP_MAX];
	struct mb_info info;
	uint32_t info_at = 0, mmap_at = 0, mods_at = 0, s = 0;
	int nmap;
	void *p;

	p = guest_mem_ptr(mem, LAYOUT_BOOTINFO, LAYOUT_BOOTINFO_END - LAYOUT_BOOTINFO);
	if (!p)
		return err_set(EXIT_USAGE, "guest memory is too small for the multiboot "
			       "information area");
	memset(p, 0, LAYOUT_BOOTINFO_END - LAYOUT_BOOTINFO);

	memset(&info, 0, sizeof(info));
	/* The structure itself goes first, at LAYOUT_BOOTINFO; filled in last. */
	if (area_put(&area, NULL, sizeof(info), "the multiboot information structure",
		     &info_at) < 0)
		return -1;

	info.flags = MB_IF_MEM | MB_IF_CMDLINE | MB_IF_MMAP | MB_IF_LOADERNAME;
	info.mem_lower = htole32(mem_lower_kib(mem));
	info.mem_upper = htole32(mem_upper_kib(mem));

	nmap = layout_memmap(mem, map, MEMMAP_MAX);
	for (int i = 0; i < nmap; i++) {
		mmap[i].size = htole32(sizeof(mmap[i]) - sizeof(mmap[i].size));
		mmap[i].base_addr = htole64(map[i].addr);
		mmap[i].length = htole64(map[i].len);
		mmap[i].type = htole32(map[i].type);
	}
	if (area_put(&area, mmap, nmap * sizeof(mmap[0]), "the memory map", &mmap_at) < 0)
		return -1;
	info.mmap_addr = htole32(mmap_at);
	info.mmap_length = htole32(nmap * sizeof(mmap[0]));

	if (area_put_string(&area, "minikvm", "the boot loader name", &s) < 0)
		return -1;
	info.boot_loader_name = htole32(s);

	if (area_put_string(&area, cfg->append ? cfg->append : "", "the kernel command line",
			    &s) < 0)
		return -1;
	info.cmdline = htole32(s);

	if (nmods > 0) {
		for (int i = 0; i < nmods; i++) {
			if (area_put_string(&area, mods[i].path, "the module names", &s) < 0)
				return -1;
			list[i].string = htole32(s);
		}
		if (area_put(&area, list, nmods * sizeof(list[0]), "the module list",
			     &mods_at) < 0)
			return -1;
		info.flags |= MB_IF_MODS;
	}
	info.mods_count = htole32((uint32_t)nmods);
	info.mods_addr = htole32(mods_at);
	info.flags = htole32(info.flags);
	guest_mem_write(mem, info_at, &info, sizeof(info));
	*info_gpa = info_at;
	return 0;
}

int multiboot_load(const struct image *img, const struct vm_config *cfg,
		   const struct image *modules, int nmodules,
		   struct guest_mem *mem, struct boot_state *boot)
{
	struct mb_module list[MAX_MODULES];
	struct mb_kernel kernel = { 0 };
	struct mb_head head;
	uint32_t flags, info_at = 0;
	long off;

	if (nmodules < 0 || nmodules > MAX_MODULES)
		return err_set(EXIT_USAGE, "at most %d multiboot modules are supported",
			       MAX_MODULES);
	if (read_head(img, &head) < 0)
		return -1;
	off = find_header(&head);
	if (off < 0)
		return err_set(EXIT_USAGE, "no multiboot header (magic 0x1BADB002 with a matching "
			       "checksum) in the first 8 KiB");
	flags = get32(head.bytes + off + 4);
	if (check_flags(flags) < 0)
		return -1;
	if (load_kernel(img, &head, (size_t)off, flags, mem, &kernel) < 0)
		return -1;
	memset(list, 0, sizeof(list));
	if (place_modules(modules, nmodules, kernel.end, mem, list) < 0)
		return -1;
	if (build_info(cfg, modules, nmodules, list, mem, &info_at) < 0)
		return -1;

	memset(boot, 0, sizeof(*boot));
	boot->mode = CPU_MODE_PROT32;
	boot->entry = kernel.entry;
	boot->image_64bit = false;
	boot->rax = MB_BOOT_MAGIC;
	boot->rbx = info_at;
	boot->image_start = kernel.start;
	boot->image_end = kernel.end;
	return 0;
}
