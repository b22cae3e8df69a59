/* SPDX-License-Identifier: MIT */
/*
 * When KVM's instruction emulator gives up (KVM_EXIT_INTERNAL_ERROR,
 * emulation failure), some instructions are still simple enough for the
 * VMM to complete itself, as the CPU would have. On hosts whose KVM runs
 * every guest instruction through that emulator (PVM), a stock kernel
 * executes a few of them:
 *
 *   int3   one of the debugger's breakpoints: report it; else the guest's
 *          own: deliver #BP (a trap: the handler sees RIP after the int3)
 *   fwait  a no-op unless an unmasked x87 exception is pending (then #MF)
 *
 * Anything else stays a guest crash, reported with the instruction bytes.
 */
#include "../arch.h"
#include "../debug.h"
#include "../vcpu.h"
#include "../vm.h"
#include "paging.h"
#include "x86.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define INT3  0xCC
#define FWAIT 0x9B
#define FSW_ES 0x80      /* x87 status: an unmasked exception is pending */
#define VEC_BP 3
#define VEC_MF 16

bool x86_inject_exception(struct vcpu *vcpu, unsigned vector, unsigned skip)
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
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return ioctl(vcpu->fd, KVM_SET_REGS, &regs) == 0 &&
	       ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
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

bool arch_emulation_failure(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct paging_regs p;
	struct walk w;
	uint64_t linear;
	uint8_t byte;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	p = (struct paging_regs){ .cr0 = s.cr0, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer };
	linear = s.cs.base + regs.rip;
	if (page_walk(&vcpu->vm->mem, &p, linear, &w) < 0 ||
	    guest_mem_read(&vcpu->vm->mem, w.gpa, &byte, 1) < 0)
		return false;
	switch (byte) {
	case INT3:
		if (vcpu->vm->debug && debug_is_breakpoint(vcpu->vm->debug, linear)) {
			struct vcpu_stop why = { VCPU_STOP_SWBREAK, linear };

			debug_breakpoint_hit(vcpu, &why);
			return true;
		}
		return x86_inject_exception(vcpu, VEC_BP, 1);
	case FWAIT:
		return emulate_fwait(vcpu, &regs);
	}
	return false;
}
