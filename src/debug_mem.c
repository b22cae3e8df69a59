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

int debug_to_gpa_span(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa,
		      uint64_t *span)
{
	if (dbg->phys) {
		*gpa = addr;
		*span = UINT64_MAX;
		return 0;
	}
	return arch_translate(debug_vcpu(dbg, vcpu), addr, gpa, span);
}

/* The guest-physical address of a gdb address, for one page. */
int debug_to_gpa(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa)
{
	uint64_t span;

	return debug_to_gpa_span(dbg, vcpu, addr, gpa, &span);
}

/*
 * Where the guest RAM at addr is in our memory, for up to len bytes that
 * share one translation and lie in one RAM region; NULL if none. A large
 * page that runs past the end of RAM still gives its 4 KiB pages inside,
 * as a page-by-page copy would.
 */
static uint8_t *host_span(struct debug *dbg, unsigned vcpu, uint64_t addr, size_t *len,
			  uint64_t *gpa)
{
	uint64_t span;
	size_t page_left = PAGE - (addr & (PAGE - 1));
	uint8_t *host;

	if (debug_to_gpa_span(dbg, vcpu, addr, gpa, &span) < 0)
		return NULL;
	if (*len > span)
		*len = (size_t)span;
	host = guest_mem_ptr(&dbg->vm->mem, *gpa, *len);
	if (!host && *len > page_left) {
		*len = page_left;
		host = guest_mem_ptr(&dbg->vm->mem, *gpa, *len);
	}
	return host;
}

/* Copy between gdb and guest memory page by page; returns bytes done or -EFAULT. */
long debug_access_mem(struct debug *dbg, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len,
		      bool write)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa;
		size_t chunk = len - done;
		uint8_t *host = host_span(dbg, vcpu, addr + done, &chunk, &gpa);

		if (!host)
			break;
		if (write)
			memcpy(host, buf + done, chunk);
		else
			memcpy(buf + done, host, chunk);
		/* Keep our breakpoints in place; gdb sees and edits the original bytes. */
		for (int i = 0; i < dbg->nbps; i++) {
			struct sw_breakpoint *bp = &dbg->bps[i];

			for (unsigned b = 0; b < bp->len; b++) {
				uint64_t at = bp->gpa + b - gpa;

				if (at >= chunk)
					continue;
				if (write) {
					bp->orig[b] = buf[done + at];
					host[at] = bp->insn[b];
				} else {
					buf[done + at] = bp->orig[b];
				}
			}
		}
		done += chunk;
	}
	return done ? (long)done : -EFAULT;
}

long debug_op_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len)
{
	return debug_access_mem(ctx, vcpu, addr, buf, len, false);
}

/*
 * gdbstub's peek_mem: guest RAM as it is, up to the next breakpoint of
 * ours (whose original byte only read_mem shows) or the end of the page's
 * translation. The guest is stopped (or held), so nothing moves meanwhile.
 */
long debug_op_peek_mem(void *ctx, unsigned vcpu, uint64_t addr, size_t len, const uint8_t **host)
{
	struct debug *dbg = ctx;
	uint64_t gpa;
	uint8_t *p = host_span(dbg, vcpu, addr, &len, &gpa);

	if (!p)
		return -EFAULT;
	for (int i = 0; i < dbg->nbps; i++) {
		const struct sw_breakpoint *bp = &dbg->bps[i];

		if (bp->gpa + bp->len > gpa && bp->gpa < gpa + len)
			len = bp->gpa > gpa ? (size_t)(bp->gpa - gpa) : 0;
	}
	*host = p;
	return (long)len;
}

long debug_op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	long n = debug_access_mem(ctx, vcpu, addr, (uint8_t *)buf, len, true);

	/* A write must be whole: gdb does not retry the rest. */
	return n == (long)len ? n : -EFAULT;
}
