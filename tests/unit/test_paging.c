/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "../../src/guest_mem.h"
#include "../../src/x86/paging.h"

#include <stdlib.h>

#define MEM (4 << 20)

static struct guest_mem mem;
static uint8_t *buf;

static void setup(void)
{
	buf = calloc(1, MEM);
	guest_mem_wrap(&mem, buf, MEM);
}

static void put64(uint64_t gpa, uint64_t v)
{
	guest_mem_write(&mem, gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	guest_mem_write(&mem, gpa, &v, 4);
}

TEST(paging_off_is_identity)
{
	struct paging_regs r = { .cr0 = 1 };
	struct walk w;

	setup();
	CHECK(page_walk(&mem, &r, 0x12345, &w) == 0);
	CHECK_EQ(w.gpa, 0x12345);
	CHECK_EQ(w.mode, PAGING_NONE);
	CHECK_EQ(w.nsteps, 0);
	free(buf);
}

TEST(paging_4level_4k_2m_1g)
{
	/* PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 */
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0x1000 };
	struct walk w;
	uint64_t va4k = 0xFFFF800000201234ULL; /* PML4 256, PDPT 0, PD 1, PT 1 */

	setup();
	put64(0x1000 + 256 * 8, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000 + 1 * 8, 0x4000 | 3);
	put64(0x4000 + 1 * 8, 0x200000 | 1); /* read-only */
	CHECK(page_walk(&mem, &r, va4k, &w) == 0);
	CHECK_EQ(w.gpa, 0x200234);
	CHECK_EQ(w.page_size, 4096);
	CHECK_EQ(w.nsteps, 4);
	CHECK_STR(w.steps[0].name, "PML4E");
	CHECK_EQ(w.steps[0].entry_gpa, 0x1000 + 256 * 8);
	CHECK_STR(w.steps[3].name, "PTE");
	CHECK_EQ(w.steps[3].entry, 0x200001);
	CHECK(!w.writable);

	/* 2 MiB page at PD index 2 */
	put64(0x3000 + 2 * 8, 0x600000 | 0x83);
	CHECK(page_walk(&mem, &r, 0xFFFF800000400000ULL + 0x1F0ABC, &w) == 0);
	CHECK_EQ(w.gpa, 0x600000 + 0x1F0ABC);
	CHECK_EQ(w.page_size, 2 << 20);
	CHECK_EQ(w.nsteps, 3);

	/* 1 GiB page at PDPT index 1 */
	put64(0x2000 + 8, 0x40000000 | 0x83);
	CHECK(page_walk(&mem, &r, 0xFFFF800040000000ULL + 0x123456, &w) == 0);
	CHECK_EQ(w.gpa, 0x40123456);
	CHECK_EQ(w.page_size, 1 << 30);

	/* not present, and non-canonical */
	CHECK(page_walk(&mem, &r, 0x0000000000001000ULL, &w) < 0);
	CHECK_STR(w.error, "not present");
	CHECK_EQ(w.nsteps, 1);
	CHECK(page_walk(&mem, &r, 0x0000800000000000ULL, &w) < 0);
	CHECK_STR(w.error, "non-canonical address");
	free(buf);
}

TEST(paging_5level)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20 | (1 << 12), .efer = 0x500,
				 .cr3 = 0x1000 };
	struct walk w;

	setup();
	/* PML5 0x1000 -> PML4 0x2000 -> PDPT 0x3000 (1 GiB page) for VA 0 */
	put64(0x1000, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000, 0x0 | 0x83);
	CHECK(page_walk(&mem, &r, 0x1234, &w) == 0);
	CHECK_EQ(w.gpa, 0x1234);
	CHECK_EQ(w.nsteps, 3);
	CHECK_STR(w.steps[0].name, "PML5E");
	/* 57-bit canonical: bit 56 set requires bits 63:57 set */
	CHECK(page_walk(&mem, &r, 0x0100000000000000ULL, &w) < 0);
	free(buf);
}

TEST(paging_pae)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .cr3 = 0x1020 };
	struct walk w;

	setup();
	put64(0x1020 + 3 * 8, 0x2000 | 1);     /* PDPTE 3: 0xC0000000.. */
	put64(0x2000 + 0 * 8, 0x3000 | 3);     /* PDE 0 -> PT */
	put64(0x3000 + 5 * 8, 0x7000 | 3);     /* PTE 5 */
	put64(0x2000 + 1 * 8, 0x400000 | 0x83); /* PDE 1: 2 MiB page */
	CHECK(page_walk(&mem, &r, 0xC0005ABC, &w) == 0);
	CHECK_EQ(w.gpa, 0x7ABC);
	CHECK_EQ(w.nsteps, 3);
	CHECK(page_walk(&mem, &r, 0xC0212345, &w) == 0);
	CHECK_EQ(w.gpa, 0x412345);
	CHECK_EQ(w.page_size, 2 << 20);
	CHECK(page_walk(&mem, &r, 0x00001000, &w) < 0);
	free(buf);
}

TEST(paging_32bit_and_pse)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0, .cr3 = 0x1000 };
	struct walk w;

	setup();
	put32(0x1000 + 0x300 * 4, 0x2000 | 3);       /* PDE for 0xC0000000 */
	put32(0x2000 + 0x10 * 4, 0x5000 | 3);        /* PTE for 0xC0010000 */
	put32(0x1000 + 0x301 * 4, 0x00800000 | 0x83 | (0x3 << 13)); /* 4 MiB, PSE-36 bits */
	CHECK(page_walk(&mem, &r, 0xC0010FFF, &w) == 0);
	CHECK_EQ(w.gpa, 0x5FFF);
	CHECK_EQ(w.nsteps, 2);
	/* Without CR4.PSE the PS bit is ignored: the walk goes to a PT at 0x800000 (outside RAM). */
	CHECK(page_walk(&mem, &r, 0xC0400000, &w) < 0);
	CHECK_STR(w.error, "page table outside guest RAM");
	r.cr4 = 0x10;
	CHECK(page_walk(&mem, &r, 0xC0412345, &w) == 0);
	CHECK_EQ(w.gpa, 0x300812345ULL);
	CHECK_EQ(w.page_size, 4 << 20);
	free(buf);
}

TEST(paging_table_outside_ram)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0xFFFFF000ULL };
	struct walk w;

	setup();
	CHECK(page_walk(&mem, &r, 0, &w) < 0);
	CHECK_STR(w.error, "page table outside guest RAM");
	free(buf);
}
