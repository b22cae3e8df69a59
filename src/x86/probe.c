/* SPDX-License-Identifier: MIT */
/*
 * Ask the host what its KVM does for a debugger, by trying it in every CPU
 * mode the debugger meets: real mode, protected mode without and with
 * paging, long mode with 4-level and (where the CPU offers LA57) 5-level
 * paging. In each mode a vCPU of its own (one throwaway VM for all) runs
 *
 *     nop                     ; DR2: execute breakpoint
 *     mov byte [0x2000], 1    ; DR0 watches writes to 0x2000
 *     mov al, [0x2010]        ; DR1 watches reads/writes of 0x2010
 *     in al, dx               ; a port I/O exit (the patched breakpoint's way)
 *     int3                    ; with KVM_GUESTDBG_USE_SW_BP
 *     hlt
 *
 * and we see which debug exits arrive; where int3 is not intercepted, the
 * guest's own #BP handler (a hlt) runs instead, so we see that too. A
 * second run single-steps the first two instructions.
 *
 * The manuals' semantics (SDM vol. 3 ch. 17 and 25, APM vol. 2 ch. 13 and
 * 15: KVM intercepts #BP and #DB and the debug registers fire in every
 * mode) are the default; a method is used only if it worked in every mode
 * tested, so a host that honours it in some modes and not in others (seen:
 * a nested KVM on QEMU 10's emulated AMD-V) never gets a breakpoint that
 * works where it was set and kills the guest after a mode switch.
 * PVM hosts (no vmx/svm flag: KVM runs guests through its instruction
 * emulator) are known by that flag, and keep their own way: int3 in
 * protected and long mode ends in an emulation failure that
 * src/x86/emulate.c turns into our breakpoint.
 */
#include "arch.h"
#include "debug_contract.h"
#include "error.h"
#include "bits.h"
#include "x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROBE_MEM 0x10000
#define P_GDT 0x0500
#define P_IDT32 0x0600 /* 32 gates of 8 bytes */
#define P_IDT64 0x0800 /* 32 gates of 16 bytes */
#define P_CODE 0x1000
#define P_HANDLER 0x1100 /* the guest's own exception handler: hlt */
#define P_DATA 0x2000
#define P_PD32 0x4000    /* 32-bit paging: one 4 MiB page */
#define P_PML4 0x5000
#define P_PDPT 0x6000
#define P_PD 0x7000      /* one 2 MiB page */
#define P_PML5 0x8000
#define P_STACK 0xF000

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18

enum probe_mode { M_REAL, M_PROT, M_PROT_PG, M_LONG4, M_LONG5, M_COUNT };

static const char *const mode_names[M_COUNT] = {
	[M_REAL] = "real mode",
	[M_PROT] = "protected mode, paging off",
	[M_PROT_PG] = "protected mode, 32-bit paging",
	[M_LONG4] = "long mode, 4-level paging",
	[M_LONG5] = "long mode, 5-level paging",
};

/* The probe's code in each operand size; offsets of each step follow. */
static const uint8_t code16[] = {
	0x90,                               /* nop */
	0xC6, 0x06, 0x00, 0x20, 0x01,       /* mov byte [0x2000], 1 */
	0xA0, 0x10, 0x20,                   /* mov al, [0x2010] */
	0xEC,                               /* in al, dx */
	0xCC,                               /* int3 */
	0xF4,                               /* hlt */
};
static const uint8_t code32[] = {
	0x90,
	0xC6, 0x05, 0x00, 0x20, 0x00, 0x00, 0x01,
	0xA0, 0x10, 0x20, 0x00, 0x00,
	0xEC,
	0xCC,
	0xF4,
};
static const uint8_t code64[] = {
	0x90,
	0xC6, 0x04, 0x25, 0x00, 0x20, 0x00, 0x00, 0x01, /* SIB form: absolute, not RIP-relative */
	0xA0, 0x10, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xEC,
	0xCC,
	0xF4,
};

static void put64(uint8_t *mem, unsigned off, uint64_t v)
{
	memcpy(mem + off, &v, 8);
}

/* Memory every mode shares: IVT, GDT, both IDTs (every exception to the hlt), page tables. */
static void probe_tables(uint8_t *mem)
{
	mem[3 * 4] = P_HANDLER & 0xFF; /* IVT[3] = 0000:P_HANDLER */
	mem[3 * 4 + 1] = P_HANDLER >> 8;
	mem[P_HANDLER] = 0xF4;
	put64(mem, P_GDT + SEL_CODE32, x86_gdt_flat_entry(0xB, false, true));
	put64(mem, P_GDT + SEL_DATA, x86_gdt_flat_entry(0x3, false, true));
	put64(mem, P_GDT + SEL_CODE64, x86_gdt_flat_entry(0xB, true, false));
	for (unsigned v = 0; v < 32; v++) {
		/* Interrupt gates, present, DPL 0 (SDM vol. 3 §6.11 and §6.14.1). */
		put64(mem, P_IDT32 + v * 8, P_HANDLER | (uint64_t)SEL_CODE32 << 16 | 0x8EULL << 40);
		put64(mem, P_IDT64 + v * 16, P_HANDLER | (uint64_t)SEL_CODE64 << 16 | 0x8EULL << 40);
	}
	put64(mem, P_PD32, 0x83);              /* 4 MiB page at 0: P, RW, PS */
	put64(mem, P_PML5, P_PML4 | 3);
	put64(mem, P_PML4, P_PDPT | 3);
	put64(mem, P_PDPT, P_PD | 3);
	put64(mem, P_PD, 0x83);                /* 2 MiB page at 0 */
}

/* Put the vCPU in mode m with its code at P_CODE; false if KVM refused. */
static bool enter_mode(int fd, uint8_t *mem, enum probe_mode m)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	const uint8_t *code = m == M_REAL ? code16 : m >= M_LONG4 ? code64 : code32;
	size_t len = m == M_REAL ? sizeof(code16) : m >= M_LONG4 ? sizeof(code64) : sizeof(code32);

	memset(mem + P_CODE, 0xF4, 0x100);
	memcpy(mem + P_CODE, code, len);
	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return false;
	if (m == M_REAL) {
		sregs.cs.base = sregs.ds.base = sregs.ss.base = 0;
		sregs.cs.selector = sregs.ds.selector = sregs.ss.selector = 0;
		sregs.cr0 = CR0_ET;
		sregs.cr4 = 0;
		sregs.efer = 0;
	} else {
		bool l = m >= M_LONG4;

		x86_seg_flat(&sregs.cs, l ? SEL_CODE64 : SEL_CODE32, 0xB, l, !l);
		x86_seg_flat(&sregs.ds, SEL_DATA, 0x3, false, true);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		sregs.gdt.base = P_GDT;
		sregs.gdt.limit = 0x1F;
		sregs.idt.base = l ? P_IDT64 : P_IDT32;
		sregs.idt.limit = l ? 32 * 16 - 1 : 32 * 8 - 1;
		sregs.tr.type = 11; /* VT-x wants a busy TSS outside real mode */
		sregs.tr.present = 1;
		sregs.tr.s = 0;
		sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
		sregs.cr4 = 0;
		sregs.efer = 0;
		if (m == M_PROT_PG) {
			sregs.cr0 |= CR0_PG;
			sregs.cr4 = CR4_PSE;
			sregs.cr3 = P_PD32;
		} else if (l) {
			sregs.cr0 |= CR0_PG;
			sregs.cr4 = CR4_PAE | (m == M_LONG5 ? CR4_LA57 : 0);
			sregs.cr3 = m == M_LONG5 ? P_PML5 : P_PML4;
			sregs.efer = EFER_LME | EFER_LMA;
		}
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = P_CODE;
	regs.rflags = 2;
	regs.rsp = P_STACK;
	regs.rdx = 0x80; /* a port nobody answers */
	return ioctl(fd, KVM_SET_SREGS, &sregs) == 0 && ioctl(fd, KVM_SET_REGS, &regs) == 0;
}

static bool set_debug(int fd, bool step)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	if (step) {
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	} else {
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_USE_SW_BP;
		dbg.arch.debugreg[0] = P_DATA;
		dbg.arch.debugreg[1] = P_DATA + 0x10;
		dbg.arch.debugreg[2] = P_CODE;
		/* DR0: L0, RW=01 (write), LEN=00; DR1: L1, RW=11 (read/write); DR2: L2, execute; LE, GE. */
		dbg.arch.debugreg[7] = (1 << 0) | (1 << 2) | (1 << 4) | (1ULL << 16) | (3ULL << 20) |
				       (1 << 9) | (1 << 8);
	}
	return ioctl(fd, KVM_SET_GUEST_DEBUG, &dbg) == 0;
}

static bool move_rip(int fd, uint64_t rip)
{
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_REGS, &regs) < 0)
		return false;
	regs.rip = rip;
	return ioctl(fd, KVM_SET_REGS, &regs) == 0;
}

static int run(int fd, struct kvm_run *r)
{
	for (int tries = 0; tries < 100; tries++) {
		if (ioctl(fd, KVM_RUN, 0) == 0)
			return (int)r->exit_reason;
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
	return -1;
}

/* The breakpoint and watch run of one mode. */
static void probe_events(int fd, struct kvm_run *r, struct debug_probe_row *row)
{
	for (int i = 0; i < 8; i++) {
		int why = run(fd, r);

		if (why == KVM_EXIT_IO) {
			row->io_exit = true;
			continue;
		}
		if (why == KVM_EXIT_HLT) {
			struct kvm_regs regs;

			/* A hlt after the guest's own handler: int3 went to the guest. */
			if (ioctl(fd, KVM_GET_REGS, &regs) == 0 && regs.rip == P_HANDLER + 1)
				row->int3_to_guest = true;
			return;
		}
		if (why != KVM_EXIT_DEBUG)
			return; /* anything else (a shutdown, an internal error): stop looking */
		if (r->debug.arch.exception == 3) {
			row->int3 = true;
			/* KVM leaves RIP on the int3: step over it by hand. */
			if (!move_rip(fd, r->debug.arch.pc + 1))
				return;
			continue;
		}
		if (r->debug.arch.dr6 & 4) {
			row->dr_exec = true;
			/* Fault-like, before the nop: skip it, or it fires again. */
			if (!move_rip(fd, P_CODE + 1))
				return;
			continue;
		}
		if (r->debug.arch.dr6 & 1)
			row->dr_write = true;
		if (r->debug.arch.dr6 & 2)
			row->dr_read = true;
	}
}

/* The single-step run: two steps, each ending after one instruction. */
static void probe_step(int fd, struct kvm_run *r, enum probe_mode m, struct debug_probe_row *row)
{
	uint64_t after_mov = P_CODE + 1 + (m == M_REAL ? 5 : m >= M_LONG4 ? 8 : 7);
	struct kvm_regs regs;

	if (run(fd, r) != KVM_EXIT_DEBUG || !(r->debug.arch.dr6 & (1 << 14)) ||
	    ioctl(fd, KVM_GET_REGS, &regs) < 0 || regs.rip != P_CODE + 1)
		return;
	if (run(fd, r) != KVM_EXIT_DEBUG || ioctl(fd, KVM_GET_REGS, &regs) < 0 || regs.rip != after_mov)
		return;
	row->step = true;
}

static bool cpuid_has_la57(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 7 && c->entries[i].index == 0)
			return c->entries[i].ecx & (1U << 16);
	return false;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	if (c) {
		c->nent = 256;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			free(c);
			c = NULL;
		}
	}
	return c;
}

/*
 * One mode on a vCPU of its own (a vCPU's state after a failed entry is no
 * guide to the next), all in one VM: each VM that comes and goes can make
 * the host's kernel patch its own code (KVM's static keys), which some
 * emulated hosts take badly (docs/testing.md), so the probe makes one.
 */
static void probe_mode(int vm_fd, uint8_t *mem, int run_size, const struct kvm_cpuid2 *cpuid,
		       enum probe_mode m, struct debug_probe_row *row)
{
	struct kvm_run *r = MAP_FAILED;
	int fd;

	row->mode = mode_names[m];
	fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)m);
	if (fd < 0)
		return;
	r = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED || (cpuid && ioctl(fd, KVM_SET_CPUID2, cpuid) < 0))
		goto out;
	if (!enter_mode(fd, mem, m) || !set_debug(fd, false))
		goto out;
	row->tested = true;
	probe_events(fd, r, row);
	if (enter_mode(fd, mem, m) && set_debug(fd, true))
		probe_step(fd, r, m, row);
out:
	if (r != MAP_FAILED)
		munmap(r, run_size);
	close(fd);
}

/* The probe's VM: its memory (tables in place) and one slot; -1 if KVM refused. */
static int probe_vm(int kvm_fd, uint8_t **mem)
{
	struct kvm_userspace_memory_region slot = { .memory_size = PROBE_MEM };
	int vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);

	if (vm_fd < 0)
		return -1;
	*mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED) {
		close(vm_fd);
		return -1;
	}
	probe_tables(*mem);
	slot.userspace_addr = (uintptr_t)*mem;
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xFFFBD000UL) < 0 ||
	    ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		munmap(*mem, PROBE_MEM);
		close(vm_fd);
		return -1;
	}
	return vm_fd;
}

int arch_debug_probe(int kvm_fd, struct debug_host_caps *caps)
{
	struct kvm_cpuid2 *cpuid;
	uint8_t *mem;
	int flags, run_size, vm_fd;
	bool all_int3 = true, real_int3 = false, any = false;

	memset(caps, 0, sizeof(*caps));
	flags = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	caps->block_irq = flags > 0 && (flags & KVM_GUESTDBG_BLOCKIRQ);
	caps->readonly_mem = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		return err_set(EXIT_HOST, "KVM_GET_VCPU_MMAP_SIZE (debug probe) failed: %s", strerror(errno));
	cpuid = supported_cpuid(kvm_fd);
	vm_fd = probe_vm(kvm_fd, &mem);
	if (vm_fd < 0) {
		free(cpuid);
		return err_set(EXIT_HOST, "KVM_CREATE_VM (debug probe) failed: %s", strerror(errno));
	}
	caps->dr_exec = caps->dr_write_watch = caps->dr_read_watch = caps->step = true;
	for (int m = 0; m < M_COUNT; m++) {
		struct debug_probe_row *row = &caps->rows[caps->nrows++];

		if (m == M_LONG5 && !(cpuid && cpuid_has_la57(cpuid))) {
			row->mode = mode_names[m];
			row->absent = true; /* the CPU has no LA57: nothing to test */
			continue;
		}
		probe_mode(vm_fd, mem, run_size, cpuid, (enum probe_mode)m, row);
		if (!row->tested)
			continue;
		any = true;
		/* A method counts only if it worked in every mode tested. */
		caps->dr_exec &= row->dr_exec;
		caps->dr_write_watch &= row->dr_write;
		caps->dr_read_watch &= row->dr_read;
		caps->step &= row->step;
		if (m == M_REAL)
			real_int3 = row->int3;
		else
			all_int3 &= row->int3;
	}
	free(cpuid);
	munmap(mem, PROBE_MEM);
	close(vm_fd);
	if (!any)
		return err_set(EXIT_HOST, "the debug probe could not run a vCPU in any mode: is KVM working?");
	if (x86_host_kvm_is_emulated()) {
		/* PVM: what real mode does (protected mode's int3 ends in an emulation failure). */
		const struct debug_probe_row *real = &caps->rows[M_REAL];

		caps->kind = DEBUG_HOST_PVM;
		caps->sw_bp = true; /* through emulation failures (src/x86/emulate.c) */
		caps->sw_bp_real_mode = real_int3;
		caps->dr_exec = real->dr_exec;
		caps->dr_write_watch = real->dr_write;
		caps->dr_read_watch = real->dr_read;
		caps->step = real->step;
	} else {
		caps->sw_bp = caps->sw_bp_real_mode = all_int3 && real_int3;
		caps->kind = caps->sw_bp && caps->dr_exec && caps->dr_write_watch && caps->dr_read_watch &&
				     caps->step
			     ? DEBUG_HOST_HARDWARE
			     : DEBUG_HOST_EMULATED;
	}
	return 0;
}

/* "model name" and the flags that matter here, from /proc/cpuinfo's first CPU. */
void arch_host_report(FILE *out, int kvm_fd)
{
	static const char *const wanted[] = { "vmx", "svm", "npt", "ept", "la57", "hypervisor" };
	char line[8192], model[256] = "?", flags[128] = "";
	struct kvm_cpuid2 *cpuid = supported_cpuid(kvm_fd);
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct utsname u;

	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		v += strspn(v + 1, " ") + 1;
		v[strcspn(v, "\n")] = 0;
		if (strncmp(line, "model name", 10) == 0 && model[0] == '?')
			snprintf(model, sizeof(model), "%s", v);
		if (strncmp(line, "flags", 5) == 0) {
			size_t used = 0;

			for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
				char word[32];

				snprintf(word, sizeof(word), " %s ", wanted[i]);
				memmove(line, v - 1, strlen(v - 1) + 1); /* " flag flag ..." */
				strcat(line, " ");
				if (strstr(line, word))
					used += (size_t)snprintf(flags + used, sizeof(flags) - used, "%s%s",
								 used ? " " : "", wanted[i]);
				v = line + 1;
			}
			break;
		}
	}
	if (f)
		fclose(f);
	if (uname(&u) == 0)
		fprintf(out, "host: %s %s %s\n", u.sysname, u.release, u.machine);
	fprintf(out, "CPU: %s; flags of note: %s\n", model, flags[0] ? flags : "none");
	fprintf(out, "KVM: API %d; runs guests %s; KVM_CAP_SET_GUEST_DEBUG2 flags 0x%x; "
		"read-only memory slots %s; LA57 offered to guests %s\n",
		ioctl(kvm_fd, KVM_GET_API_VERSION, 0),
		x86_host_kvm_is_emulated() ? "through its instruction emulator (no vmx/svm flag: PVM or alike)"
					   : "with VT-x/AMD-V",
		(unsigned)ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2),
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0 ? "yes" : "no",
		cpuid && cpuid_has_la57(cpuid) ? "yes" : "no");
	free(cpuid);
}
