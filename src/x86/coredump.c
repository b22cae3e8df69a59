/* SPDX-License-Identifier: MIT */
/*
 * The x86 part of guest core files (src/coredump.c): per vCPU an
 * NT_PRSTATUS note in Linux's x86-64 layout (struct elf_prstatus, its
 * registers in struct user_regs_struct order) and an NT_PRFPREG note (the
 * FXSAVE image), which gdb and crash read as one thread per vCPU; and the
 * guest-virtual view of RAM through a vCPU's page tables (the paging option).
 */
#include "arch.h"
#include "coredump.h"
#include "guest_mem.h"
#include "vcpu.h"
#include "vm.h"
#include "paging.h"

#include <elf.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

const uint16_t arch_core_machine = EM_X86_64;

/* struct elf_prstatus on x86-64: 112 bytes of process data, 27 registers, pr_fpvalid. */
#define PRSTATUS_SIZE   336
#define PRSTATUS_PID    32
#define PRSTATUS_REGS   112
#define PRSTATUS_FPVALID 328
#define FXSAVE_SIZE     512

int arch_core_notes(struct vcpu *vcpu, uint8_t **notes, size_t *len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_xsave *xs;
	uint8_t st[PRSTATUS_SIZE] = { 0 };
	int32_t pid = vcpu->id + 1, fpvalid = 1;
	int rc;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	/* user_regs_struct order; orig_rax -1: not in a system call. */
	const uint64_t regs[27] = {
		r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8,
		r.rax, r.rcx, r.rdx, r.rsi, r.rdi, ~0ULL, r.rip, s.cs.selector, r.rflags,
		r.rsp, s.ss.selector, s.fs.base, s.gs.base, s.ds.selector, s.es.selector,
		s.fs.selector, s.gs.selector,
	};
	memcpy(st + PRSTATUS_PID, &pid, 4);
	memcpy(st + PRSTATUS_REGS, regs, sizeof(regs));
	xs = calloc(1, sizeof(*xs));
	/* The XSAVE area begins with the FXSAVE image that NT_PRFPREG holds (SDM vol. 1 §10.5.1). */
	if (!xs || ioctl(vcpu->fd, KVM_GET_XSAVE, xs) < 0)
		fpvalid = 0;
	memcpy(st + PRSTATUS_FPVALID, &fpvalid, 4);
	rc = coredump_add_note(notes, len, "CORE", NT_PRSTATUS, st, sizeof(st));
	if (rc == 0 && fpvalid)
		rc = coredump_add_note(notes, len, "CORE", NT_PRFPREG, xs->region, FXSAVE_SIZE);
	free(xs);
	return rc;
}

struct range_list {
	const struct guest_mem *mem;
	struct core_range *r;
	unsigned n, cap;
};

/* One mapped page: grows the last range when it continues it in both address spaces. */
static int add_page(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct range_list *l = ctx;
	struct core_range *last = l->n ? &l->r[l->n - 1] : NULL;

	(void)rights;
	if (!guest_mem_ptr(l->mem, gpa, size))
		return 0; /* MMIO or nothing: not in the file */
	if (last && last->vaddr + last->size == gva && last->gpa + last->size == gpa) {
		last->size += size;
		return 0;
	}
	if (l->n == 65534)
		return -E2BIG; /* what an ELF header can count */
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 64;
		struct core_range *p = realloc(l->r, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->r = p;
		l->cap = cap;
	}
	l->r[l->n++] = (struct core_range){ gpa, gva, size };
	return 0;
}

int arch_core_virtual_ranges(struct vcpu *vcpu, struct core_range **out, unsigned *n)
{
	struct range_list l = { .mem = &vcpu->vm->mem };
	struct kvm_sregs s;
	struct paging_regs p;
	int r;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	p = (struct paging_regs){ .cr0 = s.cr0, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer };
	if (paging_mode(&p) == PAGING_NONE)
		return 0; /* paging off: virtual is physical, the identity ranges stay */
	r = page_table_each(&vcpu->vm->mem, &p, add_page, &l);
	if (r < 0) {
		free(l.r);
		return r;
	}
	*out = l.r;
	*n = l.n;
	return 0;
}
