/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V machine's pure parts, built for this host with RISC-V's
 * headers (build/riscv_unit_tests; no KVM): guest RAM at 0x8000_0000, image
 * detection, the Linux Image, flat binary and initrd loaders, the device
 * tree's reserved room and the board's tree in it, ELF machines, and the
 * command line's formats.
 */
#include "../test.h"
#include "board_sample.h"

#include "error.h"
#include "guest_mem.h"
#include "layout.h"
#include "loader/loader.h"
#include "options.h"

#include <endian.h>
#include <stdlib.h>
#include <unistd.h>

#define RAM (16ULL << 20)
#define BASE 0x80000000ULL

static uint8_t *ram;

static void mem16(struct guest_mem *mem)
{
	if (!ram)
		ram = malloc(RAM);
	memset(ram, 0xAA, RAM);
	guest_mem_wrap(mem, ram, RAM);
}

/* A temporary file holding len bytes, named with suffix (".bin", ""); free() the name. */
static char *temp_file(const void *data, size_t len, const char *suffix)
{
	char *path = malloc(64);
	int fd;

	snprintf(path, 64, "/tmp/minikvm-rv-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, data, len), len);
	close(fd);
	return path;
}

/* A Linux Image: its 64-byte header (magic2 "RSC\x05"), then code bytes. */
static void linux_image(uint8_t *img, size_t len, uint64_t text_offset, uint64_t image_size)
{
	memset(img, 0x5A, len);
	memcpy(img + 8, &text_offset, 8); /* little-endian host: the header's byte order */
	memcpy(img + 16, &image_size, 8);
	memcpy(img + 48, "RISCV\0\0\0", 8);
	memcpy(img + 56, "RSC\x05", 4);
}

static int load(const char *path, struct vm_config *cfg, struct guest_mem *mem, struct boot_state *b)
{
	cfg->image = path;
	return loader_load(cfg, mem, b, NULL);
}

static void defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->format = FORMAT_AUTO;
}

TEST(riscv_ram_starts_at_0x80000000)
{
	struct guest_mem mem;

	mem16(&mem);
	CHECK(guest_mem_ptr(&mem, BASE, 1) == ram);
	CHECK(guest_mem_ptr(&mem, BASE + RAM - 8, 8) == ram + RAM - 8);
	CHECK(guest_mem_ptr(&mem, BASE - 1, 1) == NULL);
	CHECK(guest_mem_ptr(&mem, BASE - 1, 2) == NULL);
	CHECK(guest_mem_ptr(&mem, BASE + RAM - 8, 9) == NULL);
	CHECK(guest_mem_ptr(&mem, 0, 1) == NULL);
	CHECK(guest_mem_ptr(&mem, UINT64_MAX, 1) == NULL);
	CHECK_EQ(guest_mem_top(&mem), BASE + RAM);
	CHECK_EQ(guest_mem_high_size(&mem), 0);
	CHECK_EQ(layout_fdt_addr(&mem), BASE + RAM - 0x10000);
}

TEST(riscv_linux_image_runs_at_ram_plus_text_offset)
{
	struct guest_mem mem;
	struct vm_config cfg;
	struct boot_state b;
	uint8_t img[4096];
	char *path;

	mem16(&mem);
	defaults(&cfg);
	linux_image(img, sizeof(img), 0x200000, 0x3000);
	path = temp_file(img, sizeof(img), "");
	CHECK_EQ(load(path, &cfg, &mem, &b), 0);
	CHECK_EQ(b.entry, BASE + 0x200000);
	CHECK_EQ(b.image_start, BASE + 0x200000);
	CHECK_EQ(b.image_end, BASE + 0x203000);
	CHECK_EQ(b.mode, CPU_MODE_RISCV_S);
	CHECK_MEM(ram + 0x200000, img, sizeof(img));
	CHECK_EQ(ram[0x200000 + sizeof(img)], 0);     /* the rest of image_size: zeroed */
	CHECK_EQ(ram[0x203000], 0xAA);                 /* and no further */
	CHECK_EQ(b.initrd_start, 0);
	/* Where Linux will map itself: breakpoints at its System.map addresses go in before paging. */
	CHECK_EQ(b.nvirt_map, 1);
	CHECK_EQ(b.virt_map[0].virt, 0xffffffff80000000ULL);
	CHECK_EQ(b.virt_map[0].phys, BASE + 0x200000);
	CHECK_EQ(b.virt_map[0].size, 0x3000);
	/* Its header says where it goes: --load-addr or --entry is refused, not ignored. */
	cfg.entry_set = true;
	cfg.entry = BASE;
	CHECK_EQ(load(path, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "--load-addr and --entry are for raw images; '") &&
	      strstr(err_message(), "' is loaded as linux, which says where it goes"));
	unlink(path);
	free(path);
}

TEST(riscv_initrd_sits_below_the_device_tree)
{
	struct guest_mem mem;
	struct vm_config cfg;
	struct boot_state b;
	uint8_t img[4096], rd[10000];
	char *kpath, *rpath;

	mem16(&mem);
	defaults(&cfg);
	linux_image(img, sizeof(img), 0x200000, 0x3000);
	memset(rd, 0x77, sizeof(rd));
	kpath = temp_file(img, sizeof(img), "");
	rpath = temp_file(rd, sizeof(rd), "");
	cfg.initrd = rpath;
	CHECK_EQ(load(kpath, &cfg, &mem, &b), 0);
	CHECK_EQ(b.initrd_end - b.initrd_start, sizeof(rd));
	CHECK_EQ(b.initrd_start % 4096, 0);
	CHECK(b.initrd_end <= layout_fdt_addr(&mem));
	CHECK(layout_fdt_addr(&mem) - b.initrd_start < sizeof(rd) + 4096);
	CHECK_MEM(ram + (b.initrd_start - BASE), rd, sizeof(rd));

	/* An initrd needs a Linux Image. */
	cfg.format = FORMAT_RAW;
	CHECK_EQ(load(kpath, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "--initrd needs a Linux Image") != NULL);
	unlink(kpath);
	unlink(rpath);
	free(kpath);
	free(rpath);
}

TEST(riscv_flat_binary_at_load_addr_and_entry)
{
	struct guest_mem mem;
	struct vm_config cfg;
	struct boot_state b;
	static const uint8_t code[] = { 0x6f, 0x00, 0x00, 0x00 }; /* j . */
	char *path = temp_file(code, sizeof(code), ".bin");

	mem16(&mem);
	defaults(&cfg);
	CHECK_EQ(load(path, &cfg, &mem, &b), 0);      /* *.bin: raw, at RAM's start */
	CHECK_EQ(b.entry, BASE);
	CHECK_MEM(ram, code, sizeof(code));
	cfg.load_addr_set = cfg.entry_set = true;
	cfg.load_addr = BASE + 0x200000;
	cfg.entry = BASE + 0x200004;
	CHECK_EQ(load(path, &cfg, &mem, &b), 0);
	CHECK_EQ(b.image_start, BASE + 0x200000);
	CHECK_EQ(b.entry, BASE + 0x200004);
	CHECK_MEM(ram + 0x200000, code, sizeof(code));

	/* Not in RAM, or over the device tree's room: refused, naming why. */
	cfg.load_addr = 0x1000;
	CHECK_EQ(load(path, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "is beyond guest RAM") != NULL);
	cfg.load_addr = BASE + RAM - 0x10000;
	CHECK_EQ(load(path, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "overlaps the device tree minikvm writes in the last 64 KiB") != NULL);
	unlink(path);
	free(path);
}

TEST(riscv_detects_formats_and_refuses_other_machines)
{
	struct guest_mem mem;
	struct vm_config cfg;
	struct boot_state b;
	uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	uint8_t junk[64] = { 1, 2, 3 };
	char *epath, *jpath;

	elf[16] = 2;  /* ET_EXEC */
	elf[18] = 62; /* EM_X86_64 */
	mem16(&mem);
	defaults(&cfg);
	epath = temp_file(elf, sizeof(elf), "");
	jpath = temp_file(junk, sizeof(junk), "");
	CHECK_EQ(load(epath, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "ELF machine 62 (x86-64) is not RISC-V; minikvm runs RISC-V guests"));
	elf[18] = 243; /* EM_RISCV */
	elf[4] = 1;    /* ELFCLASS32 */
	unlink(epath);
	free(epath);
	epath = temp_file(elf, sizeof(elf), "");
	CHECK_EQ(load(epath, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "ELF header is truncated") || strstr(err_message(), "rv32"));
	CHECK_EQ(load(jpath, &cfg, &mem, &b), -1);
	CHECK(strstr(err_message(), "use --format raw|elf|linux") != NULL);
	unlink(epath);
	unlink(jpath);
	free(epath);
	free(jpath);
}

static enum options_result parse(struct vm_config *cfg, const char **args)
{
	const char *argv[16] = { "minikvm" };
	int argc = 1;

	while (*args)
		argv[argc++] = *args++;
	return options_parse(argc, (char **)argv, cfg, stdout);
}

TEST(riscv_command_line_takes_its_formats_and_refuses_x86_options)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "--format", "raw", "x", NULL }), OPTIONS_RUN);
	CHECK_EQ(cfg.format, FORMAT_RAW);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--format", "linux", "x", NULL }), OPTIONS_RUN);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--format", "raw64", "x", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "unknown format 'raw64' (auto, raw, elf, linux)");
	CHECK_EQ(parse(&cfg, (const char *[]){ "--irqchip", "split", "x", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "x86 options") != NULL);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--module", "m", "x", NULL }), OPTIONS_ERROR);
}

/* The board's device tree (src/riscv/board.c) lands at the top of RAM, whole. */
TEST(riscv_board_tree_sits_in_its_room)
{
	static struct vm vm;
	static struct vm_config cfg;
	const uint8_t *fdt;
	uint32_t magic, size;

	CHECK_EQ(board_sample(&vm, &cfg), 0);
	CHECK_EQ(vm.arch.fdt_addr, BASE + SAMPLE_RAM - 0x10000);
	fdt = guest_mem_ptr(&vm.mem, vm.arch.fdt_addr, 0x10000);
	memcpy(&magic, fdt, 4);
	memcpy(&size, fdt + 4, 4);
	CHECK_EQ(be32toh(magic), 0xd00dfeed);
	CHECK(be32toh(size) > 0x100 && be32toh(size) <= 0x10000);
	CHECK(memmem(fdt, be32toh(size), "rv64imafdch", 12) != NULL);
	CHECK(memmem(fdt, be32toh(size), "console=ttyS0 earlycon=sbi", 27) != NULL);
	free(vm.mem.host);
}
