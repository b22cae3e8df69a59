/* SPDX-License-Identifier: MIT */
/*
 * vCPUs: one host thread each, looping on KVM_RUN (kvmtool's kvm-cpu.c is
 * the model: this file is the loop). Every return from KVM_RUN is a "VM
 * exit" whose reason is in the shared kvm_run page; vcpu_handle_exit()
 * dispatches it: port I/O and MMIO to the device buses (iobus.c), debug
 * exits and the debugger's own breakpoints to the debugger's hooks, whose
 * verdict apply_verdict() carries out (stop the VM, step over the
 * breakpoint: step_over.c, or give the guest its exception), exits only
 * the arch knows to arch_handle_exit(), the rest to the end of the VM. It
 * also keeps the counters behind --stats and --trace-exits.
 *
 * Whether the vCPU may run at all (paused, held, parked while another steps
 * over a breakpoint) is run control's, in runctl.c, which also kicks vCPUs
 * out of KVM_RUN; the loop asks it before each KVM_RUN (runctl_park).
 */
#include "vcpu.h"
#include "arch.h"
#include "debug_contract.h"
#include "error.h"
#include "runctl.h"
#include "step_over.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION", [KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL", [KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS", [KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR", [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
	[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
};

const char *vcpu_exit_name(unsigned reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

int vcpu_create(struct vm *vm, int id, struct vcpu **out)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[8];
	} mask;
	sigset_t blocked;

	if (!vcpu)
		return err_set(EXIT_HOST, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		free(vcpu);
		return err_set(EXIT_HOST, "KVM_CREATE_VCPU %d failed: %s", id, strerror(errno));
	}
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		close(vcpu->fd);
		free(vcpu);
		return err_set(EXIT_HOST, "mmap of vCPU %d's kvm_run failed: %s", id, strerror(errno));
	}
	/* The mask KVM applies while in KVM_RUN: ours minus the kick. */
	pthread_sigmask(SIG_BLOCK, NULL, &blocked);
	sigdelset(&blocked, VCPU_KICK_SIGNAL);
	mask.hdr.len = 8; /* the kernel's sigset_t is 64 bits */
	memcpy(mask.set, &blocked, 8);
	if (ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &mask) < 0) {
		vcpu_destroy(vcpu);
		return err_set(EXIT_HOST, "KVM_SET_SIGNAL_MASK failed: %s", strerror(errno));
	}
	*out = vcpu;
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run && vcpu->run != MAP_FAILED)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	step_over_free(vcpu);
	free(vcpu->arch_regs);
	free(vcpu->arch_debug);
	free(vcpu);
}

int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0)
		return err_set(EXIT_HOST, "KVM_GET_REGS failed: %s", strerror(errno));
	return 0;
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return err_set(EXIT_HOST, "KVM_SET_REGS failed: %s", strerror(errno));
	return 0;
}

static void count_port(struct vcpu_stats *st, uint16_t port, bool write)
{
	/* Open addressing on the port number; a full table counts overflow. */
	for (unsigned i = 0; i < VCPU_PORT_SLOTS; i++) {
		struct port_count *pc = &st->ports[(port + i) % VCPU_PORT_SLOTS];

		if (!pc->used) {
			pc->used = true;
			pc->port = port;
		}
		if (pc->port == port) {
			if (write)
				pc->writes++;
			else
				pc->reads++;
			return;
		}
	}
	st->ports_overflow++;
}

static void trace_data(FILE *f, const uint8_t *d, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, d, size > 8 ? 8 : size);
	fprintf(f, " data=%#llx", (unsigned long long)v);
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned size = run->io.size;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	struct io_device *dev = NULL;

	count_port(&vcpu->stats, run->io.port, write);
	/* String I/O (rep outsb/insb) arrives as count back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		dev = iobus_access(&vm->pio, vcpu, run->io.port, data, size, write);
		if (vm->cfg->trace_exits) {
			flockfile(stderr);
			fprintf(stderr, "vcpu%d: IO %s port=%#x size=%u", vcpu->id,
				write ? "out" : "in", run->io.port, size);
			trace_data(stderr, data, size);
			fprintf(stderr, "%s\n", dev ? "" : " (unknown port)");
			funlockfile(stderr);
		}
	}
	if (!dev)
		vcpu->stats.unknown_pio++;
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	unsigned size = run->mmio.len;
	struct io_device *dev;

	/* An access to RAM the debugger made read-only or unmapped, to watch it. */
	if (vm->hooks && vm->hooks->mmio) {
		struct vcpu_stop why = { VCPU_STOP_NONE, 0 };
		int r = vm->hooks->mmio(vm->hooks_ctx, vcpu, run->mmio.phys_addr, run->mmio.data, size,
					run->mmio.is_write, &why);

		if (r > 0)
			vm_debug_stop(vm, vcpu, &why);
		if (r >= 0)
			return;
	}
	dev = iobus_access(&vm->mmio, vcpu, run->mmio.phys_addr, run->mmio.data, size,
			   run->mmio.is_write);
	if (!dev)
		vcpu->stats.unknown_mmio++;
	if (vm->cfg->trace_exits) {
		flockfile(stderr);
		fprintf(stderr, "vcpu%d: MMIO %s addr=%#llx size=%u", vcpu->id,
			run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr,
			size);
		trace_data(stderr, run->mmio.data, size);
		fprintf(stderr, "%s\n", dev ? "" : " (unknown address)");
		funlockfile(stderr);
	}
}

/* The guest died: say why on stderr, dump its state, end the VM with status 3. */
static void guest_crash(struct vcpu *vcpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void guest_crash(struct vcpu *vcpu, const char *fmt, ...)
{
	struct vm *vm = vcpu->vm;
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* Only the first vCPU to crash reports; guest output first, then the report. */
	if (!vm_request_exit(vm, EXIT_GUEST_CRASH, why))
		return;
	console_flush(&vm->console);
	flockfile(stderr);
	fprintf(stderr, "minikvm: guest crashed: vCPU %d: %s\n", vcpu->id, why);
	arch_vcpu_dump(vcpu, stderr);
	funlockfile(stderr);
}

static void apply_verdict(struct vcpu *vcpu, const struct vcpu_debug_event *ev,
			  enum vcpu_verdict verdict, const struct vcpu_stop *why);

/* False when the guest is dead. */
static bool handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	struct vcpu_debug_event ev = { VCPU_DEBUG_NONE, 0, 0 };
	struct vcpu_stop why = { VCPU_STOP_NONE, 0 };

	switch (run->internal.suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		/*
		 * Some KVMs (this project's PVM hosts) cannot emulate int3 in
		 * protected/long mode, and a few other instructions: the arch
		 * code completes what it can, and reports a breakpoint
		 * instruction as a debug event for the debugger to judge.
		 */
		switch (arch_emulation_failure(vcpu, &ev)) {
		case ARCH_EMULATED:
			return true;
		case ARCH_DEBUG_EVENT:
			apply_verdict(vcpu, &ev, vm->hooks && vm->hooks->debug_event ?
				      vm->hooks->debug_event(vm->hooks_ctx, vcpu, &ev, &why) : VCPU_REINJECT,
				      &why);
			return true;
		case ARCH_NOT_EMULATED:
			break;
		}
		guest_crash(vcpu, "KVM could not emulate the instruction at RIP %#llx "
			    "(KVM_EXIT_INTERNAL_ERROR, emulation failure)", arch_vcpu_ip(vcpu));
		break;
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		guest_crash(vcpu, "exception while delivering an exception "
			    "(KVM_EXIT_INTERNAL_ERROR, suberror 2)");
		break;
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		guest_crash(vcpu, "exception during event delivery (KVM_EXIT_INTERNAL_ERROR, suberror 3)");
		break;
	default:
		guest_crash(vcpu, "KVM internal error, suberror %u", run->internal.suberror);
	}
	return false;
}

static void handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_exit(vcpu->vm, EXIT_GUEST_OK, "guest system event: shutdown or reset");
		break;
	default:
		guest_crash(vcpu, "guest system event %u (crash)", vcpu->run->system_event.type);
	}
}

/* Do what the debugger decided about a debug event. */
static void apply_verdict(struct vcpu *vcpu, const struct vcpu_debug_event *ev,
			  enum vcpu_verdict verdict, const struct vcpu_stop *why)
{
	switch (verdict) {
	case VCPU_RUN_ON:
		break;
	case VCPU_STOP_VM:
		vm_debug_stop(vcpu->vm, vcpu, why);
		break;
	case VCPU_STEP_OVER:
		step_over_begin(vcpu);
		break;
	case VCPU_REINJECT:
		if (arch_reinject_debug_event(vcpu, ev) < 0)
			guest_crash(vcpu, "cannot give the guest its breakpoint exception at %#llx",
				    (unsigned long long)ev->pc);
		break;
	}
}

/* A debug exit (single step, breakpoint, watchpoint): the debugger decides. */
static void handle_debug(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_stop why = { VCPU_STOP_NONE, 0 };
	struct vcpu_debug_event ev = { VCPU_DEBUG_NONE, 0, 0 };

	/* The step over a breakpoint is done: put it back, let the others go. */
	if (vcpu->stepping_over) {
		step_over_end(vcpu);
		return;
	}
	/* Guest debug is only ever enabled by a debugger: without one, nothing to do. */
	if (vm->hooks && vm->hooks->debug_exit)
		apply_verdict(vcpu, &ev, vm->hooks->debug_exit(vm->hooks_ctx, vcpu, &ev, &why), &why);
}

static int run_immediate_exit(struct vcpu *vcpu);

/*
 * The debugger's I/O breakpoint (`in al, dx` on hosts where int3 and debug
 * registers do not reach us): undo the IN as if the guest had never got
 * there (KVM completes it on the next KVM_RUN: let it, without entering the
 * guest, then put the registers back), then let the debugger decide.
 */
static bool io_breakpoint(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_debug_event ev = { VCPU_DEBUG_NONE, 0, 0 };
	struct vcpu_stop why = { VCPU_STOP_NONE, 0 };
	struct kvm_regs regs;

	if (!vm->hooks || !vm->hooks->claim_io || !vm->hooks->claim_io(vm->hooks_ctx, vcpu, &ev))
		return false;
	if (vcpu_get_regs(vcpu, &regs) < 0 || run_immediate_exit(vcpu) < 0 ||
	    vcpu_set_regs(vcpu, &regs) < 0) {
		vm_request_exit(vm, EXIT_HOST, err_message());
		return true;
	}
	apply_verdict(vcpu, &ev, vm->hooks->debug_event(vm->hooks_ctx, vcpu, &ev, &why), &why);
	return true;
}

/* Dispatch one exit; false when the vCPU must stop running. */
bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned reason = run->exit_reason;

	vcpu->stats.exits[reason < VCPU_EXIT_REASONS ? reason : 0]++;
	switch (reason) {
	case KVM_EXIT_IO:
		/* On some hosts a breakpoint is an `in al, dx` the debugger wrote. */
		if (io_breakpoint(vcpu))
			return true;
		handle_io(vcpu);
		vcpu->io_pending = true;
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		vcpu->io_pending = true;
		return true;
	case KVM_EXIT_DEBUG:
		handle_debug(vcpu);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		guest_crash(vcpu, "triple fault (KVM_EXIT_SHUTDOWN) at RIP %#llx", arch_vcpu_ip(vcpu));
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		return handle_internal_error(vcpu);
	case KVM_EXIT_FAIL_ENTRY:
		guest_crash(vcpu, "KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY, "
			    "hardware reason %#llx)",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(vcpu);
		return false;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; ours has one, so a halted guest never gets here. */
		guest_crash(vcpu, "HLT exit without an in-kernel irqchip");
		return false;
	case KVM_EXIT_HYPERCALL:
		/*
		 * KVM's own hypercall exit (vmcall with KVM_CAP_EXIT_HYPERCALL
		 * enabled, which the core never asks for). minikvm's teaching
		 * hypercalls are an OUT to port 0x510: a KVM_EXIT_IO that the port
		 * bus hands to src/dev/hypercall.c (docs/hypercalls.md, the ABI).
		 */
		__attribute__((fallthrough));
	default:
		if (arch_handle_exit(vcpu))
			return true;
		guest_crash(vcpu, "unhandled VM exit %u (KVM_EXIT_%s)", reason, vcpu_exit_name(reason));
		return false;
	}
}

/*
 * KVM finishes an I/O or MMIO instruction (stores an IN's data, moves RIP
 * on) only when KVM_RUN is next entered. Enter it with immediate_exit: it
 * completes the instruction and returns -EINTR without running the guest.
 * 0 done; 1 completing it produced a new exit (in vcpu->run); -1 error.
 */
static int run_immediate_exit(struct vcpu *vcpu)
{
	int r;

	vcpu->run->immediate_exit = 1;
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	vcpu->run->immediate_exit = 0;
	if (r == 0)
		return 1;
	if (errno != EINTR)
		return err_set(EXIT_HOST, "KVM_RUN (completing an I/O exit) on vCPU %d failed: %s",
			       vcpu->id, strerror(errno));
	vcpu_consume_kick();
	return 0;
}

/* Before parking (runctl_park): the registers a debugger reads are those after the I/O instruction. */
static void complete_pending_io(struct vcpu *vcpu)
{
	if (!vcpu->io_pending)
		return;
	vcpu->io_pending = false;
	/* Completing the I/O produced a new exit: handle it like any other. */
	if (run_immediate_exit(vcpu) == 1)
		vcpu_handle_exit(vcpu);
}

/* Guest-debug settings changed (or a step-over began or ended): the debugger programs them. */
static bool apply_debug(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!vcpu->debug_dirty)
		return true;
	vcpu->debug_dirty = false;
	if (!vm->hooks || !vm->hooks->apply_debug)
		return true;
	if (vm->hooks->apply_debug(vm->hooks_ctx, vcpu) < 0) {
		vm_request_exit(vm, EXIT_HOST, err_message());
		return false;
	}
	return true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%d", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	while (runctl_park(vcpu, complete_pending_io) && apply_debug(vcpu)) {
		vcpu->io_pending = false;
		/* No interrupt injected into the one instruction stepped over a breakpoint. */
		if (!vcpu->stepping_over)
			arch_vcpu_pre_run(vcpu);
		arch_vcpu_run_begin(vcpu);
		if (arch_vcpu_run_end(vcpu, ioctl(vcpu->fd, KVM_RUN, 0)) < 0) {
			if (errno == EINTR) {
				vcpu_consume_kick();
				step_over_kicked(vcpu);
				continue;
			}
			if (errno == EAGAIN)
				continue;
			err_set(EXIT_HOST, "KVM_RUN on vCPU %d failed: %s", vcpu->id, strerror(errno));
			vm_request_exit(vm, EXIT_HOST, err_message());
			break;
		}
		if (vm->cfg->trace_exits && vcpu->run->exit_reason != KVM_EXIT_IO &&
		    vcpu->run->exit_reason != KVM_EXIT_MMIO)
			fprintf(stderr, "vcpu%d: %s\n", vcpu->id, vcpu_exit_name(vcpu->run->exit_reason));
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	step_over_end(vcpu);
	runctl_gone(vcpu);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int e = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (e)
		return err_set(EXIT_HOST, "cannot start vCPU %d's thread: %s", vcpu->id, strerror(e));
	vcpu->thread_started = true;
	return 0;
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->thread_started) {
		pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
}

void vcpu_print_stats(struct vcpu *vcpu, FILE *out)
{
	const struct vcpu_stats *st = &vcpu->stats;
	uint64_t total = 0;

	for (int i = 0; i < VCPU_EXIT_REASONS; i++)
		total += st->exits[i];
	fprintf(out, "vCPU %d: %llu exits\n", vcpu->id, (unsigned long long)total);
	for (int i = 0; i < VCPU_EXIT_REASONS; i++)
		if (st->exits[i])
			fprintf(out, "  %-16s %llu\n", vcpu_exit_name(i), (unsigned long long)st->exits[i]);
	for (int i = 0; i < VCPU_PORT_SLOTS; i++) {
		const struct port_count *pc = &st->ports[i];

		if (pc->used) {
			struct io_device *d = iobus_find(&vcpu->vm->pio, pc->port, 1);

			fprintf(out, "  port %#06x %-14s reads %llu writes %llu\n", pc->port,
				d ? d->name : "(unknown)", (unsigned long long)pc->reads,
				(unsigned long long)pc->writes);
		}
	}
	if (st->ports_overflow)
		fprintf(out, "  other ports     %llu\n", (unsigned long long)st->ports_overflow);
	if (st->unknown_pio || st->unknown_mmio)
		fprintf(out, "  unknown port accesses %llu, unknown MMIO accesses %llu\n",
			(unsigned long long)st->unknown_pio, (unsigned long long)st->unknown_mmio);
}
