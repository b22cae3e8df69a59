/* SPDX-License-Identifier: MIT */
/*
 * ELF loader: 32-bit (EM_386) and 64-bit (EM_X86_64) little-endian
 * executables on x86, 64-bit EM_RISCV ones on RISC-V. Segments go to their physical addresses (p_paddr), as a boot
 * loader does, since the guest starts with paging off or identity-mapped.
 *
 * The file is untrusted: every header field is checked against the file
 * size and guest RAM before anything is copied, with arithmetic that cannot
 * wrap. Field layouts are those of the System V ABI (<elf.h>); fields are
 * read with memcpy (the data may be unaligned) and converted from little
 * endian explicitly.
 */
#include "loader/elf.h"
#include "error.h"
#include "layout.h" /* the arch's: which ELF machines it runs (LAYOUT_ELF_MACHINE_OK) */

#include <elf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

bool elf_has_magic(const struct image *img)
{
	uint8_t magic[SELFMAG];

	return image_head(img, magic, sizeof(magic)) == SELFMAG &&
	       memcmp(magic, ELFMAG, SELFMAG) == 0;
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386:       return "i386";
	case EM_X86_64:    return "x86-64";
	case EM_SPARC:     return "SPARC";
	case EM_MIPS:      return "MIPS";
	case EM_PPC:       return "PowerPC";
	case EM_PPC64:     return "PowerPC64";
	case EM_S390:      return "S/390";
	case EM_ARM:       return "ARM";
	case EM_SPARCV9:   return "SPARC64";
	case EM_IA_64:     return "IA-64";
	case EM_AARCH64:   return "AArch64";
	case EM_RISCV:     return "RISC-V";
	case EM_LOONGARCH: return "LoongArch";
	default:           return "unknown";
	}
}

/* id: the first EI_NIDENT bytes, of which n came from the file. */
static int read_ident(const uint8_t *id, size_t n, size_t file_size, bool *is64)
{
	if (n < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
		return err_set(EXIT_USAGE, "not an ELF file (no \\x7fELF magic)");
	if (n < EI_NIDENT)
		return err_set(EXIT_USAGE, "ELF header is truncated (file is %zu bytes)",
			       file_size);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return err_set(EXIT_USAGE, "ELF class %u is invalid (1 = 32-bit, 2 = 64-bit)",
			       id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return err_set(EXIT_USAGE,
			       "ELF file is big-endian; " LAYOUT_ARCH_NAME " programs are little-endian");
	if (id[EI_DATA] != ELFDATA2LSB)
		return err_set(EXIT_USAGE, "ELF data encoding %u is invalid", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return err_set(EXIT_USAGE, "ELF version %u is not 1", id[EI_VERSION]);
	*is64 = id[EI_CLASS] == ELFCLASS64;
	return 0;
}

/* The ELF header, from one copy of the file's first bytes. */
static int read_header(const struct image *img, struct elf_headers *h, uint64_t *phoff,
		       unsigned *phentsize)
{
	uint8_t buf[sizeof(Elf64_Ehdr)];
	long n = image_head(img, buf, sizeof(buf));

	if (n < 0 || read_ident(buf, (size_t)n, img->size, &h->is64) < 0)
		return -1;
	if (h->is64) {
		Elf64_Ehdr e;

		if ((size_t)n < sizeof(e))
			goto truncated;
		memcpy(&e, buf, sizeof(e));
		h->type = le16toh(e.e_type);
		h->machine = le16toh(e.e_machine);
		h->entry = le64toh(e.e_entry);
		*phoff = le64toh(e.e_phoff);
		*phentsize = le16toh(e.e_phentsize);
		h->phnum = le16toh(e.e_phnum);
	} else {
		Elf32_Ehdr e;

		if ((size_t)n < sizeof(e))
			goto truncated;
		memcpy(&e, buf, sizeof(e));
		h->type = le16toh(e.e_type);
		h->machine = le16toh(e.e_machine);
		h->entry = le32toh(e.e_entry);
		*phoff = le32toh(e.e_phoff);
		*phentsize = le16toh(e.e_phentsize);
		h->phnum = le16toh(e.e_phnum);
	}
	return 0;

truncated:
	return err_set(EXIT_USAGE,
		       "ELF header is truncated (file is %zu bytes, an ELF%d header needs %zu)",
		       img->size, h->is64 ? 64 : 32,
		       h->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr));
}

static int check_header(const struct image *img, const struct elf_headers *h, uint64_t phoff,
			unsigned phentsize)
{
	size_t phsize = h->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t table;

	if (!LAYOUT_ELF_MACHINE_OK(h->machine))
		return err_set(EXIT_USAGE, "ELF machine %u (%s) is not " LAYOUT_ARCH_NAME "; minikvm runs "
			       LAYOUT_ARCH_NAME " guests", h->machine, machine_name(h->machine));
	if (h->machine == EM_RISCV && !h->is64)
		return err_set(EXIT_USAGE, "32-bit RISC-V ELF file (rv32); minikvm runs rv64 guests");
	if (h->machine == EM_X86_64 && !h->is64)
		return err_set(EXIT_USAGE,
			       "32-bit ELF file for x86-64 (the x32 ABI) cannot be booted; "
			       "build an ELF64 or an i386 ELF32 image");
	if (h->machine == EM_386 && h->is64)
		return err_set(EXIT_USAGE, "64-bit ELF file claims machine i386; the image is corrupt");
	if (h->type == ET_REL)
		return err_set(EXIT_USAGE,
			       "ELF file is a relocatable object (ET_REL), not an executable; link it first");
	if (h->type != ET_EXEC && h->type != ET_DYN)
		return err_set(EXIT_USAGE, "ELF type %u is not an executable (ET_EXEC or ET_DYN)",
			       h->type);
	if (h->phnum == 0)
		return err_set(EXIT_USAGE, "ELF file has no program headers, so nothing to load");
	if (phentsize < phsize)
		return err_set(EXIT_USAGE,
			       "ELF program header size %u is smaller than the %zu bytes of an ELF%d one",
			       phentsize, phsize, h->is64 ? 64 : 32);
	/* Both factors are 16-bit, so the product cannot wrap in 64 bits. */
	table = (uint64_t)phentsize * h->phnum;
	if (phoff > img->size || table > img->size - phoff)
		return err_set(EXIT_USAGE,
			       "ELF program header table (offset 0x%llx, %u entries of %u bytes) "
			       "extends past the end of the file (%zu bytes)",
			       (unsigned long long)phoff, h->phnum, phentsize, img->size);
	return 0;
}

/* Program header i of a copy of the table (table: phnum entries of phentsize bytes). */
static void parse_phdr(const uint8_t *table, bool is64, unsigned phentsize, unsigned i,
		       struct elf_phdr *p)
{
	const uint8_t *at = table + (size_t)i * phentsize;

	if (is64) {
		Elf64_Phdr e;

		memcpy(&e, at, sizeof(e));
		p->type = le32toh(e.p_type);
		p->offset = le64toh(e.p_offset);
		p->vaddr = le64toh(e.p_vaddr);
		p->paddr = le64toh(e.p_paddr);
		p->filesz = le64toh(e.p_filesz);
		p->memsz = le64toh(e.p_memsz);
	} else {
		Elf32_Phdr e;

		memcpy(&e, at, sizeof(e));
		p->type = le32toh(e.p_type);
		p->offset = le32toh(e.p_offset);
		p->vaddr = le32toh(e.p_vaddr);
		p->paddr = le32toh(e.p_paddr);
		p->filesz = le32toh(e.p_filesz);
		p->memsz = le32toh(e.p_memsz);
	}
}

int elf_read_headers(const struct image *img, struct elf_headers *h)
{
	uint64_t phoff = 0;
	unsigned phentsize = 0;
	uint8_t *table;

	memset(h, 0, sizeof(*h));
	if (read_header(img, h, &phoff, &phentsize) < 0 ||
	    check_header(img, h, phoff, phentsize) < 0)
		return -1;
	/* One read of the whole table; check_header() bounded it by the file size. */
	table = image_dup(img, phoff, (uint64_t)phentsize * h->phnum);
	h->ph = table ? calloc(h->phnum, sizeof(*h->ph)) : NULL;
	if (!h->ph) {
		if (table)
			err_set(EXIT_USAGE, "out of memory for %u ELF program headers", h->phnum);
		free(table);
		return -1;
	}
	for (unsigned i = 0; i < h->phnum; i++)
		parse_phdr(table, h->is64, phentsize, i, &h->ph[i]);
	free(table);
	return 0;
}

void elf_free_headers(struct elf_headers *h)
{
	free(h->ph);
	h->ph = NULL;
	h->phnum = 0;
}

static int check_segment(const struct image *img, const struct guest_mem *mem, unsigned i,
			 const struct elf_phdr *p)
{
	char what[64];

	if (p->filesz > img->size || p->offset > img->size - p->filesz)
		return err_set(EXIT_USAGE,
			       "ELF program header %u: file data at offset 0x%llx (0x%llx bytes) "
			       "extends past the end of the file (%zu bytes)",
			       i, (unsigned long long)p->offset, (unsigned long long)p->filesz,
			       img->size);
	if (p->filesz > p->memsz)
		return err_set(EXIT_USAGE,
			       "ELF program header %u: file size 0x%llx is larger than memory size 0x%llx",
			       i, (unsigned long long)p->filesz, (unsigned long long)p->memsz);
	snprintf(what, sizeof(what), "ELF program header %u: segment", i);
	return loader_check_range(mem, p->paddr, p->memsz, what);
}

static int copy_segment(const struct image *img, struct guest_mem *mem,
			const struct elf_phdr *p)
{
	/* check_segment() proved the whole range is RAM. */
	uint8_t *dst = guest_mem_ptr(mem, p->paddr, p->memsz);

	memset(dst + p->filesz, 0, p->memsz - p->filesz);
	return image_copy(img, p->offset, p->filesz, dst);
}

/* Check every PT_LOAD of the copied headers and copy them; nothing written on a bad one. */
static int load_segments(const struct image *img, const struct elf_headers *h,
			 struct guest_mem *mem, struct elf_info *info)
{
	bool any = false, entry_found = false;

	info->is64 = h->is64;
	info->entry = h->entry;
	info->start = UINT64_MAX;
	info->end = 0;
	info->nvirt_map = 0;

	/* First pass: check everything, so that a bad image writes nothing. */
	for (unsigned i = 0; i < h->phnum; i++) {
		const struct elf_phdr *p = &h->ph[i];

		if (p->type != PT_LOAD)
			continue;
		if (check_segment(img, mem, i, p) < 0)
			return -1;
		if (p->memsz == 0)
			continue;
		if (p->vaddr != p->paddr && info->nvirt_map < BOOT_VIRT_MAP_MAX)
			info->virt_map[info->nvirt_map++] =
				(struct boot_virt_range){ p->vaddr, p->paddr, p->memsz };
		any = true;
		if (p->paddr < info->start)
			info->start = p->paddr;
		if (p->paddr + p->memsz > info->end) /* checked: no wrap */
			info->end = p->paddr + p->memsz;
		/*
		 * e_entry is a virtual address; with paging off (or identity
		 * mapped) the CPU needs the physical one.
		 */
		if (!entry_found && h->entry >= p->vaddr && h->entry - p->vaddr < p->memsz) {
			info->entry = h->entry - p->vaddr + p->paddr;
			entry_found = true;
		}
	}
	if (!any)
		return err_set(EXIT_USAGE, "ELF file has no loadable segments (PT_LOAD)");

	/*
	 * Second pass over the same copy. Only a file that shrinks meanwhile
	 * can fail here (image_copy() says so), after some bytes were written:
	 * the load fails as a whole, and the guest never starts.
	 */
	for (unsigned i = 0; i < h->phnum; i++)
		if (h->ph[i].type == PT_LOAD && h->ph[i].memsz &&
		    copy_segment(img, mem, &h->ph[i]) < 0)
			return -1;
	return 0;
}

int elf_load_segments(const struct image *img, struct guest_mem *mem, struct elf_info *info)
{
	struct elf_headers h;
	int ret;

	if (elf_read_headers(img, &h) < 0)
		return -1;
	ret = load_segments(img, &h, mem, info);
	elf_free_headers(&h);
	return ret;
}

int elf_load(const struct image *img, struct guest_mem *mem, struct boot_state *boot)
{
	struct elf_info info = { 0 };

	if (elf_load_segments(img, mem, &info) < 0)
		return -1;
	memset(boot, 0, sizeof(*boot));
	boot->mode = info.is64 ? CPU_MODE_LONG64 : CPU_MODE_PROT32;
	boot->image_64bit = info.is64;
	boot->entry = info.entry;
	boot->image_start = info.start;
	boot->image_end = info.end;
	memcpy(boot->virt_map, info.virt_map, sizeof(info.virt_map));
	boot->nvirt_map = info.nvirt_map;
	return 0;
}
