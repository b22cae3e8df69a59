/* SPDX-License-Identifier: MIT */
/*
 * The debugger's verdict on each debug event of a running vCPU (struct
 * vm_hooks; the arch reports the facts, the run loop in vcpu.c applies the
 * verdict): our breakpoint or the guest's own int3, gdb's condition on a
 * breakpoint (evaluated here, in the vCPU thread), a debug register that
 * fired, a step inside a range, the port I/O of a patched `in al, dx`,
 * and MMIO exits on pages we made read-only or took away for watchpoints
 * (the guest's access is done here, then checked against the watched
 * ranges). Breakpoint and watchpoint tables change only while every vCPU
 * is parked, so they are read here without a lock.
 */
#include "arch.h"
#include "debug_internal.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool in_page_of(uint64_t gpa, uint64_t start, uint64_t len)
{
	return gpa >= (start & ~(PAGE - 1)) && gpa < ((start + len + PAGE - 1) & ~(PAGE - 1));
}


/* gdb's software breakpoint wins over its hbreak at the same place. */
static enum vcpu_stop_kind patch_kind_at(const struct debug *dbg, uint64_t pc, bool io)
{
	enum vcpu_stop_kind kind = VCPU_STOP_NONE;

	for (int i = 0; i < dbg->nbps; i++) {
		const struct sw_breakpoint *bp = &dbg->bps[i];

		if (bp->addr == pc && bp->io == io && (kind == VCPU_STOP_NONE || !bp->hw))
			kind = bp->hw ? VCPU_STOP_HWBREAK : VCPU_STOP_SWBREAK;
	}
	return kind;
}

bool debug_on_claim_io(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	struct debug *dbg = ctx;
	uint64_t pc;

	if (!dbg->nio_bps || arch_io_exit_pc(vcpu, &pc) < 0 ||
	    patch_kind_at(dbg, pc, true) == VCPU_STOP_NONE)
		return false; /* the guest's own `in al, dx`, or some other I/O */
	*ev = (struct vcpu_debug_event){ VCPU_DEBUG_IO_INSN, pc, 0 };
	return true;
}

int debug_on_mmio(void *ctx, struct vcpu *vcpu, uint64_t gpa, uint8_t *data, unsigned len,
		  bool write, struct vcpu_stop *why)
{
	static const enum vcpu_stop_kind stop_of[] = {
		[DEBUG_HW_WRITE] = VCPU_STOP_WATCH, [DEBUG_HW_READ] = VCPU_STOP_RWATCH,
		[DEBUG_HW_ACCESS] = VCPU_STOP_AWATCH,
	};
	struct debug *dbg = ctx;
	bool watched_page = false;

	(void)vcpu;
	for (int i = 0; i < dbg->nwatches; i++)
		watched_page |= in_page_of(gpa, dbg->watches[i].gpa, dbg->watches[i].len);
	for (int i = 0; i < dbg->nbps; i++)
		watched_page |= dbg->bps[i].hw && in_page_of(gpa, dbg->bps[i].gpa, 1);
	if (!watched_page)
		return -1;
	/* Do what the guest meant to do, then see whether it touched a watched range. */
	if (!write) {
		if (guest_mem_read(&dbg->vm->mem, gpa, data, len) < 0)
			memset(data, 0xFF, len);
	} else {
		guest_mem_write(&dbg->vm->mem, gpa, data, len);
	}
	/* Code written over a hardware breakpoint (a kernel loading itself) keeps it. */
	for (int i = 0; i < dbg->nbps && write; i++) {
		struct sw_breakpoint *bp = &dbg->bps[i];
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, bp->len);

		for (unsigned b = 0; bp->hw && host && b < bp->len; b++) {
			if (bp->gpa + b - gpa < len) {
				bp->orig[b] = host[b];
				host[b] = bp->insn[b];
			}
		}
	}
	for (int i = 0; i < dbg->nwatches; i++) {
		const struct sw_watch *w = &dbg->watches[i];

		if (gpa < w->gpa + w->len && w->gpa < gpa + len &&
		    w->type != (write ? DEBUG_HW_READ : DEBUG_HW_WRITE)) {
			*why = (struct vcpu_stop){ stop_of[w->type], w->addr };
			return 1;
		}
	}
	return 0;
}


/* ---- conditions: evaluated in the vCPU thread that hit the breakpoint ---- */

#define MAX_REGS_BYTES 2048

struct cond_ctx {
	struct debug *dbg;
	struct vcpu *vcpu;
	bool have_regs;           /* read lazily: most conditions need one or two */
	uint8_t regs[MAX_REGS_BYTES];
};

static int cond_read_reg(void *ctx, unsigned regno, uint8_t *buf, size_t *size)
{
	struct cond_ctx *c = ctx;
	const struct gdb_arch *layout = arch_gdb_layout(c->vcpu->vm);
	size_t off, len;

	if (regno >= layout->nregs || gdb_arch_regs_size(layout) > sizeof(c->regs))
		return -EINVAL;
	if (!c->have_regs) {
		int r = arch_gdb_read_regs(c->vcpu, c->regs);

		if (r < 0)
			return r;
		c->have_regs = true;
	}
	off = gdb_arch_reg_offset(layout, regno);
	len = gdb_arch_reg_offset(layout, regno + 1) - off;
	memcpy(buf, c->regs + off, len);
	*size = len;
	return 0;
}

static long cond_read_mem(void *ctx, uint64_t addr, uint8_t *buf, size_t len)
{
	struct cond_ctx *c = ctx;

	return debug_access_mem(c->dbg, (unsigned)c->vcpu->id, addr, buf, len, false);
}

/*
 * One of our breakpoints was hit: gdb's condition for it, if any, is
 * evaluated right here in the vCPU thread. If it holds (or there is none)
 * the VM stops for gdb; if not, the run loop steps over the breakpoint and
 * gdb never hears of it.
 */
static enum vcpu_verdict breakpoint_verdict(struct debug *dbg, struct vcpu *vcpu,
					    const struct vcpu_stop *why)
{
	static const struct gdb_agent_access access = { cond_read_reg, cond_read_mem };
	struct cond_ctx *c;
	int stop;

	c = malloc(sizeof(*c)); /* a vCPU thread's stack is precious; this is not a hot path for gdb */
	if (!c)
		return VCPU_STOP_VM;
	c->dbg = dbg;
	c->vcpu = vcpu;
	c->have_regs = false;
	stop = gdb_server_bp_should_stop(dbg->srv, why->kind == VCPU_STOP_SWBREAK ? GDB_BP_SW : GDB_BP_HW,
					 why->addr, &access, c);
	free(c);
	if (stop)
		return VCPU_STOP_VM;
	dbg->step_over_addr[vcpu->id] = why->addr;
	return VCPU_STEP_OVER;
}

/*
 * A read watchpoint's debug register fired: was it a read? The register
 * fires after reads and writes alike; a write that changed the value is
 * not a read (the new value is kept for next time). A write of the same
 * value cannot be told from a read, and counts as one.
 */
static bool read_watch_was_read(struct debug *dbg, struct vcpu *vcpu, unsigned slot)
{
	struct debug_hw_slot *s = &dbg->arch.hw[slot];
	uint8_t now[8];

	if (debug_access_mem(dbg, (unsigned)vcpu->id, s->addr, now, s->len, false) != (long)s->len)
		return true;
	if (s->seen_valid && memcmp(now, s->seen, s->len) != 0) {
		memcpy(s->seen, now, s->len);
		return false;
	}
	memcpy(s->seen, now, s->len);
	s->seen_valid = true;
	return true;
}

enum vcpu_verdict debug_on_event(void *ctx, struct vcpu *vcpu, const struct vcpu_debug_event *ev,
				 struct vcpu_stop *why)
{
	static const enum vcpu_stop_kind watch_stop[] = {
		[DEBUG_HW_WRITE] = VCPU_STOP_WATCH, [DEBUG_HW_READ] = VCPU_STOP_RWATCH,
		[DEBUG_HW_ACCESS] = VCPU_STOP_AWATCH,
	};
	struct debug *dbg = ctx;
	const struct debug_hw_slot *s;

	switch (ev->kind) {
	case VCPU_DEBUG_BREAK_INSN:
		/*
		 * Not ours: the guest's own breakpoint instruction, which the
		 * guest must see. (Ours: gdb's break, or its hbreak where that
		 * is the breakpoint instruction on a write-protected page.)
		 */
		*why = (struct vcpu_stop){ patch_kind_at(dbg, ev->pc, false), ev->pc };
		if (why->kind == VCPU_STOP_NONE)
			return VCPU_REINJECT;
		return breakpoint_verdict(dbg, vcpu, why);
	case VCPU_DEBUG_IO_INSN:
		*why = (struct vcpu_stop){ patch_kind_at(dbg, ev->pc, true), ev->pc };
		return why->kind == VCPU_STOP_NONE ? VCPU_RUN_ON : breakpoint_verdict(dbg, vcpu, why);
	case VCPU_DEBUG_DR:
		if (ev->slot >= DEBUG_HW_SLOTS || !(s = &dbg->arch.hw[ev->slot])->used)
			return VCPU_RUN_ON;
		if (s->type == DEBUG_HW_READ && !read_watch_was_read(dbg, vcpu, ev->slot))
			return VCPU_RUN_ON;
		if (s->type != DEBUG_HW_EXEC) {
			*why = (struct vcpu_stop){ watch_stop[s->type], s->addr };
			return VCPU_STOP_VM;
		}
		*why = (struct vcpu_stop){ s->for_sw ? VCPU_STOP_SWBREAK : VCPU_STOP_HWBREAK, s->addr };
		return breakpoint_verdict(dbg, vcpu, why);
	case VCPU_DEBUG_STEP:
		/* Range stepping: keep stepping inside the range without a round trip to gdb. */
		if (vcpu->mode == VCPU_RANGE_STEP && ev->pc >= vcpu->range_start &&
		    ev->pc < vcpu->range_end)
			return VCPU_RUN_ON;
		*why = (struct vcpu_stop){ VCPU_STOP_STEP, 0 };
		return VCPU_STOP_VM;
	case VCPU_DEBUG_NONE:
		break;
	}
	return VCPU_RUN_ON;
}

enum vcpu_verdict debug_on_exit(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev,
				struct vcpu_stop *why)
{
	arch_debug_exit(vcpu, ev);
	return debug_on_event(ctx, vcpu, ev, why);
}

