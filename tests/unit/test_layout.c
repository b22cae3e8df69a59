/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "guest_mem.h"
#include "x86/layout.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* The low part every map starts with (for RAM of at least 1 MiB). */
static const struct memmap_entry low_part[] = {
	{ 0, 0x1000, MEMMAP_RAM },
	{ 0x1000, 0xE000, MEMMAP_RESERVED },
	{ 0xF000, 0x9FC00 - 0xF000, MEMMAP_RAM },
	{ 0x9FC00, 0x400, MEMMAP_RESERVED },
	{ 0xE0000, 0x20000, MEMMAP_RESERVED },
};
#define NLOW (int)(sizeof(low_part) / sizeof(low_part[0]))

static void check_entry(const struct memmap_entry *e, uint64_t addr, uint64_t len, uint32_t type)
{
	CHECK_EQ(e->addr, addr);
	CHECK_EQ(e->len, len);
	CHECK_EQ(e->type, type);
}

static int map_for(uint64_t size, struct memmap_entry *map)
{
	struct guest_mem mem;
	static uint8_t dummy;

	guest_mem_wrap(&mem, &dummy, size);   /* sizes only: never dereferenced */
	return layout_memmap(&mem, map, MEMMAP_MAX);
}

TEST(layout_memmap_128m)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = map_for(128 * MIB, map);

	CHECK_EQ(n, NLOW + 1);
	for (int i = 0; i < NLOW && i < n; i++)
		check_entry(&map[i], low_part[i].addr, low_part[i].len, low_part[i].type);
	check_entry(&map[NLOW], MIB, 127 * MIB, MEMMAP_RAM);
}

TEST(layout_memmap_3g_exactly)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = map_for(3 * GIB, map);

	CHECK_EQ(n, NLOW + 1);
	check_entry(&map[NLOW], MIB, 3 * GIB - MIB, MEMMAP_RAM);
}

TEST(layout_memmap_6g_has_hole)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = map_for(6 * GIB, map);

	/* Above 4 GiB: RAM, then three 4 KiB page directories (one per GiB) reserved. */
	CHECK_EQ(n, NLOW + 3);
	check_entry(&map[NLOW], MIB, 3 * GIB - MIB, MEMMAP_RAM);
	check_entry(&map[NLOW + 1], 4 * GIB, 3 * GIB - 3 * 0x1000, MEMMAP_RAM);
	check_entry(&map[NLOW + 2], 7 * GIB - 3 * 0x1000, 3 * 0x1000, MEMMAP_RESERVED);
}

TEST(layout_memmap_tiny_and_truncated)
{
	struct memmap_entry map[MEMMAP_MAX];
	int n = map_for(512 * 1024, map);   /* below the EBDA: usable RAM is clipped */

	CHECK_EQ(n, NLOW);
	check_entry(&map[2], 0xF000, 512 * 1024 - 0xF000, MEMMAP_RAM);

	struct guest_mem mem;
	static uint8_t dummy;

	guest_mem_wrap(&mem, &dummy, 128 * MIB);
	CHECK_EQ(layout_memmap(&mem, map, 2), 2);   /* never writes past max */
}

TEST(layout_range_free_edges)
{
	CHECK(layout_range_free(0, 0x1000));
	CHECK(!layout_range_free(0, 0x1001));
	CHECK(!layout_range_free(0xFFF, 2));
	CHECK(!layout_range_free(0x2000, 1));            /* boot information */
	CHECK(!layout_range_free(0xEFFF, 1));            /* last page-table byte */
	CHECK(layout_range_free(0xF000, 0x9FC00 - 0xF000));
	CHECK(!layout_range_free(0xF000, 0x9FC00 - 0xF000 + 1));
	CHECK(!layout_range_free(0x9FC00, 1));
	CHECK(!layout_range_free(0xFFFFF, 1));
	CHECK(layout_range_free(0x100000, 1));
	CHECK(layout_range_free(0x100000, UINT64_MAX));  /* would wrap; all above */
	CHECK(!layout_range_free(0x10000, UINT64_MAX));  /* wraps, covers the EBDA */
	CHECK(!layout_range_free(0x500, UINT64_MAX - 0x100));
	CHECK(layout_range_free(0x1000, 0));             /* empty ranges overlap nothing */
	CHECK(layout_range_free(UINT64_MAX, 1));
}
