/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "error.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	static uint8_t back[sizeof(data)];
	uint8_t head[16];

	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(img.size, sizeof(data));
	CHECK_STR(img.path, p);
	CHECK_EQ(image_copy(&img, 0, sizeof(back), back), 0);
	CHECK_MEM(back, data, sizeof(data));
	CHECK_EQ(image_copy(&img, 1000, 3, back), 0);
	CHECK_MEM(back, data + 1000, 3);
	CHECK(image_copy(&img, sizeof(data) - 2, 3, back) < 0);   /* past the end */
	CHECK(err_has("past its end"));
	image_free(&img);
	image_free(&img);                        /* twice is harmless */
	CHECK(img.data == NULL && img.size == 0);

	/* A pipe has no size to go by: read whole. */
	snprintf((char *)back, sizeof(back), "printf 'pipe-bytes' > '%s/fifo' &", dir);
	p = put_file(1, "fifo", "", 0);
	unlink(p);
	CHECK_EQ(mkfifo(p, 0600), 0);
	CHECK_EQ(system((const char *)back), 0);
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(img.size, 10);
	CHECK_EQ(image_head(&img, head, sizeof(head)), 10);
	CHECK_MEM(head, "pipe-bytes\0\0\0\0\0", 16);
	image_free(&img);
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

/* --load-addr and --entry place a raw image; an image that says where it goes refuses them. */
TEST(loader_load_addr_and_entry_only_for_raw_images)
{
	static const uint8_t code[4] = { 0xeb, 0xfe, 0x90, 0x90 };
	uint8_t mb[0x200] = { 0 };
	struct elfgen_seg seg = { .type = PT_LOAD, .vaddr = MIB, .paddr = MIB, .memsz = 16,
				  .data = code, .filesz = sizeof(code) };
	struct vm_config cfg = { .format = FORMAT_AUTO, .entry_set = true, .entry = 0x7c02 };
	struct guest_mem mem;
	struct boot_state boot;
	char expect[256];
	size_t size;
	uint8_t *elf;

	scratch_begin();
	testmem_new(&mem, 4 * MIB, 0);
	/* raw16 (a .bin): honoured. */
	cfg.image = put_file(0, "boot.bin", code, sizeof(code));
	CHECK_EQ(loader_load(&cfg, &mem, &boot, NULL), 0);
	CHECK_EQ(boot.entry, 0x7c02);

	/* An ELF file found by --format auto, as by --format elf. */
	elf = elfgen(true, EM_X86_64, MIB, &seg, 1, &size);
	cfg.image = put_file(0, "kernel.elf", elf, size);
	free(elf);
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	snprintf(expect, sizeof(expect), "--load-addr and --entry are for raw images; '%s' is "
		 "loaded as elf, which says where it goes", cfg.image);
	CHECK_STR(err_message(), expect);
	CHECK_EQ(err_status(), EXIT_USAGE);
	cfg.format = FORMAT_ELF;
	cfg.entry_set = false;
	cfg.load_addr_set = true;
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	CHECK_STR(err_message(), expect);
	/* ... but the same file taken as raw64 is placed where asked. */
	cfg.format = FORMAT_RAW64;
	cfg.load_addr = 2 * MIB;
	CHECK_EQ(loader_load(&cfg, &mem, &boot, NULL), 0);
	CHECK_EQ(boot.entry, 2 * MIB);

	/* A multiboot kernel. */
	mbgen_header(mb, 0, NULL);
	cfg.format = FORMAT_AUTO;
	cfg.image = put_file(0, "kernel.mb", mb, sizeof(mb));
	CHECK(loader_load(&cfg, &mem, &boot, NULL) < 0);
	CHECK(err_has("is loaded as multiboot, which says where it goes"));

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

/*
 * Load img in a child process and tell how that went: 0 when the loader
 * returned an error naming the shrunken file, 1 when it loaded (wrong),
 * 2 for any other error, 128 + N when a signal N (SIGBUS) killed it.
 */
static int load_in_child(const struct image *img, enum image_format fmt)
{
	struct vm_config cfg = { .format = fmt };
	struct guest_mem mem;
	struct boot_state boot;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int ret;

		testmem_new(&mem, 4 * MIB, 0);
		if (fmt == FORMAT_ELF)
			ret = elf_load(img, &mem, &boot);
		else if (fmt == FORMAT_MULTIBOOT)
			ret = multiboot_load(img, &cfg, NULL, 0, &mem, &boot);
		else
			ret = raw_load(img, fmt, &cfg, &mem, &boot);
		_exit(ret == 0 ? 1 : err_has("shrank") ? 0 : 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/*
 * A file cut short after it was read (another program rewriting it while
 * minikvm starts) is an error, never a SIGBUS from touching a mapping
 * past the file's new end, nor bytes read from beyond it.
 */
TEST(loader_file_truncated_after_read_is_an_error)
{
	static uint8_t code[0x3000];
	struct elfgen_seg seg = { .type = PT_LOAD, .vaddr = MIB, .paddr = MIB,
				  .memsz = sizeof(code), .data = code, .filesz = sizeof(code) };
	const uint32_t addrs[5] = { 0x100010, 0x100000, 0, 0, 0x100020 };
	struct image img;
	const char *p;
	size_t size;
	uint8_t *elf;

	memset(code, 0x90, sizeof(code));
	scratch_begin();

	elf = elfgen(true, EM_X86_64, MIB, &seg, 1, &size);
	p = put_file(0, "k.elf", elf, size);
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(truncate(p, 4096), 0);       /* headers stay, segment bytes go */
	CHECK_EQ(load_in_child(&img, FORMAT_ELF), 0);
	image_free(&img);
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(truncate(p, 16), 0);         /* the headers go too */
	CHECK_EQ(load_in_child(&img, FORMAT_ELF), 0);
	image_free(&img);
	free(elf);

	p = put_file(0, "raw.bin", code, sizeof(code));
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(truncate(p, 4096), 0);
	CHECK_EQ(load_in_child(&img, FORMAT_RAW32), 0);
	image_free(&img);

	mbgen_header(code + 0x10, 0x10000, addrs);
	p = put_file(0, "mb.bin", code, sizeof(code));
	CHECK_EQ(image_read(&img, p), 0);
	CHECK_EQ(truncate(p, 4096), 0);
	CHECK_EQ(load_in_child(&img, FORMAT_MULTIBOOT), 0);
	image_free(&img);
	scratch_end();
}
