/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "guest_mem.h"

TEST(guest_mem_bounds)
{
	uint8_t buf[4096];
	struct guest_mem m;

	guest_mem_wrap(&m, buf, sizeof(buf));
	CHECK(guest_mem_ptr(&m, 0, 4096) == buf);
	CHECK(guest_mem_ptr(&m, 4095, 1) == buf + 4095);
	CHECK(guest_mem_ptr(&m, 4095, 2) == NULL);
	CHECK(guest_mem_ptr(&m, 4096, 0) == NULL);
	CHECK(guest_mem_ptr(&m, 1, UINT64_MAX) == NULL);
	CHECK(guest_mem_ptr(&m, UINT64_MAX, 2) == NULL);
	CHECK_EQ(guest_mem_top(&m), 4096);
	CHECK(guest_mem_write(&m, 4000, "abc", 3) == 0);
	CHECK_MEM(buf + 4000, "abc", 3);
	CHECK(guest_mem_write(&m, 4095, "abc", 3) < 0);
}

TEST(guest_mem_hole_above_3g)
{
	struct guest_mem m;

	/* MAP_NORESERVE: 5 GiB of address space, no memory until touched. */
	CHECK(guest_mem_alloc(&m, 5ULL << 30) == 0);
	if (!m.host)
		return;
	CHECK_EQ(m.low_size, 3ULL << 30);
	CHECK_EQ(guest_mem_high_size(&m), 2ULL << 30);
	CHECK_EQ(guest_mem_top(&m), 6ULL << 30);
	CHECK(guest_mem_ptr(&m, (3ULL << 30) - 1, 1) == m.host + (3ULL << 30) - 1);
	CHECK(guest_mem_ptr(&m, 3ULL << 30, 1) == NULL);          /* the hole */
	CHECK(guest_mem_ptr(&m, (3ULL << 30) - 1, 2) == NULL);    /* crosses into it */
	CHECK(guest_mem_ptr(&m, 4ULL << 30, 1) == m.host + (3ULL << 30));
	CHECK(guest_mem_ptr(&m, (6ULL << 30) - 1, 1) != NULL);
	CHECK(guest_mem_ptr(&m, 6ULL << 30, 1) == NULL);
	/* Writes land at the right host offset on both sides of the hole. */
	CHECK(guest_mem_write(&m, 4ULL << 30, "hi", 2) == 0);
	CHECK_MEM(m.host + (3ULL << 30), "hi", 2);
	guest_mem_free(&m);
	CHECK(m.host == NULL);
}
