/* SPDX-License-Identifier: MIT */
/*
 * A RISC-V hart's KVM state for snapshots (src/snapshot.c writes the file
 * around it). A hart has no KVM_GET_REGS: all KVM keeps of it is ONE_REG
 * registers, and KVM_GET_REG_LIST names every one this vCPU has (core,
 * CSRs, FP, timer, the ISA and SBI configuration, vector, SBI state...;
 * the kernel's Documentation/virt/kvm/api.rst, "KVM_GET_REG_LIST" and the
 * RISC-V part of "KVM_SET_ONE_REG"). A hart is saved as
 *
 *   u32 mp_state   KVM_GET_MP_STATE: 0 runnable, 5 stopped
 *   u32 count      registers that follow, in the list's order
 *   count x { u64 id, its value: KVM_REG_SIZE(id) bytes, little-endian }
 *
 * and a load sets them back in an order KVM takes:
 *
 * 1. the configuration: config isa, the other config registers, the ISA
 *    extensions, the SBI extensions. KVM lets them change only before the
 *    vCPU first runs (EBUSY after) and only to what the host can give; a
 *    saved value equal to the vCPU's is not written (no register is), so a
 *    loadvm in the process that saved works, and --loadvm in a fresh one
 *    gets the saved configuration or a message naming what differs;
 * 2. everything else (core, CSRs, FP, vector, SBI state), in the file's
 *    order; the read-only ones (vector vlenb) are equal, so not written;
 * 3. the timer: frequency (read-only: it must be equal), time (it sets the
 *    VM's time offset: the guest's clock goes on from the saved moment, as
 *    x86's kvmclock does), compare, then state. State ON arms KVM's timer
 *    for compare, so it is written last, and always (compare may have
 *    changed under a timer already armed); OFF on a timer already off is
 *    not written (KVM refuses to cancel a timer that is not set). With
 *    Sstc a hart out of KVM_RUN has its timer in compare alone (vstimecmp,
 *    which KVM keeps there) and state OFF;
 * 4. the MP state: a stopped hart (one no SBI HSM hart_start has started
 *    yet) stays stopped.
 *
 * The file is untrusted: a register this vCPU does not have, one twice,
 * one wider than any KVM has, a value KVM refuses are each one line
 * naming the register. A register the vCPU has and the file lacks keeps
 * its value, except the core ones (pc, x1..x31, the privilege mode).
 *
 * The VM has no state of its own beyond its harts': the time offset is
 * the VM's in KVM, but it is read and set through each hart's timer.
 */
#include "arch.h"
#include "error.h"
#include "kvm_riscv.h"
#include "snapshot_state.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define MAX_REGS     4096 /* KVM lists about 150 for a hart; a few hundred with vector and AIA */
#define MAX_REG_SIZE 256  /* KVM_REG_SIZE_U2048: the widest vector register a hart can have */

#define REG_TYPE(id)  ((id) & KVM_REG_RISCV_TYPE_MASK)
#define REG_INDEX(id) ((id) & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_RISCV_TYPE_MASK))

static const uint64_t timer_state_id = KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER |
				       KVM_REG_RISCV_TIMER_REG(state);

/* "timer state", "CSR 0x8", "ISA extension 0x13": for messages. */
static const char *reg_name(uint64_t id, char *buf, size_t size)
{
	static const char *const types[] = {
		NULL, "config", "core", "CSR", "timer", "fp.f", "fp.d", "ISA extension",
		"SBI extension", "vector", "SBI state",
	};
	static const char *const timer[] = { "frequency", "time", "compare", "state" };
	uint64_t type = REG_TYPE(id) >> KVM_REG_RISCV_TYPE_SHIFT, index = REG_INDEX(id);

	if (REG_TYPE(id) == KVM_REG_RISCV_TIMER && index < 4)
		snprintf(buf, size, "timer %s", timer[index]);
	else if (type < sizeof(types) / sizeof(types[0]) && types[type])
		snprintf(buf, size, "%s %#llx", types[type], (unsigned long long)index);
	else
		snprintf(buf, size, "of unknown type %#llx", (unsigned long long)type);
	return buf;
}

static int get_reg(struct vcpu *v, uint64_t id, void *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };
	char name[48];

	if (ioctl(v->fd, KVM_GET_ONE_REG, &reg) < 0)
		return err_set(EXIT_HOST, "KVM_GET_ONE_REG of vCPU %d's register %#llx (%s) failed: %s",
			       v->id, (unsigned long long)id, reg_name(id, name, sizeof(name)),
			       strerror(errno));
	return 0;
}

/* Every register id of the vCPU (malloc'd), or NULL with err_set(). */
static struct kvm_reg_list *reg_list(struct vcpu *v)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	/* With n too small KVM says E2BIG and how many there are. */
	if (ioctl(v->fd, KVM_GET_REG_LIST, &probe) < 0 && errno != E2BIG) {
		err_set(EXIT_HOST, "KVM_GET_REG_LIST of vCPU %d failed: %s (a RISC-V hart's snapshot needs "
			"Linux 6.6 or later on the host)", v->id, strerror(errno));
		return NULL;
	}
	if (probe.n > MAX_REGS) {
		err_set(EXIT_HOST, "vCPU %d has %llu registers; minikvm saves at most %d", v->id,
			(unsigned long long)probe.n, MAX_REGS);
		return NULL;
	}
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list) {
		err_set(EXIT_HOST, "out of memory");
		return NULL;
	}
	list->n = probe.n;
	if (probe.n && ioctl(v->fd, KVM_GET_REG_LIST, list) < 0) {
		err_set(EXIT_HOST, "KVM_GET_REG_LIST of vCPU %d failed: %s", v->id, strerror(errno));
		free(list);
		return NULL;
	}
	return list;
}

int arch_vcpu_save(struct vcpu *v, struct state_writer *w)
{
	struct kvm_mp_state mp;
	struct kvm_reg_list *list;
	uint8_t value[MAX_REG_SIZE];

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
		return err_set(EXIT_HOST, "KVM_GET_MP_STATE of vCPU %d failed: %s", v->id, strerror(errno));
	list = reg_list(v);
	if (!list)
		return -1;
	state_put_u32(w, mp.mp_state);
	state_put_u32(w, (uint32_t)list->n);
	for (uint64_t i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];

		if (KVM_REG_SIZE(id) > MAX_REG_SIZE) {
			free(list);
			return err_set(EXIT_HOST, "vCPU %d's register %#llx is %u bytes wide; minikvm saves at "
				       "most %d", v->id, (unsigned long long)id, KVM_REG_SIZE(id), MAX_REG_SIZE);
		}
		if (get_reg(v, id, value) < 0) {
			free(list);
			return -1;
		}
		state_put_u64(w, id);
		state_put(w, value, KVM_REG_SIZE(id));
	}
	free(list);
	return w->failed ? err_set(EXIT_HOST, "out of memory") : 0;
}

/* ---- load ---- */

struct saved_reg {
	uint64_t id;            /* first: by_id() compares these and bare ids alike */
	const uint8_t *value;   /* KVM_REG_SIZE(id) bytes, in the snapshot */
	unsigned step, at;      /* the step of the order above it belongs to; its place in the file */
};
_Static_assert(offsetof(struct saved_reg, id) == 0, "by_id() reads a saved_reg as its id");

static unsigned step_of(uint64_t id)
{
	switch (REG_TYPE(id)) {
	case KVM_REG_RISCV_CONFIG:
		return REG_INDEX(id) == RISCV_CONFIG_ISA ? 0 : 1;
	case KVM_REG_RISCV_ISA_EXT:
		return 2;
	case KVM_REG_RISCV_SBI_EXT:
		return 3;
	case KVM_REG_RISCV_TIMER:
		/* frequency, time, compare; any other timer register; state. */
		if (REG_INDEX(id) == KVM_REG_RISCV_TIMER_REG(state))
			return 9;
		return REG_INDEX(id) <= KVM_REG_RISCV_TIMER_REG(compare) ? 5 + (unsigned)REG_INDEX(id) : 8;
	}
	return 4;
}

/* Two register ids, each a bare id or a saved_reg's (its first field). */
static int by_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int by_order(const void *a, const void *b)
{
	const struct saved_reg *x = a, *y = b;

	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int damaged(const struct vcpu *v, const char *why)
{
	return err_set(EXIT_USAGE, "snapshot: the state of vCPU %d is damaged (%s)", v->id, why);
}

/* The registers of the section into regs (n of them), checked and sorted by id. */
static int parse_regs(struct vcpu *v, struct state_reader *r, struct saved_reg *regs, uint32_t n)
{
	char why[128];

	for (uint32_t i = 0; i < n; i++) {
		uint64_t id = state_get_u64(r);

		if (r->bad)
			return damaged(v, state_reader_error(r));
		if ((id & KVM_REG_ARCH_MASK) != KVM_REG_RISCV) {
			snprintf(why, sizeof(why), "register id %#llx is not a RISC-V one", (unsigned long long)id);
			return damaged(v, why);
		}
		if (KVM_REG_SIZE(id) > MAX_REG_SIZE) {
			snprintf(why, sizeof(why), "register %#llx is %u bytes wide", (unsigned long long)id,
				 KVM_REG_SIZE(id));
			return damaged(v, why);
		}
		regs[i] = (struct saved_reg){ .id = id, .value = state_get_ptr(r, KVM_REG_SIZE(id)),
					      .step = step_of(id), .at = i };
		if (!regs[i].value)
			return damaged(v, state_reader_error(r));
	}
	if (state_reader_done(r) < 0)
		return damaged(v, state_reader_error(r));
	qsort(regs, n, sizeof(regs[0]), by_id);
	for (uint32_t i = 1; i < n; i++) {
		if (regs[i].id == regs[i - 1].id) {
			snprintf(why, sizeof(why), "register %#llx twice", (unsigned long long)regs[i].id);
			return damaged(v, why);
		}
	}
	return 0;
}

/* Every saved register is one this vCPU has; every core register it has is saved. */
static int check_ids(struct vcpu *v, const struct saved_reg *regs, uint32_t n,
		     struct kvm_reg_list *have)
{
	char name[48];

	qsort(have->reg, have->n, sizeof(have->reg[0]), by_id);
	for (uint32_t i = 0; i < n; i++)
		if (!bsearch(&regs[i].id, have->reg, have->n, sizeof(have->reg[0]), by_id))
			return err_set(EXIT_USAGE, "snapshot: vCPU %d has a register %#llx (%s) that this host's "
				       "KVM does not give a hart: a snapshot of another host?", v->id,
				       (unsigned long long)regs[i].id, reg_name(regs[i].id, name, sizeof(name)));
	for (uint64_t i = 0; i < have->n; i++)
		if (REG_TYPE(have->reg[i]) == KVM_REG_RISCV_CORE &&
		    !bsearch(&have->reg[i], regs, n, sizeof(regs[0]), by_id))
			return damaged(v, "a core register is missing");
	return 0;
}

/* The value as a number, for messages: its first 8 bytes (KVM's, in the host's byte order). */
static unsigned long long shown(const uint8_t *value, uint64_t id)
{
	uint64_t x = 0;

	memcpy(&x, value, KVM_REG_SIZE(id) < 8 ? KVM_REG_SIZE(id) : 8);
	return (unsigned long long)x;
}

static int restore_reg(struct vcpu *v, const struct saved_reg *s)
{
	uint8_t now[MAX_REG_SIZE], value[MAX_REG_SIZE];
	size_t size = KVM_REG_SIZE(s->id);
	struct kvm_one_reg reg = { .id = s->id, .addr = (uintptr_t)value };
	char name[48];

	memcpy(value, s->value, size);
	if (get_reg(v, s->id, now) < 0)
		return -1;
	if (memcmp(now, value, size) == 0 && !(s->id == timer_state_id && shown(value, s->id) ==
						KVM_RISCV_TIMER_STATE_ON))
		return 0;
	if (ioctl(v->fd, KVM_SET_ONE_REG, &reg) < 0)
		return err_set(EXIT_USAGE, "snapshot: KVM will not set vCPU %d's register %#llx (%s) to its "
			       "saved %#llx%s (here %#llx): %s; a snapshot of another host's hart, or a "
			       "damaged one", v->id, (unsigned long long)s->id,
			       reg_name(s->id, name, sizeof(name)), shown(value, s->id),
			       size > 8 ? "..." : "", shown(now, s->id), strerror(errno));
	return 0;
}

int arch_vcpu_load(struct vcpu *v, struct state_reader *r)
{
	struct kvm_mp_state mp = { .mp_state = state_get_u32(r) };
	uint32_t n = state_get_u32(r);
	struct kvm_reg_list *have = NULL;
	struct saved_reg *regs;
	char why[96];
	int ret = -1;

	if (r->bad)
		return damaged(v, state_reader_error(r));
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE && mp.mp_state != KVM_MP_STATE_STOPPED) {
		snprintf(why, sizeof(why), "MP state %u is neither runnable (0) nor stopped (5)", mp.mp_state);
		return damaged(v, why);
	}
	/* Each register takes 9 bytes at least: a count the section cannot hold is made up. */
	if (n > MAX_REGS || n > (r->len - r->off) / 9) {
		snprintf(why, sizeof(why), "%u registers, in %zu bytes", n, r->len - r->off);
		return damaged(v, why);
	}
	regs = calloc(n ? n : 1, sizeof(*regs));
	if (!regs)
		return err_set(EXIT_HOST, "out of memory");
	if (parse_regs(v, r, regs, n) < 0 || !(have = reg_list(v)) || check_ids(v, regs, n, have) < 0)
		goto out;
	qsort(regs, n, sizeof(regs[0]), by_order);
	for (uint32_t i = 0; i < n; i++)
		if (restore_reg(v, &regs[i]) < 0)
			goto out;
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
		err_set(EXIT_HOST, "KVM_SET_MP_STATE of vCPU %d failed: %s", v->id, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(have);
	free(regs);
	return ret;
}

/* ---- the VM: nothing beyond its harts ---- */

int arch_vm_save(struct vm *vm, struct state_writer *w)
{
	(void)vm;
	(void)w;
	return 0;
}

int arch_vm_load(struct vm *vm, struct state_reader *r)
{
	(void)vm;
	if (r->len)
		return err_set(EXIT_USAGE, "snapshot: the machine's state is damaged (%zu bytes, where a "
			       "RISC-V machine keeps none outside its harts)", r->len);
	return 0;
}
