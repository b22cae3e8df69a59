/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "../../src/error.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1ULL << 20)

/* A scratch directory per test, removed with everything in it. */
static char dir[64];

static void scratch_begin(void)
{
	snprintf(dir, sizeof(dir), "/tmp/minikvm-test-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void scratch_end(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Write a file in the scratch directory; returns its path (static buffer per slot). */
static const char *put_file(int slot, const char *name, const void *data, size_t size)
{
	static char paths[4][128];
	FILE *f;

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
	f = fopen(paths[slot], "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return paths[slot];
}

TEST(image_read_errors)
{
	struct image img;
	char expect[256];
	const char *p;

	scratch_begin();
	snprintf(expect, sizeof(expect), "%s/nope", dir);
	CHECK(image_read(&img, expect) < 0);
	snprintf(expect, sizeof(expect),
		 "cannot read guest image '%s/nope': No such file or directory", dir);
	CHECK_STR(err_message(), expect);
	CHECK_EQ(err_status(), EXIT_USAGE);

	CHECK(image_read(&img, dir) < 0);
	snprintf(expect, sizeof(expect), "cannot read guest image '%s': Is a directory", dir);
	CHECK_STR(err_message(), expect);

	p = put_file(0, "empty.bin", "", 0);
	CHECK(image_read(&img, p) < 0);
	snprintf(expect, sizeof(expect), "guest image '%s' is empty", p);
	CHECK_STR(err_message(), expect);

	if (geteuid() != 0) {                    /* root reads anything */
		p = put_file(0, "secret.bin", "x", 1);
		chmod(p, 0);
		CHECK(image_read(&img, p) < 0);
		CHECK(err_has("Permission denied"));
	}
	scratch_end();
}

TEST(image_read_whole_file)
{
	static uint8_t data[200000];
	struct image img;
	const char *p;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	scratch_begin();
	p = put_file(0, "big.img", data, sizeof(data));
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(img.size, sizeof(data));
	CHECK_STR(img.path, p);
	CHECK(img.data && memcmp(img.data, data, sizeof(data)) == 0);
	image_free(&img);
	image_free(&img);                        /* twice is harmless */
	CHECK(img.data == NULL);
	scratch_end();
}

TEST(loader_detect_formats)
{
	uint8_t buf[256] = { 0 };
	struct image img = testimage("guest.img", buf, sizeof(buf));
	struct elfgen_seg seg = { .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16,
				  .data = buf, .filesz = 16 };
	size_t size;
	uint8_t *elf;

	CHECK_EQ(loader_detect(&img), FORMAT_AUTO);
	img.path = "boot.bin";
	CHECK_EQ(loader_detect(&img), FORMAT_RAW16);
	img.path = "bin";
	CHECK_EQ(loader_detect(&img), FORMAT_AUTO);

	elf = elfgen(true, EM_X86_64, MIB, &seg, 1, &size);
	img = testimage("kernel.bin", elf, size);     /* the magic wins over the name */
	CHECK_EQ(loader_detect(&img), FORMAT_ELF);
	free(elf);

	/* A multiboot header inside an ELF file makes it a multiboot kernel. */
	mbgen_header(buf, 0, NULL);
	elf = elfgen(false, EM_386, MIB, &seg, 1, &size);
	img = testimage("kernel", elf, size);
	CHECK_EQ(loader_detect(&img), FORMAT_MULTIBOOT);
	free(elf);
}

TEST(loader_load_dispatch_and_errors)
{
	static const uint8_t code[4] = { 0xeb, 0xfe, 0x90, 0x90 };
	struct vm_config cfg = { .format = FORMAT_AUTO };
	struct guest_mem mem;
	struct boot_state boot;
	char expect[256];

	scratch_begin();
	testmem_new(&mem, 4 * MIB, 0);

	cfg.image = put_file(0, "hello.bin", code, sizeof(code));
	CHECK_EQ(loader_load(&cfg, &mem, &boot, NULL), 0);
	CHECK_EQ(boot.mode, CPU_MODE_REAL16);
	CHECK_MEM(guest_mem_ptr(&mem, 0x7C00, 4), code, 4);

	cfg.format = FORMAT_RAW64;
	CHECK_EQ(loader_load(&cfg, &mem, &boot, NULL), 0);
	CHECK_EQ(boot.mode, CPU_MODE_LONG64);
	CHECK_MEM(guest_mem_ptr(&mem, MIB, 4), code, 4);

	cfg.format = FORMAT_AUTO;
	cfg.image = put_file(0, "hello.img", code, sizeof(code));
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	snprintf(expect, sizeof(expect), "cannot tell the format of '%s'; "
		 "use --format raw16|raw32|raw64|elf|multiboot|linux|pvh", cfg.image);
	CHECK_STR(err_message(), expect);

	/* A format loader's message is prefixed with the image's name. */
	cfg.format = FORMAT_ELF;
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	snprintf(expect, sizeof(expect), "%s: not an ELF file", cfg.image);
	CHECK(err_has(expect));

	/* --module with anything but a multiboot kernel. */
	cfg.format = FORMAT_RAW32;
	cfg.modules[0] = "whatever";
	cfg.nmodules = 1;
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	CHECK(err_has("--module needs a multiboot kernel"));

	testmem_free(&mem);
	scratch_end();
}

TEST(loader_load_multiboot_with_modules)
{
	uint8_t kernel[0x200] = { 0 };
	const uint32_t addrs[5] = { 0x100010, 0x100000, 0, 0, 0x100020 };
	struct vm_config cfg = { .format = FORMAT_AUTO, .append = "quiet" };
	struct guest_mem mem;
	struct boot_state boot;
	char expect[256];

	mbgen_header(kernel + 0x10, 0x10000, addrs);
	scratch_begin();
	testmem_new(&mem, 4 * MIB, 0);
	cfg.image = put_file(0, "kernel", kernel, sizeof(kernel));
	cfg.modules[0] = put_file(1, "mod0", "MODULE-ZERO", 11);
	cfg.modules[1] = put_file(2, "mod1", "MODULE-ONE", 10);
	cfg.nmodules = 2;
	CHECK_EQ(loader_load(&cfg, &mem, &boot, NULL), 0);
	CHECK_EQ(boot.rax, 0x2BADB002);
	CHECK_EQ(rd32(&mem, boot.rbx + 20), 2);
	CHECK_MEM(guest_mem_ptr(&mem, 0x101000, 11), "MODULE-ZERO", 11);
	CHECK_MEM(guest_mem_ptr(&mem, 0x102000, 10), "MODULE-ONE", 10);
	CHECK_STR(rdstr(&mem, rd32(&mem, rd32(&mem, boot.rbx + 24) + 8)), cfg.modules[0]);

	/* A module that cannot be read is named as a module. */
	snprintf(expect, sizeof(expect), "%s/missing", dir);
	cfg.modules[1] = expect;
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	CHECK(err_has("cannot read module '"));
	CHECK(err_has("/missing': No such file or directory"));
	testmem_free(&mem);
	scratch_end();
}
