/* SPDX-License-Identifier: MIT */
/*
 * The x86 half of the debugger: the debug registers behind hardware
 * breakpoints and watchpoints, what a debug exit means, address translation
 * for gdb's memory accesses, and the x86 monitor commands. Registers are in
 * regs.c. Facts: SDM vol. 3 ch. 17 (debug registers, DR6/DR7), the KVM
 * API document (KVM_SET_GUEST_DEBUG, struct kvm_debug_exit_arch).
 */
#include "arch.h"
#include "error.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/gdbstub.h"
#include "bits.h"
#include "paging.h"
#include "x86.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>


/* ---- debug registers and KVM_SET_GUEST_DEBUG ---- */

static uint64_t dr7_bits(const struct debug_hw_slot *s, unsigned i)
{
	/* RW: 00 execute, 01 write, 11 read/write (x86 has no read-only). */
	static const unsigned rw[] = { [DEBUG_HW_EXEC] = 0, [DEBUG_HW_WRITE] = 1,
				       [DEBUG_HW_READ] = 3, [DEBUG_HW_ACCESS] = 3 };
	/* LEN: 00 one byte, 01 two, 11 four, 10 eight; execute breakpoints use 00. */
	unsigned len = s->type == DEBUG_HW_EXEC ? 0 :
		       s->len == 2 ? 1 : s->len == 4 ? 3 : s->len == 8 ? 2 : 0;

	return (1ULL << (2 * i)) | ((uint64_t)rw[s->type] << (16 + 4 * i)) |
	       ((uint64_t)len << (18 + 4 * i));
}

int arch_vcpu_set_debug(struct vcpu *vcpu, const struct debug_arch_state *st)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	if (st && vcpu->stepping_over) {
		/* One instruction with no breakpoint or watchpoint in the way. */
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
		if (st->block_irq)
			dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
	} else if (st) {
		bool stepping = vcpu->mode == VCPU_STEP || vcpu->mode == VCPU_RANGE_STEP;
		bool hw = false;

		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
		for (unsigned i = 0; i < DEBUG_HW_SLOTS; i++) {
			if (!st->hw[i].used || st->hw[i].patched)
				continue;
			hw = true;
			dbg.arch.debugreg[i] = st->hw[i].addr;
			dbg.arch.debugreg[7] |= dr7_bits(&st->hw[i], i);
		}
		if (hw) {
			dbg.control |= KVM_GUESTDBG_USE_HW_BP;
			dbg.arch.debugreg[7] |= DR7_GE | DR7_LE;
		}
		if (stepping) {
			dbg.control |= KVM_GUESTDBG_SINGLESTEP;
			/* Step the guest's code, not the timer interrupt that is pending. */
			if (!st->step_irq && st->block_irq)
				dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
		}
	}
	/* The same settings as last time (every step of a stepi): nothing to tell KVM. */
	if (vcpu->arch_debug && memcmp(vcpu->arch_debug, &dbg, sizeof(dbg)) == 0)
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return err_set(EXIT_HOST, "KVM_SET_GUEST_DEBUG failed: %s", strerror(errno));
	if (!vcpu->arch_debug)
		vcpu->arch_debug = malloc(sizeof(dbg));
	if (vcpu->arch_debug)
		memcpy(vcpu->arch_debug, &dbg, sizeof(dbg));
	return 0;
}


void arch_debug_exit(struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	const struct kvm_debug_exit_arch *a = &vcpu->run->debug.arch;
	const struct kvm_guest_debug *set = vcpu->arch_debug; /* what we asked KVM for */

	ev->pc = a->pc;
	ev->slot = 0;
	if (a->exception == 3) {
		ev->kind = VCPU_DEBUG_BREAK_INSN;
		return;
	}
	/* #DB: which enabled debug register fired (B0-B3), or a single step (BS). */
	for (unsigned i = 0; i < 4 && set; i++) {
		if ((a->dr6 & (1U << i)) && (set->arch.debugreg[7] & (3ULL << (2 * i)))) {
			ev->kind = VCPU_DEBUG_DR;
			ev->slot = i;
			return;
		}
	}
	ev->kind = a->dr6 & DR6_BS || (set && (set->control & KVM_GUESTDBG_SINGLESTEP)) ?
		   VCPU_DEBUG_STEP : VCPU_DEBUG_NONE;
}

/* ---- translation ---- */

static int get_paging(struct vcpu *vcpu, struct kvm_sregs *s, struct paging_regs *p)
{
	/* Through the register cache: a memory read walks once per page. */
	int r = x86_get_sregs(vcpu, s);

	if (r < 0)
		return r;
	p->cr0 = s->cr0;
	p->cr3 = s->cr3;
	p->cr4 = s->cr4;
	p->efer = s->efer;
	return 0;
}

static int translate_walk(struct vcpu *vcpu, uint64_t gva, struct walk *w)
{
	struct kvm_sregs s;
	struct paging_regs p;
	int r = get_paging(vcpu, &s, &p);

	if (r < 0) {
		memset(w, 0, sizeof(*w));
		return r;
	}
	return page_walk(&vcpu->vm->mem, &p, gva, w) < 0 ? -EFAULT : 0;
}

int arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa, uint64_t *span)
{
	struct walk w;
	int r = translate_walk(vcpu, gva, &w);

	*gpa = w.gpa;
	/* A large page maps its whole size at once: one walk serves all of it. */
	*span = w.page_size ? w.page_size - (gva & (w.page_size - 1)) : UINT64_MAX;
	return r;
}


/* ---- descriptions and monitor commands ---- */

bool arch_vcpu_real_mode(struct vcpu *vcpu)
{
	struct kvm_sregs s;

	return ioctl(vcpu->fd, KVM_GET_SREGS, &s) == 0 && !(s.cr0 & CR0_PE);
}

int arch_describe_vcpu(struct vcpu *vcpu, char *buf, size_t size)
{
	struct kvm_sregs s;
	struct kvm_mp_state mp;
	const char *state = "runnable";

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0 || ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	switch (mp.mp_state) {
	case KVM_MP_STATE_HALTED: state = "halted"; break;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED: state = "waiting for INIT-SIPI"; break;
	case KVM_MP_STATE_SIPI_RECEIVED: state = "starting"; break;
	default: break;
	}
	snprintf(buf, size, "vCPU %d, %s, %s", vcpu->id,
		 mp.mp_state == KVM_MP_STATE_UNINITIALIZED ? "not started" : x86_mode_name(&s), state);
	return 0;
}

static int monitor_sregs(struct vcpu *vcpu, struct gdb_console *out)
{
	struct kvm_sregs s;
	uint64_t apic = 0;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	x86_msr_get(vcpu, MSR_IA32_APICBASE, &apic);
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f, "vCPU %d:\n", vcpu->id);
	x86_print_sregs(f, &s, apic);
	fclose(f);
	gdb_console_write(out, text, size);
	free(text);
	return 0;
}

static int monitor_translate(struct vcpu *vcpu, const char *arg, struct gdb_console *out)
{
	uint64_t gva;
	struct walk w;
	void *hva;
	int r = gdb_monitor_number_arg(arg, "translate ADDR", out, &gva);

	if (r < 0)
		return r;
	r = translate_walk(vcpu, gva, &w);
	gdb_console_printf(out, "GVA %#" PRIx64 " on vCPU %d, %s\n", gva, vcpu->id, paging_mode_name(w.mode));
	if (w.mode != PAGING_NONE && r != -EFAULT && r < 0)
		return r;
	for (int i = 0; i < w.nsteps; i++)
		gdb_console_printf(out, "  %-5s at GPA %#llx = %#018llx\n", w.steps[i].name,
				   (unsigned long long)w.steps[i].entry_gpa,
				   (unsigned long long)w.steps[i].entry);
	if (r < 0) {
		gdb_console_printf(out, "  not mapped: %s\n", w.error);
		return 0;
	}
	if (w.page_size)
		gdb_console_printf(out, "  -> GPA %#llx (%llu KiB page%s%s%s)\n",
				   (unsigned long long)w.gpa, (unsigned long long)(w.page_size >> 10),
				   w.writable ? ", writable" : ", read-only", w.user ? ", user" : "",
				   w.nx ? ", no-execute" : "");
	else
		gdb_console_printf(out, "  -> GPA %#llx (paging off: identity)\n",
				   (unsigned long long)w.gpa);
	hva = guest_mem_ptr(&vcpu->vm->mem, w.gpa, 1);
	/* The host address only with -v: it would tell any client where minikvm's memory is. */
	if (hva && vcpu->vm->cfg->verbose)
		gdb_console_printf(out, "  -> HVA %p (guest RAM mapping + %#llx, via a KVM memory slot)\n",
				   hva, (unsigned long long)((uint8_t *)hva - vcpu->vm->mem.host));
	else if (hva)
		gdb_console_printf(out, "  -> guest RAM + %#llx, via a KVM memory slot (host address: "
				   "minikvm -v)\n", (unsigned long long)((uint8_t *)hva - vcpu->vm->mem.host));
	else
		gdb_console_printf(out, "  -> not RAM (MMIO or nothing)\n");
	return 0;
}

static const struct gdb_monitor_cmd x86_monitor_cmds[] = {
	{ "info sregs", NULL, "segments, descriptor tables, control registers, EFER, APIC base" },
	{ "translate", "ADDR", "walk the page tables: GVA -> each entry -> GPA -> host address" },
	{ NULL, NULL, NULL },
};

const struct gdb_monitor_cmd *const arch_monitor_cmds = x86_monitor_cmds;

int arch_monitor(struct vcpu *vcpu, const char *cmd, struct gdb_console *out)
{
	if (strcmp(cmd, "info sregs") == 0)
		return monitor_sregs(vcpu, out);
	if (strncmp(cmd, "translate", 9) == 0 && (cmd[9] == ' ' || !cmd[9]))
		return monitor_translate(vcpu, cmd + 9, out);
	return -ENOENT;
}

int arch_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX])
{
	(void)kind; /* gdb's x86 kind is 1; one byte covers any instruction */
	insn[0] = INSN_INT3;
	return 1;
}

/* ---- breakpoints that exit as port I/O ---- */

/*
 * `in al, dx` is one byte, valid in every mode, and leaves the guest as a
 * KVM_EXIT_IO on every KVM: with the split irqchip no port is served inside
 * the kernel. KVM leaves RIP on it until the next KVM_RUN completes it.
 * (At CPL 3 with IOPL < 3 the CPU raises #GP instead: such breakpoints
 * cannot stop user code of a protected guest on these hosts.)
 */
#define IN_AL_DX 0xEC
int arch_io_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX])
{
	(void)kind;
	insn[0] = IN_AL_DX;
	return 1;
}

int arch_io_exit_pc(struct vcpu *vcpu, uint64_t *pc)
{
	const struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct kvm_sregs s;

	if (run->io.direction != KVM_EXIT_IO_IN || run->io.size != 1 || run->io.count != 1)
		return -1;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	/* Linear, like the pc of a debug exit (gdb's address in flat and real mode). */
	*pc = (s.efer & EFER_LMA) && s.cs.l ? regs.rip : (uint32_t)(s.cs.base + regs.rip);
	return 0;
}
