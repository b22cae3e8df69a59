/* SPDX-License-Identifier: MIT */
/*
 * The debugger's view of guest memory: reads and writes at gdb's addresses
 * (guest-virtual through the vCPU's page tables, or physical), software
 * breakpoints, debug-register breakpoints and watchpoints, and write
 * watchpoints done with read-only memory slots where the host's debug
 * registers do not fire. See debug.c for the rest of the debugger.
 */
#include "arch.h"
#include "debug_internal.h"
#include "vcpu.h"
#include "vm.h"
#include "error.h"
#include "../gdbstub/agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void debug_mark_all_dirty(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->debug_dirty = true;
}

struct vcpu *debug_vcpu(struct debug *dbg, unsigned i)
{
	return dbg->vm->vcpus[i < (unsigned)dbg->vm->ncpus ? i : 0];
}

/* The guest-physical address of a gdb address, for one page. */
static int to_gpa(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa)
{
	if (dbg->phys) {
		*gpa = addr;
		return 0;
	}
	return arch_translate(debug_vcpu(dbg, vcpu), addr, gpa);
}

/*
 * For a breakpoint: as to_gpa, and where the guest has not mapped the
 * address yet (a kernel before its own page tables), where the image said
 * it would map it (struct boot_state). "hbreak start_kernel" at the first
 * instruction then works on hosts whose breakpoints must be patched in.
 */
static int breakpoint_gpa(struct debug *dbg, uint64_t addr, uint64_t *gpa)
{
	const struct boot_state *b = &dbg->vm->boot;

	if (to_gpa(dbg, dbg->last_vcpu, addr, gpa) == 0 && guest_mem_ptr(&dbg->vm->mem, *gpa, 1))
		return 0;
	for (int i = 0; i < b->nvirt_map && !dbg->phys; i++) {
		if (addr - b->virt_map[i].virt < b->virt_map[i].size) {
			*gpa = addr - b->virt_map[i].virt + b->virt_map[i].phys;
			return 0;
		}
	}
	return -EFAULT;
}

/* Copy between gdb and guest memory page by page; returns bytes done or -EFAULT. */
static long access_mem(struct debug *dbg, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len,
		       bool write)
{
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done, gpa;
		size_t chunk = PAGE - (a & (PAGE - 1));
		uint8_t *host;

		if (chunk > len - done)
			chunk = len - done;
		if (to_gpa(dbg, vcpu, a, &gpa) < 0)
			break;
		host = guest_mem_ptr(&dbg->vm->mem, gpa, chunk);
		if (!host)
			break;
		for (int i = 0; i < dbg->nbps; i++) {
			struct sw_breakpoint *bp = &dbg->bps[i];

			if (bp->gpa < gpa || bp->gpa >= gpa + chunk)
				continue;
			/* Keep our breakpoint in place; gdb sees and edits the original byte. */
			if (write)
				bp->orig = buf[done + (bp->gpa - gpa)];
		}
		if (write)
			memcpy(host, buf + done, chunk);
		else
			memcpy(buf + done, host, chunk);
		for (int i = 0; i < dbg->nbps; i++) {
			struct sw_breakpoint *bp = &dbg->bps[i];

			if (bp->gpa < gpa || bp->gpa >= gpa + chunk)
				continue;
			if (write)
				host[bp->gpa - gpa] = bp->insn;
			else
				buf[done + (bp->gpa - gpa)] = bp->orig;
		}
		done += chunk;
	}
	return done ? (long)done : -EFAULT;
}

long debug_op_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len)
{
	return access_mem(ctx, vcpu, addr, buf, len, false);
}

long debug_op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	long n = access_mem(ctx, vcpu, addr, (uint8_t *)buf, len, true);

	/* A write must be whole: gdb does not retry the rest. */
	return n == (long)len ? n : -EFAULT;
}

static int insert_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, uint64_t kind,
		     bool for_sw);
static int apply_protected_pages(struct debug *dbg);

static bool is_io_patch(const struct sw_breakpoint *bp)
{
	return bp->insn == arch_io_breakpoint_insn;
}

static void count_patches(struct debug *dbg)
{
	dbg->nio_bps = 0;
	dbg->arch.sw_breakpoints = false;
	for (int i = 0; i < dbg->nbps; i++) {
		if (is_io_patch(&dbg->bps[i]))
			dbg->nio_bps++;
		else
			dbg->arch.sw_breakpoints = true;
	}
}

/*
 * Write insn over the instruction at addr: a software breakpoint, or (hw) a
 * hardware one on a host whose debug registers never fire.
 *
 * Identity: a breakpoint or watchpoint is (type, address, gdb's kind), as
 * in the protocol and in gdbstub's table: two Z0 at one address with
 * different kinds are two breakpoints, and each z removes its own.
 */
static int insert_patch(struct debug *dbg, uint64_t addr, uint64_t kind, uint8_t insn, bool hw)
{
	struct sw_breakpoint *bp;
	uint64_t gpa;
	uint8_t *host;

	if (dbg->nbps == DEBUG_MAX_SW_BREAKPOINTS)
		return -ENOSPC;
	if (breakpoint_gpa(dbg, addr, &gpa) < 0 || !(host = guest_mem_ptr(&dbg->vm->mem, gpa, 1)))
		return -EFAULT;
	bp = &dbg->bps[dbg->nbps];
	bp->addr = addr;
	bp->kind = kind;
	bp->gpa = gpa;
	bp->insn = insn;
	bp->hw = hw;
	bp->orig = *host;
	/* Another breakpoint patched this byte already: the original is in its record. */
	for (int i = 0; i < dbg->nbps; i++)
		if (dbg->bps[i].gpa == gpa)
			bp->orig = dbg->bps[i].orig;
	dbg->nbps++;
	if (hw && apply_protected_pages(dbg) < 0) {
		dbg->nbps--;
		return -EIO;
	}
	*host = insn;
	count_patches(dbg);
	return 0;
}

static int remove_patch(struct debug *dbg, uint64_t addr, uint64_t kind, bool hw)
{
	for (int i = 0; i < dbg->nbps; i++) {
		struct sw_breakpoint *bp = &dbg->bps[i];
		const struct sw_breakpoint *other = NULL;
		uint64_t gpa = bp->gpa;
		uint8_t *host, orig = bp->orig, insn = bp->insn;

		if (bp->addr != addr || bp->kind != kind || bp->hw != hw)
			continue;
		dbg->bps[i] = dbg->bps[--dbg->nbps];
		for (int j = 0; j < dbg->nbps; j++)
			if (dbg->bps[j].gpa == gpa)
				other = &dbg->bps[j];
		host = guest_mem_ptr(&dbg->vm->mem, gpa, 1);
		/* Only touch the byte if the guest did not overwrite our breakpoint. */
		if (host && *host == insn)
			*host = other ? other->insn : orig;
		count_patches(dbg);
		return hw ? apply_protected_pages(dbg) : 0;
	}
	return -ENOENT;
}

/*
 * A software breakpoint, by the method this host allows in the vCPU's mode:
 * int3 where it reaches us; else, in real mode, a debug register (PVM);
 * else `in al, dx` (a nested KVM on emulated AMD-V gives int3 to the guest).
 */
static int insert_sw(struct debug *dbg, uint64_t addr, uint64_t kind)
{
	bool real = arch_vcpu_real_mode(debug_vcpu(dbg, dbg->last_vcpu));

	if (real ? dbg->caps.sw_bp_real_mode : dbg->caps.sw_bp)
		return insert_patch(dbg, addr, kind, arch_breakpoint_insn, false);
	if (real && dbg->caps.dr_exec)
		return insert_hw(dbg, DEBUG_HW_EXEC, addr, kind, true);
	return insert_patch(dbg, addr, kind, arch_io_breakpoint_insn, false);
}

static int remove_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, uint64_t kind,
		     bool for_sw);

static int remove_sw(struct debug *dbg, uint64_t addr, uint64_t kind)
{
	int r = remove_hw(dbg, DEBUG_HW_EXEC, addr, kind, true);

	return r == -ENOENT ? remove_patch(dbg, addr, kind, false) : r;
}

static int insert_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, uint64_t kind,
		     bool for_sw)
{
	unsigned len = type == DEBUG_HW_EXEC ? 1 : (unsigned)kind;

	if (type != DEBUG_HW_EXEC) {
		if (len != 1 && len != 2 && len != 4 && len != 8)
			return -EINVAL;
		if (addr & (len - 1))
			return -EINVAL; /* the debug registers watch aligned ranges only */
	}
	for (int i = 0; i < DEBUG_HW_SLOTS; i++) {
		struct debug_hw_slot *s = &dbg->arch.hw[i];

		if (s->used)
			continue;
		/*
		 * Where debug registers never fire, an execute breakpoint is a
		 * patched instruction on a write-protected page; it still takes
		 * a slot, so gdb meets the same limit of four on every host.
		 */
		if (type == DEBUG_HW_EXEC && !for_sw && !dbg->caps.dr_exec) {
			int r = insert_patch(dbg, addr, kind, arch_io_breakpoint_insn, true);

			if (r < 0)
				return r;
			s->patched = true;
		}
		s->used = true;
		s->for_sw = for_sw;
		s->type = type;
		s->addr = addr;
		s->kind = kind;
		s->len = len;
		s->seen_valid = type == DEBUG_HW_READ &&
				access_mem(dbg, dbg->last_vcpu, addr, s->seen, len, false) == (long)len;
		debug_mark_all_dirty(dbg->vm);
		return 0;
	}
	return -ENOSPC; /* four debug registers, all taken */
}

static int remove_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, uint64_t kind,
		     bool for_sw)
{
	for (int i = 0; i < DEBUG_HW_SLOTS; i++) {
		struct debug_hw_slot *s = &dbg->arch.hw[i];

		if (s->used && s->for_sw == for_sw && s->type == type && s->addr == addr &&
		    s->kind == kind) {
			s->used = s->for_sw = false;
			debug_mark_all_dirty(dbg->vm);
			if (s->patched) {
				s->patched = false;
				return remove_patch(dbg, addr, kind, true);
			}
			return 0;
		}
	}
	return -ENOENT;
}

static bool in_page_of(uint64_t gpa, uint64_t start, uint64_t len)
{
	return gpa >= (start & ~(PAGE - 1)) && gpa < ((start + len + PAGE - 1) & ~(PAGE - 1));
}

/*
 * Make read-only to the guest the pages under software write watchpoints
 * and under patched hardware breakpoints, and take the pages under read
 * and access watchpoints out of its memory slots: its writes (and reads)
 * there come to debug_watched_access().
 */
static int apply_protected_pages(struct debug *dbg)
{
	uint64_t pages[DEBUG_MAX_WATCH * 2 + DEBUG_HW_SLOTS];
	int n = 0;

	for (int i = 0; i < dbg->nwatches; i++) {
		const struct sw_watch *w = &dbg->watches[i];
		uint64_t access = w->type == DEBUG_HW_WRITE ? 0 : VM_PAGE_NO_ACCESS;

		for (uint64_t p = w->gpa & ~(PAGE - 1); p < w->gpa + w->len; p += PAGE)
			pages[n++] = p | access;
	}
	for (int i = 0; i < dbg->nbps && n < (int)(sizeof(pages) / sizeof(pages[0])); i++)
		if (dbg->bps[i].hw)
			pages[n++] = dbg->bps[i].gpa & ~(PAGE - 1);
	return vm_protect_pages(dbg->vm, pages, n) < 0 ? -EIO : 0;
}

static int insert_sw_watch(struct debug *dbg, uint64_t addr, unsigned len, enum debug_hw_type type)
{
	struct sw_watch *w;
	uint64_t gpa;

	if (dbg->nwatches == DEBUG_MAX_WATCH)
		return -ENOSPC;
	if (len == 0 || len > PAGE)
		return -EINVAL;
	/* The watched range must stay in one contiguous guest-physical run. */
	if (to_gpa(dbg, dbg->last_vcpu, addr, &gpa) < 0 || !guest_mem_ptr(&dbg->vm->mem, gpa, len))
		return -EFAULT;
	if ((addr & (PAGE - 1)) + len > PAGE) {
		uint64_t gpa2;

		if (to_gpa(dbg, dbg->last_vcpu, addr + len - 1, &gpa2) < 0 || gpa2 != gpa + len - 1)
			return -EINVAL;
	}
	w = &dbg->watches[dbg->nwatches++];
	w->addr = addr;
	w->gpa = gpa;
	w->len = len;
	w->type = type;
	if (apply_protected_pages(dbg) < 0) {
		dbg->nwatches--;
		return -EIO;
	}
	return 0;
}

static int remove_sw_watch(struct debug *dbg, uint64_t addr, unsigned len, enum debug_hw_type type)
{
	for (int i = 0; i < dbg->nwatches; i++) {
		if (dbg->watches[i].addr == addr && dbg->watches[i].len == len &&
		    dbg->watches[i].type == type) {
			dbg->watches[i] = dbg->watches[--dbg->nwatches];
			return apply_protected_pages(dbg);
		}
	}
	return -ENOENT;
}


int debug_op_insert_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct debug *dbg = ctx;

	switch (type) {
	case GDB_BP_SW:
		return insert_sw(dbg, addr, kind);
	case GDB_BP_HW:
		return insert_hw(dbg, DEBUG_HW_EXEC, addr, kind, false);
	case GDB_WP_WRITE:
		if (dbg->caps.dr_write_watch)
			return insert_hw(dbg, DEBUG_HW_WRITE, addr, kind, false);
		if (dbg->caps.readonly_mem)
			return insert_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_WRITE);
		return -EOPNOTSUPP;
	case GDB_WP_READ:
		return dbg->caps.dr_read_watch ? insert_hw(dbg, DEBUG_HW_READ, addr, kind, false)
					       : insert_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_READ);
	case GDB_WP_ACCESS:
		return dbg->caps.dr_read_watch ? insert_hw(dbg, DEBUG_HW_ACCESS, addr, kind, false)
					       : insert_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_ACCESS);
	}
	return -EOPNOTSUPP;
}

int debug_op_remove_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct debug *dbg = ctx;

	switch (type) {
	case GDB_BP_SW:
		return remove_sw(dbg, addr, kind);
	case GDB_BP_HW:
		return remove_hw(dbg, DEBUG_HW_EXEC, addr, kind, false);
	case GDB_WP_WRITE:
		return dbg->caps.dr_write_watch ? remove_hw(dbg, DEBUG_HW_WRITE, addr, kind, false)
						: remove_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_WRITE);
	case GDB_WP_READ:
		return dbg->caps.dr_read_watch ? remove_hw(dbg, DEBUG_HW_READ, addr, kind, false)
					       : remove_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_READ);
	case GDB_WP_ACCESS:
		return dbg->caps.dr_read_watch ? remove_hw(dbg, DEBUG_HW_ACCESS, addr, kind, false)
					       : remove_sw_watch(dbg, addr, (unsigned)kind, DEBUG_HW_ACCESS);
	}
	return -EOPNOTSUPP;
}

/* gdb's software breakpoint wins over its hbreak at the same place. */
static enum vcpu_stop_kind patch_kind_at(const struct debug *dbg, uint64_t pc, uint8_t insn)
{
	enum vcpu_stop_kind kind = VCPU_STOP_NONE;

	for (int i = 0; i < dbg->nbps; i++) {
		const struct sw_breakpoint *bp = &dbg->bps[i];

		if (bp->addr == pc && bp->insn == insn && (kind == VCPU_STOP_NONE || !bp->hw))
			kind = bp->hw ? VCPU_STOP_HWBREAK : VCPU_STOP_SWBREAK;
	}
	return kind;
}

bool debug_on_claim_io(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	struct debug *dbg = ctx;
	uint64_t pc;

	if (!dbg->nio_bps || arch_io_exit_pc(vcpu, &pc) < 0 ||
	    patch_kind_at(dbg, pc, arch_io_breakpoint_insn) == VCPU_STOP_NONE)
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
		uint8_t *host;

		if (bp->hw && bp->gpa >= gpa && bp->gpa < gpa + len &&
		    (host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, 1))) {
			bp->orig = *host;
			*host = bp->insn;
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

void debug_lift_breakpoints(struct debug *dbg)
{
	for (int i = 0; i < dbg->nbps; i++) {
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, dbg->bps[i].gpa, 1);

		if (host)
			*host = dbg->bps[i].orig;
	}
}

void debug_reinsert_breakpoints(struct debug *dbg)
{
	for (int i = 0; i < dbg->nbps; i++) {
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, dbg->bps[i].gpa, 1);

		if (host) {
			dbg->bps[i].orig = *host;
			*host = dbg->bps[i].insn;
		}
	}
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

	return access_mem(c->dbg, (unsigned)c->vcpu->id, addr, buf, len, false);
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

	if (access_mem(dbg, (unsigned)vcpu->id, s->addr, now, s->len, false) != (long)s->len)
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
		/* Not ours: the guest's own int3, which the guest must see. */
		if (patch_kind_at(dbg, ev->pc, arch_breakpoint_insn) != VCPU_STOP_SWBREAK)
			return VCPU_REINJECT;
		*why = (struct vcpu_stop){ VCPU_STOP_SWBREAK, ev->pc };
		return breakpoint_verdict(dbg, vcpu, why);
	case VCPU_DEBUG_IO_INSN:
		*why = (struct vcpu_stop){ patch_kind_at(dbg, ev->pc, arch_io_breakpoint_insn), ev->pc };
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

enum vcpu_verdict debug_on_exit(void *ctx, struct vcpu *vcpu, struct vcpu_stop *why)
{
	struct vcpu_debug_event ev;

	arch_debug_exit(vcpu, &ev);
	return debug_on_event(ctx, vcpu, &ev, why);
}

/*
 * The run loop steps over a breakpoint (every other vCPU parked): take the
 * instruction byte under it out of the guest, and back afterwards. A byte
 * patched by several breakpoints holds the last one's instruction.
 */
void debug_on_step_over(void *ctx, struct vcpu *vcpu, bool lift)
{
	struct debug *dbg = ctx;
	uint64_t addr = dbg->step_over_addr[vcpu->id];
	struct sw_breakpoint *bp = NULL;
	uint8_t *host;

	for (int i = 0; i < dbg->nbps; i++)
		if (dbg->bps[i].addr == addr)
			bp = &dbg->bps[i];
	if (!bp || !(host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, 1)))
		return;
	if (lift) {
		*host = bp->orig;
		return;
	}
	for (int i = 0; i < dbg->nbps; i++)
		if (dbg->bps[i].gpa == bp->gpa)
			bp = &dbg->bps[i];
	*host = bp->insn;
}

int debug_on_apply(void *ctx, struct vcpu *vcpu)
{
	struct debug *dbg = ctx;

	return arch_vcpu_set_debug(vcpu, &dbg->arch);
}
