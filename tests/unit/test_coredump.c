/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "coredump.h"
#include "guest_mem.h"
#include "x86/core_regions.h"
#include "x86/paging.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM (3 * 4096)

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

TEST(coredump_elf_layout_notes_data_and_patches)
{
	static uint8_t ram[RAM];
	struct guest_mem mem;
	struct core_range ranges[2];
	struct core_patch patch = { 4096 + 5, 0x55 };
	uint8_t *notes = NULL, *f;
	size_t notes_len = 0, len = 0;
	char dir[] = "/tmp/minikvm-coredump-XXXXXX", path[64];
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	const Elf64_Nhdr *nh;

	memset(ram, 0, sizeof(ram));
	memcpy(ram + 4096, "guest data", 10);
	ram[4096 + 5] = 0xCC; /* a breakpoint the file must not show */
	guest_mem_wrap(&mem, ram, RAM);
	CHECK_EQ(coredump_ram_ranges(&mem, ranges), 1);
	CHECK_EQ(ranges[0].gpa, 0);
	CHECK_EQ(ranges[0].size, RAM);
	CHECK(coredump_add_note(&notes, &notes_len, "CORE", NT_PRSTATUS, "abcde", 5) == 0);
	CHECK_EQ(notes_len, 12 + 8 + 8); /* header, "CORE\0" padded, 5 bytes padded */

	struct core_layout c = { .machine = EM_X86_64, .mem = &mem, .ranges = ranges, .nranges = 1,
				 .notes = notes, .notes_len = notes_len, .patches = &patch,
				 .npatches = 1 };
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/core", dir);
	CHECK(coredump_write_file(dir, "core", &c) == 0);
	f = read_file(path, &len);
	CHECK(f != NULL);
	if (!f)
		goto out;
	CHECK_EQ(len, 4096 + RAM); /* headers and notes in the first page, then RAM (zeros as holes) */
	eh = (const Elf64_Ehdr *)f;
	CHECK_MEM(eh->e_ident, ELFMAG, SELFMAG);
	CHECK_EQ(eh->e_ident[EI_CLASS], ELFCLASS64);
	CHECK_EQ(eh->e_type, ET_CORE);
	CHECK_EQ(eh->e_machine, EM_X86_64);
	CHECK_EQ(eh->e_phnum, 2);
	ph = (const Elf64_Phdr *)(f + eh->e_phoff);
	CHECK_EQ(ph[0].p_type, PT_NOTE);
	CHECK_EQ(ph[0].p_filesz, notes_len);
	nh = (const Elf64_Nhdr *)(f + ph[0].p_offset);
	CHECK_EQ(nh->n_type, NT_PRSTATUS);
	CHECK_EQ(nh->n_descsz, 5);
	CHECK_MEM((const uint8_t *)(nh + 1), "CORE", 5);
	CHECK_MEM((const uint8_t *)(nh + 1) + 8, "abcde", 5);
	CHECK_EQ(ph[1].p_type, PT_LOAD);
	CHECK_EQ(ph[1].p_offset, 4096);
	CHECK_EQ(ph[1].p_paddr, 0);
	CHECK_EQ(ph[1].p_vaddr, 0);
	CHECK_EQ(ph[1].p_filesz, RAM);
	CHECK_MEM(f + 4096 + 4096, "guestUdata", 10); /* the patch, not the 0xCC */
	CHECK_EQ(ram[4096 + 5], 0xCC);                /* guest RAM itself untouched */
	CHECK_EQ(f[4096 + 2 * 4096 + 100], 0);
	free(f);
out:
	unlink(path);
	rmdir(dir);
	free(notes);
}

TEST(coredump_failure_leaves_no_file)
{
	static uint8_t ram[4096];
	struct guest_mem mem;
	struct core_range bad = { 0, 0, 2 * 4096 }; /* beyond RAM */
	char dir[] = "/tmp/minikvm-coredump-XXXXXX", path[64];
	struct stat st;

	guest_mem_wrap(&mem, ram, sizeof(ram));
	struct core_layout c = { .machine = EM_X86_64, .mem = &mem, .ranges = &bad, .nranges = 1 };
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/core", dir);
	CHECK_EQ(coredump_write_file(dir, "core", &c), -EFAULT);
	CHECK(stat(path, &st) < 0);
	CHECK(rmdir(dir) == 0); /* empty: the temporary file is gone too */
	snprintf(path, sizeof(path), "%s/no/such", dir);
	bad.size = 4096;
	CHECK_EQ(coredump_write_file(path, "core", &c), -ENOENT);
}

/*
 * A gdb client names the file (issue 19): only a plain name in the
 * directory, never a path out of it, never through a planted link, and
 * readable by this user only.
 */
TEST(coredump_file_is_a_plain_name_in_its_directory_mode_0600)
{
	static uint8_t ram[4096];
	static const char *const bad_names[] = { "../core", "a/core", ".core", "/tmp/core", "", "..",
						 "core\n", "a core" };
	struct guest_mem mem;
	struct core_range all = { 0, 0, sizeof(ram) };
	char dir[] = "/tmp/minikvm-coredump-XXXXXX", victim[] = "/tmp/minikvm-victim-XXXXXX";
	char path[96], tmp[96];
	struct stat st;
	uint8_t *f;
	size_t len = 0;
	int fd;

	memcpy(ram, "guest", 5);
	guest_mem_wrap(&mem, ram, sizeof(ram));
	struct core_layout c = { .machine = EM_X86_64, .mem = &mem, .ranges = &all, .nranges = 1 };
	CHECK(mkdtemp(dir) != NULL);
	for (unsigned i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		CHECK_EQ(coredump_write_file(dir, bad_names[i], &c), -EINVAL);
	/* A link planted at the temporary name, and one at the name itself. */
	fd = mkstemp(victim);
	CHECK(fd >= 0);
	CHECK(write(fd, "precious", 8) == 8);
	close(fd);
	snprintf(tmp, sizeof(tmp), "%s/.vm.core.%d.tmp", dir, (int)getpid());
	snprintf(path, sizeof(path), "%s/vm.core", dir);
	CHECK(symlink(victim, tmp) == 0);
	CHECK(symlink(victim, path) == 0);
	CHECK_EQ(coredump_write_file(dir, "vm.core", &c), 0);
	f = read_file(victim, &len);
	CHECK(f && len == 8 && memcmp(f, "precious", 8) == 0);
	free(f);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode)); /* the link at the name was replaced */
	CHECK_EQ(st.st_mode & 0777, 0600);
	f = read_file(path, &len);
	CHECK(f && len == 2 * 4096 && memcmp(f + 4096, "guest", 5) == 0);
	free(f);
	CHECK(unlink(tmp) == 0);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0); /* nothing else was written there */
	unlink(victim);
}

/* ---- the paging view (src/x86/coredump.c): aliases and work bounded ---- */

#define TABLES_RAM (4 << 20)

static void put_entry(struct guest_mem *m, uint64_t table, unsigned i, uint64_t e)
{
	guest_mem_write(m, table + i * 8ULL, &e, 8);
}

/* 4-level paging, the PML4 at 0x1000. */
static const struct paging_regs tables_regs = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20,
						 .efer = 0x500 };

/*
 * Three tables that map all of RAM 512 times: 64 PML4 entries name one
 * PDPT, 8 of its entries one PD, whose two 2 MiB pages are the 4 MiB of RAM.
 */
static void alias_tables(struct guest_mem *m)
{
	for (unsigned i = 0; i < 64; i++)
		put_entry(m, 0x1000, i, 0x2000 | 3);
	for (unsigned i = 0; i < 8; i++)
		put_entry(m, 0x2000, i, 0x3000 | 3);
	put_entry(m, 0x3000, 0, 0x000000 | 0x83);
	put_entry(m, 0x3000, 1, 0x200000 | 0x83);
}

TEST(coredump_paging_view_lists_each_page_at_most_twice)
{
	uint8_t *ram = calloc(1, TABLES_RAM);
	struct guest_mem mem;
	struct core_range *r = NULL;
	unsigned n = 0;
	uint64_t total = 0;

	guest_mem_wrap(&mem, ram, TABLES_RAM);
	alias_tables(&mem);
	CHECK_EQ(x86_core_virtual_ranges(&mem, &tables_regs, &r, &n), 0);
	for (unsigned i = 0; i < n; i++)
		total += r[i].size;
	/* Was 512 PT_LOADs, 2 GiB of file: now the first two mappings, by address. */
	CHECK(total <= CORE_MAX_ALIASES * (uint64_t)TABLES_RAM);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_EQ(r[0].vaddr, 0);
		CHECK_EQ(r[0].gpa, 0);
		CHECK_EQ(r[0].size, TABLES_RAM);
		CHECK_EQ(r[1].vaddr, 1ULL << 30);
		CHECK_EQ(r[1].gpa, 0);
		CHECK_EQ(r[1].size, TABLES_RAM);
	}
	free(r);
	free(ram);
}

TEST(coredump_refuses_more_than_the_aliases_allow)
{
	static uint8_t ram[4 * 4096];
	struct guest_mem mem;
	struct core_range r[CORE_MAX_ALIASES + 1];
	char path[] = "/tmp/minikvm-coredump-XXXXXX";
	struct stat st;
	int fd;

	guest_mem_wrap(&mem, ram, sizeof(ram));
	for (unsigned i = 0; i < CORE_MAX_ALIASES + 1; i++)
		r[i] = (struct core_range){ .gpa = 0, .vaddr = i * 0x100000ULL, .size = sizeof(ram) };
	struct core_layout c = { .machine = EM_X86_64, .mem = &mem, .ranges = r,
				 .nranges = CORE_MAX_ALIASES + 1 };
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(coredump_write_fd(fd, &c), -EFBIG);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0); /* refused before a byte is written */
	c.nranges = CORE_MAX_ALIASES;
	CHECK_EQ(coredump_write_fd(fd, &c), 0);
	close(fd);
	unlink(path);
}

struct regions_seen {
	unsigned n;
	struct gdb_mem_region r[4];
};

static int note_region(void *ctx, const struct gdb_mem_region *r)
{
	struct regions_seen *s = ctx;

	if (s->n < 4)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

/*
 * gcore's regions: a large page is one step, not 512 or 262144. 64 1 GiB
 * pages of no RAM and 64 PDs' worth (32768) of 2 MiB pages of one 2 MiB of
 * RAM used to cost 33 million page steps; now each page of RAM is looked
 * at no more than its listings (twice), and every other leaf costs O(1).
 */
TEST(coredump_regions_walk_leaves_not_pages)
{
	uint8_t *ram = calloc(1, TABLES_RAM);
	struct guest_mem mem;
	struct regions_seen s = { .n = 0 };
	uint64_t work = 0;

	guest_mem_wrap(&mem, ram, TABLES_RAM);
	put_entry(&mem, 0x1000, 0, 0x2000 | 3);
	for (unsigned i = 0; i < 64; i++)
		put_entry(&mem, 0x2000, i, ((1ULL << 40) + ((uint64_t)i << 30)) | 0x83);
	for (unsigned i = 64; i < 128; i++)
		put_entry(&mem, 0x2000, i, 0x3000 | 3);
	for (unsigned i = 0; i < 512; i++)
		put_entry(&mem, 0x3000, i, 0x000000 | 0x83);
	CHECK_EQ(x86_memory_regions(&mem, &tables_regs, note_region, &s, &work), 0);
	CHECK(work <= 2 * (2 << 20) / 4096);
	/* What is listed is as before: the first two mappings of that 2 MiB, merged. */
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.r[0].start, 64ULL << 30);
	CHECK_EQ(s.r[0].size, 4 << 20);
	CHECK(s.r[0].write && s.r[0].exec);
	free(ram);
}

TEST(coredump_regions_split_a_large_page_at_its_listed_part)
{
	uint8_t *ram = calloc(1, TABLES_RAM);
	struct guest_mem mem;
	struct regions_seen s = { .n = 0 };

	/* 4 KiB pages map the page at 1 MiB twice; then a 2 MiB page maps all of the first 2 MiB. */
	guest_mem_wrap(&mem, ram, TABLES_RAM);
	put_entry(&mem, 0x1000, 0, 0x2000 | 3);
	put_entry(&mem, 0x2000, 0, 0x3000 | 3);
	put_entry(&mem, 0x3000, 0, 0x4000 | 3);
	put_entry(&mem, 0x4000, 0, 0x100000 | 3);
	put_entry(&mem, 0x4000, 1, 0x100000 | 3);
	put_entry(&mem, 0x3000, 1, 0x000000 | 0x83);
	CHECK_EQ(x86_memory_regions(&mem, &tables_regs, note_region, &s, NULL), 0);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.r[0].start, 0);
	CHECK_EQ(s.r[0].size, 2 * 4096);
	/* The 2 MiB page without the page listed twice already: a hole at 3 MiB. */
	CHECK_EQ(s.r[1].start, 2 << 20);
	CHECK_EQ(s.r[1].size, 1 << 20);
	CHECK_EQ(s.r[2].start, (3 << 20) + 4096);
	CHECK_EQ(s.r[2].size, (1 << 20) - 4096);
	free(ram);
}
