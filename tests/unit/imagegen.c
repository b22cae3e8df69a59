/* SPDX-License-Identifier: MIT */
#include "imagegen.h"
#include "error.h"

#include <elf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Small memories come from malloc, so ASan sees any access past their end. */
#define TESTMEM_MALLOC_MAX (256ULL << 20)

void testmem_new(struct guest_mem *mem, uint64_t size, uint8_t fill)
{
	void *buf;

	if (size <= TESTMEM_MALLOC_MAX) {
		buf = malloc(size);
		if (!buf)
			abort();
		memset(buf, fill, size);
	} else {
		/* Big guests: lazily zeroed pages; only the first 8 MiB get the fill. */
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (buf == MAP_FAILED)
			abort();
		memset(buf, fill, 8u << 20);
	}
	guest_mem_wrap(mem, buf, size);
}

void testmem_free(struct guest_mem *mem)
{
	if (mem->size <= TESTMEM_MALLOC_MAX)
		free(mem->host);
	else
		munmap(mem->host, mem->size);
	mem->host = NULL;
}

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

uint8_t *elfgen(bool is64, uint16_t machine, uint64_t entry,
		const struct elfgen_seg *segs, int nsegs, size_t *size)
{
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t off = align16(ehsize + phsize * nsegs), total = off;
	uint8_t *buf;

	for (int i = 0; i < nsegs; i++)
		total = align16(total + segs[i].filesz);
	buf = calloc(1, total ? total : 1);
	if (!buf)
		abort();

	if (is64) {
		Elf64_Ehdr *e = (Elf64_Ehdr *)buf;

		memcpy(e->e_ident, ELFMAG, SELFMAG);
		e->e_ident[EI_CLASS] = ELFCLASS64;
		e->e_ident[EI_DATA] = ELFDATA2LSB;
		e->e_ident[EI_VERSION] = EV_CURRENT;
		e->e_type = htole16(ET_EXEC);
		e->e_machine = htole16(machine);
		e->e_version = htole32(EV_CURRENT);
		e->e_entry = htole64(entry);
		e->e_phoff = htole64(ehsize);
		e->e_ehsize = htole16(ehsize);
		e->e_phentsize = htole16(phsize);
		e->e_phnum = htole16(nsegs);
	} else {
		Elf32_Ehdr *e = (Elf32_Ehdr *)buf;

		memcpy(e->e_ident, ELFMAG, SELFMAG);
		e->e_ident[EI_CLASS] = ELFCLASS32;
		e->e_ident[EI_DATA] = ELFDATA2LSB;
		e->e_ident[EI_VERSION] = EV_CURRENT;
		e->e_type = htole16(ET_EXEC);
		e->e_machine = htole16(machine);
		e->e_version = htole32(EV_CURRENT);
		e->e_entry = htole32((uint32_t)entry);
		e->e_phoff = htole32(ehsize);
		e->e_ehsize = htole16(ehsize);
		e->e_phentsize = htole16(phsize);
		e->e_phnum = htole16(nsegs);
	}

	for (int i = 0; i < nsegs; i++) {
		const struct elfgen_seg *s = &segs[i];

		if (is64) {
			Elf64_Phdr *p = (Elf64_Phdr *)(buf + ehsize) + i;

			p->p_type = htole32(s->type);
			p->p_offset = htole64(off);
			p->p_vaddr = htole64(s->vaddr);
			p->p_paddr = htole64(s->paddr);
			p->p_filesz = htole64(s->filesz);
			p->p_memsz = htole64(s->memsz);
		} else {
			Elf32_Phdr *p = (Elf32_Phdr *)(buf + ehsize) + i;

			p->p_type = htole32(s->type);
			p->p_offset = htole32(off);
			p->p_vaddr = htole32(s->vaddr);
			p->p_paddr = htole32(s->paddr);
			p->p_filesz = htole32(s->filesz);
			p->p_memsz = htole32(s->memsz);
		}
		if (s->data)
			memcpy(buf + off, s->data, s->filesz);
		off = align16(off + s->filesz);
	}
	*size = total;
	return buf;
}

uint64_t elfgen_seg_offset(const uint8_t *elf, int i)
{
	if (elf[EI_CLASS] == ELFCLASS64)
		return le64toh(((const Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)))[i].p_offset);
	return le32toh(((const Elf32_Phdr *)(elf + sizeof(Elf32_Ehdr)))[i].p_offset);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

void mbgen_header(uint8_t *p, uint32_t flags, const uint32_t *addrs)
{
	put32(p, 0x1BADB002u);
	put32(p + 4, flags);
	put32(p + 8, -(0x1BADB002u + flags));
	if (addrs)
		for (int i = 0; i < 5; i++)
			put32(p + 12 + 4 * i, addrs[i]);
}

struct image testimage(const char *path, void *data, size_t size)
{
	struct image img = { .path = path, .data = data, .size = size };

	return img;
}

uint8_t rd8(const struct guest_mem *mem, uint64_t gpa)
{
	uint8_t v = 0;

	guest_mem_read(mem, gpa, &v, 1);
	return v;
}

uint16_t rd16(const struct guest_mem *mem, uint64_t gpa)
{
	uint16_t v = 0;

	guest_mem_read(mem, gpa, &v, 2);
	return le16toh(v);
}

uint32_t rd32(const struct guest_mem *mem, uint64_t gpa)
{
	uint32_t v = 0;

	guest_mem_read(mem, gpa, &v, 4);
	return le32toh(v);
}

uint64_t rd64(const struct guest_mem *mem, uint64_t gpa)
{
	uint64_t v = 0;

	guest_mem_read(mem, gpa, &v, 8);
	return le64toh(v);
}

const char *rdstr(const struct guest_mem *mem, uint64_t gpa)
{
	const char *s = guest_mem_ptr(mem, gpa, 1);

	if (gpa >= mem->low_size || !s || !memchr(s, 0, mem->low_size - gpa))
		return "";
	return s;
}

bool err_has(const char *needle)
{
	return strstr(err_message(), needle) != NULL;
}
