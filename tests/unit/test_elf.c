/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "error.h"
#include "loader/elf.h"

#include <elf.h>
#include <stdlib.h>

#define MIB (1ULL << 20)

static const uint8_t code[16] = { 0x90, 0x90, 0xf4, 0xeb, 0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

/* A one-segment ELF loaded at 1 MiB: 16 bytes of code, 0x1000 bytes in memory. */
static uint8_t *simple_elf(bool is64, size_t *size)
{
	struct elfgen_seg seg = {
		.type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 0x1000,
		.data = code, .filesz = sizeof(code),
	};

	return elfgen(is64, is64 ? EM_X86_64 : EM_386, MIB + 2, &seg, 1, size);
}

/* Load an ELF into 4 MiB of 0xAA-filled RAM; returns elf_load's result. */
static int try_load(uint8_t *elf, size_t size, struct boot_state *boot)
{
	struct guest_mem mem;
	struct image img = testimage("test.elf", elf, size);
	int ret;

	testmem_new(&mem, 4 * MIB, 0xAA);
	err_clear();
	ret = elf_load(&img, &mem, boot);
	testmem_free(&mem);
	return ret;
}

TEST(elf64_load_bytes_bss_entry_mode)
{
	/* A higher-half kernel: linked at 0xffffffff80100000, loaded at 1 MiB. */
	struct elfgen_seg seg = {
		.type = PT_LOAD, .vaddr = 0xffffffff80100000ULL, .paddr = MIB, .memsz = 0x2000,
		.data = code, .filesz = sizeof(code),
	};
	uint8_t zeros[0x2000 - sizeof(code)] = { 0 };
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_X86_64, 0xffffffff80100004ULL, &seg, 1, &size);
	struct image img = testimage("k.elf", elf, size);

	testmem_new(&mem, 4 * MIB, 0xAA);
	CHECK_EQ(elf_load(&img, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, MIB, sizeof(code)), code, sizeof(code));
	CHECK_MEM(guest_mem_ptr(&mem, MIB + sizeof(code), sizeof(zeros)), zeros, sizeof(zeros));
	CHECK_EQ(rd8(&mem, MIB + 0x2000), 0xAA);   /* nothing past memsz */
	CHECK_EQ(rd8(&mem, MIB - 1), 0xAA);
	CHECK_EQ(boot.entry, MIB + 4);             /* virtual entry made physical */
	CHECK_EQ(boot.mode, CPU_MODE_LONG64);
	CHECK(boot.image_64bit);
	CHECK_EQ(boot.image_start, MIB);
	CHECK_EQ(boot.image_end, MIB + 0x2000);
	CHECK_EQ(boot.rax, 0);
	testmem_free(&mem);
	free(elf);
}

TEST(elf32_load_two_segments)
{
	static const uint8_t data[8] = "DATA!!!";
	struct elfgen_seg segs[] = {
		{ .type = PT_NOTE, .filesz = 4, .data = "note" },
		{ .type = PT_LOAD, .vaddr = 0x200000, .paddr = 0x200000, .memsz = sizeof(code),
		  .data = code, .filesz = sizeof(code) },
		{ .type = PT_LOAD, .vaddr = 0x300000, .paddr = 0x300000, .memsz = 0x100,
		  .data = data, .filesz = sizeof(data) },
	};
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(false, EM_386, 0x200001, segs, 3, &size);
	struct image img = testimage("k32.elf", elf, size);

	testmem_new(&mem, 4 * MIB, 0xAA);
	CHECK_EQ(elf_load(&img, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x200000, sizeof(code)), code, sizeof(code));
	CHECK_MEM(guest_mem_ptr(&mem, 0x300000, sizeof(data)), data, sizeof(data));
	CHECK_EQ(rd8(&mem, 0x300000 + sizeof(data)), 0);
	CHECK_EQ(rd8(&mem, 0x3000ff), 0);
	CHECK_EQ(rd8(&mem, 0x300100), 0xAA);
	CHECK_EQ(boot.entry, 0x200001);
	CHECK_EQ(boot.mode, CPU_MODE_PROT32);
	CHECK(!boot.image_64bit);
	CHECK_EQ(boot.image_start, 0x200000);
	CHECK_EQ(boot.image_end, 0x300100);
	testmem_free(&mem);
	free(elf);
}

TEST(elf_entry_outside_segments_is_kept)
{
	struct elfgen_seg seg = {
		.type = PT_LOAD, .vaddr = 0xC0100000, .paddr = MIB, .memsz = 0x1000,
		.data = code, .filesz = sizeof(code),
	};
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(false, EM_386, 0x101000, &seg, 1, &size);

	CHECK_EQ(try_load(elf, size, &boot), 0);
	CHECK_EQ(boot.entry, 0x101000);
	free(elf);
}

TEST(elf_dyn_loads_at_paddr)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(true, &size);

	((Elf64_Ehdr *)elf)->e_type = ET_DYN;
	CHECK_EQ(try_load(elf, size, &boot), 0);
	CHECK_EQ(boot.entry, MIB + 2);
	free(elf);
}

TEST(elf_bad_magic_and_truncation)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(true, &size);

	CHECK(try_load(elf, 40, &boot) < 0);
	CHECK_STR(err_message(), "ELF header is truncated (file is 40 bytes, an ELF64 header needs 64)");
	CHECK(try_load(elf, 10, &boot) < 0);
	CHECK(err_has("truncated"));
	CHECK(try_load(elf, 3, &boot) < 0);
	CHECK(err_has("not an ELF file"));
	elf[1] = 'e';
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("not an ELF file"));
	CHECK_EQ(err_status(), EXIT_USAGE);
	free(elf);
}

TEST(elf_bad_ident)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(true, &size);

	elf[EI_CLASS] = 3;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF class 3 is invalid (1 = 32-bit, 2 = 64-bit)");
	elf[EI_CLASS] = ELFCLASS64;
	elf[EI_DATA] = ELFDATA2MSB;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF file is big-endian; x86 programs are little-endian");
	elf[EI_DATA] = ELFDATA2LSB;
	elf[EI_VERSION] = 2;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("ELF version 2"));
	free(elf);
}

TEST(elf_wrong_machine)
{
	struct elfgen_seg seg = { .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16,
				  .data = code, .filesz = 16 };
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_AARCH64, MIB, &seg, 1, &size);

	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF machine 183 (AArch64) is not x86; minikvm runs x86 guests");
	free(elf);

	elf = elfgen(false, EM_RISCV, MIB, &seg, 1, &size);
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF machine 243 (RISC-V) is not x86; minikvm runs x86 guests");
	free(elf);

	/* x86-64 code in an ELF32 container is the x32 ABI: not bootable. */
	elf = elfgen(false, EM_X86_64, MIB, &seg, 1, &size);
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("x32"));
	free(elf);
}

TEST(elf_relocatable_refused)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(false, &size);

	((Elf32_Ehdr *)elf)->e_type = ET_REL;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("relocatable object"));
	free(elf);
}

TEST(elf_program_header_table_bounds)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(true, &size);
	Elf64_Ehdr *e = (Elf64_Ehdr *)elf;

	e->e_phoff = size;                       /* starts at the end of the file */
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("ELF program header table (offset"));
	CHECK(err_has("extends past the end of the file"));
	e->e_phoff = UINT64_MAX - 8;             /* phoff + table would wrap */
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("extends past the end of the file"));
	e->e_phoff = 64;
	e->e_phnum = 0xffff;                     /* 0xffff * 0xffff still cannot wrap */
	e->e_phentsize = 0xffff;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("extends past the end of the file"));
	e->e_phentsize = 16;                     /* smaller than an Elf64_Phdr */
	e->e_phnum = 1;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("ELF program header size 16 is smaller than the 56 bytes"));
	free(elf);
}

TEST(elf_segment_file_bounds)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(true, &size);
	Elf64_Phdr *p = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));

	p->p_offset = size - 8;                  /* 16 bytes from 8 before the end */
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("ELF program header 0: file data at offset"));
	p->p_offset = UINT64_MAX - 4;            /* offset + filesz wraps */
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("extends past the end of the file"));
	p->p_offset = 0;
	p->p_filesz = UINT64_MAX;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("extends past the end of the file"));
	free(elf);
}

TEST(elf_filesz_above_memsz)
{
	struct boot_state boot;
	size_t size;
	uint8_t *elf = simple_elf(false, &size);
	Elf32_Phdr *p = (Elf32_Phdr *)(elf + sizeof(Elf32_Ehdr));

	p->p_memsz = 8;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF program header 0: file size 0x10 is larger than memory size 0x8");
	free(elf);
}

TEST(elf_segment_beyond_ram)
{
	struct elfgen_seg segs[] = {
		{ .type = PT_NULL },
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16, .data = code, .filesz = 16 },
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 0x9000000,
		  .data = code, .filesz = 16 },
	};
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_X86_64, MIB, segs, 3, &size);
	Elf64_Phdr *p = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));

	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(),
		  "ELF program header 2: segment at 0x100000..0x9100000 is beyond guest RAM (4 MiB)");
	/* paddr + memsz wraps around 2^64 */
	p[2].p_paddr = UINT64_MAX - 0x10;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("is beyond guest RAM"));
	free(elf);
}

TEST(elf_segment_over_reserved_area)
{
	struct elfgen_seg seg = { .type = PT_LOAD, .vaddr = 0x8000, .paddr = 0x8000, .memsz = 0x2000,
				  .data = code, .filesz = 16 };
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(false, EM_386, 0x8000, &seg, 1, &size);

	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("ELF program header 0: segment at 0x8000..0xa000 overlaps memory minikvm reserves"));
	free(elf);

	seg.paddr = seg.vaddr = 0xF0000;         /* the ACPI tables */
	elf = elfgen(false, EM_386, 0xF0000, &seg, 1, &size);
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("overlaps memory minikvm reserves"));
	free(elf);

	seg.paddr = seg.vaddr = 0x10000;         /* low but usable */
	elf = elfgen(false, EM_386, 0x10000, &seg, 1, &size);
	CHECK_EQ(try_load(elf, size, &boot), 0);
	free(elf);
}

TEST(elf_no_pt_load)
{
	struct elfgen_seg segs[] = {
		{ .type = PT_NOTE, .data = "abcd", .filesz = 4 },
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB },   /* empty: nothing to load */
	};
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_X86_64, MIB, segs, 2, &size);

	CHECK(try_load(elf, size, &boot) < 0);
	CHECK_STR(err_message(), "ELF file has no loadable segments (PT_LOAD)");
	((Elf64_Ehdr *)elf)->e_phnum = 0;
	CHECK(try_load(elf, size, &boot) < 0);
	CHECK(err_has("no program headers"));
	free(elf);
}

TEST(elf_bad_segment_writes_nothing)
{
	struct elfgen_seg segs[] = {
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16, .data = code, .filesz = 16 },
		{ .type = PT_LOAD, .vaddr = 0x2000, .paddr = 0x2000, .memsz = 16, .data = code,
		  .filesz = 16 },
	};
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_X86_64, MIB, segs, 2, &size);
	struct image img = testimage("k.elf", elf, size);

	testmem_new(&mem, 4 * MIB, 0xAA);
	CHECK(elf_load(&img, &mem, &boot) < 0);
	CHECK_EQ(rd8(&mem, MIB), 0xAA);
	testmem_free(&mem);
	free(elf);
}

TEST(elf_segments_helper_reports_extent)
{
	struct elfgen_seg segs[] = {
		{ .type = PT_LOAD, .vaddr = 0x300000, .paddr = 0x300000, .memsz = 0x5000,
		  .data = code, .filesz = 16 },
		{ .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16, .data = code, .filesz = 16 },
	};
	struct guest_mem mem;
	struct elf_info info;
	size_t size;
	uint8_t *elf = elfgen(false, EM_386, MIB, segs, 2, &size);
	struct image img = testimage("k.elf", elf, size);

	testmem_new(&mem, 4 * MIB, 0);
	CHECK(elf_has_magic(&img));
	CHECK_EQ(elf_load_segments(&img, &mem, &info), 0);
	CHECK(!info.is64);
	CHECK_EQ(info.start, MIB);
	CHECK_EQ(info.end, 0x305000);
	CHECK_EQ(info.entry, MIB);
	testmem_free(&mem);
	free(elf);
}

TEST(elf64_above_4g_and_the_hole)
{
	struct elfgen_seg seg = {
		.type = PT_LOAD, .vaddr = 0x140000000ULL, .paddr = 0x140000000ULL, .memsz = 0x1000,
		.data = code, .filesz = sizeof(code),
	};
	struct guest_mem mem;
	struct boot_state boot;
	size_t size;
	uint8_t *elf = elfgen(true, EM_X86_64, 0x140000000ULL, &seg, 1, &size);
	struct image img = testimage("high.elf", elf, size);
	Elf64_Phdr *p = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));

	testmem_new(&mem, 6ULL << 30, 0xAA);
	CHECK_EQ(elf_load(&img, &mem, &boot), 0);
	CHECK_MEM(guest_mem_ptr(&mem, 0x140000000ULL, sizeof(code)), code, sizeof(code));
	CHECK_EQ(boot.entry, 0x140000000ULL);
	p->p_paddr = 0xBFFFF800ULL;              /* runs from low RAM into the MMIO hole */
	CHECK(elf_load(&img, &mem, &boot) < 0);
	CHECK_STR(err_message(), "ELF program header 0: segment at 0xbffff800..0xc0000800 falls "
		  "in the MMIO hole between 3 GiB and 4 GiB, which is not RAM");
	testmem_free(&mem);
	free(elf);
}
