/* SPDX-License-Identifier: MIT */
/*
 * Breakpoints and watchpoints: gdb's Z and z packets, by the method this
 * host allows (debug.h's probe, struct debug_host_caps).
 *
 * Software breakpoints are the arch's breakpoint instruction (int3) written
 * into guest memory at the guest-physical address gdb's address maps to;
 * where int3 does not reach us (a nested KVM on emulated AMD-V gives it to
 * the guest), the one-byte `in al, dx` instead, whose port I/O exit does.
 * In real mode on PVM hosts they take a debug register.
 *
 * Hardware breakpoints and watchpoints take the debug registers (four
 * slots, struct debug_arch_state) where the host's KVM makes them fire.
 * Where execute ones never fire, a hardware breakpoint is a patched
 * `in al, dx` on a page kept read-only to the guest, so that code the guest
 * writes there keeps it. Where write ones do not fire, a write watchpoint
 * makes its page read-only (a KVM_MEM_READONLY slot); where read ones do
 * not, read and access watchpoints take their page out of the memory slots
 * altogether (the no-access slot, VM_PAGE_NO_ACCESS). Either way the
 * guest's accesses there come back as MMIO exits, which debug_verdict.c
 * judges.
 *
 * Also here: taking the patched bytes out and back (step-over, snapshots,
 * monitor reset), and loading the debug registers into a vCPU.
 */
#include "arch.h"
#include "debug_internal.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <string.h>

/*
 * For a breakpoint: as debug_to_gpa, and where the guest has not mapped the
 * address yet (a kernel before its own page tables), where the image said
 * it would map it (struct boot_state). "hbreak start_kernel" at the first
 * instruction then works on hosts whose breakpoints must be patched in.
 */
static int breakpoint_gpa(struct debug *dbg, uint64_t addr, uint64_t *gpa)
{
	const struct boot_state *b = &dbg->vm->boot;

	if (debug_to_gpa(dbg, dbg->last_vcpu, addr, gpa) == 0 && guest_mem_ptr(&dbg->vm->mem, *gpa, 1))
		return 0;
	for (int i = 0; i < b->nvirt_map && !dbg->phys; i++) {
		if (addr - b->virt_map[i].virt < b->virt_map[i].size) {
			*gpa = addr - b->virt_map[i].virt + b->virt_map[i].phys;
			return 0;
		}
	}
	return -EFAULT;
}

static int insert_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, uint64_t kind,
		     bool for_sw);
static int apply_protected_pages(struct debug *dbg);

static void count_patches(struct debug *dbg)
{
	dbg->nio_bps = 0;
	dbg->arch.sw_breakpoints = false;
	for (int i = 0; i < dbg->nbps; i++) {
		if (dbg->bps[i].io)
			dbg->nio_bps++;
		else
			dbg->arch.sw_breakpoints = true;
	}
}

/*
 * What the byte at gpa holds under our patches: the original of the first
 * other patch covering it (all of them hold the same), or the guest's own.
 */
static uint8_t orig_byte(const struct debug *dbg, const struct sw_breakpoint *self, uint64_t gpa,
			 uint8_t in_memory)
{
	unsigned off;

	for (int i = 0; i < dbg->nbps; i++)
		if (&dbg->bps[i] != self && patch_covers(&dbg->bps[i], gpa, &off))
			return dbg->bps[i].orig[off];
	return in_memory;
}

/* What our patches put at gpa: the last one's byte covering it; false if none does. */
static bool patched_byte(const struct debug *dbg, uint64_t gpa, uint8_t *byte)
{
	bool any = false;
	unsigned off;

	for (int i = 0; i < dbg->nbps; i++) {
		if (patch_covers(&dbg->bps[i], gpa, &off)) {
			*byte = dbg->bps[i].insn[off];
			any = true;
		}
	}
	return any;
}

/*
 * Write insn over the instruction at addr: a software breakpoint, or (hw) a
 * hardware one on a host whose debug registers never fire.
 *
 * Identity: a breakpoint or watchpoint is (type, address, gdb's kind), as
 * in the protocol and in gdbstub's table: two Z0 at one address with
 * different kinds are two breakpoints, and each z removes its own.
 */
static int insert_patch(struct debug *dbg, uint64_t addr, uint64_t kind, bool io, bool hw)
{
	struct sw_breakpoint *bp;
	uint8_t insn[ARCH_BP_MAX];
	uint64_t gpa;
	uint8_t *host;
	int len = io ? arch_io_breakpoint_insn(kind, insn) : arch_breakpoint_insn(kind, insn);

	if (len <= 0)
		return -EINVAL;
	if (dbg->nbps == DEBUG_MAX_SW_BREAKPOINTS)
		return -ENOSPC;
	/* The instruction's bytes in one page (an instruction may cross one: not its breakpoint). */
	if (breakpoint_gpa(dbg, addr, &gpa) < 0 || (gpa & (PAGE - 1)) + (unsigned)len > PAGE ||
	    !(host = guest_mem_ptr(&dbg->vm->mem, gpa, (size_t)len)))
		return -EFAULT;
	bp = &dbg->bps[dbg->nbps];
	*bp = (struct sw_breakpoint){ .addr = addr, .kind = kind, .gpa = gpa, .len = (unsigned)len,
				      .io = io, .hw = hw };
	memcpy(bp->insn, insn, (size_t)len);
	/* Another breakpoint patched a byte already: the original is in its record. */
	for (int i = 0; i < len; i++)
		bp->orig[i] = orig_byte(dbg, bp, gpa + (unsigned)i, host[i]);
	dbg->nbps++;
	if (hw && apply_protected_pages(dbg) < 0) {
		dbg->nbps--;
		return -EIO;
	}
	memcpy(host, insn, (size_t)len);
	count_patches(dbg);
	return 0;
}

static int remove_patch(struct debug *dbg, uint64_t addr, uint64_t kind, bool hw)
{
	for (int i = 0; i < dbg->nbps; i++) {
		struct sw_breakpoint gone = dbg->bps[i];
		uint8_t *host;

		if (gone.addr != addr || gone.kind != kind || gone.hw != hw)
			continue;
		dbg->bps[i] = dbg->bps[--dbg->nbps];
		host = guest_mem_ptr(&dbg->vm->mem, gone.gpa, gone.len);
		/* Only touch the bytes the guest did not overwrite; another patch's stay. */
		for (unsigned b = 0; host && b < gone.len; b++)
			if (host[b] == gone.insn[b] && !patched_byte(dbg, gone.gpa + b, &host[b]))
				host[b] = gone.orig[b];
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
		return insert_patch(dbg, addr, kind, false, false);
	if (real && dbg->caps.dr_exec)
		return insert_hw(dbg, DEBUG_HW_EXEC, addr, kind, true);
	return insert_patch(dbg, addr, kind, true, false);
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
			uint8_t io[ARCH_BP_MAX];
			int r = insert_patch(dbg, addr, kind, arch_io_breakpoint_insn(kind, io) > 0, true);

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
				debug_access_mem(dbg, dbg->last_vcpu, addr, s->seen, len, false) == (long)len;
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

/*
 * Make read-only to the guest the pages under software write watchpoints
 * and under patched hardware breakpoints, and take the pages under read
 * and access watchpoints out of its memory slots: its writes (and reads)
 * there come back as MMIO exits (debug_on_mmio, debug_verdict.c).
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
	if (debug_to_gpa(dbg, dbg->last_vcpu, addr, &gpa) < 0 || !guest_mem_ptr(&dbg->vm->mem, gpa, len))
		return -EFAULT;
	if ((addr & (PAGE - 1)) + len > PAGE) {
		uint64_t gpa2;

		if (debug_to_gpa(dbg, dbg->last_vcpu, addr + len - 1, &gpa2) < 0 || gpa2 != gpa + len - 1)
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

void debug_lift_breakpoints(struct debug *dbg)
{
	for (int i = 0; i < dbg->nbps; i++) {
		const struct sw_breakpoint *bp = &dbg->bps[i];
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, bp->len);

		if (host)
			memcpy(host, bp->orig, bp->len);
	}
}

void debug_reinsert_breakpoints(struct debug *dbg)
{
	for (int i = 0; i < dbg->nbps; i++) {
		struct sw_breakpoint *bp = &dbg->bps[i];
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, bp->len);

		/* The image was reloaded: no patch is in memory yet. */
		if (host)
			memcpy(bp->orig, host, bp->len);
	}
	for (int i = 0; i < dbg->nbps; i++) {
		const struct sw_breakpoint *bp = &dbg->bps[i];
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, bp->len);

		if (host)
			memcpy(host, bp->insn, bp->len);
	}
}

/*
 * The run loop steps over a breakpoint (every other vCPU parked): take the
 * instruction under it out of the guest, and back afterwards. A byte
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
	if (!bp || !(host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, bp->len)))
		return;
	for (unsigned b = 0; b < bp->len; b++)
		if (lift || !patched_byte(dbg, bp->gpa + b, &host[b]))
			host[b] = bp->orig[b];
}

int debug_on_apply(void *ctx, struct vcpu *vcpu)
{
	struct debug *dbg = ctx;

	return arch_vcpu_set_debug(vcpu, &dbg->arch);
}
