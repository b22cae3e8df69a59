/* SPDX-License-Identifier: MIT */
#include "guest_mem.h"
#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

static void layout(struct guest_mem *mem, uint64_t size)
{
	mem->size = size;
	mem->low_size = size < GUEST_MEM_HOLE_START - GUEST_MEM_BASE ? size
								 : GUEST_MEM_HOLE_START - GUEST_MEM_BASE;
}

/* 2 MiB: a large page of the host's page tables and of KVM's (EPT/NPT) alike. */
#define LARGE_PAGE (2ULL << 20)

int guest_mem_alloc(struct guest_mem *mem, uint64_t size)
{
	uint8_t *p, *start;
	uint64_t head;

	/*
	 * MAP_NORESERVE + anonymous: pages are zero-filled lazily by the host
	 * kernel on first touch, so a 4 GiB guest costs nothing until it uses it.
	 * One large page of slack, to start guest RAM on a 2 MiB boundary.
	 */
	p = mmap(NULL, size + LARGE_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_set(EXIT_HOST, "cannot allocate %llu MiB of guest memory: %s",
			       (unsigned long long)(size >> 20), strerror(errno));
	/*
	 * KVM maps guest memory with 2 MiB entries in its second-stage page
	 * tables (EPT/NPT) only where the host maps it with a large page and
	 * guest-physical and host-virtual addresses agree modulo 2 MiB. So: RAM
	 * starts at a 2 MiB boundary (guest-physical 0 and 4 GiB are too), and
	 * transparent huge pages are asked for even where the host's default is
	 * "madvise" (Debian's, Ubuntu's): one nested page fault then maps 2 MiB
	 * of a booting guest's memory instead of 4 KiB (docs/benchmarks.md).
	 */
	start = (uint8_t *)(((uintptr_t)p + LARGE_PAGE - 1) & ~(uintptr_t)(LARGE_PAGE - 1));
	head = (uint64_t)(start - p);
	if (head)
		munmap(p, head);
	if (LARGE_PAGE - head)
		munmap(start + size, LARGE_PAGE - head);
	/* Advice only: a host without transparent huge pages runs the guest on small ones. */
	(void)madvise(start, size, MADV_HUGEPAGE);
	mem->host = start;
	mem->owned = true;
	layout(mem, size);
	return 0;
}

void guest_mem_wrap(struct guest_mem *mem, void *buf, uint64_t size)
{
	mem->host = buf;
	mem->owned = false;
	layout(mem, size);
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->owned && mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
	mem->size = mem->low_size = 0;
}

uint64_t guest_mem_high_size(const struct guest_mem *mem)
{
	return mem->size - mem->low_size;
}

uint64_t guest_mem_top(const struct guest_mem *mem)
{
	uint64_t high = guest_mem_high_size(mem);

	return high ? GUEST_MEM_HIGH_START + high : GUEST_MEM_BASE + mem->low_size;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t high = guest_mem_high_size(mem);
	/*
	 * Written so that no sum can wrap: gpa and len come from guests. Below
	 * GUEST_MEM_BASE the difference wraps to a number far above any RAM
	 * size, so one comparison covers both ends of the low range.
	 */
	uint64_t low_off = gpa - GUEST_MEM_BASE;

	if (low_off < mem->low_size) {
		if (len > mem->low_size - low_off)
			return NULL;
		return mem->host + low_off;
	}
	if (gpa >= GUEST_MEM_HIGH_START && gpa - GUEST_MEM_HIGH_START < high) {
		uint64_t off = gpa - GUEST_MEM_HIGH_START;

		if (len > high - off)
			return NULL;
		return mem->host + mem->low_size + off;
	}
	return NULL;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}
