/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as gdb sees it: reads and writes at gdb's addresses, which
 * are guest-virtual (through the page tables of the vCPU gdb names, by the
 * arch's arch_translate) or, after `monitor phys on`, guest-physical. Our
 * patched breakpoints are hidden: a read shows the original byte, a write
 * under one changes the original and keeps the breakpoint.
 */
#include "arch.h"
#include "debug_internal.h"
#include "vm.h"

#include <errno.h>
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
int debug_to_gpa(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa)
{
	if (dbg->phys) {
		*gpa = addr;
		return 0;
	}
	return arch_translate(debug_vcpu(dbg, vcpu), addr, gpa);
}

/* Copy between gdb and guest memory page by page; returns bytes done or -EFAULT. */
long debug_access_mem(struct debug *dbg, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len,
		      bool write)
{
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done, gpa;
		size_t chunk = PAGE - (a & (PAGE - 1));
		uint8_t *host;

		if (chunk > len - done)
			chunk = len - done;
		if (debug_to_gpa(dbg, vcpu, a, &gpa) < 0)
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
	return debug_access_mem(ctx, vcpu, addr, buf, len, false);
}

long debug_op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	long n = debug_access_mem(ctx, vcpu, addr, (uint8_t *)buf, len, true);

	/* A write must be whole: gdb does not retry the rest. */
	return n == (long)len ? n : -EFAULT;
}
