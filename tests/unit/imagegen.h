/* SPDX-License-Identifier: MIT */
/*
 * Synthetic guest images and guest memory for the loader and ACPI tests:
 * ELF32/ELF64 files built from a list of segments, multiboot headers, and
 * guest RAM backed by a plain buffer.
 */
#ifndef MINIKVM_TEST_IMAGEGEN_H
#define MINIKVM_TEST_IMAGEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "loader/loader.h"

/* Guest RAM of size bytes, every byte set to fill; release with testmem_free(). */
void testmem_new(struct guest_mem *mem, uint64_t size, uint8_t fill);
void testmem_free(struct guest_mem *mem);

struct elfgen_seg {
	uint32_t type;              /* PT_LOAD, PT_NOTE, ... */
	uint64_t vaddr, paddr, memsz;
	const void *data;           /* filesz bytes of contents (may be NULL: zeros) */
	uint64_t filesz;
};

/*
 * An ELF executable (ET_EXEC, little-endian): the ELF header, the program
 * headers right after it, then each segment's contents in order, each at a
 * 16-byte aligned offset. Returns a malloc'd buffer (free()) of *size bytes.
 */
uint8_t *elfgen(bool is64, uint16_t machine, uint64_t entry,
		const struct elfgen_seg *segs, int nsegs, size_t *size);
/* File offset of segment i's contents in an image elfgen() made. */
uint64_t elfgen_seg_offset(const uint8_t *elf, int i);

/*
 * Write a multiboot header with a right checksum at p. addrs (header_addr,
 * load_addr, load_end_addr, bss_end_addr, entry_addr) is written when not NULL.
 */
void mbgen_header(uint8_t *p, uint32_t flags, const uint32_t *addrs);

/* A struct image over a buffer (no copy). */
struct image testimage(const char *path, void *data, size_t size);

/* Little-endian readers for checking guest memory. */
uint32_t rd32(const struct guest_mem *mem, uint64_t gpa);
uint64_t rd64(const struct guest_mem *mem, uint64_t gpa);
uint16_t rd16(const struct guest_mem *mem, uint64_t gpa);
uint8_t rd8(const struct guest_mem *mem, uint64_t gpa);
/* A NUL-terminated string in guest memory ("" if out of RAM). */
const char *rdstr(const struct guest_mem *mem, uint64_t gpa);
/* Does the recorded error message contain needle? */
bool err_has(const char *needle);

#endif
