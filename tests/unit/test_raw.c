/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "error.h"
#include "x86/layout.h"

#include <stdlib.h>

#define MIB (1ULL << 20)

static int load_raw(enum image_format fmt, const struct vm_config *cfg, size_t size,
		    uint64_t memsize, struct boot_state *boot, struct guest_mem *keep)
{
	uint8_t *data = malloc(size);
	struct guest_mem mem;
	struct image img = testimage("raw.bin", data, size);
	int ret;

	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	testmem_new(&mem, memsize, 0xAA);
	err_clear();
	ret = raw_load(&img, fmt, cfg, &mem, boot);
	if (keep)
		*keep = mem;
	else
		testmem_free(&mem);
	free(data);
	return ret;
}

TEST(raw16_default_load)
{
	struct vm_config cfg = { 0 };
	struct boot_state boot;
	struct guest_mem mem;

	CHECK_EQ(load_raw(FORMAT_RAW16, &cfg, 512, 2 * MIB, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, 0x7C00), 1);
	CHECK_EQ(rd8(&mem, 0x7C01), 8);
	CHECK_EQ(rd8(&mem, 0x7C00 + 511), (uint8_t)(511 * 7 + 1));
	CHECK_EQ(rd8(&mem, 0x7C00 + 512), 0xAA);
	CHECK_EQ(rd8(&mem, 0x7BFF), 0xAA);
	CHECK_EQ(boot.mode, CPU_MODE_REAL16);
	CHECK_EQ(boot.entry, 0x7C00);
	CHECK_EQ(boot.rsp, 0x7C00);
	CHECK(!boot.image_64bit);
	CHECK_EQ(boot.image_start, 0x7C00);
	CHECK_EQ(boot.image_end, 0x7E00);
	testmem_free(&mem);
}

TEST(raw16_one_mib_limit)
{
	struct vm_config cfg = { 0 };
	struct boot_state boot;

	CHECK(load_raw(FORMAT_RAW16, &cfg, MIB, 4 * MIB, &boot, NULL) < 0);
	CHECK_STR(err_message(), "raw16 image (1048576 bytes at 0x7c00) goes past 1 MiB, the most "
		  "real mode can reach; use --format raw32 or raw64 for a bigger program");
	/* Up to the EBDA is fine; one byte more runs into it. */
	CHECK_EQ(load_raw(FORMAT_RAW16, &cfg, LAYOUT_EBDA - 0x7C00, 4 * MIB, &boot, NULL), 0);
	CHECK(load_raw(FORMAT_RAW16, &cfg, LAYOUT_EBDA - 0x7C00 + 1, 4 * MIB, &boot, NULL) < 0);
	CHECK_STR(err_message(), "raw16 image (622593 bytes at 0x7c00) runs into the EBDA and "
		  "ACPI tables at 0x9fc00..0x100000; it must end at or below 0x9fc00");
	/* Real mode owns low memory: no GDT or page tables to protect there. */
	cfg.load_addr_set = true;
	cfg.load_addr = 0x600;
	CHECK_EQ(load_raw(FORMAT_RAW16, &cfg, 0x8000, 4 * MIB, &boot, NULL), 0);

	cfg.load_addr = MIB;
	CHECK(load_raw(FORMAT_RAW16, &cfg, 16, 4 * MIB, &boot, NULL) < 0);
	CHECK(err_has("goes past 1 MiB"));
	cfg.load_addr = 0x10000;
	cfg.entry_set = true;
	cfg.entry = MIB;
	CHECK(load_raw(FORMAT_RAW16, &cfg, 16, 4 * MIB, &boot, NULL) < 0);
	CHECK_STR(err_message(), "entry point 0x100000 is past 1 MiB, the most real mode can reach");
}

TEST(raw16_load_addr_and_entry)
{
	struct vm_config cfg = { .load_addr_set = true, .load_addr = 0x10000,
				 .entry_set = true, .entry = 0x10010 };
	struct boot_state boot;
	struct guest_mem mem;

	CHECK_EQ(load_raw(FORMAT_RAW16, &cfg, 64, 2 * MIB, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, 0x10000), 1);
	CHECK_EQ(boot.entry, 0x10010);
	CHECK_EQ(boot.rsp, 0x10000);
	testmem_free(&mem);
}

TEST(raw32_raw64_defaults)
{
	struct vm_config cfg = { 0 };
	struct boot_state boot;
	struct guest_mem mem;

	CHECK_EQ(load_raw(FORMAT_RAW32, &cfg, 100, 2 * MIB, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, MIB), 1);
	CHECK_EQ(rd8(&mem, MIB + 99), (uint8_t)(99 * 7 + 1));
	CHECK_EQ(boot.mode, CPU_MODE_PROT32);
	CHECK_EQ(boot.entry, MIB);
	CHECK(!boot.image_64bit);
	CHECK_EQ(boot.image_start, MIB);
	CHECK_EQ(boot.image_end, MIB + 100);
	testmem_free(&mem);

	CHECK_EQ(load_raw(FORMAT_RAW64, &cfg, 100, 2 * MIB, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, MIB), 1);
	CHECK_EQ(boot.mode, CPU_MODE_LONG64);
	CHECK_EQ(boot.entry, MIB);
	CHECK(boot.image_64bit);
	testmem_free(&mem);
}

TEST(raw_load_addr_and_entry_honoured)
{
	struct vm_config cfg = { .load_addr_set = true, .load_addr = 0x200000,
				 .entry_set = true, .entry = 0x200040 };
	struct boot_state boot;
	struct guest_mem mem;

	CHECK_EQ(load_raw(FORMAT_RAW64, &cfg, 128, 4 * MIB, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, 0x200000), 1);
	CHECK_EQ(rd8(&mem, MIB), 0xAA);
	CHECK_EQ(boot.entry, 0x200040);
	CHECK_EQ(boot.image_start, 0x200000);
	testmem_free(&mem);

	cfg.load_addr_set = false;               /* only the entry moves */
	CHECK_EQ(load_raw(FORMAT_RAW32, &cfg, 128, 4 * MIB, &boot, NULL), 0);
	CHECK_EQ(boot.image_start, MIB);
	CHECK_EQ(boot.entry, 0x200040);
}

TEST(raw_too_large_for_ram)
{
	struct vm_config cfg = { 0 };
	struct boot_state boot;

	CHECK_EQ(load_raw(FORMAT_RAW32, &cfg, MIB, 2 * MIB, &boot, NULL), 0);
	CHECK(load_raw(FORMAT_RAW32, &cfg, MIB + 1, 2 * MIB, &boot, NULL) < 0);
	CHECK_STR(err_message(),
		  "raw image (1048577 bytes at 0x100000) does not fit in 2 MiB of guest memory");
	CHECK_EQ(err_status(), EXIT_USAGE);
	cfg.load_addr_set = true;
	cfg.load_addr = UINT64_MAX - 4;
	CHECK(load_raw(FORMAT_RAW64, &cfg, 16, 2 * MIB, &boot, NULL) < 0);
	CHECK(err_has("does not fit in 2 MiB of guest memory"));
}

TEST(raw_reserved_and_reach)
{
	struct vm_config cfg = { .load_addr_set = true, .load_addr = 0x1000 };
	struct boot_state boot;

	CHECK(load_raw(FORMAT_RAW32, &cfg, 16, 2 * MIB, &boot, NULL) < 0);
	CHECK(err_has("raw image at 0x1000..0x1010 overlaps memory minikvm reserves"));
	cfg.load_addr = MIB;
	cfg.entry_set = true;
	cfg.entry = 0x100000000ULL;
	CHECK(load_raw(FORMAT_RAW32, &cfg, 16, 2 * MIB, &boot, NULL) < 0);
	CHECK(err_has("past 4 GiB"));
}

TEST(raw_above_4g_only_for_raw64)
{
	struct vm_config cfg = { .load_addr_set = true, .load_addr = 0x100000000ULL };
	struct boot_state boot;
	struct guest_mem mem;

	/* 6 GiB of RAM: 4 GiB..7 GiB exists, and long mode's page tables map it. */
	CHECK_EQ(load_raw(FORMAT_RAW64, &cfg, 64, 6ULL << 30, &boot, &mem), 0);
	CHECK_EQ(rd8(&mem, 0x100000000ULL), 1);
	CHECK_EQ(boot.entry, 0x100000000ULL);
	testmem_free(&mem);
	cfg.entry_set = true;
	cfg.entry = MIB;
	CHECK(load_raw(FORMAT_RAW32, &cfg, 64, 6ULL << 30, &boot, NULL) < 0);
	CHECK_STR(err_message(), "raw32 image (64 bytes at 0x100000000) goes past 4 GiB, the most "
		  "32-bit code can reach; use --format raw64");
	/* The MMIO hole is not RAM. */
	cfg.load_addr = 0xC0000000ULL;
	CHECK(load_raw(FORMAT_RAW64, &cfg, 64, 6ULL << 30, &boot, NULL) < 0);
	CHECK(err_has("does not fit in 6 GiB of guest memory"));
}
