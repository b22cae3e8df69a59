/* SPDX-License-Identifier: MIT */
/*
 * When KVM's instruction emulator gives up (KVM_EXIT_INTERNAL_ERROR,
 * emulation failure), some instructions are still simple enough for the
 * VMM to complete itself, as the CPU would have. On hosts whose KVM runs
 * every guest instruction through that emulator (PVM), a stock kernel
 * executes a few of them:
 *
 *   int3     one of the debugger's breakpoints: report it; else the guest's
 *            own: deliver #BP (a trap: the handler sees RIP after the int3)
 *   fwait    a no-op unless an unmasked x87 exception is pending (then #MF)
 *   ldmxcsr  0F AE /2 and stmxcsr 0F AE /3 with a memory operand: MXCSR
 *   stmxcsr  lives in the XSAVE area, the operand in guest memory, reached
 *            with the CPU's checks: a not-present page or one the access
 *            may not touch (U/S, R/W with CR0.WP, SMAP) is a #PF for the
 *            guest, with its error code and CR2
 *
 * Anything else stays a guest crash, reported with the instruction bytes.
 */
#include "arch.h"
#include "error.h"
#include "vcpu.h"
#include "vm.h"
#include "bits.h"
#include "paging.h"
#include "x86.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define FWAIT 0x9B
#define FSW_ES 0x80      /* x87 status: an unmasked exception is pending */

static bool inject(struct vcpu *vcpu, unsigned vector, unsigned skip, bool has_error_code,
		   uint32_t error_code)
{
	struct kvm_regs regs;
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	/* A trap's handler returns after the instruction: step past it first. */
	regs.rip += skip;
	ev.exception.injected = 1;
	ev.exception.nr = (uint8_t)vector;
	ev.exception.has_error_code = has_error_code;
	ev.exception.error_code = error_code;
	ev.flags = 0;
	return ioctl(vcpu->fd, KVM_SET_REGS, &regs) == 0 &&
	       ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
}

bool x86_inject_exception(struct vcpu *vcpu, unsigned vector, unsigned skip)
{
	return inject(vcpu, vector, skip, false, 0);
}

/*
 * #PF at linear address cr2. minikvm does not enable KVM_CAP_EXCEPTION_PAYLOAD,
 * and without it KVM delivers an injected exception as it stands and leaves
 * CR2 alone (the payload fields exist only with the capability): so CR2 is
 * set first, with KVM_SET_SREGS, as the CPU would have set it.
 */
static bool inject_page_fault(struct vcpu *vcpu, uint64_t cr2, uint32_t error_code)
{
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	s.cr2 = cr2;
	return ioctl(vcpu->fd, KVM_SET_SREGS, &s) == 0 &&
	       inject(vcpu, VEC_PF, 0, true, error_code);
}

int arch_reinject_debug_event(struct vcpu *vcpu, const struct vcpu_debug_event *ev)
{
	/* #BP is a trap: the guest's handler sees RIP after the int3 (which RIP is still on). */
	if (ev->kind != VCPU_DEBUG_BREAK_INSN || !x86_inject_exception(vcpu, VEC_BP, 1))
		return err_set(EXIT_HOST, "cannot deliver #BP to vCPU %d", vcpu->id);
	return 0;
}

static bool emulate_fwait(struct vcpu *vcpu, struct kvm_regs *regs)
{
	struct kvm_xsave xs;
	uint16_t fsw;

	if (ioctl(vcpu->fd, KVM_GET_XSAVE, &xs) < 0)
		return false;
	memcpy(&fsw, (uint8_t *)xs.region + 2, 2);
	if (fsw & FSW_ES)
		return x86_inject_exception(vcpu, VEC_MF, 0);
	regs->rip += 1;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) == 0;
}

/* Instruction bytes at a linear address, up to the end of its page (the rest zero). */
static bool read_insn(struct vcpu *vcpu, const struct paging_regs *p, uint64_t linear,
		      uint8_t *buf, unsigned len)
{
	unsigned in_page = 0x1000 - (linear & 0xFFF);
	struct walk w;

	/* KVM fetched these bytes already: the walk only finds them. */
	memset(buf, 0, len);
	return page_walk(&vcpu->vm->mem, p, linear, &w) == 0 &&
	       guest_mem_read(&vcpu->vm->mem, w.gpa, buf, len < in_page ? len : in_page) == 0;
}

enum access_result {
	ACCESS_DONE,    /* the bytes were read or written */
	ACCESS_FAULTED, /* the guest got its #PF instead: the instruction is finished */
	ACCESS_FAILED,  /* neither: leave the instruction to the crash path */
};

/*
 * A data read or write at a linear address, through the guest's paging and
 * with the checks the CPU makes: a page that is not present, or whose
 * rights forbid the access at this CPL (U/S, R/W with CR0.WP, SMAP), gets
 * the guest a #PF with the error code and CR2 the CPU would give.
 */
static enum access_result guest_data(struct vcpu *vcpu, const struct kvm_sregs *s,
				     const struct paging_regs *p, uint64_t rflags,
				     uint64_t linear, void *buf, unsigned len, bool write)
{
	const struct paging_access a = {
		.write = write,
		.cpl = s->ss.dpl, /* CPL is SS.DPL (and CS.RPL), as KVM itself reads it */
		.cr0_wp = s->cr0 & CR0_WP,
		.cr4_smap = s->cr4 & CR4_SMAP,
		.eflags_ac = rflags & RFLAGS_AC,
	};
	struct walk w;
	uint32_t error_code;
	int walked;

	/* A 4-byte operand that straddles a page is left to the crash path: rare, and honest. */
	if (((linear & 0xFFF) + len) > 0x1000)
		return ACCESS_FAILED;
	walked = page_walk(&vcpu->vm->mem, p, linear, &w);
	if (paging_access_faults(walked, &w, &a, &error_code))
		return inject_page_fault(vcpu, linear, error_code) ? ACCESS_FAULTED : ACCESS_FAILED;
	if (walked < 0)
		return ACCESS_FAILED;
	return (write ? guest_mem_write(&vcpu->vm->mem, w.gpa, buf, len)
		      : guest_mem_read(&vcpu->vm->mem, w.gpa, buf, len)) == 0
		? ACCESS_DONE : ACCESS_FAILED;
}

static uint64_t gpr(const struct kvm_regs *r, unsigned n)
{
	const __u64 v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
			      r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	return v[n & 15];
}

/*
 * Effective address of a ModRM memory operand in 64-bit mode (SDM vol. 2,
 * §2.1.5 and §2.2.1): base + index * scale + displacement, RIP-relative for
 * mod 00 r/m 101. *len is the instruction bytes consumed from insn (from
 * the ModRM byte on). False for a register operand or something unexpected.
 */
static bool modrm_address(const struct kvm_regs *r, const uint8_t *insn, unsigned rex,
			  uint64_t next_rip_base, uint64_t *ea, unsigned *len)
{
	uint8_t modrm = insn[0];
	unsigned mod = modrm >> 6, rm = modrm & 7, n = 1;
	uint64_t addr = 0;
	int64_t disp = 0;

	if (mod == 3)
		return false;
	if (rm == 4) {
		uint8_t sib = insn[n++];
		unsigned base = (sib & 7) | ((rex & 1) << 3), index = ((sib >> 3) & 7) | ((rex & 2) << 2);

		if (index != 4)
			addr += gpr(r, index) << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			int32_t d32;

			memcpy(&d32, insn + n, 4);
			disp = d32;
			n += 4;
		} else {
			addr += gpr(r, base);
		}
	} else if (rm == 5 && mod == 0) {
		int32_t d32;

		memcpy(&d32, insn + n, 4);
		n += 4;
		*len = n;
		*ea = next_rip_base + n + (int64_t)d32; /* RIP-relative: from the next instruction */
		return true;
	} else {
		addr = gpr(r, rm | ((rex & 1) << 3));
	}
	if (mod == 1) {
		disp = (int8_t)insn[n];
		n += 1;
	} else if (mod == 2) {
		int32_t d32;

		memcpy(&d32, insn + n, 4);
		disp = d32;
		n += 4;
	}
	*ea = addr + (uint64_t)disp;
	*len = n;
	return true;
}

/* ldmxcsr / stmxcsr m32 in 64-bit mode. */
static bool emulate_mxcsr(struct vcpu *vcpu, struct kvm_regs *regs, const struct kvm_sregs *s,
			  const struct paging_regs *p, uint64_t linear)
{
	uint8_t insn[16];
	unsigned pre = 0, rex = 0, len, reg;
	uint64_t ea;
	struct kvm_xsave xs;
	uint32_t mxcsr;
	enum access_result access;

	if (!s->cs.l || !read_insn(vcpu, p, linear, insn, sizeof(insn)))
		return false;
	if ((insn[0] & 0xF0) == 0x40)
		rex = insn[pre++];
	if (insn[pre] != 0x0F || insn[pre + 1] != 0xAE)
		return false;
	reg = (insn[pre + 2] >> 3) & 7;
	if ((reg != 2 && reg != 3) ||
	    !modrm_address(regs, insn + pre + 2, rex, regs->rip + pre + 2, &ea, &len))
		return false;
	if (ioctl(vcpu->fd, KVM_GET_XSAVE, &xs) < 0)
		return false;
	if (reg == 2) {
		access = guest_data(vcpu, s, p, regs->rflags, ea, &mxcsr, 4, false);
		if (access != ACCESS_DONE)
			return access == ACCESS_FAULTED;
		if (mxcsr & 0xFFFF0000U) /* reserved bits: #GP(0), as the CPU would */
			return x86_inject_exception(vcpu, VEC_GP, 0);
		uint64_t bv;

		memcpy((uint8_t *)xs.region + 24, &mxcsr, 4);
		/* MXCSR is restored only with the SSE component marked present. */
		memcpy(&bv, (uint8_t *)xs.region + 512, 8);
		bv |= 2;
		memcpy((uint8_t *)xs.region + 512, &bv, 8);
		if (ioctl(vcpu->fd, KVM_SET_XSAVE, &xs) < 0)
			return false;
	} else {
		memcpy(&mxcsr, (uint8_t *)xs.region + 24, 4);
		access = guest_data(vcpu, s, p, regs->rflags, ea, &mxcsr, 4, true);
		if (access != ACCESS_DONE)
			return access == ACCESS_FAULTED;
	}
	regs->rip += pre + 2 + len;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) == 0;
}

enum arch_emulation arch_emulation_failure(struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct paging_regs p;
	struct walk w;
	uint64_t linear;
	uint8_t byte;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return ARCH_NOT_EMULATED;
	p = (struct paging_regs){ .cr0 = s.cr0, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer };
	linear = s.cs.base + regs.rip;
	if (page_walk(&vcpu->vm->mem, &p, linear, &w) < 0 ||
	    guest_mem_read(&vcpu->vm->mem, w.gpa, &byte, 1) < 0)
		return ARCH_NOT_EMULATED;
	switch (byte) {
	case INSN_INT3:
		/* The debugger's breakpoint or the guest's own: the debugger says which. */
		*ev = (struct vcpu_debug_event){ VCPU_DEBUG_BREAK_INSN, linear, 0 };
		return ARCH_DEBUG_EVENT;
	case FWAIT:
		return emulate_fwait(vcpu, &regs) ? ARCH_EMULATED : ARCH_NOT_EMULATED;
	}
	return emulate_mxcsr(vcpu, &regs, &s, &p, linear) ? ARCH_EMULATED : ARCH_NOT_EMULATED;
}
