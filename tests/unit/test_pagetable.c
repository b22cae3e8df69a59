/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "guest_mem.h"
#include "x86/layout.h"
#include "x86/pagetable.h"

#include <stdlib.h>

static uint64_t entry(struct guest_mem *m, uint64_t table, unsigned i)
{
	uint64_t e = 0;

	guest_mem_read(m, table + i * 8, &e, 8);
	return e;
}

/* Walk the built tables like the MMU would, for a 2 MiB or 1 GiB mapping. */
static uint64_t walk(struct guest_mem *m, uint64_t cr3, uint64_t va)
{
	uint64_t e = entry(m, cr3, (va >> 39) & 511);

	if (!(e & PTE_P))
		return ~0ULL;
	e = entry(m, e & PTE_ADDR_MASK, (va >> 30) & 511);
	if (!(e & PTE_P))
		return ~0ULL;
	if (e & PTE_PS)
		return (e & PTE_ADDR_MASK & ~((1ULL << 30) - 1)) | (va & ((1ULL << 30) - 1));
	e = entry(m, e & PTE_ADDR_MASK, (va >> 21) & 511);
	if (!(e & PTE_P) || !(e & PTE_PS))
		return ~0ULL;
	return (e & PTE_ADDR_MASK & ~((1ULL << 21) - 1)) | (va & ((1ULL << 21) - 1));
}

TEST(pagetable_identity_4g)
{
	size_t size = 16 << 20;
	void *buf = calloc(1, size);
	struct guest_mem m;
	uint64_t cr3 = 0;

	guest_mem_wrap(&m, buf, size);
	CHECK(pagetable_build(&m, &cr3) == 0);
	CHECK_EQ(cr3, LAYOUT_PAGETABLES);
	CHECK_EQ(walk(&m, cr3, 0), 0);
	CHECK_EQ(walk(&m, cr3, 0x100123), 0x100123);
	CHECK_EQ(walk(&m, cr3, 0xFEE00300), 0xFEE00300); /* LAPIC reachable */
	CHECK_EQ(walk(&m, cr3, 0xFFFFFFFF), 0xFFFFFFFF);
	CHECK_EQ(walk(&m, cr3, 0x100000000ULL), ~0ULL);   /* nothing beyond 4 GiB */
	CHECK_EQ(entry(&m, cr3, 0) & 0xFFF, PTE_P | PTE_W);
	/* Tables stay inside their reserved area. */
	CHECK((entry(&m, cr3, 0) & PTE_ADDR_MASK) < LAYOUT_PAGETABLES_END);
	free(buf);
}

TEST(pagetable_above_4g)
{
	struct guest_mem m;
	uint64_t cr3, pd_base;
	struct memmap_entry map[MEMMAP_MAX];
	int n;

	/* 6 GiB: 3 below the hole, 3 above 4 GiB. MAP_NORESERVE: only touched pages cost. */
	CHECK(guest_mem_alloc(&m, 6ULL << 30) == 0);
	if (!m.host)
		return;
	pd_base = layout_high_tables(&m);
	CHECK_EQ(pd_base, (7ULL << 30) - 3 * 0x1000); /* three PDs in the last pages */
	CHECK(pagetable_build(&m, &cr3) == 0);
	CHECK_EQ(walk(&m, cr3, 0x100000000ULL + 0x1234), 0x100000000ULL + 0x1234);
	CHECK_EQ(walk(&m, cr3, 0x1C0000000ULL - 1), 0x1C0000000ULL - 1);
	CHECK_EQ(walk(&m, cr3, (7ULL << 30) - 1), (7ULL << 30) - 1);
	CHECK_EQ(walk(&m, cr3, 7ULL << 30), ~0ULL);
	/* The memory map keeps those pages away from the guest. */
	n = layout_memmap(&m, map, MEMMAP_MAX);
	CHECK(n >= 2);
	CHECK_EQ(map[n - 2].addr, 0x100000000ULL);
	CHECK_EQ(map[n - 2].addr + map[n - 2].len, pd_base);
	CHECK_EQ(map[n - 1].addr, pd_base);
	CHECK_EQ(map[n - 1].type, MEMMAP_RESERVED);
	guest_mem_free(&m);
}

TEST(pagetable_memory_too_small)
{
	uint8_t buf[0x4000];
	struct guest_mem m;
	uint64_t cr3;

	guest_mem_wrap(&m, buf, sizeof(buf));
	CHECK(pagetable_build(&m, &cr3) < 0);
}
