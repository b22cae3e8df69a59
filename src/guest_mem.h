/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: one anonymous host mapping that backs all of the
 * guest's RAM. Where RAM sits is the board's (guest_mem_arch.h): on x86 up
 * to 3 GiB at guest-physical address 0, the rest from 4 GiB on, leaving the
 * 3–4 GiB hole for the LAPIC, the IOAPIC and other MMIO, as on a PC; on
 * RISC-V (QEMU's virt board) all of it from 0x8000_0000 on, in one piece.
 *
 *   GPA BASE .. BASE + low_size -> host + 0
 *   GPA HIGH_START .. + high    -> host + low_size (x86 above 4 GiB only)
 *
 * This file knows nothing about KVM: loaders and their unit tests use it with
 * a plain buffer. Telling KVM that this memory is the guest's RAM (memory
 * slots, KVM_SET_USER_MEMORY_REGION) is src/memslot.c's job. Guest data is untrusted, so every access goes through
 * guest_mem_ptr(), which checks the whole range.
 */
#ifndef MINIKVM_GUEST_MEM_H
#define MINIKVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem_arch.h" /* GUEST_MEM_BASE, _HOLE_START, _HIGH_START */

struct guest_mem {
	uint8_t *host;     /* start of the host mapping */
	uint64_t size;     /* total bytes of guest RAM */
	uint64_t low_size; /* bytes mapped at GPA GUEST_MEM_BASE */
	bool owned;        /* host was mmap()ed by guest_mem_alloc() */
};

/* mmap() size bytes of zeroed RAM; 0 or -1 with err_set(). */
int guest_mem_alloc(struct guest_mem *mem, uint64_t size);
/* Describe an existing buffer (unit tests). */
void guest_mem_wrap(struct guest_mem *mem, void *buf, uint64_t size);
void guest_mem_free(struct guest_mem *mem);

/* Host pointer for [gpa, gpa+len) if the whole range is RAM, else NULL. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* One past the highest guest-physical RAM address. */
uint64_t guest_mem_top(const struct guest_mem *mem);
/* Bytes of RAM mapped above 4 GiB. */
uint64_t guest_mem_high_size(const struct guest_mem *mem);

/* Copy to/from guest RAM; 0, or -1 if any byte is outside RAM. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);

#endif
