/* SPDX-License-Identifier: MIT */
/*
 * The x86 half of the debugger: gdb's registers <-> KVM state, the debug
 * registers behind hardware breakpoints and watchpoints, what a debug exit
 * means, address translation for gdb's memory accesses, and the x86 monitor
 * commands. Facts: SDM vol. 3 ch. 17 (debug registers, DR6/DR7), the KVM
 * API document (KVM_SET_GUEST_DEBUG, struct kvm_debug_exit_arch).
 */
#include "../arch.h"
#include "../debug.h"
#include "../error.h"
#include "../vcpu.h"
#include "../vm.h"
#include "../../gdbstub/arch_x86.h"
#include "../../gdbstub/gdbstub.h"
#include "paging.h"
#include "x86.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define MSR_FS_BASE        0xC0000100
#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_IA32_APICBASE  0x1B

#define DR6_BS (1U << 14)
#define DR7_GE (1U << 9)
#define DR7_LE (1U << 8)

#define INT3 0xCC

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

int arch_vcpu_set_debug(struct vcpu *vcpu)
{
	const struct debug_arch_state *st = vcpu->vm->debug ? debug_arch_state(vcpu->vm->debug) : NULL;
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	vcpu->debug_dirty = false;
	if (st) {
		bool stepping = vcpu->mode == VCPU_STEP || vcpu->mode == VCPU_RANGE_STEP;
		bool hw = false;

		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
		for (unsigned i = 0; i < DEBUG_HW_SLOTS; i++) {
			if (!st->hw[i].used)
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
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return err_set(EXIT_HOST, "KVM_SET_GUEST_DEBUG failed: %s", strerror(errno));
	return 0;
}

/* Give the guest the #BP its own int3 raised (KVM took it for us). */
static bool reinject_breakpoint(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	/* #BP is a trap: the handler sees RIP after the one-byte int3. */
	regs.rip += 1;
	ev.exception.injected = 1;
	ev.exception.nr = 3;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return ioctl(vcpu->fd, KVM_SET_REGS, &regs) == 0 &&
	       ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
}

uint64_t arch_debug_exit(struct vcpu *vcpu, struct vcpu_stop *why)
{
	const struct kvm_debug_exit_arch *a = &vcpu->run->debug.arch;
	struct debug *dbg = vcpu->vm->debug;

	why->kind = VCPU_STOP_NONE;
	if (a->exception == 3) {
		if (dbg && debug_is_breakpoint(dbg, a->pc)) {
			why->kind = VCPU_STOP_SWBREAK;
			why->addr = a->pc;
		} else if (!reinject_breakpoint(vcpu)) {
			why->kind = VCPU_STOP_CRASH;
		}
		return a->pc;
	}
	/* #DB: which debug register fired (B0-B3), or a single step (BS). */
	if (dbg) {
		const struct debug_arch_state *st = debug_arch_state(dbg);

		for (unsigned i = 0; i < DEBUG_HW_SLOTS; i++) {
			if (!(a->dr6 & (1U << i)) || !st->hw[i].used)
				continue;
			switch (st->hw[i].type) {
			case DEBUG_HW_EXEC:
				why->kind = st->hw[i].for_sw ? VCPU_STOP_SWBREAK : VCPU_STOP_HWBREAK;
				break;
			case DEBUG_HW_WRITE: why->kind = VCPU_STOP_WATCH; break;
			case DEBUG_HW_READ: why->kind = VCPU_STOP_RWATCH; break;
			case DEBUG_HW_ACCESS: why->kind = VCPU_STOP_AWATCH; break;
			}
			why->addr = st->hw[i].addr;
			return a->pc;
		}
	}
	if (a->dr6 & DR6_BS || vcpu->mode == VCPU_STEP || vcpu->mode == VCPU_RANGE_STEP)
		why->kind = VCPU_STOP_STEP;
	return a->pc;
}

/* ---- translation ---- */

static int get_paging(struct vcpu *vcpu, struct kvm_sregs *s, struct paging_regs *p)
{
	if (ioctl(vcpu->fd, KVM_GET_SREGS, s) < 0)
		return -errno;
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

int arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct walk w;
	int r = translate_walk(vcpu, gva, &w);

	*gpa = w.gpa;
	return r;
}

bool arch_emulation_failure(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct paging_regs p;
	struct walk w;
	uint64_t linear;
	uint8_t byte;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || get_paging(vcpu, &s, &p) < 0)
		return false;
	linear = s.cs.base + regs.rip;
	if (page_walk(&vcpu->vm->mem, &p, linear, &w) < 0 ||
	    guest_mem_read(&vcpu->vm->mem, w.gpa, &byte, 1) < 0 || byte != INT3)
		return false;
	if (vcpu->vm->debug && debug_is_breakpoint(vcpu->vm->debug, linear)) {
		struct vcpu_stop why = { VCPU_STOP_SWBREAK, linear };

		vm_debug_stop(vcpu->vm, vcpu, &why);
		return true;
	}
	return reinject_breakpoint(vcpu);
}

/* ---- registers ---- */

/* FXSAVE's abridged tag byte -> the full x87 tag word gdb shows (SDM vol. 1 §10.5.1.1). */
static uint32_t full_ftag(const struct kvm_fpu *f)
{
	unsigned top = (f->fsw >> 11) & 7;
	uint32_t tag = 0;

	for (unsigned phys = 0; phys < 8; phys++) {
		unsigned st = (phys - top) & 7; /* fpr[] is in stack order */
		const uint8_t *r = f->fpr[st];
		uint16_t exp = (uint16_t)(r[8] | (r[9] << 8)) & 0x7FFF;
		uint64_t mant;
		unsigned t;

		memcpy(&mant, r, 8);
		if (!(f->ftwx & (1U << phys)))
			t = 3;                       /* empty */
		else if (exp == 0x7FFF || (exp == 0 && mant) || (exp && !(mant >> 63)))
			t = 2;                       /* special */
		else if (exp == 0 && !mant)
			t = 1;                       /* zero */
		else
			t = 0;                       /* valid */
		tag |= t << (2 * phys);
	}
	return tag;
}

static uint8_t abridged_ftag(uint32_t full)
{
	uint8_t t = 0;

	for (unsigned i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			t |= 1U << i;
	return t;
}

struct x86_kvm_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;      /* x87/SSE state, decoded from the XSAVE area */
	struct kvm_xsave xsave;  /* KVM_GET_XSAVE: the one source that is complete */
	uint64_t k_gs_base;
};

/*
 * The XSAVE area's first 512 bytes are in FXSAVE layout (SDM vol. 1
 * §10.5.1). KVM_GET_FPU would be simpler, but some kernels (this project's
 * PVM hosts among them) return MXCSR as zero there, so read the real thing.
 */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32
#define FX_XMM 160
#define XSAVE_XSTATE_BV 512

static void fpu_from_xsave(const struct kvm_xsave *x, struct kvm_fpu *f)
{
	const uint8_t *b = (const uint8_t *)x->region;

	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, b + FX_FCW, 2);
	memcpy(&f->fsw, b + FX_FSW, 2);
	f->ftwx = b[FX_FTW];
	memcpy(&f->last_opcode, b + FX_FOP, 2);
	memcpy(&f->last_ip, b + FX_FIP, 8);
	memcpy(&f->last_dp, b + FX_FDP, 8);
	memcpy(&f->mxcsr, b + FX_MXCSR, 4);
	for (int i = 0; i < 8; i++)
		memcpy(f->fpr[i], b + FX_ST + 16 * i, 16);
	memcpy(f->xmm, b + FX_XMM, sizeof(f->xmm));
}

static void fpu_to_xsave(const struct kvm_fpu *f, struct kvm_xsave *x)
{
	uint8_t *b = (uint8_t *)x->region;
	uint64_t bv;

	memcpy(b + FX_FCW, &f->fcw, 2);
	memcpy(b + FX_FSW, &f->fsw, 2);
	b[FX_FTW] = f->ftwx;
	memcpy(b + FX_FOP, &f->last_opcode, 2);
	memcpy(b + FX_FIP, &f->last_ip, 8);
	memcpy(b + FX_FDP, &f->last_dp, 8);
	memcpy(b + FX_MXCSR, &f->mxcsr, 4);
	for (int i = 0; i < 8; i++)
		memcpy(b + FX_ST + 16 * i, f->fpr[i], 10);
	memcpy(b + FX_XMM, f->xmm, sizeof(f->xmm));
	/* Mark x87 and SSE state as present, or the CPU would load their init values. */
	memcpy(&bv, b + XSAVE_XSTATE_BV, 8);
	bv |= 3;
	memcpy(b + XSAVE_XSTATE_BV, &bv, 8);
}

static int msr_get(struct vcpu *vcpu, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -EIO;
	*val = m.e.data;
	return 0;
}

static int msr_set(struct vcpu *vcpu, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = val };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EIO;
}

static int kvm_state_get(struct vcpu *vcpu, struct x86_kvm_state *k)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, &k->regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &k->sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_XSAVE, &k->xsave) < 0)
		return -errno;
	fpu_from_xsave(&k->xsave, &k->fpu);
	return msr_get(vcpu, MSR_KERNEL_GS_BASE, &k->k_gs_base);
}

static void to_gdb(const struct x86_kvm_state *k, struct gdb_x86_state *g)
{
	const struct kvm_regs *r = &k->regs;
	const struct kvm_sregs *s = &k->sregs;
	const struct kvm_fpu *f = &k->fpu;
	const uint64_t gpr[16] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
				   r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

	memset(g, 0, sizeof(*g));
	memcpy(g->gpr, gpr, sizeof(gpr));
	g->rip = r->rip;
	g->eflags = r->rflags;
	g->seg[0] = s->cs.selector;
	g->seg[1] = s->ss.selector;
	g->seg[2] = s->ds.selector;
	g->seg[3] = s->es.selector;
	g->seg[4] = s->fs.selector;
	g->seg[5] = s->gs.selector;
	for (int i = 0; i < 8; i++)
		memcpy(g->st[i], f->fpr[i], 10);
	g->fctrl = f->fcw;
	g->fstat = f->fsw;
	g->ftag = full_ftag(f);
	g->fioff = (uint32_t)f->last_ip;
	g->fiseg = (uint32_t)(f->last_ip >> 32) & 0xFFFF;
	g->fooff = (uint32_t)f->last_dp;
	g->foseg = (uint32_t)(f->last_dp >> 32) & 0xFFFF;
	g->fop = f->last_opcode & 0x7FF;
	memcpy(g->xmm, f->xmm, sizeof(g->xmm));
	g->mxcsr = f->mxcsr;
	g->fs_base = s->fs.base;
	g->gs_base = s->gs.base;
	g->k_gs_base = k->k_gs_base;
	g->cr0 = s->cr0;
	g->cr2 = s->cr2;
	g->cr3 = s->cr3;
	g->cr4 = s->cr4;
	g->cr8 = s->cr8;
	g->efer = s->efer;
}

static void set_selector(struct kvm_segment *seg, uint32_t sel, bool real_mode)
{
	if (seg->selector == (uint16_t)sel)
		return;
	seg->selector = (uint16_t)sel;
	/* In real mode a selector is the base; elsewhere the descriptor stays as loaded. */
	if (real_mode)
		seg->base = (uint64_t)(uint16_t)sel << 4;
}

/* Write back what differs between the old and new gdb views (fewest ioctls). */
static int from_gdb(struct vcpu *vcpu, struct x86_kvm_state *k, const struct gdb_x86_state *old,
		    const struct gdb_x86_state *g)
{
	struct kvm_regs *r = &k->regs;
	struct kvm_sregs *s = &k->sregs;
	struct kvm_fpu *f = &k->fpu;
	bool real_mode = !(s->cr0 & 1);

	if (memcmp(old->gpr, g->gpr, sizeof(g->gpr)) || old->rip != g->rip || old->eflags != g->eflags) {
		__u64 *dst[16] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp,
				      &r->rsp, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
				      &r->r14, &r->r15 };

		for (int i = 0; i < 16; i++)
			*dst[i] = g->gpr[i];
		r->rip = g->rip;
		r->rflags = g->eflags | 2; /* bit 1 always reads as one */
		if (ioctl(vcpu->fd, KVM_SET_REGS, r) < 0)
			return -errno;
	}
	if (memcmp(old->seg, g->seg, sizeof(g->seg)) || old->fs_base != g->fs_base ||
	    old->gs_base != g->gs_base || old->cr0 != g->cr0 || old->cr2 != g->cr2 ||
	    old->cr3 != g->cr3 || old->cr4 != g->cr4 || old->cr8 != g->cr8 || old->efer != g->efer) {
		set_selector(&s->cs, g->seg[0], real_mode);
		set_selector(&s->ss, g->seg[1], real_mode);
		set_selector(&s->ds, g->seg[2], real_mode);
		set_selector(&s->es, g->seg[3], real_mode);
		set_selector(&s->fs, g->seg[4], real_mode);
		set_selector(&s->gs, g->seg[5], real_mode);
		s->fs.base = g->fs_base;
		s->gs.base = g->gs_base;
		s->cr0 = g->cr0;
		s->cr2 = g->cr2;
		s->cr3 = g->cr3;
		s->cr4 = g->cr4;
		s->cr8 = g->cr8;
		s->efer = g->efer;
		if (ioctl(vcpu->fd, KVM_SET_SREGS, s) < 0)
			return -errno;
	}
	if (memcmp(old->st, g->st, sizeof(g->st)) || old->fctrl != g->fctrl ||
	    old->fstat != g->fstat || old->ftag != g->ftag || old->fioff != g->fioff ||
	    old->fiseg != g->fiseg || old->fooff != g->fooff || old->foseg != g->foseg ||
	    old->fop != g->fop || memcmp(old->xmm, g->xmm, sizeof(g->xmm)) ||
	    old->mxcsr != g->mxcsr) {
		for (int i = 0; i < 8; i++)
			memcpy(f->fpr[i], g->st[i], 10);
		f->fcw = (uint16_t)g->fctrl;
		f->fsw = (uint16_t)g->fstat;
		f->ftwx = abridged_ftag(g->ftag);
		f->last_ip = g->fioff | ((uint64_t)(g->fiseg & 0xFFFF) << 32);
		f->last_dp = g->fooff | ((uint64_t)(g->foseg & 0xFFFF) << 32);
		f->last_opcode = (uint16_t)(g->fop & 0x7FF);
		memcpy(f->xmm, g->xmm, sizeof(g->xmm));
		f->mxcsr = g->mxcsr;
		fpu_to_xsave(f, &k->xsave);
		if (ioctl(vcpu->fd, KVM_SET_XSAVE, &k->xsave) < 0)
			return -errno;
	}
	if (old->k_gs_base != g->k_gs_base)
		return msr_set(vcpu, MSR_KERNEL_GS_BASE, g->k_gs_base);
	return 0;
}

const struct gdb_arch *arch_gdb_layout(const struct vm *vm)
{
	/* The image decides, not the moment: a 64-bit kernel keeps one layout from real mode on. */
	if (vm->cfg->gdb_arch)
		return vm->cfg->gdb_arch == 64 ? &gdb_arch_x86_64 : &gdb_arch_i386;
	return vm->boot.image_64bit ? &gdb_arch_x86_64 : &gdb_arch_i386;
}

int arch_gdb_read_regs(struct vcpu *vcpu, uint8_t *buf)
{
	struct x86_kvm_state k;
	struct gdb_x86_state g;
	int r = kvm_state_get(vcpu, &k);

	if (r < 0)
		return r;
	to_gdb(&k, &g);
	gdb_x86_pack(arch_gdb_layout(vcpu->vm), &g, buf);
	return 0;
}

int arch_gdb_write_regs(struct vcpu *vcpu, const uint8_t *buf, int regno)
{
	const struct gdb_arch *layout = arch_gdb_layout(vcpu->vm);
	struct x86_kvm_state k;
	struct gdb_x86_state old, g;
	int r = kvm_state_get(vcpu, &k);

	if (r < 0)
		return r;
	to_gdb(&k, &old);
	g = old;
	if (regno < 0)
		gdb_x86_unpack(layout, buf, &g);
	else
		gdb_x86_unpack_reg(layout, (unsigned)regno, buf, &g);
	return from_gdb(vcpu, &k, &old, &g);
}

/* ---- descriptions and monitor commands ---- */

bool arch_vcpu_real_mode(struct vcpu *vcpu)
{
	struct kvm_sregs s;

	return ioctl(vcpu->fd, KVM_GET_SREGS, &s) == 0 && !(s.cr0 & 1);
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
	msr_get(vcpu, MSR_IA32_APICBASE, &apic);
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
	char *end;
	unsigned long long gva;
	struct walk w;
	void *hva;
	int r;

	while (*arg == ' ')
		arg++;
	errno = 0;
	gva = strtoull(arg, &end, 0);
	if (!*arg || errno || (*end && *end != ' ')) {
		gdb_console_printf(out, "usage: monitor translate ADDR\n");
		return -EINVAL;
	}
	r = translate_walk(vcpu, gva, &w);
	gdb_console_printf(out, "GVA %#llx on vCPU %d, %s\n", gva, vcpu->id, paging_mode_name(w.mode));
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
	if (hva)
		gdb_console_printf(out, "  -> HVA %p (guest RAM mapping + %#llx, via a KVM memory slot)\n",
				   hva, (unsigned long long)((uint8_t *)hva - vcpu->vm->mem.host));
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

const uint8_t arch_breakpoint_insn[] = { INT3 };
const size_t arch_breakpoint_len = sizeof(arch_breakpoint_insn);
