/* SPDX-License-Identifier: MIT */
/*
 * The one ELF parser: elf_load() (a plain ELF guest) and the multiboot
 * loader (an ELF kernel without the a.out kludge) both load through
 * elf_load_segments().
 */
#ifndef MINIKVM_LOADER_ELF_H
#define MINIKVM_LOADER_ELF_H

#include <stdbool.h>
#include <stdint.h>

#include "loader/loader.h"

struct elf_info {
	bool is64;      /* ELFCLASS64 (x86-64) rather than ELFCLASS32 (i386) */
	uint64_t entry; /* physical: e_entry translated through its PT_LOAD */
	uint64_t start; /* lowest p_paddr loaded */
	uint64_t end;   /* one past the highest p_paddr + p_memsz (bss included) */
	/* Segments linked at another address than they are loaded: see struct boot_state. */
	struct boot_virt_range virt_map[BOOT_VIRT_MAP_MAX];
	int nvirt_map;
};

/* Does the image start with the ELF magic (\x7fELF)? */
bool elf_has_magic(const struct image *img);

/* A program header's fields, the same for both classes. */
struct elf_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/*
 * The ELF header and program header table, read once from the image and
 * checked (the table lies inside the file; it is for this arch, an executable). Every
 * later decision uses this copy only, never the file again: a file that
 * changes while it loads cannot make a checked field differ from a used one.
 */
struct elf_headers {
	bool is64;
	uint16_t type, machine;
	uint64_t entry;
	unsigned phnum;
	struct elf_phdr *ph; /* phnum entries, malloc'd: elf_free_headers() */
};

/* 0, or -1 with err_set(EXIT_USAGE, ...) naming the field at fault. */
int elf_read_headers(const struct image *img, struct elf_headers *h);
void elf_free_headers(struct elf_headers *h);

/*
 * Check the ELF header and every PT_LOAD against the file and guest RAM,
 * then copy the segments to their physical addresses and zero their bss.
 * Nothing is written unless every segment checks out. -1 with
 * err_set(EXIT_USAGE, ...) naming the field and program header at fault.
 */
int elf_load_segments(const struct image *img, struct guest_mem *mem, struct elf_info *info);

#endif
