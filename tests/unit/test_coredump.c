/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "coredump.h"
#include "guest_mem.h"

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
	CHECK(coredump_write_file(path, &c) == 0);
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
	CHECK_EQ(coredump_write_file(path, &c), -EFAULT);
	CHECK(stat(path, &st) < 0);
	CHECK(rmdir(dir) == 0); /* empty: the temporary file is gone too */
	snprintf(path, sizeof(path), "%s/no/such/core", dir);
	bad.size = 4096;
	CHECK_EQ(coredump_write_file(path, &c), -ENOENT);
}
