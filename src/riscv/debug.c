/* SPDX-License-Identifier: MIT */
/*
 * What RISC-V gives the debugger (debug_contract.h, part 1): registers
 * through KVM_GET/SET_ONE_REG, guest-virtual addresses through the guest's
 * satp (mmu.c), breakpoints with ebreak, and single steps that KVM cannot
 * do for us.
 *
 * KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_ENABLE takes the breakpoint
 * exception away from the guest (KVM stops delegating it): every ebreak
 * and c.ebreak then exits as KVM_EXIT_DEBUG with pc on it. RISC-V has no
 * single-step flag and KVM gives a VMM no debug triggers, so:
 *
 * - A step plants a temporary ebreak on each place the instruction at pc
 *   can go (insn.c decodes it, with the registers: one successor for a
 *   branch or jalr) and on the guest's trap vector (stvec: the instruction
 *   may fault, or be an ecall from user mode). They are planted just
 *   before each KVM_RUN and taken out right after it returns
 *   (arch_vcpu_run_begin/_end), so nobody ever sees them while the vCPU
 *   is out of the guest: not gdb's memory reads, not a snapshot. The step
 *   ends when the vCPU exits on one of them.
 * - Another hart may run into a planted ebreak meanwhile: it exits, finds
 *   the place in the table of planted ones (or no ebreak there any more)
 *   and simply runs again, until the stepping hart has taken it out.
 * - Interrupts stay masked during a step, as KVM_GUESTDBG_BLOCKIRQ does on
 *   x86: sie is 0 while the instruction runs, in KVM_RUN only (out of it,
 *   gdb, a snapshot, a stop in the middle see the guest's own value),
 *   except for wfi, which would then sleep for good, and for an
 *   instruction that reads or writes sie itself.
 * - An lr..sc sequence is stepped as a whole (a trap in between loses the
 *   reservation, and the sc would fail forever): the breakpoints go after
 *   the sc and wherever a branch leaves the sequence.
 * - An instruction that goes to itself (`j .`) cannot be stepped with a
 *   breakpoint: it is done here (its link register written), and the run
 *   ends as if it had exited on the step, without entering the guest.
 *
 * A guest's own ebreak goes back to it (arch_reinject_debug_event): the
 * breakpoint exception is raised in its supervisor mode as the hart would
 * have, scause 3, sepc and stval its address.
 */
#include "arch.h"
#include "debug_contract.h"
#include "error.h"
#include "guest_mem.h"
#include "insn.h"
#include "kvm_riscv.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/arch_riscv.h"
#include "../gdbstub/gdbstub.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define EBREAK   0x00100073u
#define C_EBREAK 0x9002u
#define CSR_SIE  0x104u
#define SSTATUS_SIE  (1ULL << 1)
#define SSTATUS_SPIE (1ULL << 5)
#define SSTATUS_SPP  (1ULL << 8)
#define CAUSE_BREAKPOINT 3

/* KVM's CSR indices (struct kvm_riscv_csr): the order gdb_riscv_csr follows. */
#define KVM_CSR_SSTATUS 0
#define KVM_CSR_SIE     1
#define KVM_CSR_STVEC   2
#define KVM_CSR_SEPC    4
#define KVM_CSR_SCAUSE  5
#define KVM_CSR_STVAL   6
#define KVM_CSR_SATP    8
#define KVM_FP_FCSR     32

#define MAX_TARGETS 8   /* successors, stvec, the exits of an lr/sc sequence */
#define MAX_PLANTED (MAX_CPUS * MAX_TARGETS)
#define LRSC_WINDOW 16  /* instructions: the constrained LR/SC loop's limit */

/* One planted ebreak (shared by the harts that step to the same place). */
struct planted {
	uint64_t gpa;
	unsigned len, refs;
	uint8_t orig[4];
};

static pthread_mutex_t planted_lock = PTHREAD_MUTEX_INITIALIZER;
static struct planted planted[MAX_PLANTED];
static int nplanted;

/* A vCPU's step (in vcpu->arch_debug). */
struct rv_step {
	bool armed;           /* a step is under way from armed_pc */
	bool self;            /* ... to itself: done without entering the guest */
	bool mask;            /* hold interrupts back for it: sie 0 in each KVM_RUN */
	bool masked;          /* ... now (in KVM_RUN): the guest's own value is in sie */
	bool done;            /* it ended: the next debug exit is VCPU_DEBUG_STEP */
	bool in_guest;        /* its breakpoints are planted (during KVM_RUN) */
	uint64_t armed_pc, sie;
	int ntargets;
	uint64_t target[MAX_TARGETS];  /* guest-virtual */
	uint64_t gpa[MAX_TARGETS];     /* where, or UINT64_MAX: not in RAM */
	unsigned len[MAX_TARGETS];     /* 2 (c.ebreak) or 4 (ebreak) */
	unsigned self_link;            /* `jal rd, .`: rd to write */
	uint64_t self_link_value;
	uint64_t control;              /* the last KVM_SET_GUEST_DEBUG control */
	bool control_set;
};

static struct rv_step *step_of(struct vcpu *vcpu)
{
	if (!vcpu->arch_debug)
		vcpu->arch_debug = calloc(1, sizeof(struct rv_step));
	return vcpu->arch_debug;
}

/* ---- registers ---- */

static uint64_t core_id(unsigned i) { return riscv_reg_id(KVM_REG_RISCV_CORE, i); }
static uint64_t csr_id(unsigned i) { return riscv_reg_id(KVM_REG_RISCV_CSR, i); }

static int get(struct vcpu *vcpu, uint64_t id, uint64_t *v)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)v };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static int set(struct vcpu *vcpu, uint64_t id, uint64_t v)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&v };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static bool has_fp(const struct vm *vm)
{
	/* riscv,isa: "rv64" then the single letters, up to the first '_'. */
	const char *isa = vm->arch.isa;
	size_t n = strcspn(isa, "_");

	return n > 4 && memchr(isa + 4, 'd', n - 4) != NULL;
}

const struct gdb_arch *arch_gdb_layout(const struct vm *vm)
{
	return has_fp(vm) ? &gdb_arch_riscv64 : &gdb_arch_riscv64_nofp;
}

static uint64_t fp_id(unsigned i)
{
	if (i == KVM_FP_FCSR)
		return KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | i;
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_D | i;
}

static int read_x(struct vcpu *vcpu, uint64_t x[32], uint64_t *pc)
{
	int r = get(vcpu, core_id(RISCV_CORE_PC), pc);

	x[0] = 0;
	for (unsigned i = 1; i < 32 && r == 0; i++)
		r = get(vcpu, core_id(i), &x[i]);
	return r;
}

static int read_state(struct vcpu *vcpu, struct gdb_riscv_state *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->has_fp = has_fp(vcpu->vm);
	r = read_x(vcpu, st->x, &st->pc);
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS && r == 0; i++)
		r = get(vcpu, csr_id(i), &st->csr[i]);
	if (r == 0)
		r = get(vcpu, core_id(RISCV_CORE_MODE), &st->priv);
	for (unsigned i = 0; i < 32 && r == 0 && st->has_fp; i++)
		r = get(vcpu, fp_id(i), &st->f[i]);
	if (r == 0 && st->has_fp) {
		uint32_t fcsr = 0;
		struct kvm_one_reg reg = { .id = fp_id(KVM_FP_FCSR), .addr = (uintptr_t)&fcsr };

		if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0)
			r = -errno;
		st->fcsr = fcsr;
		st->fflags = fcsr & 0x1f;
		st->frm = (fcsr >> 5) & 7;
	}
	return r;
}

int arch_gdb_read_regs(struct vcpu *vcpu, uint8_t *buf)
{
	struct gdb_riscv_state st;
	int r = read_state(vcpu, &st);

	if (r == 0)
		gdb_riscv_pack(arch_gdb_layout(vcpu->vm), &st, buf);
	return r;
}

int arch_gdb_read_reg(struct vcpu *vcpu, unsigned regno, uint8_t *buf)
{
	const struct gdb_arch *layout = arch_gdb_layout(vcpu->vm);
	struct gdb_riscv_state st;
	int r;

	if (regno >= layout->nregs)
		return -EINVAL;
	r = read_state(vcpu, &st);
	if (r == 0)
		gdb_riscv_pack_reg(layout, &st, regno, buf);
	return r;
}

/* Write back what differs from old: a register gdb did not change is not touched. */
static int write_state(struct vcpu *vcpu, const struct gdb_riscv_state *old,
		       const struct gdb_riscv_state *st)
{
	int r = 0;

	if (st->pc != old->pc)
		r = set(vcpu, core_id(RISCV_CORE_PC), st->pc);
	for (unsigned i = 1; i < 32 && r == 0; i++)
		if (st->x[i] != old->x[i])
			r = set(vcpu, core_id(i), st->x[i]);
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS && r == 0; i++) {
		if (st->csr[i] == old->csr[i])
			continue;
		r = set(vcpu, csr_id(i), st->csr[i]);
	}
	if (r == 0 && st->priv != old->priv)
		r = st->priv > 1 ? -EINVAL : set(vcpu, core_id(RISCV_CORE_MODE), st->priv);
	for (unsigned i = 0; i < 32 && r == 0 && st->has_fp; i++)
		if (st->f[i] != old->f[i])
			r = set(vcpu, fp_id(i), st->f[i]);
	if (r == 0 && st->has_fp && st->fcsr != old->fcsr) {
		uint32_t fcsr = st->fcsr;
		struct kvm_one_reg reg = { .id = fp_id(KVM_FP_FCSR), .addr = (uintptr_t)&fcsr };

		if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0)
			r = -errno;
	}
	return r;
}

int arch_gdb_write_regs(struct vcpu *vcpu, const uint8_t *buf, int regno)
{
	const struct gdb_arch *layout = arch_gdb_layout(vcpu->vm);
	struct gdb_riscv_state old, st;
	int r;

	if (regno >= (int)layout->nregs)
		return -EINVAL;
	r = read_state(vcpu, &old);
	if (r < 0)
		return r;
	st = old;
	if (regno < 0)
		gdb_riscv_unpack(layout, buf, &st);
	else
		gdb_riscv_unpack_reg(layout, (unsigned)regno, buf, &st);
	return write_state(vcpu, &old, &st);
}

/* ---- translation ---- */

static int read_gpa(void *ctx, uint64_t gpa, void *dst, uint64_t len)
{
	return guest_mem_read(ctx, gpa, dst, len);
}

static int walk(struct vcpu *vcpu, uint64_t gva, struct riscv_walk *w, uint64_t *satp)
{
	int r = get(vcpu, csr_id(KVM_CSR_SATP), satp);

	if (r < 0)
		return r;
	return riscv_page_walk(read_gpa, &vcpu->vm->mem, *satp, gva, w) < 0 ? -EFAULT : 0;
}

int arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa, uint64_t *span)
{
	struct riscv_walk w;
	uint64_t satp;
	int r = walk(vcpu, gva, &w, &satp);

	if (r < 0)
		return r;
	*gpa = w.gpa;
	*span = riscv_walk_span(&w, gva);
	return 0;
}

/* ---- breakpoints ---- */

int arch_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX])
{
	uint32_t v = kind == 2 ? C_EBREAK : EBREAK;

	if (kind != 2 && kind != 4)
		return -EINVAL;
	memcpy(insn, &v, (size_t)kind); /* little-endian, as RISC-V instructions are */
	return (int)kind;
}

/* ebreak reaches us on every RISC-V KVM (KVM_EXIT_DEBUG): no other instruction is needed. */
int arch_io_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX])
{
	(void)kind;
	(void)insn;
	return 0;
}

int arch_io_exit_pc(struct vcpu *vcpu, uint64_t *pc)
{
	(void)vcpu;
	(void)pc;
	return -1;
}

bool arch_vcpu_real_mode(struct vcpu *vcpu)
{
	(void)vcpu;
	return false;
}

int arch_vcpu_set_debug(struct vcpu *vcpu, const struct debug_arch_state *st)
{
	struct rv_step *s = step_of(vcpu);
	struct kvm_guest_debug dbg;

	if (!s)
		return err_set(EXIT_HOST, "out of memory");
	memset(&dbg, 0, sizeof(dbg));
	/* A debugger is there: every ebreak is ours to judge (a guest's own goes back to it). */
	if (st)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (s->control_set && s->control == dbg.control)
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return err_set(EXIT_HOST, "KVM_SET_GUEST_DEBUG failed: %s", strerror(errno));
	s->control = dbg.control;
	s->control_set = true;
	return 0;
}

/* The instruction's bytes at gva as the guest wrote them (under any planted ebreak): how many. */
static int fetch(struct vcpu *vcpu, uint64_t satp, uint64_t gva, uint8_t bytes[4])
{
	int n = 0;

	for (int half = 0; half < 2; half++) {
		struct riscv_walk w;
		uint8_t *host;
		uint64_t at = gva + 2 * (uint64_t)half;

		if (riscv_page_walk(read_gpa, &vcpu->vm->mem, satp, at, &w) < 0 ||
		    !(host = guest_mem_ptr(&vcpu->vm->mem, w.gpa, 2)))
			break;
		memcpy(bytes + n, host, 2);
		for (int i = 0; i < nplanted; i++)
			for (unsigned b = 0; b < planted[i].len; b++)
				if (planted[i].gpa + b - w.gpa < 2)
					bytes[n + planted[i].gpa + b - w.gpa] = planted[i].orig[b];
		n += 2;
		if (half == 0 && riscv_insn_length((uint16_t)(bytes[0] | bytes[1] << 8)) != 4)
			break;
	}
	return n;
}

static void add_target(struct rv_step *s, uint64_t pc, uint64_t to)
{
	if (to == pc || s->ntargets == MAX_TARGETS)
		return;
	for (int i = 0; i < s->ntargets; i++)
		if (s->target[i] == to)
			return;
	s->target[s->ntargets++] = to;
}

/*
 * lr at pc: the sequence up to its sc steps as one. Breakpoints after the
 * sc and on every branch or jump that leaves [pc, sc]; false if no sc
 * comes within LRSC_WINDOW instructions (then the lr steps alone).
 */
static bool lrsc_targets(struct vcpu *vcpu, uint64_t satp, uint64_t pc, struct rv_step *s)
{
	uint64_t at = pc, outs[LRSC_WINDOW * 2];
	int nouts = 0;

	for (int i = 0; i < LRSC_WINDOW; i++) {
		struct riscv_insn_info info;
		uint8_t bytes[4];
		uint64_t next[2];
		int n = fetch(vcpu, satp, at, bytes);
		int k = riscv_insn_possible_successors(bytes, (size_t)n, at, next, &info);

		if (k < 0 || info.flow == RISCV_FLOW_INDIRECT || info.flow == RISCV_FLOW_TRAP ||
		    info.flow == RISCV_FLOW_TRAP_RETURN)
			return false;
		for (int j = 0; j < k; j++)
			if (next[j] != at + (uint64_t)info.length)
				outs[nouts++] = next[j];
		at += (uint64_t)info.length;
		if (info.sc) {
			add_target(s, pc, at);
			for (int j = 0; j < nouts; j++)
				if (outs[j] < pc || outs[j] >= at)
					add_target(s, pc, outs[j]);
			return true;
		}
	}
	return false;
}

/* A CSR instruction (SYSTEM, funct3 not 0) on sie, whose value a step must not hide. */
static bool touches_sie(const uint8_t bytes[4], int length)
{
	return length == 4 && (bytes[0] & 0x7f) == 0x73 && ((bytes[1] >> 4) & 7) != 0 &&
	       (unsigned)(bytes[2] >> 4 | bytes[3] << 4) == CSR_SIE;
}

/* Where the step from pc may end: its successors and the trap vector. */
static int arm(struct vcpu *vcpu, struct rv_step *s, uint64_t pc)
{
	uint64_t x[32], satp, stvec, xpc, next[2];
	struct riscv_insn_info info;
	uint8_t bytes[4];
	int n, k, r;

	s->ntargets = 0;
	s->self = false;
	s->armed = true;
	s->armed_pc = pc;
	if ((r = get(vcpu, csr_id(KVM_CSR_SATP), &satp)) < 0 || (r = read_x(vcpu, x, &xpc)) < 0 ||
	    (r = get(vcpu, csr_id(KVM_CSR_STVEC), &stvec)) < 0)
		return r;
	pthread_mutex_lock(&planted_lock);
	n = fetch(vcpu, satp, pc, bytes);
	k = riscv_insn_successors(bytes, (size_t)n, pc, x, next, &info);
	if (k >= 0 && info.lr && lrsc_targets(vcpu, satp, pc, s)) {
		k = 0;
	} else if (k == 1 && next[0] == pc) {
		/* `j .`, `beq x, x, .`: done here, as if the hart had run it once. */
		s->self = true;
		s->self_link = info.link_reg;
		s->self_link_value = pc + (uint64_t)info.length;
		k = 0;
		s->target[s->ntargets++] = pc;
	} else if (k >= 0 && info.special == RISCV_INSN_SRET) {
		uint64_t sepc;

		if (get(vcpu, csr_id(KVM_CSR_SEPC), &sepc) == 0)
			add_target(s, pc, sepc);
	}
	for (int i = 0; i < k; i++)
		add_target(s, pc, next[i]);
	/* A fault, an ecall from user mode, mret: the guest's trap handler (its base, vectored or not). */
	if (!s->self)
		add_target(s, pc, stvec & ~3ULL);
	for (int i = 0; i < s->ntargets; i++) {
		struct riscv_walk w;
		uint8_t t[4];
		int tn = fetch(vcpu, satp, s->target[i], t);

		s->gpa[i] = UINT64_MAX;
		/* c.ebreak where the instruction there is compressed (or nothing is known of it). */
		s->len[i] = tn >= 2 && riscv_insn_length((uint16_t)(t[0] | t[1] << 8)) == 2 ? 2 : 4;
		if (riscv_page_walk(read_gpa, &vcpu->vm->mem, satp, s->target[i], &w) == 0 &&
		    riscv_walk_span(&w, s->target[i]) >= s->len[i] &&
		    guest_mem_ptr(&vcpu->vm->mem, w.gpa, s->len[i]))
			s->gpa[i] = w.gpa;
	}
	pthread_mutex_unlock(&planted_lock);
	/* Interrupts held back, unless it waits for one or is about sie itself. */
	s->mask = !s->self && k >= 0 && info.special != RISCV_INSN_WFI && !touches_sie(bytes, info.length);
	return 0;
}

/* sie to 0 for a KVM_RUN of the step, and back to the guest's own value after it. */
static void hold_interrupts(struct vcpu *vcpu, struct rv_step *s, bool hold)
{
	if (hold && s->mask && !s->masked)
		s->masked = get(vcpu, csr_id(KVM_CSR_SIE), &s->sie) == 0 &&
			    set(vcpu, csr_id(KVM_CSR_SIE), 0) == 0;
	else if (!hold && s->masked)
		s->masked = set(vcpu, csr_id(KVM_CSR_SIE), s->sie) != 0;
}

static void disarm(struct vcpu *vcpu, struct rv_step *s)
{
	hold_interrupts(vcpu, s, false);
	s->mask = false;
	s->armed = false;
	s->self = false;
}

static void plant(struct vcpu *vcpu, struct rv_step *s)
{
	pthread_mutex_lock(&planted_lock);
	for (int i = 0; i < s->ntargets; i++) {
		uint8_t *host = s->gpa[i] == UINT64_MAX ? NULL : guest_mem_ptr(&vcpu->vm->mem, s->gpa[i], s->len[i]);
		int j;

		if (!host)
			continue;
		for (j = 0; j < nplanted; j++)
			if (planted[j].gpa == s->gpa[i] && planted[j].len == s->len[i])
				break;
		if (j == nplanted) {
			if (nplanted == MAX_PLANTED)
				continue;
			planted[j] = (struct planted){ .gpa = s->gpa[i], .len = s->len[i] };
			memcpy(planted[j].orig, host, s->len[i]);
			arch_breakpoint_insn(s->len[i], host);
			nplanted++;
		}
		planted[j].refs++;
	}
	pthread_mutex_unlock(&planted_lock);
}

static void unplant(struct vcpu *vcpu, struct rv_step *s)
{
	pthread_mutex_lock(&planted_lock);
	for (int i = 0; i < s->ntargets; i++) {
		for (int j = 0; j < nplanted; j++) {
			struct planted *p = &planted[j];
			uint8_t *host;

			if (p->gpa != s->gpa[i] || p->len != s->len[i])
				continue;
			if (--p->refs == 0) {
				if ((host = guest_mem_ptr(&vcpu->vm->mem, p->gpa, p->len)))
					memcpy(host, p->orig, p->len);
				*p = planted[--nplanted];
			}
			break;
		}
	}
	pthread_mutex_unlock(&planted_lock);
}

void arch_vcpu_run_begin(struct vcpu *vcpu)
{
	struct rv_step *s = vcpu->arch_debug;
	bool stepping = vcpu->stepping_over || vcpu->mode == VCPU_STEP || vcpu->mode == VCPU_RANGE_STEP;
	uint64_t pc;

	if (!s || (!stepping && !s->armed))
		return;
	if (!stepping || get(vcpu, core_id(RISCV_CORE_PC), &pc) < 0) {
		disarm(vcpu, s);
		return;
	}
	if (!s->armed || pc != s->armed_pc) {
		if (s->armed)
			disarm(vcpu, s);
		if (arm(vcpu, s, pc) < 0) {
			disarm(vcpu, s);
			return;
		}
	}
	if (s->self) {
		vcpu->run->immediate_exit = 1; /* no guest instruction: run_end ends the step */
		return;
	}
	plant(vcpu, s);
	hold_interrupts(vcpu, s, true);
	s->in_guest = true;
}

int arch_vcpu_run_end(struct vcpu *vcpu, int rc)
{
	struct rv_step *s = vcpu->arch_debug;
	uint64_t pc;

	if (!s || !s->armed)
		return rc;
	if (s->self) {
		vcpu->run->immediate_exit = 0;
		if (s->self_link && set(vcpu, core_id(s->self_link), s->self_link_value) < 0)
			return rc;
		disarm(vcpu, s);
		s->done = true;
		vcpu->run->exit_reason = KVM_EXIT_DEBUG;
		return 0;
	}
	if (s->in_guest) {
		unplant(vcpu, s);
		hold_interrupts(vcpu, s, false);
		s->in_guest = false;
	}
	if (rc == 0 && vcpu->run->exit_reason == KVM_EXIT_DEBUG &&
	    get(vcpu, core_id(RISCV_CORE_PC), &pc) == 0) {
		for (int i = 0; i < s->ntargets; i++) {
			if (s->target[i] == pc) {
				disarm(vcpu, s);
				s->done = true;
				break;
			}
		}
	}
	return rc;
}

/* Is there an ebreak or c.ebreak at pc (as the guest's memory holds it now)? */
static bool ebreak_at(struct vcpu *vcpu, uint64_t pc)
{
	struct riscv_walk w;
	uint64_t satp;
	uint8_t *host;
	uint32_t v = 0;

	if (walk(vcpu, pc, &w, &satp) < 0 || !(host = guest_mem_ptr(&vcpu->vm->mem, w.gpa, 2)))
		return false;
	memcpy(&v, host, 2);
	if (v == C_EBREAK)
		return true;
	if (riscv_walk_span(&w, pc) < 4 || !(host = guest_mem_ptr(&vcpu->vm->mem, w.gpa, 4)))
		return false;
	memcpy(&v, host, 4);
	return v == EBREAK;
}

void arch_debug_exit(struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	struct rv_step *s = vcpu->arch_debug;
	struct riscv_walk w;
	uint64_t satp;
	bool theirs = false;

	*ev = (struct vcpu_debug_event){ VCPU_DEBUG_NONE, 0, 0 };
	if (get(vcpu, core_id(RISCV_CORE_PC), &ev->pc) < 0)
		return;
	if (s && s->done) {
		s->done = false;
		ev->kind = VCPU_DEBUG_STEP;
		return;
	}
	/* Another hart's step breakpoint: run again (it will be gone soon). */
	pthread_mutex_lock(&planted_lock);
	if (walk(vcpu, ev->pc, &w, &satp) == 0)
		for (int i = 0; i < nplanted; i++)
			theirs |= planted[i].gpa == w.gpa;
	pthread_mutex_unlock(&planted_lock);
	if (!theirs && ebreak_at(vcpu, ev->pc))
		ev->kind = VCPU_DEBUG_BREAK_INSN;
}

/* The guest's own ebreak: its breakpoint exception, taken in its supervisor mode. */
int arch_reinject_debug_event(struct vcpu *vcpu, const struct vcpu_debug_event *ev)
{
	uint64_t sstatus, stvec, mode;
	int r;

	if ((r = get(vcpu, csr_id(KVM_CSR_SSTATUS), &sstatus)) < 0 ||
	    (r = get(vcpu, csr_id(KVM_CSR_STVEC), &stvec)) < 0 ||
	    (r = get(vcpu, core_id(RISCV_CORE_MODE), &mode)) < 0)
		return err_set(EXIT_HOST, "cannot read vCPU %d's trap state: %s", vcpu->id, strerror(-r));
	sstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (mode)
		sstatus |= SSTATUS_SPP;
	if (sstatus & SSTATUS_SIE)
		sstatus |= SSTATUS_SPIE;
	sstatus &= ~SSTATUS_SIE;
	if (set(vcpu, csr_id(KVM_CSR_SEPC), ev->pc) < 0 ||
	    set(vcpu, csr_id(KVM_CSR_SCAUSE), CAUSE_BREAKPOINT) < 0 ||
	    set(vcpu, csr_id(KVM_CSR_STVAL), ev->pc) < 0 ||
	    set(vcpu, csr_id(KVM_CSR_SSTATUS), sstatus) < 0 ||
	    set(vcpu, core_id(RISCV_CORE_MODE), 1) < 0 ||
	    set(vcpu, core_id(RISCV_CORE_PC), stvec & ~3ULL) < 0)
		return err_set(EXIT_HOST, "cannot raise the breakpoint exception on vCPU %d: %s", vcpu->id,
			       strerror(errno));
	return 0;
}

/* ---- the host ---- */

int arch_debug_probe(int kvm_fd, struct debug_host_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->kind = DEBUG_HOST_HARDWARE;
	caps->sw_bp = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) > 0;
	caps->sw_bp_real_mode = caps->sw_bp;
	caps->readonly_mem = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	/* Steps are ours (planted ebreaks), one instruction each, interrupts held back by sie. */
	caps->step = caps->sw_bp;
	caps->block_irq = true;
	caps->nrows = 1;
	caps->rows[0] = (struct debug_probe_row){ .mode = "S/U-mode", .tested = true, .int3 = caps->sw_bp,
						  .step = caps->step };
	if (!caps->sw_bp)
		return err_set(EXIT_HOST, "this RISC-V KVM has no KVM_CAP_SET_GUEST_DEBUG: ebreak would "
			       "not reach minikvm, and gdb could neither break nor step");
	return 0;
}

void arch_host_report(FILE *out, int kvm_fd)
{
	fprintf(out, "minikvm: host: RISC-V KVM, API %d; guest debug %s; read-only memory slots %s\n",
		ioctl(kvm_fd, KVM_GET_API_VERSION, 0),
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) > 0 ? "yes" : "no",
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0 ? "yes" : "no");
}

void arch_debug_report(FILE *out, const struct debug_host_caps *caps, bool table)
{
	if (table)
		fprintf(out, "\nWhat this KVM does for a debugger: ebreak %s (KVM_CAP_SET_GUEST_DEBUG); "
			"no single step and no debug triggers for a VMM (RISC-V KVM has neither)\n\n"
			"Methods the debugger picks here, and why:\n",
			caps->sw_bp ? "exits to minikvm" : "stays in the guest");
	fprintf(out, "minikvm: host KVM: RISC-V (the H extension)\n");
	fprintf(out, "minikvm:   software breakpoints: ebreak, or c.ebreak for a compressed instruction "
		"(KVM_EXIT_DEBUG)\n");
	fprintf(out, "minikvm:   hardware breakpoints: ebreak on a write-protected page, four at most "
		"(no triggers for a VMM)\n");
	fprintf(out, "minikvm:   write watchpoints: %s\n",
		caps->readonly_mem ? "read-only memory slots" : "none (no KVM_CAP_READONLY_MEM)");
	fprintf(out, "minikvm:   read/access watchpoints: unmapped pages, whose reads exit as MMIO\n");
	fprintf(out, "minikvm:   single steps: ebreak planted on the instruction's successors and the trap "
		"vector for each run (no single step in RISC-V KVM)\n");
	fprintf(out, "minikvm:   interrupts while stepping: held back (sie 0 for the step; not for wfi)\n");
}

/* ---- descriptions and monitor commands ---- */

int arch_describe_vcpu(struct vcpu *vcpu, char *buf, size_t size)
{
	struct kvm_mp_state mp;
	uint64_t mode = 0, satp = 0;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	get(vcpu, core_id(RISCV_CORE_MODE), &mode);
	get(vcpu, csr_id(KVM_CSR_SATP), &satp);
	snprintf(buf, size, "hart %d, %s, %s%s", vcpu->id, mode ? "S-mode" : "U-mode",
		 riscv_satp_mode_name(riscv_satp_mode(satp)),
		 mp.mp_state == KVM_MP_STATE_STOPPED ? ", stopped (SBI HSM)" : "");
	return 0;
}

static const struct gdb_monitor_cmd riscv_monitor_cmds[] = {
	{ "info csrs", NULL, "the supervisor CSRs, the privilege mode, the hart's state" },
	{ "translate", "ADDR", "walk the page tables (satp): GVA -> each entry -> GPA -> host address" },
	{ NULL, NULL, NULL },
};

const struct gdb_monitor_cmd *const arch_monitor_cmds = riscv_monitor_cmds;

static int monitor_csrs(struct vcpu *vcpu, struct gdb_console *out)
{
	static const char *const names[GDB_RISCV_NUM_CSRS] = {
		"sstatus", "sie", "stvec", "sscratch", "sepc", "scause", "stval", "sip", "satp",
	};
	struct gdb_riscv_state st;
	char what[128];
	int r = read_state(vcpu, &st);

	if (r < 0)
		return r;
	arch_describe_vcpu(vcpu, what, sizeof(what));
	gdb_console_printf(out, "%s\n", what);
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS; i++)
		gdb_console_printf(out, "  %-8s %#018" PRIx64 "\n", names[i], st.csr[i]);
	return 0;
}

static int monitor_translate(struct vcpu *vcpu, const char *arg, struct gdb_console *out)
{
	struct riscv_walk w;
	uint64_t gva, satp;
	void *host;
	int r = gdb_monitor_number_arg(arg, "translate ADDR", out, &gva);

	if (r < 0 || (r = get(vcpu, csr_id(KVM_CSR_SATP), &satp)) < 0)
		return r;
	r = riscv_page_walk(read_gpa, &vcpu->vm->mem, satp, gva, &w);
	gdb_console_printf(out, "GVA %#" PRIx64 " on hart %d, %s (satp %#" PRIx64 ")\n", gva, vcpu->id,
			   riscv_satp_mode_name(w.mode), satp);
	for (int i = 0; i < w.nsteps; i++)
		gdb_console_printf(out, "  %-5s at GPA %#" PRIx64 " = %#018" PRIx64 "\n", w.steps[i].name,
				   w.steps[i].entry_gpa, w.steps[i].entry);
	if (r < 0) {
		gdb_console_printf(out, "  not mapped: %s\n", riscv_walk_fault_name(w.fault));
		return 0;
	}
	if (w.page_size)
		gdb_console_printf(out, "  -> GPA %#" PRIx64 " (%" PRIu64 " KiB page, %s%s%s%s%s%s%s)\n", w.gpa,
				   w.page_size >> 10, w.perms & RISCV_PTE_R ? "R" : "-",
				   w.perms & RISCV_PTE_W ? "W" : "-", w.perms & RISCV_PTE_X ? "X" : "-",
				   w.perms & RISCV_PTE_U ? "U" : "-", w.perms & RISCV_PTE_G ? "G" : "-",
				   w.perms & RISCV_PTE_A ? "A" : "-", w.perms & RISCV_PTE_D ? "D" : "-");
	else
		gdb_console_printf(out, "  -> GPA %#" PRIx64 " (satp Bare: identity)\n", w.gpa);
	host = guest_mem_ptr(&vcpu->vm->mem, w.gpa, 1);
	/* The G-stage is KVM's, by memory slot; the host address only with -v (as on x86). */
	if (host && vcpu->vm->cfg->verbose)
		gdb_console_printf(out, "  -> HVA %p (guest RAM mapping + %#" PRIx64 ", via a KVM memory slot: "
				   "the G-stage)\n", host, (uint64_t)((uint8_t *)host - vcpu->vm->mem.host));
	else if (host)
		gdb_console_printf(out, "  -> guest RAM + %#" PRIx64 ", via a KVM memory slot: the G-stage "
				   "(host address: minikvm -v)\n", (uint64_t)((uint8_t *)host - vcpu->vm->mem.host));
	else
		gdb_console_printf(out, "  -> not RAM (MMIO or nothing)\n");
	return 0;
}

int arch_monitor(struct vcpu *vcpu, const char *cmd, struct gdb_console *out)
{
	if (strcmp(cmd, "info csrs") == 0)
		return monitor_csrs(vcpu, out);
	if (strncmp(cmd, "translate", 9) == 0 && (cmd[9] == ' ' || !cmd[9]))
		return monitor_translate(vcpu, cmd + 9, out);
	return -ENOENT;
}
