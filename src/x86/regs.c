/* SPDX-License-Identifier: MIT */
/*
 * gdb's registers <-> KVM's vCPU state. gdb sees one flat list in the
 * layout of the image (gdbstub/arch_x86.c); KVM keeps them in several
 * structures: kvm_regs (general registers), kvm_sregs (segments, control
 * registers, EFER), the XSAVE area (x87, SSE) and MSRs (KERNEL_GS_BASE).
 */
#include "arch.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/arch_x86.h"
#include "bits.h"
#include "x86.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

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

/*
 * A stopped vCPU's registers, cached by the KVM structure they come from, so
 * that a stop reply (three expedited registers) costs one KVM_GET_REGS and a
 * 'g' that follows costs the rest once. Valid while the vCPU stays parked
 * and vm->run_gen has not moved on (it does at every resume and reset);
 * writes refresh what they change.
 */
enum { GRP_REGS = 1, GRP_SREGS = 2, GRP_XSAVE = 4, GRP_MSR = 8, GRP_ALL = 15 };

struct x86_kvm_state {
	uint64_t gen;            /* vm->run_gen the cache belongs to */
	unsigned valid;          /* GRP_* loaded */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;      /* x87/SSE state, decoded from the XSAVE area */
	struct kvm_xsave xsave;  /* KVM_GET_XSAVE: the one source that is complete */
	uint64_t k_gs_base;
	uint64_t orig_rax;       /* gdb's orig_rax (no CPU register): -1 until gdb writes it */
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

static struct x86_kvm_state *cache_of(struct vcpu *vcpu)
{
	struct x86_kvm_state *k = vcpu->arch_regs;

	if (!k) {
		k = vcpu->arch_regs = calloc(1, sizeof(*k));
		if (k)
			k->orig_rax = ~0ULL;
	}
	/*
	 * Only a parked vCPU's registers hold still. Its own thread, reading
	 * them at a breakpoint while running (conditions), always reads afresh.
	 */
	if (k && (k->gen != vcpu->vm->run_gen || !vcpu->parked)) {
		k->gen = vcpu->vm->run_gen;
		k->valid = 0;
		k->orig_rax = ~0ULL;
	}
	return k;
}

/* Load the groups wanted that the cache lacks. */
static int kvm_state_get(struct vcpu *vcpu, struct x86_kvm_state *k, unsigned want)
{
	unsigned need = want & ~k->valid;

	if ((need & GRP_REGS) && ioctl(vcpu->fd, KVM_GET_REGS, &k->regs) < 0)
		return -errno;
	if ((need & GRP_SREGS) && ioctl(vcpu->fd, KVM_GET_SREGS, &k->sregs) < 0)
		return -errno;
	if (need & GRP_XSAVE) {
		if (ioctl(vcpu->fd, KVM_GET_XSAVE, &k->xsave) < 0)
			return -errno;
		fpu_from_xsave(&k->xsave, &k->fpu);
	}
	if ((need & GRP_MSR) && x86_msr_get(vcpu, MSR_KERNEL_GS_BASE, &k->k_gs_base) < 0)
		return -EIO;
	k->valid |= need;
	return 0;
}

/* Which KVM structure holds gdb register regno of this layout. */
static unsigned group_of(const struct gdb_arch *layout, unsigned regno)
{
	unsigned id = layout->regs[regno].id;

	if (id <= GDB_X86_EFLAGS)
		return GRP_REGS;
	if (id >= GDB_X86_ST0 && id <= GDB_X86_MXCSR)
		return GRP_XSAVE;
	if (id == GDB_X86_K_GS_BASE)
		return GRP_MSR;
	if (id == GDB_X86_ORIG_RAX)
		return 0; /* kept here, not in KVM */
	return GRP_SREGS;
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
	g->orig_rax = k->orig_rax;
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
	bool real_mode = !(s->cr0 & CR0_PE);

	k->orig_rax = g->orig_rax; /* only remembered: see gdbstub/arch_x86.c */
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
		k->valid &= ~GRP_SREGS; /* KVM may have adjusted what it took: reread */
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
		return x86_msr_set(vcpu, MSR_KERNEL_GS_BASE, g->k_gs_base);
	return 0;
}

const struct gdb_arch *arch_gdb_layout(const struct vm *vm)
{
	/* The image decides, not the moment: a 64-bit kernel keeps one layout from real mode on. */
	if (vm->cfg->gdb_arch)
		return vm->cfg->gdb_arch == 64 ? &gdb_arch_x86_64 : &gdb_arch_i386;
	return vm->boot.image_64bit ? &gdb_arch_x86_64 : &gdb_arch_i386;
}

/* The vCPU's state with at least the groups in want loaded, as gdb sees it. */
static int gdb_view(struct vcpu *vcpu, unsigned want, struct x86_kvm_state **kp,
		    struct gdb_x86_state *g)
{
	struct x86_kvm_state *k = cache_of(vcpu);
	int r;

	if (!k)
		return -ENOMEM;
	r = kvm_state_get(vcpu, k, want);
	if (r < 0)
		return r;
	to_gdb(k, g);
	*kp = k;
	return 0;
}

int x86_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct x86_kvm_state *k = cache_of(vcpu);
	int r;

	if (!k)
		return -ENOMEM;
	r = kvm_state_get(vcpu, k, GRP_SREGS);
	if (r < 0)
		return r;
	*sregs = k->sregs;
	return 0;
}

int arch_gdb_read_regs(struct vcpu *vcpu, uint8_t *buf)
{
	struct x86_kvm_state *k;
	struct gdb_x86_state g;
	int r = gdb_view(vcpu, GRP_ALL, &k, &g);

	if (r < 0)
		return r;
	gdb_x86_pack(arch_gdb_layout(vcpu->vm), &g, buf);
	return 0;
}

int arch_gdb_read_reg(struct vcpu *vcpu, unsigned regno, uint8_t *buf)
{
	const struct gdb_arch *layout = arch_gdb_layout(vcpu->vm);
	struct x86_kvm_state *k;
	struct gdb_x86_state g;
	int r;

	if (regno >= layout->nregs)
		return -EINVAL;
	r = gdb_view(vcpu, group_of(layout, regno), &k, &g);
	if (r < 0)
		return r;
	gdb_x86_pack_reg(layout, &g, regno, buf);
	return 0;
}

int arch_gdb_write_regs(struct vcpu *vcpu, const uint8_t *buf, int regno)
{
	const struct gdb_arch *layout = arch_gdb_layout(vcpu->vm);
	struct x86_kvm_state *k;
	struct gdb_x86_state old, g;
	int r = gdb_view(vcpu, GRP_ALL, &k, &old);

	if (r < 0)
		return r;
	g = old;
	if (regno < 0)
		gdb_x86_unpack(layout, buf, &g);
	else
		gdb_x86_unpack_reg(layout, (unsigned)regno, buf, &g);
	r = from_gdb(vcpu, k, &old, &g);
	/* from_gdb() wrote the cache's structures through: keep them, unless it failed. */
	if (r < 0)
		k->valid = 0;
	return r;
}
