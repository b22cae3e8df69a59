/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "../../src/guest_mem.h"
#include "../../src/x86/layout.h"
#include "../../src/x86/pagetable.h"

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
	CHECK(pagetable_build(&m, false, &cr3) == 0);
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

TEST(pagetable_above_4g_uses_1g_pages)
{
	struct guest_mem m;
	uint64_t cr3;

	/* Describe 6 GiB without touching it: only the tables are written. */
	size_t size = 16 << 20;
	uint8_t *buf = calloc(1, size);

	guest_mem_wrap(&m, buf, size);
	m.size = 6ULL << 30; /* 3 GiB low + 3 GiB above 4 GiB */
	m.low_size = GUEST_MEM_HOLE_START;
	CHECK(pagetable_build(&m, false, &cr3) < 0); /* needs 1 GiB pages */
	CHECK(pagetable_build(&m, true, &cr3) == 0);
	CHECK_EQ(walk(&m, cr3, 0x100000000ULL + 0x1234), 0x100000000ULL + 0x1234);
	CHECK_EQ(walk(&m, cr3, 0x1C0000000ULL - 1), 0x1C0000000ULL - 1);
	CHECK_EQ(walk(&m, cr3, 0x1C0000000ULL), ~0ULL);
	free(buf);
}

TEST(pagetable_memory_too_small)
{
	uint8_t buf[0x4000];
	struct guest_mem m;
	uint64_t cr3;

	guest_mem_wrap(&m, buf, sizeof(buf));
	CHECK(pagetable_build(&m, true, &cr3) < 0);
}
