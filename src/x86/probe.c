/* SPDX-License-Identifier: MIT */
/*
 * Ask the host what its KVM can do for a debugger, by trying it: a
 * throwaway VM with one real-mode vCPU runs
 *
 *     nop                     ; DR2: execute breakpoint
 *     mov byte [0x2000], 1    ; DR0 watches writes to 0x2000
 *     mov al, [0x2010]        ; DR1 watches reads/writes of 0x2010
 *     int3                    ; with KVM_GUESTDBG_USE_SW_BP
 *     hlt
 *   0x1100: hlt               ; the guest's own #BP handler (IVT entry 3)
 *
 * and we see which debug exits arrive, and where the vCPU halts. Three
 * kinds of host come out of it (enum debug_host_kind):
 *  - hardware VT-x/AMD-V: every exit arrives;
 *  - PVM (no vmx/svm flag: KVM runs guests through its instruction
 *    emulator): data breakpoints never fire, a real-mode int3 goes to the
 *    guest's IVT, a protected-mode one ends in an emulation failure that
 *    src/x86/emulate.c turns into our breakpoint;
 *  - a KVM on emulated AMD-V (QEMU's TCG under it): int3 goes to the guest
 *    in every mode and no debug register fires; single steps do work.
 * The debugger picks its methods from these (src/debug_bp.c).
 */
#include "arch.h"
#include "debug_arch.h"
#include "error.h"
#include "vm.h"
#include "x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_MEM 0x4000
#define PROBE_CODE 0x1000
#define PROBE_GUEST_BP 0x1100 /* where IVT entry 3 points */

static const uint8_t probe_code[] = {
	0x90,                         /* nop: DR2 execute breakpoint */
	0xC6, 0x06, 0x00, 0x20, 0x01, /* mov byte [0x2000], 1 */
	0xA0, 0x10, 0x20,             /* mov al, [0x2010] */
	0xCC,                         /* int3: a debug exit, or the guest's own #BP? */
	0xF4,                         /* hlt */
};

static void probe_run(int vm_fd, int run_size, struct debug_host_caps *caps)
{
	struct kvm_userspace_memory_region slot = { .memory_size = PROBE_MEM };
	struct kvm_guest_debug dbg;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run = MAP_FAILED;
	uint8_t *mem;
	int fd = -1;

	mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return;
	memcpy(mem + PROBE_CODE, probe_code, sizeof(probe_code));
	mem[PROBE_GUEST_BP] = 0xF4;                   /* hlt */
	mem[3 * 4] = PROBE_GUEST_BP & 0xFF;           /* IVT[3] = 0000:PROBE_GUEST_BP */
	mem[3 * 4 + 1] = PROBE_GUEST_BP >> 8;
	slot.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xFFFBD000UL) < 0 ||
	    ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		goto out;
	fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0UL);
	if (fd < 0)
		goto out;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED || ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0)
		goto out;
	memset(&regs, 0, sizeof(regs));
	regs.rip = PROBE_CODE;
	regs.rflags = 2;
	regs.rsp = 0x3000;
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_USE_SW_BP;
	dbg.arch.debugreg[0] = 0x2000;
	dbg.arch.debugreg[1] = 0x2010;
	dbg.arch.debugreg[2] = PROBE_CODE;
	/* DR0: L0, RW=01 (write), LEN=00; DR1: L1, RW=11 (read/write), LEN=00; DR2: L2, execute. */
	dbg.arch.debugreg[7] = (1 << 0) | (1 << 2) | (1 << 4) | (1ULL << 16) | (3ULL << 20) |
			       (1 << 9) | (1 << 8);
	if (ioctl(fd, KVM_SET_REGS, &regs) < 0 || ioctl(fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		goto out;
	for (int i = 0; i < 6; i++) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (run->exit_reason != KVM_EXIT_DEBUG)
			break; /* HLT (done) or anything else: stop looking */
		if (run->debug.arch.exception == 3) {
			caps->sw_bp_real_mode = true;
			/* KVM leaves RIP on the int3: step over it by hand. */
			if (ioctl(fd, KVM_GET_REGS, &regs) < 0)
				break;
			regs.rip++;
			if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
				break;
			continue;
		}
		if (run->debug.arch.dr6 & 4) {
			caps->dr_exec = true;
			/* A fault-like exit before the nop: skip it, or it fires again. */
			if (ioctl(fd, KVM_GET_REGS, &regs) < 0)
				break;
			regs.rip = PROBE_CODE + 1;
			if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
				break;
			continue;
		}
		if (run->debug.arch.dr6 & 1)
			caps->dr_write_watch = true;
		if (run->debug.arch.dr6 & 2)
			caps->dr_read_watch = true;
	}
out:
	if (run != MAP_FAILED)
		munmap(run, run_size);
	if (fd >= 0)
		close(fd);
	munmap(mem, PROBE_MEM);
}

int arch_debug_probe(struct vm *vm, struct debug_host_caps *caps)
{
	int flags, vm_fd;

	memset(caps, 0, sizeof(*caps));
	flags = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	caps->block_irq = flags > 0 && (flags & KVM_GUESTDBG_BLOCKIRQ);
	caps->readonly_mem = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		return err_set(EXIT_HOST, "KVM_CREATE_VM (debug probe) failed: %s", strerror(errno));
	probe_run(vm_fd, vm->run_size, caps);
	close(vm_fd);
	if (x86_host_kvm_is_emulated()) {
		caps->kind = DEBUG_HOST_PVM;
		caps->sw_bp = true; /* through emulation failures (src/x86/emulate.c) */
	} else if (caps->dr_exec || caps->sw_bp_real_mode) {
		caps->kind = DEBUG_HOST_HARDWARE;
		caps->sw_bp = true;
	} else {
		caps->kind = DEBUG_HOST_EMULATED;
	}
	return 0;
}
