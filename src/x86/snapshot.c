/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's and the VM's KVM state for snapshots (src/snapshot.c writes the
 * file around them). A vCPU is a list of records { u32 kind, u32 length,
 * bytes }, each one of KVM's own structures as its GET ioctl fills it:
 * the host decides which exist (SREGS2 or SREGS, XSAVE or FPU, XCRS,
 * DEBUGREGS), and a load takes what the file has and this host can set.
 *
 * The order of a restore is KVM's, not the file's (KVM API document, and
 * what a VMM that migrates does): general registers; the FPU/XSAVE area
 * and XCR0; special registers (CR0/CR4/EFER and the APIC base, which the
 * MSRs and the local APIC depend on); the MSRs; the MP state; the local
 * APIC; the TSC deadline (meaningful only once the LAPIC timer is in
 * TSC-deadline mode); the pending events (exceptions, interrupts, NMIs,
 * interrupt shadow), which everything before may have disturbed; and the
 * guest's own debug registers.
 */
#include "arch.h"
#include "error.h"
#include "bits.h"
#include "x86.h"
#include "snapshot_state.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

enum record {
	REC_REGS = 1, REC_SREGS, REC_SREGS2, REC_FPU, REC_XSAVE, REC_XCRS, REC_LAPIC, REC_MSRS,
	REC_EVENTS, REC_MP_STATE, REC_DEBUGREGS, REC_KINDS,
	VM_REC_CLOCK = 1,
};

#define MAX_MSRS              4096      /* KVM's list has a few hundred at most */
#define MAX_XSAVE             (1 << 20) /* KVM_CAP_XSAVE2's size: a few pages */

static bool has_cap(struct vm *vm, int cap)
{
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static void put_record(struct state_writer *w, uint32_t kind, const void *p, size_t len)
{
	state_put_u32(w, kind);
	state_put_u32(w, (uint32_t)len);
	state_put(w, p, len);
}

/* KVM_GET_* into a record; -1 with err_set() if KVM refuses. */
static int get_record(struct vcpu *v, struct state_writer *w, unsigned long req, const char *name,
		      uint32_t kind, void *buf, size_t len)
{
	if (ioctl(v->fd, req, buf) < 0)
		return err_set(EXIT_HOST, "%s of vCPU %d failed: %s", name, v->id, strerror(errno));
	put_record(w, kind, buf, len);
	return 0;
}

static int vcpu_msr_ioctl(void *ctx, unsigned long req, struct kvm_msrs *m)
{
	struct vcpu *v = ctx;

	return ioctl(v->fd, req, m);
}

/*
 * KVM_GET_MSRS and KVM_SET_MSRS stop at the first MSR KVM refuses (one the
 * guest's CPUID does not have, one that cannot be written) and return how
 * many they did: skip that one and go on with the rest. They refuse 256
 * MSRs or more in one call (E2BIG: MAX_IO_MSRS in arch/x86/kvm/x86.c), so
 * the list goes in chunks of MSRS_PER_CALL; each call moves on by at least
 * one MSR and copies at most a chunk, so n MSRs cost O(n) whatever KVM
 * refuses.
 */
#define MSRS_PER_CALL 255

int x86_msrs_io(x86_msr_ioctl_fn io, void *ctx, unsigned long req, const struct kvm_msr_entry *entries,
		uint32_t n, struct kvm_msr_entry *done)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[MSRS_PER_CALL];
	} m;
	uint32_t ndone = 0;

	for (uint32_t i = 0; i < n;) {
		uint32_t chunk = n - i < MSRS_PER_CALL ? n - i : MSRS_PER_CALL;
		int r;

		m.hdr.nmsrs = chunk;
		m.hdr.pad = 0;
		memcpy(m.e, entries + i, chunk * sizeof(entries[0]));
		r = io(ctx, req, &m.hdr);
		if (r < 0 || (uint32_t)r > chunk)
			r = 0; /* the whole call refused: take it as a refusal of its first MSR */
		if (done)
			memcpy(done + ndone, m.e, (size_t)r * sizeof(entries[0]));
		ndone += (uint32_t)r;
		i += (uint32_t)r;
		if ((uint32_t)r < chunk)
			i++; /* entries[i] was refused */
	}
	return (int)ndone;
}

/* Every MSR of KVM_GET_MSR_INDEX_LIST this vCPU lets us read. */
static int save_msrs(struct vcpu *v, struct state_writer *w)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list = NULL;
	struct kvm_msr_entry *in = NULL, *out = NULL;
	uint32_t n;
	int got, ret = -1;

	if (ioctl(v->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return err_set(EXIT_HOST, "KVM_GET_MSR_INDEX_LIST failed: %s", strerror(errno));
	n = probe.nmsrs < MAX_MSRS ? probe.nmsrs : MAX_MSRS;
	list = calloc(1, sizeof(*list) + n * sizeof(list->indices[0]));
	in = calloc(n + 1, sizeof(*in));
	out = calloc(n + 1, sizeof(*out));
	if (!list || !in || !out) {
		err_set(EXIT_HOST, "out of memory");
		goto out;
	}
	list->nmsrs = n;
	if (ioctl(v->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		err_set(EXIT_HOST, "KVM_GET_MSR_INDEX_LIST failed: %s", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		in[i].index = list->indices[i];
	got = x86_msrs_io(vcpu_msr_ioctl, v, KVM_GET_MSRS, in, n, out);
	put_record(w, REC_MSRS, out, (size_t)got * sizeof(out[0]));
	ret = 0;
out:
	free(list);
	free(in);
	free(out);
	return ret;
}

int arch_vcpu_save(struct vcpu *v, struct state_writer *w)
{
	struct vm *vm = v->vm;
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_lapic_state lapic;
	int xsave_size = has_cap(vm, KVM_CAP_XSAVE2) ? ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2) : 0;
	int r = 0;

	if (get_record(v, w, KVM_GET_MP_STATE, "KVM_GET_MP_STATE", REC_MP_STATE, &mp, sizeof(mp)) < 0 ||
	    get_record(v, w, KVM_GET_REGS, "KVM_GET_REGS", REC_REGS, &regs, sizeof(regs)) < 0)
		return -1;
	if (has_cap(vm, KVM_CAP_SREGS2)) {
		struct kvm_sregs2 s2;

		r = get_record(v, w, KVM_GET_SREGS2, "KVM_GET_SREGS2", REC_SREGS2, &s2, sizeof(s2));
	} else {
		struct kvm_sregs s;

		r = get_record(v, w, KVM_GET_SREGS, "KVM_GET_SREGS", REC_SREGS, &s, sizeof(s));
	}
	if (r < 0)
		return -1;
	if (xsave_size > (int)sizeof(struct kvm_xsave) && xsave_size <= MAX_XSAVE) {
		void *x = calloc(1, (size_t)xsave_size);

		if (!x)
			return err_set(EXIT_HOST, "out of memory");
		r = get_record(v, w, KVM_GET_XSAVE2, "KVM_GET_XSAVE2", REC_XSAVE, x, (size_t)xsave_size);
		free(x);
	} else if (has_cap(vm, KVM_CAP_XSAVE)) {
		struct kvm_xsave x;

		r = get_record(v, w, KVM_GET_XSAVE, "KVM_GET_XSAVE", REC_XSAVE, &x, sizeof(x));
	} else {
		struct kvm_fpu f;

		r = get_record(v, w, KVM_GET_FPU, "KVM_GET_FPU", REC_FPU, &f, sizeof(f));
	}
	if (r < 0)
		return -1;
	if (has_cap(vm, KVM_CAP_XCRS)) {
		struct kvm_xcrs x;

		if (get_record(v, w, KVM_GET_XCRS, "KVM_GET_XCRS", REC_XCRS, &x, sizeof(x)) < 0)
			return -1;
	}
	if (get_record(v, w, KVM_GET_LAPIC, "KVM_GET_LAPIC", REC_LAPIC, &lapic, sizeof(lapic)) < 0 ||
	    save_msrs(v, w) < 0)
		return -1;
	if (has_cap(vm, KVM_CAP_VCPU_EVENTS)) {
		struct kvm_vcpu_events ev;

		if (get_record(v, w, KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", REC_EVENTS, &ev,
			       sizeof(ev)) < 0)
			return -1;
	}
	if (has_cap(vm, KVM_CAP_DEBUGREGS)) {
		struct kvm_debugregs d;

		if (get_record(v, w, KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", REC_DEBUGREGS, &d,
			       sizeof(d)) < 0)
			return -1;
	}
	return w->failed ? err_set(EXIT_HOST, "out of memory") : 0;
}

/* ---- load ---- */

struct vcpu_records {
	const uint8_t *p[REC_KINDS];
	uint32_t len[REC_KINDS];
};

/* The size a record of each kind must have (0: variable, checked by its user). */
static size_t record_size(uint32_t kind)
{
	switch (kind) {
	case REC_REGS: return sizeof(struct kvm_regs);
	case REC_SREGS: return sizeof(struct kvm_sregs);
	case REC_SREGS2: return sizeof(struct kvm_sregs2);
	case REC_FPU: return sizeof(struct kvm_fpu);
	case REC_XCRS: return sizeof(struct kvm_xcrs);
	case REC_LAPIC: return sizeof(struct kvm_lapic_state);
	case REC_EVENTS: return sizeof(struct kvm_vcpu_events);
	case REC_MP_STATE: return sizeof(struct kvm_mp_state);
	case REC_DEBUGREGS: return sizeof(struct kvm_debugregs);
	default: return 0;
	}
}

static int bad_vcpu(struct vcpu *v, const char *what)
{
	return err_set(EXIT_USAGE, "snapshot: the state of vCPU %d is damaged (%s)", v->id, what);
}

static int parse_records(struct vcpu *v, struct state_reader *r, struct vcpu_records *rec)
{
	memset(rec, 0, sizeof(*rec));
	while (r->off < r->len) {
		uint32_t kind = state_get_u32(r), len = state_get_u32(r);
		const uint8_t *p = state_get_ptr(r, len);

		if (!p)
			return bad_vcpu(v, "a record runs past its section");
		if (kind == 0 || kind >= REC_KINDS)
			return bad_vcpu(v, "a record of unknown kind");
		if (rec->p[kind])
			return bad_vcpu(v, "a record twice");
		if (record_size(kind) && len != record_size(kind))
			return bad_vcpu(v, "a record of the wrong size");
		if (kind == REC_MSRS && len % sizeof(struct kvm_msr_entry))
			return bad_vcpu(v, "MSRs of the wrong size");
		/* No KVM lists more (save keeps at most as many): a larger record is made up. */
		if (kind == REC_MSRS && len / sizeof(struct kvm_msr_entry) > MAX_MSRS)
			return bad_vcpu(v, "too many MSRs");
		if (kind == REC_XSAVE && (len < sizeof(struct kvm_xsave) || len > MAX_XSAVE))
			return bad_vcpu(v, "an XSAVE area of the wrong size");
		rec->p[kind] = p;
		rec->len[kind] = len;
	}
	if (!rec->p[REC_REGS] || !(rec->p[REC_SREGS] || rec->p[REC_SREGS2]) || !rec->p[REC_LAPIC] ||
	    !rec->p[REC_MP_STATE] || !(rec->p[REC_FPU] || rec->p[REC_XSAVE]))
		return bad_vcpu(v, "a record is missing");
	return 0;
}

static int set(struct vcpu *v, unsigned long req, const char *name, const void *p, size_t len)
{
	void *copy = malloc(len); /* KVM's structures, aligned as KVM expects */
	int r;

	if (!copy)
		return err_set(EXIT_HOST, "out of memory");
	memcpy(copy, p, len);
	r = ioctl(v->fd, req, copy);
	free(copy);
	if (r < 0)
		return err_set(EXIT_HOST, "%s of vCPU %d failed: %s", name, v->id, strerror(errno));
	return 0;
}

/* The saved MSRs, all but the TSC deadline (deadline false) or only it (true). */
static int load_msrs(struct vcpu *v, const uint8_t *p, uint32_t len, bool deadline)
{
	uint32_t n = len / sizeof(struct kvm_msr_entry), k = 0;
	struct kvm_msr_entry *in = calloc(n + 1, sizeof(*in));

	if (!in)
		return err_set(EXIT_HOST, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_msr_entry e;

		memcpy(&e, p + i * sizeof(e), sizeof(e));
		if ((e.index == MSR_IA32_TSC_DEADLINE) == deadline)
			in[k++] = e;
	}
	x86_msrs_io(vcpu_msr_ioctl, v, KVM_SET_MSRS, in, k, NULL);
	free(in);
	return 0;
}

/* SREGS2 from a host that had it, on one that does not: the same fields, no PDPTRs. */
static void sregs_from_sregs2(struct kvm_sregs *s, const struct kvm_sregs2 *s2)
{
	memset(s, 0, sizeof(*s));
	s->cs = s2->cs; s->ds = s2->ds; s->es = s2->es; s->fs = s2->fs; s->gs = s2->gs; s->ss = s2->ss;
	s->tr = s2->tr; s->ldt = s2->ldt; s->gdt = s2->gdt; s->idt = s2->idt;
	s->cr0 = s2->cr0; s->cr2 = s2->cr2; s->cr3 = s2->cr3; s->cr4 = s2->cr4; s->cr8 = s2->cr8;
	s->efer = s2->efer;
	s->apic_base = s2->apic_base;
}

static int load_sregs(struct vcpu *v, const struct vcpu_records *rec)
{
	struct kvm_sregs s;
	struct kvm_sregs2 s2;

	if (rec->p[REC_SREGS2] && has_cap(v->vm, KVM_CAP_SREGS2))
		return set(v, KVM_SET_SREGS2, "KVM_SET_SREGS2", rec->p[REC_SREGS2], sizeof(s2));
	if (rec->p[REC_SREGS])
		return set(v, KVM_SET_SREGS, "KVM_SET_SREGS", rec->p[REC_SREGS], sizeof(s));
	memcpy(&s2, rec->p[REC_SREGS2], sizeof(s2));
	sregs_from_sregs2(&s, &s2);
	return set(v, KVM_SET_SREGS, "KVM_SET_SREGS", &s, sizeof(s));
}

static int load_fpu(struct vcpu *v, const struct vcpu_records *rec)
{
	if (rec->p[REC_XSAVE]) {
		if (!has_cap(v->vm, KVM_CAP_XSAVE))
			return err_set(EXIT_USAGE, "snapshot: saved with XSAVE state, which this host's KVM "
				       "cannot take (no KVM_CAP_XSAVE)");
		/* KVM_SET_XSAVE reads as much as KVM_CAP_XSAVE2 says: pad a short area. */
		size_t want = sizeof(struct kvm_xsave);
		int big = ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
		uint8_t *x;
		int r;

		if (big > (int)want && big <= MAX_XSAVE)
			want = (size_t)big;
		x = calloc(1, want > rec->len[REC_XSAVE] ? want : rec->len[REC_XSAVE]);
		if (!x)
			return err_set(EXIT_HOST, "out of memory");
		memcpy(x, rec->p[REC_XSAVE], rec->len[REC_XSAVE]);
		r = ioctl(v->fd, KVM_SET_XSAVE, x);
		free(x);
		if (r < 0)
			return err_set(EXIT_HOST, "KVM_SET_XSAVE of vCPU %d failed: %s", v->id, strerror(errno));
		return 0;
	}
	return set(v, KVM_SET_FPU, "KVM_SET_FPU", rec->p[REC_FPU], sizeof(struct kvm_fpu));
}

int arch_vcpu_load(struct vcpu *v, struct state_reader *r)
{
	struct vcpu_records rec;

	if (parse_records(v, r, &rec) < 0)
		return -1;
	if (set(v, KVM_SET_REGS, "KVM_SET_REGS", rec.p[REC_REGS], sizeof(struct kvm_regs)) < 0 ||
	    load_fpu(v, &rec) < 0)
		return -1;
	if (rec.p[REC_XCRS] && has_cap(v->vm, KVM_CAP_XCRS) &&
	    set(v, KVM_SET_XCRS, "KVM_SET_XCRS", rec.p[REC_XCRS], sizeof(struct kvm_xcrs)) < 0)
		return -1;
	if (load_sregs(v, &rec) < 0)
		return -1;
	if (rec.p[REC_MSRS] && load_msrs(v, rec.p[REC_MSRS], rec.len[REC_MSRS], false) < 0)
		return -1;
	if (set(v, KVM_SET_MP_STATE, "KVM_SET_MP_STATE", rec.p[REC_MP_STATE], sizeof(struct kvm_mp_state)) < 0 ||
	    set(v, KVM_SET_LAPIC, "KVM_SET_LAPIC", rec.p[REC_LAPIC], sizeof(struct kvm_lapic_state)) < 0)
		return -1;
	if (rec.p[REC_MSRS] && load_msrs(v, rec.p[REC_MSRS], rec.len[REC_MSRS], true) < 0)
		return -1;
	if (rec.p[REC_EVENTS] && has_cap(v->vm, KVM_CAP_VCPU_EVENTS) &&
	    set(v, KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", rec.p[REC_EVENTS],
		sizeof(struct kvm_vcpu_events)) < 0)
		return -1;
	if (rec.p[REC_DEBUGREGS] && has_cap(v->vm, KVM_CAP_DEBUGREGS) &&
	    set(v, KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", rec.p[REC_DEBUGREGS],
		sizeof(struct kvm_debugregs)) < 0)
		return -1;
	return 0;
}

/* ---- the VM: its clock (kvmclock's time base) ---- */

int arch_vm_save(struct vm *vm, struct state_writer *w)
{
	struct kvm_clock_data c;

	if (!has_cap(vm, KVM_CAP_ADJUST_CLOCK))
		return 0;
	memset(&c, 0, sizeof(c));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &c) < 0)
		return err_set(EXIT_HOST, "KVM_GET_CLOCK failed: %s", strerror(errno));
	put_record(w, VM_REC_CLOCK, &c, sizeof(c));
	return 0;
}

int arch_vm_load(struct vm *vm, struct state_reader *r)
{
	while (r->off < r->len) {
		uint32_t kind = state_get_u32(r), len = state_get_u32(r);
		const void *p = state_get_ptr(r, len);
		struct kvm_clock_data c;

		if (!p || kind != VM_REC_CLOCK || len != sizeof(c))
			return err_set(EXIT_USAGE, "snapshot: the machine's state is damaged");
		if (!has_cap(vm, KVM_CAP_ADJUST_CLOCK))
			continue;
		memcpy(&c, p, sizeof(c));
		/* Only the clock's value: the host's realtime and TSC then belong to another moment. */
		c.flags = 0;
		memset(c.pad, 0, sizeof(c.pad));
		c.realtime = c.host_tsc = 0;
		if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
			return err_set(EXIT_HOST, "KVM_SET_CLOCK failed: %s", strerror(errno));
	}
	return 0;
}
