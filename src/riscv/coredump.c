/* SPDX-License-Identifier: MIT */
/*
 * What a core of a RISC-V guest holds (src/coredump.c writes it): an ELF
 * of machine EM_RISCV whose notes are each hart's NT_PRSTATUS (pc and
 * x1..x31, as riscv64 Linux's elf_gregset_t) and NT_PRFPREG (f0..f31 and
 * fcsr), the layout gdb reads a riscv64 Linux core with. RAM goes in at
 * its physical addresses (`monitor dump-guest-memory FILE`, and gdb's
 * `gcore` while the guest runs with satp Bare). By guest-virtual address
 * (`dump-guest-memory -p`, `gcore` under Sv39/48/57) is x86-only for now:
 * it needs a walk of every mapping, which mmu.c does not do yet.
 */
#include "arch.h"
#include "coredump.h"
#include "kvm_riscv.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/gdbstub.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

const uint16_t arch_elf_machine = EM_RISCV;

/* struct elf_prstatus on riscv64: 112 bytes of process data, 32 registers, pr_fpvalid. */
#define PRSTATUS_SIZE    376
#define PRSTATUS_PID     32
#define PRSTATUS_REGS    112
#define PRSTATUS_FPVALID 368
#define FPREGS_SIZE      264 /* struct __riscv_d_ext_state: f[32], fcsr, padding */

static int one_reg(struct vcpu *vcpu, uint64_t id, void *v)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)v };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int arch_core_notes(struct vcpu *vcpu, const struct core_note_writer *notes)
{
	uint8_t st[PRSTATUS_SIZE] = { 0 }, fp[FPREGS_SIZE] = { 0 };
	uint64_t regs[32];
	int32_t pid = vcpu->id + 1, fpvalid = 1;
	int rc = 0;

	/* elf_gregset_t: pc, then x1..x31 (KVM's core register order too). */
	for (unsigned i = 0; i < 32 && rc == 0; i++)
		rc = one_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CORE, i), &regs[i]);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < 33 && fpvalid; i++) {
		uint64_t size = i == 32 ? KVM_REG_SIZE_U32 : KVM_REG_SIZE_U64;

		fpvalid = one_reg(vcpu, KVM_REG_RISCV | size | KVM_REG_RISCV_FP_D | i, fp + 8 * i) == 0;
	}
	memcpy(st + PRSTATUS_PID, &pid, 4);
	memcpy(st + PRSTATUS_REGS, regs, sizeof(regs));
	memcpy(st + PRSTATUS_FPVALID, &fpvalid, 4);
	rc = notes->add(notes->ctx, "CORE", NT_PRSTATUS, st, sizeof(st));
	if (rc == 0 && fpvalid)
		rc = notes->add(notes->ctx, "CORE", NT_PRFPREG, fp, sizeof(fp));
	return rc;
}

static int paging_on(struct vcpu *vcpu, bool *on)
{
	uint64_t satp;
	int r = one_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CSR, 8), &satp);

	*on = r == 0 && riscv_satp_mode(satp) != RISCV_SATP_BARE;
	return r;
}

int arch_core_virtual_ranges(struct vcpu *vcpu, struct core_range **out, unsigned *n)
{
	bool on;
	int r = paging_on(vcpu, &on);

	(void)out;
	(void)n;
	if (r < 0)
		return r;
	return on ? -EOPNOTSUPP : 0; /* Bare: virtual is physical, the identity ranges stay */
}

int arch_gdb_memory_regions(struct vcpu *vcpu, int (*fn)(void *fnctx, const struct gdb_mem_region *r),
			    void *fnctx)
{
	bool on;
	int r = paging_on(vcpu, &on);

	if (r < 0)
		return r;
	return on ? -EOPNOTSUPP : coredump_ram_regions(&vcpu->vm->mem, fn, fnctx);
}
