/* SPDX-License-Identifier: MIT */
/*
 * Guest core files; see coredump.h. The arch gives its part (the notes of
 * each vCPU, the paging view of RAM) through arch.h; it puts its notes
 * through the core_note_writer it is handed, so calls go one way only:
 * from here to the arch. Facts: the System V ABI's ELF chapter
 * (ELF header, program headers, note format: namesz, descsz, type, then
 * name and descriptor, each padded to 4 bytes) and elf(5).
 */
#include "coredump.h"
#include "arch.h"
#include "guest_mem.h"
#include "host_file.h"
#include "vcpu.h"
#include "vm.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CORE_PAGE  4096ULL
#define CHUNK      (1ULL << 20) /* bytes of RAM copied and written at a time */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int coredump_add_note(uint8_t **buf, size_t *len, const char *name, uint32_t type,
		      const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1;
	size_t size = sizeof(Elf64_Nhdr) + align_up(namesz, 4) + align_up(desc_len, 4);
	Elf64_Nhdr h = { .n_namesz = (Elf64_Word)namesz, .n_descsz = (Elf64_Word)desc_len,
			 .n_type = type };
	uint8_t *p = realloc(*buf, *len + size);

	if (!p)
		return -ENOMEM;
	*buf = p;
	p += *len;
	memset(p, 0, size);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), name, namesz);
	memcpy(p + sizeof(h) + align_up(namesz, 4), desc, desc_len);
	*len += size;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* One chunk of a range at file offset off; runs of zero pages are left as holes. */
static int write_chunk(int fd, const struct core_layout *c, uint64_t gpa, uint8_t *buf,
		       uint64_t len, uint64_t off)
{
	const uint8_t *src = guest_mem_ptr(c->mem, gpa, len);
	uint64_t run = 0, pos;

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	for (unsigned i = 0; i < c->npatches; i++)
		if (c->patches[i].gpa >= gpa && c->patches[i].gpa - gpa < len)
			buf[c->patches[i].gpa - gpa] = c->patches[i].byte;
	/* run: where the current stretch of non-zero pages began. */
	for (pos = 0; pos < len; pos += CORE_PAGE) {
		uint64_t n = len - pos < CORE_PAGE ? len - pos : CORE_PAGE;

		if (!page_is_zero(buf + pos, n))
			continue;
		if (pos > run) {
			int r = write_all(fd, buf + run, pos - run, off + run);

			if (r < 0)
				return r;
		}
		run = pos + n;
	}
	return run < len ? write_all(fd, buf + run, len - run, off + run) : 0;
}

/* An ET_CORE header: the program headers follow it, one PT_NOTE and a PT_LOAD per range. */
static void elf_header(Elf64_Ehdr *eh, const struct core_layout *c)
{
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = c->machine;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)(c->nranges + 1);
}

int coredump_write_fd(int fd, const struct core_layout *c)
{
	size_t phdrs_size = (c->nranges + 1) * sizeof(Elf64_Phdr);
	uint64_t notes_off = sizeof(Elf64_Ehdr) + phdrs_size;
	uint64_t data_off = align_up(notes_off + c->notes_len, CORE_PAGE);
	uint8_t *head, *buf = NULL;
	Elf64_Phdr *ph;
	uint64_t total = 0;
	int r = 0;

	if (c->nranges > 65534)
		return -E2BIG; /* e_phnum is 16 bits (and PN_XNUM means "look elsewhere") */
	for (unsigned i = 0; i < c->nranges; i++) {
		if (c->ranges[i].size > c->mem->size)
			return -EFAULT; /* not in guest RAM; and the sum cannot overflow */
		total += c->ranges[i].size;
	}
	if (total > CORE_MAX_ALIASES * c->mem->size)
		return -EFBIG; /* more copies of RAM than a core holds: refused before writing */
	head = calloc(1, notes_off + c->notes_len);
	if (!head)
		return -ENOMEM;
	elf_header((Elf64_Ehdr *)head, c);

	ph = (Elf64_Phdr *)(head + sizeof(Elf64_Ehdr));
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off,
			      .p_filesz = c->notes_len, .p_align = 4 };
	for (unsigned i = 0; i < c->nranges; i++) {
		const struct core_range *rg = &c->ranges[i];

		if (!guest_mem_ptr(c->mem, rg->gpa, rg->size)) {
			r = -EFAULT;
			goto out;
		}
		ph[i + 1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
					  .p_offset = data_off, .p_vaddr = rg->vaddr,
					  .p_paddr = rg->gpa, .p_filesz = rg->size,
					  .p_memsz = rg->size, .p_align = CORE_PAGE };
		data_off = align_up(data_off + rg->size, CORE_PAGE);
	}
	if (c->notes_len)
		memcpy(head + notes_off, c->notes, c->notes_len);
	r = write_all(fd, head, notes_off + c->notes_len, 0);
	if (r < 0)
		goto out;

	buf = malloc(CHUNK);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < c->nranges && r == 0; i++) {
		const struct core_range *rg = &c->ranges[i];

		for (uint64_t done = 0; done < rg->size && r == 0; done += CHUNK) {
			uint64_t n = rg->size - done < CHUNK ? rg->size - done : CHUNK;

			r = write_chunk(fd, c, rg->gpa + done, buf, n, ph[i + 1].p_offset + done);
		}
	}
	/* The holes at the end (zero pages not written) still belong to the file. */
	if (r == 0 && ftruncate(fd, (off_t)data_off) < 0)
		r = -errno;
out:
	free(buf);
	free(head);
	return r;
}

static int fill_core(int fd, void *ctx)
{
	return coredump_write_fd(fd, ctx);
}

int coredump_write_file(const char *dir, const char *name, const struct core_layout *c)
{
	/* host_file.h: mode 0600 (all of the guest's memory), never through a planted link. */
	return host_file_write(dir, name, fill_core, (void *)c);
}

/* The notes buffer behind a core_note_writer. */
struct note_buf {
	uint8_t *data;
	size_t len;
};

static int add_to_buf(void *ctx, const char *name, uint32_t type, const void *desc, size_t desc_len)
{
	struct note_buf *b = ctx;

	return coredump_add_note(&b->data, &b->len, name, type, desc, desc_len);
}

int coredump_vm(struct vm *vm, const char *dir, const char *name, bool paging, unsigned sel,
		const struct core_patch *patches, unsigned npatches, char *msg, size_t msg_size)
{
	struct core_range ram[2];
	struct core_range *ranges = ram;
	struct core_layout c = { .machine = arch_elf_machine, .mem = &vm->mem,
				 .patches = patches, .npatches = npatches };
	struct note_buf notes = { NULL, 0 };
	const struct core_note_writer writer = { add_to_buf, &notes };
	int r = 0;

	if (sel >= (unsigned)vm->ncpus)
		sel = 0;
	c.nranges = coredump_ram_ranges(&vm->mem, ram);
	if (paging) {
		r = arch_core_virtual_ranges(vm->vcpus[sel], &ranges, &c.nranges);
		if (r == -EOPNOTSUPP)
			snprintf(msg, msg_size, "-p (memory by guest-virtual address) is not available on "
				 "this architecture while vCPU %u has paging on; without -p the file holds "
				 "all RAM at its physical addresses", sel);
		else if (r < 0)
			snprintf(msg, msg_size, "cannot read the page tables of vCPU %u: %s", sel,
				 strerror(-r));
		if (r < 0)
			return r;
	}
	for (int i = 0; i < vm->ncpus && r == 0; i++)
		r = arch_core_notes(vm->vcpus[i], &writer);
	if (r < 0) {
		snprintf(msg, msg_size, "cannot read the registers of the vCPUs: %s", strerror(-r));
		goto out;
	}
	c.ranges = ranges;
	c.notes = notes.data;
	c.notes_len = notes.len;
	r = coredump_write_file(dir, name, &c);
	if (r < 0)
		snprintf(msg, msg_size, "cannot write %s/%s: %s", dir, name, strerror(-r));
out:
	free(notes.data);
	if (ranges != ram)
		free(ranges);
	return r;
}
