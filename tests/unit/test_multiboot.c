/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "error.h"
#include "x86/layout.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* Multiboot information structure offsets (Multiboot Specification 0.6.96, 3.3). */
#define MBI_FLAGS        0
#define MBI_MEM_LOWER    4
#define MBI_MEM_UPPER    8
#define MBI_CMDLINE      16
#define MBI_MODS_COUNT   20
#define MBI_MODS_ADDR    24
#define MBI_MMAP_LENGTH  44
#define MBI_MMAP_ADDR    48
#define MBI_LOADER_NAME  64

#define AOUT    0x00010000u
#define HOFF    0x40             /* where the test kernels keep their header */
#define KSIZE   0x3000           /* file size of the a.out test kernel */

/* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
static const uint32_t default_addrs[5] = {
	0x100000 + HOFF, 0x100000, 0x100000 + KSIZE, 0x104800, 0x100080,
};

/* An a.out-kludge kernel of size bytes (patterned), header at hoff. */
static uint8_t *aout_kernel(size_t size, size_t hoff, uint32_t flags, const uint32_t *addrs)
{
	/* Room for the whole header even when the "file" (size) is cut shorter. */
	uint8_t *k = malloc(size > hoff + 32 ? size : hoff + 32);

	for (size_t i = 0; i < size; i++)
		k[i] = (uint8_t)(i * 13 + 5);
	mbgen_header(k + hoff, flags, addrs);
	return k;
}

static int mb_load(uint8_t *kernel, size_t size, const struct vm_config *cfg,
		   const struct image *mods, int nmods, struct guest_mem *mem,
		   struct boot_state *boot)
{
	struct image img = testimage("kernel", kernel, size);

	err_clear();
	return multiboot_load(&img, cfg, mods, nmods, mem, boot);
}

/* Load with the given address fields into 16 MiB; 0 or -1. */
static int try_aout(const uint32_t *addrs, size_t size)
{
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(size, HOFF, AOUT, addrs);
	int ret;

	testmem_new(&mem, 16 * MIB, 0xAA);
	ret = mb_load(k, size, &cfg, NULL, 0, &mem, &boot);
	testmem_free(&mem);
	free(k);
	return ret;
}

TEST(multiboot_header_found_at_offsets)
{
	static uint8_t buf[3 * 8192];
	struct image img = testimage("k", buf, sizeof(buf));
	static const size_t found[] = { 0, 4, 0x100, 8180 };
	static const size_t missed[] = { 2, 8184, 8192, 12000 };

	for (unsigned i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		memset(buf, 0, sizeof(buf));
		mbgen_header(buf + found[i], 0, NULL);
		CHECK_EQ(multiboot_find_header(&img), found[i]);
	}
	for (unsigned i = 0; i < sizeof(missed) / sizeof(missed[0]); i++) {
		memset(buf, 0, sizeof(buf));
		mbgen_header(buf + missed[i], 0, NULL);
		CHECK_EQ(multiboot_find_header(&img), -1);
	}
	/* The header must lie inside the file, too. */
	memset(buf, 0, sizeof(buf));
	mbgen_header(buf + 100, 0, NULL);
	img.size = 111;
	CHECK_EQ(multiboot_find_header(&img), -1);
	img.size = 112;
	CHECK_EQ(multiboot_find_header(&img), 100);
	img.size = 0;
	CHECK_EQ(multiboot_find_header(&img), -1);
}

TEST(multiboot_bad_checksum_not_found)
{
	uint8_t buf[64] = { 0 };
	struct image img = testimage("k", buf, sizeof(buf));

	mbgen_header(buf + 8, 0x10003, NULL);
	CHECK_EQ(multiboot_find_header(&img), 8);
	buf[16] ^= 1;
	CHECK_EQ(multiboot_find_header(&img), -1);
}

TEST(multiboot_unsupported_flags)
{
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT | 0x4, default_addrs);

	testmem_new(&mem, 16 * MIB, 0);
	CHECK(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK_STR(err_message(), "the multiboot header asks for a video mode (flag 2), which "
		  "minikvm does not provide; it has a serial console only");
	free(k);
	k = aout_kernel(KSIZE, HOFF, AOUT | 0x20 | 0x3, default_addrs);
	CHECK(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK_STR(err_message(), "the multiboot header requires feature flag 5, which minikvm "
		  "does not know");
	free(k);
	/* Bits 0 and 1 are fine; bits above 16 are optional and ignored. */
	k = aout_kernel(KSIZE, HOFF, AOUT | 0x3 | 0x80000000u, default_addrs);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	free(k);
	testmem_free(&mem);
}

TEST(multiboot_aout_load)
{
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT | 0x3, default_addrs);
	uint8_t zeros[0x1800] = { 0 };

	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x100000, KSIZE), k, KSIZE);
	CHECK_MEM(guest_mem_ptr(&mem, 0x103000, sizeof(zeros)), zeros, sizeof(zeros));
	CHECK_EQ(rd8(&mem, 0x104800), 0xAA);
	CHECK_EQ(rd8(&mem, 0xFFFFF), 0xAA);
	CHECK_EQ(boot.mode, CPU_MODE_PROT32);
	CHECK(!boot.image_64bit);
	CHECK_EQ(boot.entry, 0x100080);
	CHECK_EQ(boot.rax, 0x2BADB002);
	CHECK_EQ(boot.rbx, LAYOUT_BOOTINFO);
	CHECK_EQ(boot.image_start, 0x100000);
	CHECK_EQ(boot.image_end, 0x104800);
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_aout_partial_file_and_no_bss)
{
	/* Header at 0x40 of the file; the load starts at file offset 0x20 and is 0x100 long. */
	const uint32_t addrs[5] = { 0x200020, 0x200000, 0x200100, 0, 0x200010 };
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT, addrs);

	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x200000, 0x100), k + 0x20, 0x100);
	CHECK_EQ(rd8(&mem, 0x200100), 0xAA);
	CHECK_EQ(boot.image_end, 0x200100);
	testmem_free(&mem);
	free(k);

	/* load_end_addr 0: the rest of the file. */
	const uint32_t whole[5] = { 0x200040, 0x200000, 0, 0, 0x200000 };

	k = aout_kernel(KSIZE, HOFF, AOUT, whole);
	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x200000, KSIZE), k, KSIZE);
	CHECK_EQ(boot.image_end, 0x200000 + KSIZE);
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_aout_invalid_fields)
{
	uint32_t a[5];

#define WITH(i, v) (memcpy(a, default_addrs, sizeof(a)), a[i] = (v), a)
	CHECK(try_aout(WITH(1, 0x100044), KSIZE) < 0);           /* load_addr > header_addr */
	CHECK_STR(err_message(), "multiboot load_addr 0x100044 is above header_addr 0x100040");
	CHECK(try_aout(WITH(0, 0x100041 + HOFF), KSIZE) < 0);    /* load starts before the file */
	CHECK(err_has("before the header, which is only at file offset 0x40"));
	CHECK(try_aout(WITH(2, 0x100000), KSIZE) < 0);           /* load_end == load_addr */
	CHECK(err_has("load_end_addr 0x100000 is not above load_addr"));
	CHECK(try_aout(WITH(2, 0x100000 + KSIZE + 1), KSIZE) < 0); /* past the end of the file */
	CHECK_STR(err_message(), "multiboot load_end_addr 0x103001 asks for 0x3001 bytes from "
		  "file offset 0x0, past the end of the file (12288 bytes)");
	CHECK(try_aout(WITH(3, 0x102FFF), KSIZE) < 0);           /* bss ends inside the data */
	CHECK(err_has("bss_end_addr 0x102fff is below the end of the loaded data 0x103000"));
	CHECK(try_aout(WITH(4, 0x103000), KSIZE) < 0);           /* entry past the loaded bytes */
	CHECK(err_has("entry_addr 0x103000 is outside the loaded image 0x100000..0x103000"));
	CHECK(try_aout(WITH(4, 0xFFFFF), KSIZE) < 0);
	CHECK(err_has("entry_addr"));
	CHECK(try_aout(WITH(3, 0xF0000000), KSIZE) < 0);         /* bss beyond RAM */
	CHECK(err_has("multiboot kernel at 0x100000..0xf0000000 is beyond guest RAM (16 MiB)"));

	/* Loaded over the page tables. */
	const uint32_t low[5] = { 0x8040, 0x8000, 0x9000, 0, 0x8000 };
	CHECK(try_aout(low, KSIZE) < 0);
	CHECK(err_has("multiboot kernel at 0x8000..0x9000 overlaps memory minikvm reserves"));

	/* Header too close to the end of the file for the address fields. */
	CHECK(try_aout(default_addrs, HOFF + 20) < 0);
	CHECK(err_has("cut short by the end of the file"));
#undef WITH
}

TEST(multiboot_needs_elf_or_address_fields)
{
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, 0x3, NULL);

	testmem_new(&mem, 16 * MIB, 0);
	CHECK(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK(err_has("not ELF and its header has no address fields (flag 16)"));
	memset(k + HOFF, 0, 12);
	CHECK(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK(err_has("no multiboot header"));
	testmem_free(&mem);
	free(k);
}

/* An ELF kernel whose first segment starts with a multiboot header (no kludge). */
static void check_elf_kernel(bool is64)
{
	uint8_t text[64] = { 0 };
	struct elfgen_seg seg = {
		.type = PT_LOAD, .vaddr = 0xC0100000, .paddr = 0x100000, .memsz = 0x2000,
		.data = text, .filesz = sizeof(text),
	};
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *k;

	mbgen_header(text, 0x3, NULL);
	text[12] = 0xf4;
	k = elfgen(is64, is64 ? EM_X86_64 : EM_386, 0xC010000C, &seg, 1, &size);
	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, size, &cfg, NULL, 0, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x100000, sizeof(text)), text, sizeof(text));
	CHECK_EQ(rd8(&mem, 0x101FFF), 0);
	CHECK_EQ(boot.entry, 0x10000C);
	CHECK_EQ(boot.mode, CPU_MODE_PROT32);
	CHECK(!boot.image_64bit);
	CHECK_EQ(boot.rax, 0x2BADB002);
	CHECK_EQ(boot.image_end, 0x102000);
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_elf32_kernel)
{
	check_elf_kernel(false);
}

TEST(multiboot_elf64_kernel_enters_32bit)
{
	check_elf_kernel(true);
}

static void check_mmap(const struct guest_mem *mem, uint64_t info)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = layout_memmap(mem, map, MEMMAP_MAX);
	uint32_t at = rd32(mem, info + MBI_MMAP_ADDR);

	CHECK_EQ(rd32(mem, info + MBI_MMAP_LENGTH), n * 24);
	for (int i = 0; i < n; i++, at += 24) {
		CHECK_EQ(rd32(mem, at), 20);
		CHECK_EQ(rd64(mem, at + 4), map[i].addr);
		CHECK_EQ(rd64(mem, at + 12), map[i].len);
		CHECK_EQ(rd32(mem, at + 20), map[i].type);
	}
	CHECK(at <= LAYOUT_BOOTINFO_END);
}

TEST(multiboot_info_128m)
{
	struct vm_config cfg = { .append = "console=ttyS0 debug" };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT | 0x3, default_addrs);
	uint64_t info;

	testmem_new(&mem, 128 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	info = boot.rbx;
	CHECK(info >= LAYOUT_BOOTINFO && info + 116 <= LAYOUT_BOOTINFO_END);
	/* mem, cmdline, mmap, boot loader name; no modules */
	CHECK_EQ(rd32(&mem, info + MBI_FLAGS), (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
	CHECK_EQ(rd32(&mem, info + MBI_MEM_LOWER), 639);
	CHECK_EQ(rd32(&mem, info + MBI_MEM_UPPER), 127 * 1024);
	CHECK_STR(rdstr(&mem, rd32(&mem, info + MBI_CMDLINE)), "console=ttyS0 debug");
	CHECK_STR(rdstr(&mem, rd32(&mem, info + MBI_LOADER_NAME)), "minikvm");
	CHECK_EQ(rd32(&mem, info + MBI_MODS_COUNT), 0);
	CHECK_EQ(rd32(&mem, info + 12), 0);      /* no boot device */
	check_mmap(&mem, info);
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_info_6g_with_hole)
{
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT, default_addrs);
	uint64_t info;

	testmem_new(&mem, 6 * GIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	info = boot.rbx;
	CHECK_EQ(rd32(&mem, info + MBI_MEM_LOWER), 639);
	CHECK_EQ(rd32(&mem, info + MBI_MEM_UPPER), (3 * GIB - MIB) / 1024);
	CHECK_STR(rdstr(&mem, rd32(&mem, info + MBI_CMDLINE)), "");   /* no --append */
	check_mmap(&mem, info);
	CHECK_EQ(rd32(&mem, info + MBI_MMAP_LENGTH), 8 * 24); /* 6 low + high RAM + its page directories */
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_modules_page_aligned_after_kernel)
{
	static uint8_t m0[100], m1[5000];
	struct image mods[2] = {
		testimage("initrd.img", m0, sizeof(m0)),
		testimage("/boot/extra module", m1, sizeof(m1)),
	};
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT | 0x1, default_addrs);
	uint64_t info, list;

	memset(m0, 0x11, sizeof(m0));
	memset(m1, 0x22, sizeof(m1));
	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, mods, 2, &mem, &boot), 0);
	info = boot.rbx;
	CHECK(rd32(&mem, info + MBI_FLAGS) & (1u << 3));
	CHECK_EQ(rd32(&mem, info + MBI_MODS_COUNT), 2);
	list = rd32(&mem, info + MBI_MODS_ADDR);
	CHECK(list >= LAYOUT_BOOTINFO && list + 32 <= LAYOUT_BOOTINFO_END);
	/* The kernel (bss included) ends at 0x104800: the first page after is 0x105000. */
	CHECK_EQ(rd32(&mem, list + 0), 0x105000);
	CHECK_EQ(rd32(&mem, list + 4), 0x105000 + sizeof(m0));
	CHECK_STR(rdstr(&mem, rd32(&mem, list + 8)), "initrd.img");
	CHECK_EQ(rd32(&mem, list + 16), 0x106000);
	CHECK_EQ(rd32(&mem, list + 20), 0x106000 + sizeof(m1));
	CHECK_STR(rdstr(&mem, rd32(&mem, list + 24)), "/boot/extra module");
	CHECK_MEM(guest_mem_ptr(&mem, 0x105000, sizeof(m0)), m0, sizeof(m0));
	CHECK_MEM(guest_mem_ptr(&mem, 0x106000, sizeof(m1)), m1, sizeof(m1));
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_modules_above_1m_for_low_kernel)
{
	static uint8_t m0[10] = "module!!!";
	struct image mods[1] = { testimage("m", m0, sizeof(m0)) };
	const uint32_t low[5] = { 0x10040, 0x10000, 0, 0, 0x10000 };
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT, low);

	testmem_new(&mem, 16 * MIB, 0xAA);
	CHECK_EQ(mb_load(k, KSIZE, &cfg, mods, 1, &mem, &boot), 0);
	CHECK_EQ(rd32(&mem, rd32(&mem, boot.rbx + MBI_MODS_ADDR)), 0x100000);
	CHECK_MEM(guest_mem_ptr(&mem, 0x100000, sizeof(m0)), m0, sizeof(m0));
	testmem_free(&mem);
	free(k);
}

TEST(multiboot_module_too_big)
{
	uint8_t *m0 = calloc(1, 2 * MIB);
	struct image mods[1] = { testimage("big.img", m0, 2 * MIB) };
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT, default_addrs);

	testmem_new(&mem, 2 * MIB, 0);
	CHECK(mb_load(k, KSIZE, &cfg, mods, 1, &mem, &boot) < 0);
	CHECK_STR(err_message(), "module 'big.img' (2097152 bytes) at 0x105000..0x305000 is "
		  "beyond guest RAM (2 MiB)");
	testmem_free(&mem);
	free(k);
	free(m0);
}

TEST(multiboot_cmdline_too_long)
{
	size_t len = 40 * 1024;
	char *line = malloc(len + 1);
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	uint8_t *k = aout_kernel(KSIZE, HOFF, AOUT, default_addrs);

	memset(line, 'x', len);
	line[len] = '\0';
	cfg.append = line;
	testmem_new(&mem, 16 * MIB, 0);
	CHECK(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK_STR(err_message(), "the kernel command line (40961 bytes) does not fit in the "
		  "28 KiB multiboot information area");
	/* Something that does fit, but only just. */
	line[27 * 1024] = '\0';
	CHECK_EQ(mb_load(k, KSIZE, &cfg, NULL, 0, &mem, &boot), 0);
	CHECK_EQ(strlen(rdstr(&mem, rd32(&mem, boot.rbx + MBI_CMDLINE))), 27 * 1024);
	testmem_free(&mem);
	free(k);
	free(line);
}

TEST(multiboot_elf_kernel_above_4g_refused)
{
	uint8_t text[16] = { 0 };
	struct elfgen_seg segs[] = {
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16, .data = text, .filesz = 16 },
		{ .type = PT_LOAD, .vaddr = 0x100000000ULL, .paddr = 0x100000000ULL, .memsz = 16,
		  .data = text, .filesz = 16 },
	};
	struct vm_config cfg = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *k;

	mbgen_header(text, 0, NULL);
	k = elfgen(true, EM_X86_64, MIB, segs, 2, &size);
	testmem_new(&mem, 6 * GIB, 0);
	CHECK(mb_load(k, size, &cfg, NULL, 0, &mem, &boot) < 0);
	CHECK(err_has("above 4 GiB, out of reach of 32-bit code"));
	testmem_free(&mem);
	free(k);
}
