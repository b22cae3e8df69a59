/* SPDX-License-Identifier: MIT */
/* The Linux loaders: bzImage (64-bit boot protocol) and vmlinux through PVH. */
#include "test.h"
#include "imagegen.h"
#include "error.h"
#include "loader/loader.h"
#include "x86/layout.h"

#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#define MIB (1ULL << 20)
#define SETUP_SECTS 7
#define KSIZE 0x3000

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A bzImage-shaped file: setup sectors with a header, then a recognisable payload. */
static uint8_t *bzimage(size_t *size)
{
	size_t setup = (SETUP_SECTS + 1) * 512;
	uint8_t *b = calloc(1, setup + KSIZE);

	b[0x1f1] = SETUP_SECTS;
	put16(b + 0x1fe, 0xAA55);
	b[0x200] = 0xEB;
	b[0x201] = 0x6A;               /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020F);      /* protocol 2.15 */
	b[0x211] = 0x01;               /* LOADED_HIGH */
	put32(b + 0x22c, 0x7FFFFFFF);  /* initrd_addr_max */
	put32(b + 0x230, 0x200000);    /* kernel_alignment */
	b[0x234] = 1;                  /* relocatable */
	put16(b + 0x236, 0x0001);      /* XLF_KERNEL_64 */
	put32(b + 0x238, 2047);        /* cmdline_size */
	put64(b + 0x258, 0x1000000);   /* pref_address */
	put32(b + 0x260, 0x100000);    /* init_size */
	for (size_t i = 0; i < KSIZE; i++)
		b[setup + i] = (uint8_t)(i * 7 + 1);
	*size = setup + KSIZE;
	return b;
}

static char rdfile_buf[64];

static const char *write_tmp(const void *data, size_t len)
{
	FILE *f;

	snprintf(rdfile_buf, sizeof(rdfile_buf), "/tmp/minikvm-test-initrd-%d", (int)getpid());
	f = fopen(rdfile_buf, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	return rdfile_buf;
}

TEST(linux_bzimage_boot_params)
{
	size_t size;
	uint8_t *k = bzimage(&size);
	struct image img = testimage("vmlinuz", k, size);
	struct guest_mem mem;
	struct boot_state boot;
	struct vm_config cfg = { .append = "console=ttyS0 root=/dev/ram" };
	uint8_t rd[10000];

	memset(rd, 0x5A, sizeof(rd));
	cfg.initrd = write_tmp(rd, sizeof(rd));
	testmem_new(&mem, 64 * MIB, 0);
	CHECK(linux_is_bzimage(&img));
	CHECK_EQ(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot), 0);
	CHECK_EQ(boot.mode, CPU_MODE_LONG64);
	CHECK(boot.image_64bit);
	CHECK_EQ(boot.entry, 0x1000000 + 0x200);
	CHECK_EQ(boot.rsi, LAYOUT_BOOTINFO);
	/* Linux's kernel text mapping: 1 GiB from __START_KERNEL_map at physical 0. */
	CHECK_EQ(boot.nvirt_map, 1);
	CHECK_EQ(boot.virt_map[0].virt, 0xffffffff80000000ULL);
	CHECK_EQ(boot.virt_map[0].phys, 0);
	CHECK_EQ(boot.virt_map[0].size, 1ULL << 30);
	CHECK_MEM(guest_mem_ptr(&mem, 0x1000000, KSIZE), k + (SETUP_SECTS + 1) * 512, KSIZE);
	/* the header is copied, then the loader's fields are filled in */
	CHECK_EQ(rd16(&mem, LAYOUT_BOOTINFO + 0x1fe), 0xAA55);
	CHECK_EQ(rd32(&mem, LAYOUT_BOOTINFO + 0x202), 0x53726448); /* "HdrS" */
	CHECK_EQ(rd8(&mem, LAYOUT_BOOTINFO + 0x210), 0xFF);        /* type_of_loader */
	CHECK(rd8(&mem, LAYOUT_BOOTINFO + 0x211) & 0x80);          /* CAN_USE_HEAP */
	CHECK_STR(rdstr(&mem, rd32(&mem, LAYOUT_BOOTINFO + 0x228)), "console=ttyS0 root=/dev/ram");
	/* initrd: as high as RAM allows, page aligned, bytes intact */
	uint32_t ri = rd32(&mem, LAYOUT_BOOTINFO + 0x218);
	CHECK_EQ(rd32(&mem, LAYOUT_BOOTINFO + 0x21c), sizeof(rd));
	CHECK_EQ(ri & 0xFFF, 0);
	CHECK(ri + sizeof(rd) <= 64 * MIB && ri + sizeof(rd) > 64 * MIB - 0x1000 - sizeof(rd));
	CHECK_MEM(guest_mem_ptr(&mem, ri, sizeof(rd)), rd, sizeof(rd));
	/* e820 == the layout's memory map; ACPI RSDP address given */
	struct memmap_entry map[MEMMAP_MAX];
	int n = layout_memmap(&mem, map, MEMMAP_MAX);
	CHECK_EQ(rd8(&mem, LAYOUT_BOOTINFO + 0x1e8), n);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(rd64(&mem, LAYOUT_BOOTINFO + 0x2d0 + 20 * i), map[i].addr);
		CHECK_EQ(rd64(&mem, LAYOUT_BOOTINFO + 0x2d0 + 20 * i + 8), map[i].len);
		CHECK_EQ(rd32(&mem, LAYOUT_BOOTINFO + 0x2d0 + 20 * i + 16), map[i].type);
	}
	CHECK_EQ(rd64(&mem, LAYOUT_BOOTINFO + 0x70), 0xE0000);
	unlink(cfg.initrd);
	testmem_free(&mem);
	free(k);
}

TEST(linux_bzimage_rejects)
{
	size_t size;
	uint8_t *k = bzimage(&size);
	struct image img = testimage("vmlinuz", k, size);
	struct guest_mem mem;
	struct boot_state boot;
	struct vm_config cfg = { 0 };

	testmem_new(&mem, 64 * MIB, 0);
	put16(k + 0x206, 0x0204);
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("boot protocol 2.04 is too old"));
	put16(k + 0x206, 0x020F);
	put16(k + 0x236, 0);
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("no 64-bit entry point"));
	put16(k + 0x236, 1);
	k[0x211] = 0;
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("zImage"));
	k[0x211] = 1;
	img.size = 0x400; /* cut inside the setup sectors */
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("truncated"));
	img.size = size;
	testmem_free(&mem);
	testmem_new(&mem, 8 * MIB, 0); /* the kernel wants 16 MiB + 1 MiB */
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("beyond guest RAM"));
	testmem_free(&mem);
	/* a command line longer than the kernel's cmdline_size */
	testmem_new(&mem, 64 * MIB, 0);
	char *longcmd = malloc(3000);
	memset(longcmd, 'x', 2999);
	longcmd[2999] = 0;
	cfg.append = longcmd;
	CHECK(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("command line"));
	free(longcmd);
	testmem_free(&mem);
	free(k);
}

/* An ELF64 vmlinux-shaped file with one PT_LOAD at 16 MiB and a PVH note. */
static uint8_t *pvh_elf(size_t *size, bool with_note)
{
	const size_t sz = 0x3000;
	uint8_t *b = calloc(1, sz);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof(*eh));

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0xffffffff81000000ULL;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0].p_type = PT_LOAD;
	ph[0].p_offset = 0x1000;
	ph[0].p_vaddr = 0xffffffff81000000ULL;
	ph[0].p_paddr = 0x1000000;
	ph[0].p_filesz = 0x1000;
	ph[0].p_memsz = 0x2000;
	ph[1].p_type = PT_NOTE;
	ph[1].p_offset = 0x2000;
	ph[1].p_filesz = 12 + 4 + 8 + 12 + 4 + 4;
	/* a note we must skip, then XEN_ELFNOTE_PHYS32_ENTRY (18) */
	uint8_t *n = b + 0x2000;
	put32(n, 4); put32(n + 4, 8); put32(n + 8, 5); memcpy(n + 12, "Xen", 4);
	n += 12 + 4 + 8;
	put32(n, 4); put32(n + 4, 4); put32(n + 8, with_note ? 18 : 19); memcpy(n + 12, "Xen", 4);
	put32(n + 16, 0x1000850);
	memset(b + 0x1000, 0x90, 0x1000);
	*size = sz;
	return b;
}

TEST(linux_pvh_note_and_start_info)
{
	size_t size;
	uint8_t *k = pvh_elf(&size, true);
	struct image img = testimage("vmlinux", k, size);
	struct guest_mem mem;
	struct boot_state boot;
	struct vm_config cfg = { .append = "nokaslr" };
	uint8_t rd[5000];

	memset(rd, 0x77, sizeof(rd));
	cfg.initrd = write_tmp(rd, sizeof(rd));
	CHECK_EQ(linux_pvh_entry(&img), 0x1000850);
	testmem_new(&mem, 64 * MIB, 0);
	CHECK_EQ(linux_load_pvh(&img, &cfg, NULL, &mem, &boot), 0);
	CHECK_EQ(boot.mode, CPU_MODE_PROT32);
	CHECK(boot.image_64bit);
	CHECK_EQ(boot.entry, 0x1000850);
	CHECK_EQ(boot.rbx, LAYOUT_BOOTINFO);
	uint64_t si = LAYOUT_BOOTINFO;
	CHECK_EQ(rd32(&mem, si), 0x336ec578);
	CHECK_EQ(rd32(&mem, si + 4), 1);
	CHECK_EQ(rd32(&mem, si + 12), 1); /* the initrd as module 0 */
	uint64_t mod = rd64(&mem, si + 16);
	CHECK_MEM(guest_mem_ptr(&mem, rd64(&mem, mod), sizeof(rd)), rd, sizeof(rd));
	CHECK_EQ(rd64(&mem, mod + 8), sizeof(rd));
	CHECK_STR(rdstr(&mem, rd64(&mem, si + 24)), "nokaslr");
	CHECK_EQ(rd64(&mem, si + 32), 0xE0000);
	struct memmap_entry map[MEMMAP_MAX];
	int n = layout_memmap(&mem, map, MEMMAP_MAX);
	CHECK_EQ(rd32(&mem, si + 48), n);
	CHECK_EQ(rd64(&mem, rd64(&mem, si + 40) + 24 * (n - 1)), map[n - 1].addr);
	CHECK_EQ(rd8(&mem, 0x1000000), 0x90);
	CHECK_EQ(rd8(&mem, 0x1001000), 0);    /* bss zeroed */
	/* Where the kernel will map itself, for breakpoints before it does. */
	CHECK_EQ(boot.nvirt_map, 1);
	CHECK_EQ(boot.virt_map[0].virt, 0xffffffff81000000ULL);
	CHECK_EQ(boot.virt_map[0].phys, 0x1000000);
	CHECK_EQ(boot.virt_map[0].size, 0x2000);
	unlink(cfg.initrd);
	testmem_free(&mem);
	free(k);

	k = pvh_elf(&size, false);
	img = testimage("vmlinux", k, size);
	CHECK_EQ(linux_pvh_entry(&img), 0);
	testmem_new(&mem, 64 * MIB, 0);
	CHECK(linux_load_pvh(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK(err_has("no PVH entry note"));
	testmem_free(&mem);
	/* a note header pointing past the end of its segment is not followed */
	put32(k + 0x2000 + 24 + 4, 0x7fffffff);
	CHECK_EQ(linux_pvh_entry(&img), 0);
	free(k);
}

/* The user's words, then the caller's, whole; too long together is an error. */
TEST(linux_cmdline_user_then_extra)
{
	size_t size;
	uint8_t *k = bzimage(&size);
	struct image img = testimage("vmlinuz", k, size);
	struct guest_mem mem;
	struct boot_state boot;
	struct vm_config cfg = { .append = "console=ttyS0 nokaslr" };
	const char *extra = "noxsave clearcpuid=popcnt,cx16";
	char *longcmd;

	testmem_new(&mem, 64 * MIB, 0);
	CHECK_EQ(linux_load_bzimage(&img, &cfg, extra, &mem, &boot), 0);
	CHECK_STR(rdstr(&mem, rd32(&mem, LAYOUT_BOOTINFO + 0x228)),
		  "console=ttyS0 nokaslr noxsave clearcpuid=popcnt,cx16");
	CHECK_EQ(linux_load_bzimage(&img, &cfg, "", &mem, &boot), 0);
	CHECK_STR(rdstr(&mem, rd32(&mem, LAYOUT_BOOTINFO + 0x228)), "console=ttyS0 nokaslr");
	cfg.append = NULL;
	CHECK_EQ(linux_load_bzimage(&img, &cfg, extra, &mem, &boot), 0);
	CHECK_STR(rdstr(&mem, rd32(&mem, LAYOUT_BOOTINFO + 0x228)), extra);
	CHECK_EQ(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot), 0);
	CHECK_STR(rdstr(&mem, rd32(&mem, LAYOUT_BOOTINFO + 0x228)), "");

	/* cmdline_size is 2047: 2000 bytes fit alone, not with the extra words. */
	longcmd = malloc(2001);
	memset(longcmd, 'x', 2000);
	longcmd[2000] = 0;
	cfg.append = longcmd;
	CHECK_EQ(linux_load_bzimage(&img, &cfg, NULL, &mem, &boot), 0);
	CHECK(linux_load_bzimage(&img, &cfg, "noxsave clearcpuid=popcnt,movbe,aes,pclmulqdq,ssse3,"
				 "sse4_1,sse4_2", &mem, &boot) < 0);
	CHECK_STR(err_message(), "the kernel command line (2066 bytes) is longer than the 2047 "
		  "bytes this kernel accepts");
	free(longcmd);
	testmem_free(&mem);
	free(k);

	/* PVH: the same line, through hvm_start_info. */
	k = pvh_elf(&size, true);
	img = testimage("vmlinux", k, size);
	cfg.append = "nokaslr";
	testmem_new(&mem, 64 * MIB, 0);
	CHECK_EQ(linux_load_pvh(&img, &cfg, extra, &mem, &boot), 0);
	CHECK_STR(rdstr(&mem, rd64(&mem, LAYOUT_BOOTINFO + 24)),
		  "nokaslr noxsave clearcpuid=popcnt,cx16");
	testmem_free(&mem);
	free(k);
}

/*
 * The initrd goes at the top of RAM; in a small guest that can be over the
 * EBDA and ACPI tables (which the VMM writes later) unless it is checked like
 * every other piece a loader places.
 */
TEST(linux_pvh_initrd_must_not_overlap_reserved_memory)
{
	size_t size;
	uint8_t *k = pvh_elf(&size, true);
	Elf64_Phdr *ph = (Elf64_Phdr *)(k + sizeof(Elf64_Ehdr));
	struct image img = testimage("vmlinux", k, size);
	struct guest_mem mem;
	struct boot_state boot;
	struct vm_config cfg = { 0 };
	size_t rdsize = 1536 * 1024;
	uint8_t *rd = malloc(rdsize);

	ph[0].p_paddr = 0x10000; /* a small kernel low in RAM */
	memset(rd, 0x42, rdsize);
	cfg.initrd = write_tmp(rd, rdsize);
	testmem_new(&mem, 2 * MIB, 0);
	CHECK(linux_load_pvh(&img, &cfg, NULL, &mem, &boot) < 0);
	CHECK_EQ(err_status(), EXIT_USAGE);
	CHECK(err_has("initrd"));
	CHECK(err_has("overlaps memory minikvm reserves"));
	CHECK(!strchr(err_message(), '\n'));
	CHECK_EQ(rd8(&mem, LAYOUT_EBDA), 0); /* nothing written over the EBDA */
	testmem_free(&mem);

	/* With enough RAM it goes high, clear of everything. */
	testmem_new(&mem, 8 * MIB, 0);
	CHECK_EQ(linux_load_pvh(&img, &cfg, NULL, &mem, &boot), 0);
	CHECK_EQ(rd64(&mem, rd64(&mem, LAYOUT_BOOTINFO + 16)), 8 * MIB - 1536 * 1024);
	testmem_free(&mem);
	unlink(cfg.initrd);
	free(rd);
	free(k);
}
