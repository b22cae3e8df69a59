/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V page-table walker (src/riscv/mmu.c): page tables built by hand
 * in a fake guest RAM at 0x8000_0000, walked for every mode, page size and
 * failure the privileged spec's "Virtual Address Translation Process" has.
 */
#include "../test.h"

#include "riscv/mmu.h"

#include <endian.h>

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE 0x10000ULL /* 16 pages: room for five levels of tables and spares */
#define TABLE(n) (RAM_BASE + 0x1000ULL * (n))

static uint8_t ram[RAM_SIZE];
static int reads; /* how many PTEs the walk read */

static int ram_read(void *ctx, uint64_t gpa, void *dst, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return -1;
	memcpy(dst, ram + (gpa - RAM_BASE), len);
	reads++;
	return 0;
}

static void ram_clear(void)
{
	memset(ram, 0, sizeof(ram));
	reads = 0;
}

/* PTE i of the table at gpa table. */
static uint64_t slot(uint64_t table, unsigned i)
{
	return table + i * 8ULL;
}

static void put(uint64_t gpa, uint64_t pte)
{
	uint64_t le = htole64(pte);

	memcpy(ram + (gpa - RAM_BASE), &le, 8);
}

/* A pointer to the next level's table; a leaf mapping gpa with flags. */
static uint64_t pointer_to(uint64_t table)
{
	return (table >> 12) << 10 | RISCV_PTE_V;
}

static uint64_t leaf_at(uint64_t gpa, unsigned flags)
{
	return (gpa >> 12) << 10 | RISCV_PTE_V | flags;
}

static uint64_t satp_of(unsigned mode, uint64_t root)
{
	return (uint64_t)mode << 60 | 0x1234ULL << 44 /* an ASID, to be ignored */ | root >> 12;
}

static int walk(unsigned mode, uint64_t gva, struct riscv_walk *w)
{
	return riscv_page_walk(ram_read, NULL, satp_of(mode, TABLE(1)), gva, w);
}

/* The walk of gva under mode fails with want after reading steps PTEs. */
#define CHECK_FAULT(w, mode, gva, want, steps)                                 \
	do {                                                                   \
		CHECK_EQ(walk(mode, gva, w), -1);                              \
		CHECK_EQ((w)->fault, want);                                    \
		CHECK_EQ((w)->nsteps, steps);                                  \
	} while (0)

/* The walk of gva under mode maps it to want in a page of size, after reading steps PTEs. */
#define CHECK_MAPPED(w, mode, gva, want, size, steps)                          \
	do {                                                                   \
		CHECK_EQ(walk(mode, gva, w), 0);                               \
		CHECK_EQ((w)->gpa, want);                                      \
		CHECK_EQ((w)->page_size, size);                                \
		CHECK_EQ((w)->nsteps, steps);                                  \
	} while (0)

#define RWAD (RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_A | RISCV_PTE_D)

/* Empty RAM but for a walk through entry 1 of TABLE(1), TABLE(2), ...: levels tables, leaf last. */
static void chain_through_entry_1(int levels, uint64_t leaf)
{
	ram_clear();
	for (int i = 1; i < levels; i++)
		put(slot(TABLE(i), 1), pointer_to(TABLE(i + 1)));
	put(slot(TABLE(levels), 1), leaf);
}

/* Empty RAM but for Sv39's first root entry and its level-1 table's first: L0 is TABLE(3). */
static void sv39_low_tables(void)
{
	ram_clear();
	put(slot(TABLE(1), 0), pointer_to(TABLE(2)));
	put(slot(TABLE(2), 0), pointer_to(TABLE(3)));
}

TEST(riscv_mmu_bare_is_identity)
{
	struct riscv_walk w;

	ram_clear();
	CHECK_EQ(riscv_page_walk(ram_read, NULL, 0x1234ULL << 44, 0xFFFFFFFF80001234ULL, &w), 0);
	CHECK_EQ(w.mode, RISCV_SATP_BARE);
	CHECK_EQ(w.gpa, 0xFFFFFFFF80001234ULL);
	CHECK_EQ(w.nsteps, 0);
	CHECK_EQ(w.page_size, 0);
	CHECK_EQ(reads, 0);
	CHECK_EQ(riscv_walk_span(&w, 0x1234), UINT64_MAX);
	CHECK_STR(riscv_satp_mode_name(w.mode), "Bare");
}

TEST(riscv_mmu_sv39_4k_leaf_and_its_walk)
{
	/* VPN[2] = 1, VPN[1] = 1, VPN[0] = 1. */
	uint64_t gva = 1ULL << 30 | 1ULL << 21 | 1ULL << 12 | 0x234;
	struct riscv_walk w;

	chain_through_entry_1(3, leaf_at(0x12345000, RWAD));
	CHECK_EQ(walk(RISCV_SATP_SV39, gva, &w), 0);
	CHECK_EQ(w.fault, RISCV_WALK_OK);
	CHECK_EQ(w.mode, RISCV_SATP_SV39);
	CHECK_EQ(w.gpa, 0x12345234);
	CHECK_EQ(w.page_size, 4096);
	CHECK_EQ(w.perms, RWAD);
	CHECK_EQ(w.pbmt, 0);
	CHECK(!w.napot);
	CHECK_EQ(w.nsteps, 3);
	CHECK_STR(w.steps[0].name, "L2");
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 8);
	CHECK_EQ(w.steps[0].entry, 0x20000801ULL); /* PPN 0x80002, V */
	CHECK_STR(w.steps[1].name, "L1");
	CHECK_EQ(w.steps[1].entry_gpa, TABLE(2) + 8);
	CHECK_EQ(w.steps[1].entry, 0x20000C01ULL); /* PPN 0x80003, V */
	CHECK_STR(w.steps[2].name, "L0");
	CHECK_EQ(w.steps[2].entry_gpa, TABLE(3) + 8);
	CHECK_EQ(w.steps[2].entry, 0x48d14c7ULL); /* PPN 0x12345, D A W R V */
	CHECK_EQ(reads, 3);
	CHECK_STR(riscv_satp_mode_name(w.mode), "Sv39");
}

TEST(riscv_mmu_sv39_superpages)
{
	struct riscv_walk w;

	ram_clear();
	put(slot(TABLE(1), 1), pointer_to(TABLE(2)));
	/* 2 MiB at VPN[1] = 2 */
	put(slot(TABLE(2), 2), leaf_at(0x80400000, RISCV_PTE_R | RISCV_PTE_X | RISCV_PTE_A));
	CHECK_MAPPED(&w, RISCV_SATP_SV39, 1ULL << 30 | 2ULL << 21 | 0x12345, 0x80412345, 2 << 20, 2);
	CHECK_EQ(w.perms, RISCV_PTE_R | RISCV_PTE_X | RISCV_PTE_A);
	CHECK_EQ(w.steps[1].entry_gpa, TABLE(2) + 16);

	/* 1 GiB at VPN[2] = 2 */
	put(slot(TABLE(1), 2), leaf_at(0xC0000000, RWAD | RISCV_PTE_G));
	CHECK_MAPPED(&w, RISCV_SATP_SV39, 2ULL << 30 | 0x1234567, 0xC1234567, 1 << 30, 1);
	CHECK_EQ(w.perms, RWAD | RISCV_PTE_G);

	/* A kernel address, sign-extended from bit 38: VPN[2] = 510. */
	put(slot(TABLE(1), 510), leaf_at(0x80000000, RWAD | RISCV_PTE_X | RISCV_PTE_G));
	CHECK_EQ(walk(RISCV_SATP_SV39, 0xFFFFFFFF80201000ULL, &w), 0);
	CHECK_EQ(w.gpa, 0x80201000);
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 510 * 8);
}

TEST(riscv_mmu_sv48_4level_walk_and_superpages)
{
	uint64_t gva = 1ULL << 39 | 1ULL << 30 | 1ULL << 21 | 1ULL << 12 | 0xABC;
	struct riscv_walk w;

	chain_through_entry_1(4, leaf_at(0x87654000, RISCV_PTE_R | RISCV_PTE_U));
	CHECK_MAPPED(&w, RISCV_SATP_SV48, gva, 0x87654ABC, 4096, 4);
	CHECK_STR(w.steps[0].name, "L3");
	CHECK_STR(w.steps[3].name, "L0");
	for (int i = 0; i < 4; i++)
		CHECK_EQ(w.steps[i].entry_gpa, TABLE(1 + i) + 8);
	CHECK_EQ(w.steps[3].entry, leaf_at(0x87654000, RISCV_PTE_R | RISCV_PTE_U));
	CHECK_EQ(w.perms, RISCV_PTE_R | RISCV_PTE_U);
	CHECK_STR(riscv_satp_mode_name(w.mode), "Sv48");

	/* 1 GiB at L2 */
	put(slot(TABLE(2), 3), leaf_at(0x40000000, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV48, 1ULL << 39 | 3ULL << 30 | 0x3FFFFFFF, 0x7FFFFFFF, 1 << 30, 2);

	/* 512 GiB at L3 (VPN[3] = 2 -> GPA 512 GiB) */
	put(slot(TABLE(1), 2), leaf_at(1ULL << 39, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV48, 2ULL << 39 | 0x123456789ULL, 1ULL << 39 | 0x123456789ULL,
		     1ULL << 39, 1);

	/* The upper half: 0xFFFF_8000_0000_0000 is VPN[3] = 256. */
	put(slot(TABLE(1), 256), leaf_at(0, RWAD));
	CHECK_EQ(walk(RISCV_SATP_SV48, 0xFFFF800000001000ULL, &w), 0);
	CHECK_EQ(w.gpa, 0x1000);
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 256 * 8);
}

TEST(riscv_mmu_sv57_5level_walk_and_superpages)
{
	uint64_t gva = 1ULL << 48 | 1ULL << 39 | 1ULL << 30 | 1ULL << 21 | 1ULL << 12 | 0x10;
	struct riscv_walk w;

	chain_through_entry_1(5, leaf_at(0x1000, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV57, gva, 0x1010, 4096, 5);
	CHECK_STR(w.steps[0].name, "L4");
	CHECK_STR(w.steps[4].name, "L0");
	for (int i = 0; i < 5; i++)
		CHECK_EQ(w.steps[i].entry_gpa, TABLE(1 + i) + 8);
	CHECK_EQ(reads, 5);
	CHECK_STR(riscv_satp_mode_name(w.mode), "Sv57");

	/* 2 MiB at L1 */
	put(slot(TABLE(4), 7), leaf_at(0x200000, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV57, 1ULL << 48 | 1ULL << 39 | 1ULL << 30 | 7ULL << 21 | 0x1FFFFF,
		     0x3FFFFF, 2 << 20, 4);

	/* 512 GiB at L3 */
	put(slot(TABLE(2), 5), leaf_at(3ULL << 39, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV57, 1ULL << 48 | 5ULL << 39 | 0x42, 3ULL << 39 | 0x42,
		     1ULL << 39, 2);

	/* 256 TiB at L4 (VPN[4] = 2 -> GPA 256 TiB) */
	put(slot(TABLE(1), 2), leaf_at(1ULL << 48, RWAD));
	CHECK_MAPPED(&w, RISCV_SATP_SV57, 2ULL << 48 | 0x123456789ABCULL,
		     1ULL << 48 | 0x123456789ABCULL, 1ULL << 48, 1);
}

/* The full Sv48 chain of riscv_mmu_sv48_4level_walk_and_superpages, with level's PTE invalid. */
TEST(riscv_mmu_invalid_pte_at_each_level)
{
	uint64_t gva = 1ULL << 39 | 1ULL << 30 | 1ULL << 21 | 1ULL << 12;
	struct riscv_walk w;

	for (int broken = 0; broken < 4; broken++) {
		chain_through_entry_1(4, leaf_at(0x5000, RWAD));
		/* Everything but V: still invalid, whatever the rest says. */
		put(slot(TABLE(1 + broken), 1), pointer_to(TABLE(2 + broken)) & ~(uint64_t)RISCV_PTE_V);
		CHECK_FAULT(&w, RISCV_SATP_SV48, gva, RISCV_WALK_INVALID, broken + 1);
		CHECK_EQ(w.steps[broken].entry_gpa, TABLE(1 + broken) + 8);
		CHECK_EQ(w.steps[broken].entry, pointer_to(TABLE(2 + broken)) & ~(uint64_t)RISCV_PTE_V);
	}

	/* An all-zero root: Sv39's first step. */
	ram_clear();
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x1000, RISCV_WALK_INVALID, 1);
}

TEST(riscv_mmu_write_without_read_is_reserved)
{
	struct riscv_walk w;

	sv39_low_tables();
	put(slot(TABLE(3), 0), leaf_at(0x1000, RISCV_PTE_W));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x10, RISCV_WALK_RESERVED_WR, 3);
	put(slot(TABLE(3), 0), leaf_at(0x1000, RISCV_PTE_W | RISCV_PTE_X));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x10, RISCV_WALK_RESERVED_WR, 3);
	/* At the root, where it is neither leaf nor pointer. */
	put(slot(TABLE(1), 0), pointer_to(TABLE(2)) | RISCV_PTE_W);
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x10, RISCV_WALK_RESERVED_WR, 1);
}

TEST(riscv_mmu_misaligned_superpage)
{
	struct riscv_walk w;

	ram_clear();
	put(slot(TABLE(1), 0), pointer_to(TABLE(2)));
	/* 2 MiB leaf whose PPN[0] is not 0 */
	put(slot(TABLE(2), 0), leaf_at(0x80201000, RWAD));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x1234, RISCV_WALK_MISALIGNED, 2);
	/* 1 GiB leaf 2 MiB-aligned only: PPN[1] is not 0 */
	put(slot(TABLE(1), 1), leaf_at(0x80200000, RWAD));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 1ULL << 30, RISCV_WALK_MISALIGNED, 1);
	/* Sv48's 512 GiB leaf 1 GiB-aligned only */
	put(slot(TABLE(1), 3), leaf_at(1ULL << 30, RWAD));
	CHECK_FAULT(&w, RISCV_SATP_SV48, 3ULL << 39, RISCV_WALK_MISALIGNED, 1);
}

TEST(riscv_mmu_non_canonical_addresses)
{
	struct riscv_walk w;
	static const struct {
		unsigned mode;
		uint64_t gva;
	} bad[] = {
		{ RISCV_SATP_SV39, 0x0000004000000000ULL },                   /* bit 38 set, 63:39 clear */
		{ RISCV_SATP_SV39, 1ULL << 39 },                              /* bit 39 without bit 38 */
		{ RISCV_SATP_SV39, 0xFFFFFFBFFFFFFFFFULL },                   /* 63:39 set, bit 38 clear */
		{ RISCV_SATP_SV48, 0x0000800000000000ULL },
		{ RISCV_SATP_SV48, 0x7FFF800000000000ULL },
		{ RISCV_SATP_SV57, 1ULL << 57 },
		{ RISCV_SATP_SV57, 0x0100000000000000ULL },
	};

	ram_clear();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_FAULT(&w, bad[i].mode, bad[i].gva, RISCV_WALK_NON_CANONICAL, 0);
	}
	CHECK_EQ(reads, 0);

	/* The extremes of each half are canonical: the walk goes on to the (empty) root. */
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x0000003FFFFFFFFFULL, RISCV_WALK_INVALID, 1);
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 255 * 8);
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0xFFFFFFC000000000ULL, RISCV_WALK_INVALID, 1);
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 256 * 8);
	CHECK_FAULT(&w, RISCV_SATP_SV48, 0xFFFFFFFFFFFFFFFFULL, RISCV_WALK_INVALID, 1);
	CHECK_FAULT(&w, RISCV_SATP_SV57, 0x00FFFFFFFFFFFFFFULL, RISCV_WALK_INVALID, 1);
	CHECK_EQ(w.steps[0].entry_gpa, TABLE(1) + 255 * 8);
}

TEST(riscv_mmu_pbmt_n_and_reserved_bits_stay_out_of_the_ppn)
{
	const uint64_t high = 3ULL << 61 | 0x7FULL << 54; /* PBMT 3 and bits 60:54 */
	struct riscv_walk w;

	ram_clear();
	/* ...on the pointers, too: the next table is where the PPN says. */
	put(slot(TABLE(1), 0), pointer_to(TABLE(2)) | high | RISCV_PTE_N);
	put(slot(TABLE(2), 0), pointer_to(TABLE(3)) | 1ULL << 62);
	put(slot(TABLE(3), 0), leaf_at(0x12345000, RWAD) | 2ULL << 61 | 0x55ULL << 54);
	CHECK_EQ(walk(RISCV_SATP_SV39, 0x678, &w), 0);
	CHECK_EQ(w.gpa, 0x12345678);
	CHECK_EQ(w.pbmt, 2); /* IO */
	CHECK_EQ(w.perms, RWAD);
	CHECK(!w.napot);
	CHECK_EQ(w.steps[0].entry, pointer_to(TABLE(2)) | high | RISCV_PTE_N); /* as read */
	CHECK_EQ(w.steps[2].entry_gpa, TABLE(3));
	/* A 2 MiB leaf with PBMT NC */
	put(slot(TABLE(2), 1), leaf_at(0x200000, RWAD) | 1ULL << 61);
	CHECK_EQ(walk(RISCV_SATP_SV39, 0x3FFFFF, &w), 0);
	CHECK_EQ(w.gpa, 0x3FFFFF);
	CHECK_EQ(w.pbmt, 1);
}

TEST(riscv_mmu_svnapot_64k_leaf)
{
	/* VPN[0] = 0x15: the 64 KiB block 0x10-0x1F, page 5 in it. */
	uint64_t gva = 0x15ULL << 12 | 0xABC;
	struct riscv_walk w;

	sv39_low_tables();
	/* PPN 0x12348: bits 3:0 = 1000, the 64 KiB encoding; the block is 0x12340000. */
	put(slot(TABLE(3), 0x15), leaf_at(0x12348000, RWAD) | RISCV_PTE_N);
	CHECK_EQ(walk(RISCV_SATP_SV39, gva, &w), 0);
	CHECK_EQ(w.gpa, 0x12345ABC);
	CHECK_EQ(w.page_size, 64 << 10);
	CHECK(w.napot);
	CHECK_EQ(riscv_walk_span(&w, gva), 0x10000 - 0x5ABC);

	/* PPN bits 3:0 = 0100 (a 32 KiB NAPOT): reserved */
	put(slot(TABLE(3), 0x15), leaf_at(0x12344000, RWAD) | RISCV_PTE_N);
	CHECK_FAULT(&w, RISCV_SATP_SV39, gva, RISCV_WALK_BAD_NAPOT, 3);
	/* N on a 2 MiB leaf: reserved */
	put(slot(TABLE(2), 1), leaf_at(0x200000, RWAD) | RISCV_PTE_N);
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x200000, RISCV_WALK_BAD_NAPOT, 2);
}

TEST(riscv_mmu_no_leaf_at_the_last_level)
{
	struct riscv_walk w;

	sv39_low_tables();
	put(slot(TABLE(3), 0), pointer_to(TABLE(4)));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0x10, RISCV_WALK_NO_LEAF, 3);
	CHECK_EQ(reads, 3);
}

TEST(riscv_mmu_tables_outside_ram)
{
	struct riscv_walk w;

	ram_clear();
	/* The root outside RAM: nothing read, nothing recorded. */
	CHECK_EQ(riscv_page_walk(ram_read, NULL, satp_of(RISCV_SATP_SV39, 0x1000), 0, &w), -1);
	CHECK_EQ(w.fault, RISCV_WALK_READ_FAILED);
	CHECK_EQ(w.nsteps, 0);
	/* A pointer there: the step that pointed is recorded. */
	put(slot(TABLE(1), 0), pointer_to(RAM_BASE + RAM_SIZE));
	CHECK_FAULT(&w, RISCV_SATP_SV39, 0, RISCV_WALK_READ_FAILED, 1);
}

TEST(riscv_mmu_reserved_satp_modes)
{
	struct riscv_walk w;

	ram_clear();
	for (unsigned mode = 1; mode < 16; mode++) {
		if (mode >= RISCV_SATP_SV39 && mode <= RISCV_SATP_SV57)
			continue;
		CHECK_EQ(riscv_page_walk(ram_read, NULL, (uint64_t)mode << 60, 0x1000, &w), -1);
		CHECK_EQ(w.fault, RISCV_WALK_BAD_MODE);
		CHECK_EQ(w.mode, mode);
		CHECK_STR(riscv_satp_mode_name(mode), "reserved mode");
	}
	CHECK_EQ(reads, 0);
}

TEST(riscv_mmu_span_stays_within_the_page)
{
	struct riscv_walk w;

	sv39_low_tables();
	put(slot(TABLE(2), 1), leaf_at(0x200000, RWAD));
	put(slot(TABLE(3), 1), leaf_at(0x5000, RWAD));
	CHECK_EQ(walk(RISCV_SATP_SV39, 0x1000, &w), 0);
	CHECK_EQ(riscv_walk_span(&w, 0x1000), 4096);
	CHECK_EQ(riscv_walk_span(&w, 0x1FFF), 1);
	CHECK_EQ(riscv_walk_span(&w, 0x1800), 0x800);
	CHECK_EQ(walk(RISCV_SATP_SV39, 0x200000, &w), 0);
	CHECK_EQ(riscv_walk_span(&w, 0x200000), 2 << 20);
	CHECK_EQ(riscv_walk_span(&w, 0x3FFFF0), 0x10);
	put(slot(TABLE(1), 1), leaf_at(0x40000000, RWAD));
	CHECK_EQ(walk(RISCV_SATP_SV39, 1ULL << 30 | 0x1000, &w), 0);
	CHECK_EQ(riscv_walk_span(&w, 1ULL << 30 | 0x1000), (1 << 30) - 0x1000);
}

TEST(riscv_mmu_fault_names)
{
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_BAD_MODE), "satp mode not Bare, Sv39, Sv48 or Sv57");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_NON_CANONICAL), "non-canonical address");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_READ_FAILED), "page table outside guest RAM");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_INVALID), "invalid PTE (V = 0)");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_RESERVED_WR), "reserved PTE (W without R)");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_NO_LEAF), "no leaf PTE at the last level");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_MISALIGNED), "misaligned superpage");
	CHECK_STR(riscv_walk_fault_name(RISCV_WALK_BAD_NAPOT), "reserved Svnapot encoding");
}
