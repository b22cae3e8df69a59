/* SPDX-License-Identifier: MIT */
/*
 * The debugger's target operations: what gdbstub's "read registers",
 * "resume", "stop", "monitor ..." mean for a KVM guest, and the debugger's
 * setup (debug_create). Memory and breakpoints are in debug_mem.c and
 * debug_bp.c, the verdict on each debug event in debug_verdict.c, the
 * connection to gdb in gdb_conn.c, --host-report in debug_report.c.
 *
 * Threads: gdb's packets are read and served in the event-loop thread; a
 * stop is reported by the vCPU thread that caused it, once every vCPU is
 * parked. dbg->lock keeps the two apart.
 *
 * All-stop: a stop (breakpoint, step, Ctrl-C) parks every vCPU outside
 * KVM_RUN (vm_pause) before gdb hears of it; a resume gives each vCPU its
 * action (continue, step, range-step, stay) and lets them go (vm_resume).
 * Non-stop: the event loop holds the VM (every vCPU parked) while it serves
 * a packet; only the vCPUs gdb names change.
 */
#include "debug_internal.h"
#include "arch.h"
#include "coredump.h"
#include "error.h"
#include "host_file.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registers ---- */

static unsigned op_num_threads(void *ctx)
{
	return (unsigned)((struct debug *)ctx)->vm->ncpus;
}

static int op_read_regs(void *ctx, unsigned vcpu, uint8_t *buf)
{
	return arch_gdb_read_regs(debug_vcpu(ctx, vcpu), buf);
}

static int op_read_reg(void *ctx, unsigned vcpu, unsigned regno, uint8_t *buf)
{
	return arch_gdb_read_reg(debug_vcpu(ctx, vcpu), regno, buf);
}

static int op_write_regs(void *ctx, unsigned vcpu, const uint8_t *buf)
{
	return arch_gdb_write_regs(debug_vcpu(ctx, vcpu), buf, -1);
}

static int op_write_reg(void *ctx, unsigned vcpu, unsigned regno, const uint8_t *buf)
{
	return arch_gdb_write_regs(debug_vcpu(ctx, vcpu), buf, (int)regno);
}

/* ---- running and stopping ---- */

/* gdb's action for one vCPU, in the core's words (src/debug_contract.h). */
static struct vcpu_order order_of(const struct gdb_resume_action *a)
{
	struct vcpu_order o = { .mode = VCPU_CONTINUE };

	switch (a->kind) {
	case GDB_RESUME_STOPPED:
		o.mode = VCPU_STAY;
		o.stop_kind = a->signal == GDB_SIGNAL_INT ? VCPU_STOP_INTERRUPT : VCPU_STOP_NONE;
		break;
	case GDB_RESUME_CONTINUE: o.mode = VCPU_CONTINUE; break;
	case GDB_RESUME_STEP: o.mode = VCPU_STEP; break;
	case GDB_RESUME_RANGE_STEP:
		o.mode = VCPU_RANGE_STEP;
		o.range_start = a->range_start;
		o.range_end = a->range_end;
		break;
	case GDB_RESUME_KEEP:
		o.keep = true;
		break;
	}
	return o;
}

/*
 * All-stop: each vCPU gets its action and the VM resumes. Non-stop: only
 * the named vCPUs change (vm_resume_vcpus says how).
 */
static int op_resume(void *ctx, const struct gdb_resume_action *actions, unsigned n)
{
	struct debug *dbg = ctx;
	struct vm *vm = dbg->vm;
	struct vcpu_order orders[MAX_CPUS];
	bool steps = false;

	if (n > (unsigned)vm->ncpus)
		n = (unsigned)vm->ncpus;
	for (unsigned i = 0; i < n; i++) {
		orders[i] = order_of(&actions[i]);
		steps |= orders[i].mode == VCPU_STEP || orders[i].mode == VCPU_RANGE_STEP;
	}
	if (!vm->non_stop) {
		dbg->running = true;
		/* A step stops again in a moment: its vCPU reads gdb then (a continue may run for long). */
		if (steps)
			gdb_conn_lend(dbg);
	}
	dbg->started = true;
	vm_resume_vcpus(vm, orders, n);
	return 0;
}

/* What gdb hears of a vCPU's stop. */
static void stop_event_of(const struct vcpu *v, struct gdb_stop_event *ev)
{
	const struct vcpu_stop *st = &v->stop;

	*ev = (struct gdb_stop_event){ .reason = GDB_STOP_SIGNAL, .vcpu = (unsigned)v->id,
				       .signal = GDB_SIGNAL_TRAP, .addr = st->addr };
	switch (st->kind) {
	case VCPU_STOP_SWBREAK: ev->reason = GDB_STOP_SWBREAK; break;
	case VCPU_STOP_HWBREAK: ev->reason = GDB_STOP_HWBREAK; break;
	case VCPU_STOP_WATCH: ev->reason = GDB_STOP_WATCH; break;
	case VCPU_STOP_RWATCH: ev->reason = GDB_STOP_RWATCH; break;
	case VCPU_STOP_AWATCH: ev->reason = GDB_STOP_AWATCH; break;
	case VCPU_STOP_CRASH: ev->signal = GDB_SIGNAL_SEGV; break;
	case VCPU_STOP_INTERRUPT: ev->signal = GDB_SIGNAL_INT; break;
	case VCPU_STOP_NONE: ev->signal = GDB_SIGNAL_0; break; /* vCont;t: signal 0, as gdb wants */
	default: break;
	}
}

/* Every vCPU is parked: tell gdb why the VM stopped. */
static void report_stop(struct debug *dbg, int signal_if_none)
{
	struct vm *vm = dbg->vm;
	struct gdb_stop_event ev = { .reason = GDB_STOP_SIGNAL, .signal = signal_if_none };

	if (vm->stopper >= 0)
		stop_event_of(vm->vcpus[vm->stopper], &ev);
	else
		ev.vcpu = dbg->last_vcpu;
	dbg->last_vcpu = ev.vcpu;
	/* Nothing steps any more until gdb says so. */
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i]->mode != VCPU_CONTINUE) {
			vm->vcpus[i]->mode = VCPU_CONTINUE;
			vm->vcpus[i]->debug_dirty = true;
		}
	dbg->running = false;
	gdb_server_stop_event(dbg->srv, &ev);
}

static void op_request_stop(void *ctx)
{
	struct debug *dbg = ctx;

	vm_pause(dbg->vm);
	report_stop(dbg, GDB_SIGNAL_INT);
}

static void hook_report_stop(void *ctx, struct vcpu *vcpu)
{
	struct debug *dbg = ctx;
	struct vm *vm = dbg->vm;

	pthread_mutex_lock(&dbg->lock);
	if (vm->non_stop) {
		/* This vCPU alone stopped (it stays until gdb resumes it). */
		struct gdb_stop_event ev;

		stop_event_of(vcpu, &ev);
		vcpu->stop.kind = VCPU_STOP_NONE;
		vcpu->debug_dirty = true;
		dbg->last_vcpu = ev.vcpu;
		gdb_server_stop_event(dbg->srv, &ev);
	} else if (dbg->running) {
		report_stop(dbg, GDB_SIGNAL_TRAP);
	} else if (!gdb_server_attached(dbg->srv)) {
		vm_resume(vm); /* nobody waits (gdb left meanwhile): the guest goes on */
	}
	/* else gdb already heard of a stop (a Ctrl-C won the race): this one is dropped. */
	pthread_mutex_unlock(&dbg->lock);
}

/*
 * gdb's non-stop mode. On: every vCPU is stopped (all-stop, gdb has it):
 * each stays, now on its own. Off: stop every vCPU, all-stop again.
 */
static int op_set_non_stop(void *ctx, bool on)
{
	struct debug *dbg = ctx;

	vm_set_non_stop(dbg->vm, on);
	dbg->running = false;
	return 0;
}

static int op_thread_extra_info(void *ctx, unsigned vcpu, char *buf, size_t size)
{
	return arch_describe_vcpu(debug_vcpu(ctx, vcpu), buf, size);
}

static void op_kill(void *ctx)
{
	struct debug *dbg = ctx;

	vm_request_exit(dbg->vm, EXIT_GUEST_OK, "killed by gdb");
}

static int op_detach(void *ctx)
{
	struct debug *dbg = ctx;

	dbg->running = false;
	dbg->started = true;
	vm_detach(dbg->vm);
	return 0;
}

/* ---- monitor commands ---- */

static const struct gdb_monitor_cmd generic_cmds[] = {
	{ "phys", "on|off", "gdb addresses are guest-physical (on) or virtual (off, default)" },
	{ "step-irq", "on|off", "let interrupts in while single-stepping (default off)" },
	{ "stats", NULL, "VM exits by reason and port, per vCPU" },
	{ "reset", NULL, "restart the guest from its image (breakpoints stay)" },
	{ "dump-guest-memory", "[-p] FILE", "write an ELF core of the guest to --dump-dir/FILE (-p: by virtual address)" },
	{ "quit", NULL, "end the VM now" },
	{ "info version", NULL, "minikvm's version, answered like QEMU's monitor" },
	{ "savevm", "NAME", "snapshot the whole machine as NAME (and to --snapshot-dir)" },
	{ "loadvm", "NAME", "go back to snapshot NAME; then `flushregs` in gdb" },
	{ "delvm", "NAME", "forget snapshot NAME (and remove its --snapshot-dir file)" },
	{ "info snapshots", NULL, "the snapshots taken" },
	{ NULL, NULL, NULL },
};

static int on_off(const char *arg, bool *val, struct gdb_console *out, const char *name)
{
	while (*arg == ' ')
		arg++;
	if (strcmp(arg, "on") == 0)
		*val = true;
	else if (strcmp(arg, "off") == 0)
		*val = false;
	else if (*arg) {
		gdb_console_printf(out, "usage: monitor %s on|off\n", name);
		return -EINVAL;
	}
	gdb_console_printf(out, "%s is %s\n", name, *val ? "on" : "off");
	return 0;
}

static int monitor_stats(struct debug *dbg, struct gdb_console *out)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return -ENOMEM;
	for (int i = 0; i < dbg->vm->ncpus; i++)
		vcpu_print_stats(dbg->vm->vcpus[i], f);
	fprintf(f, "gdb's bytes read by the event loop %llu times, by a stopped vCPU's thread %llu\n",
		(unsigned long long)dbg->reads_loop, (unsigned long long)dbg->reads_vcpu);
	fclose(f);
	gdb_console_write(out, text, size);
	free(text);
	return 0;
}

static int monitor_reset(struct debug *dbg, struct gdb_console *out)
{
	/* gdb's register layout follows the image's width unless --gdb-arch fixed it. */
	if (vm_reset(dbg->vm, !dbg->vm->cfg->gdb_arch) < 0) {
		gdb_console_printf(out, "reset failed: %s\n", err_message());
		return -EIO;
	}
	debug_reinsert_breakpoints(dbg);
	gdb_console_printf(out, "guest reset to its entry point\n");
	return 0;
}

/*
 * The ELF core of the whole guest, with our breakpoints' original bytes
 * (src/coredump.c). Whoever reaches the gdb port names the file and fills
 * it, so it goes only into the --dump-dir the user gave, by plain name
 * (host_file.h); without one the command is refused (issue 19).
 */
static int monitor_dump(struct debug *dbg, unsigned vcpu, const char *arg, struct gdb_console *out)
{
	struct core_patch patches[DEBUG_MAX_SW_BREAKPOINTS * ARCH_BP_MAX];
	unsigned npatches = 0;
	const char *dir = dbg->vm->cfg->dump_dir;
	bool paging = false;
	char msg[512];

	while (*arg == ' ')
		arg++;
	if (strncmp(arg, "-p ", 3) == 0) {
		paging = true;
		for (arg += 3; *arg == ' '; arg++)
			;
	}
	if (!*arg || strcmp(arg, "-p") == 0) {
		gdb_console_printf(out, "usage: monitor dump-guest-memory [-p] FILE\n");
		return -EINVAL;
	}
	if (!dir) {
		gdb_console_printf(out, "dump-guest-memory: refused: minikvm writes no file for a gdb client "
				   "unless started with --dump-dir DIR (then FILE is a name in DIR); "
				   "gdb's own `gcore FILE` writes a core on gdb's side\n");
		return -EPERM;
	}
	if (!host_file_name_ok(arg)) {
		gdb_console_printf(out, "dump-guest-memory: bad file name '%s' (1-%d letters, digits, '_', '-', "
				   "'.'; not starting with '.'): it is written in --dump-dir %s\n", arg,
				   HOST_FILE_NAME_MAX, dir);
		return -EINVAL;
	}
	for (int i = 0; i < dbg->nbps; i++)
		for (unsigned b = 0; b < dbg->bps[i].len; b++)
			patches[npatches++] = (struct core_patch){ dbg->bps[i].gpa + b, dbg->bps[i].orig[b] };
	if (coredump_vm(dbg->vm, dir, arg, paging, vcpu, patches, npatches, msg,
			sizeof(msg)) < 0) {
		gdb_console_printf(out, "dump-guest-memory: %s\n", msg);
		return -EIO;
	}
	gdb_console_printf(out, "guest memory and %d vCPUs written to %s/%s\n", dbg->vm->ncpus, dir, arg);
	return 0;
}

static int op_monitor(void *ctx, unsigned vcpu, const char *cmd, struct gdb_console *out)
{
	struct debug *dbg = ctx;
	bool v;
	int r;

	if (strncmp(cmd, "phys", 4) == 0 && (!cmd[4] || cmd[4] == ' '))
		return on_off(cmd + 4, &dbg->phys, out, "phys");
	if (strncmp(cmd, "step-irq", 8) == 0 && (!cmd[8] || cmd[8] == ' ')) {
		v = dbg->arch.step_irq;
		r = on_off(cmd + 8, &v, out, "step-irq");
		dbg->arch.step_irq = v;
		debug_mark_all_dirty(dbg->vm);
		return r;
	}
	if (strcmp(cmd, "stats") == 0)
		return monitor_stats(dbg, out);
	if (strcmp(cmd, "reset") == 0)
		return monitor_reset(dbg, out);
	if (strncmp(cmd, "dump-guest-memory", 17) == 0 && (!cmd[17] || cmd[17] == ' '))
		return monitor_dump(dbg, vcpu, cmd + 17, out);
	/* Linux's gdb scripts (scripts/gdb/linux/utils.py) ask this to know they
	 * talk to a QEMU-like stub, where thread N is CPU N-1 (as here). */
	if (strcmp(cmd, "info version") == 0) {
		gdb_console_printf(out, "%s (minikvm)\n", MINIKVM_VERSION);
		return 0;
	}
	r = debug_snapshot_monitor(dbg, cmd, out);
	if (r != -ENOENT)
		return r;
	if (strcmp(cmd, "quit") == 0) {
		gdb_console_printf(out, "ending the VM\n");
		vm_request_exit(dbg->vm, EXIT_GUEST_OK, "monitor quit");
		return 0;
	}
	return arch_monitor(debug_vcpu(dbg, vcpu), cmd, out);
}

/* What gdb's gcore should write (gdbstub's /proc/PID/maps): the arch knows the page tables. */
static int op_memory_regions(void *ctx, unsigned vcpu, gdb_region_fn fn, void *fnctx)
{
	return arch_gdb_memory_regions(debug_vcpu(ctx, vcpu), fn, fnctx);
}

static const struct gdb_target_ops debug_ops = {
	.num_threads = op_num_threads,
	.read_regs = op_read_regs,
	.read_reg = op_read_reg,
	.write_regs = op_write_regs,
	.write_reg = op_write_reg,
	.read_mem = debug_op_read_mem,
	.peek_mem = debug_op_peek_mem,
	.write_mem = debug_op_write_mem,
	.insert_bp = debug_op_insert_bp,
	.remove_bp = debug_op_remove_bp,
	.resume = op_resume,
	.request_stop = op_request_stop,
	.range_step = true,
	.set_non_stop = op_set_non_stop,
	.conditional_breakpoints = true,
	.thread_extra_info = op_thread_extra_info,
	.monitor = op_monitor,
	.kill = op_kill,
	.detach = op_detach,
	.memory_regions = op_memory_regions,
};


static void hook_ending(void *ctx, int status, bool crashed)
{
	struct debug *dbg = ctx;
	struct gdb_stop_event ev = { .vcpu = dbg->last_vcpu };

	pthread_mutex_lock(&dbg->lock);
	if (dbg->in_fd >= 0 && gdb_server_attached(dbg->srv)) {
		if (crashed) {
			ev.reason = GDB_STOP_TERMINATED;
			ev.signal = GDB_SIGNAL_SEGV;
		} else {
			ev.reason = GDB_STOP_EXITED;
			ev.exit_code = status;
		}
		gdb_server_stop_event(dbg->srv, &ev);
	}
	pthread_mutex_unlock(&dbg->lock);
}

/* ---- setup ---- */

static void hook_free(void *ctx)
{
	struct debug *dbg = ctx;

	snapshot_store_free(&dbg->snaps);
	if (dbg->srv)
		gdb_server_free(dbg->srv);
	gdb_conn_close(dbg);
	pthread_mutex_destroy(&dbg->lock);
	free(dbg);
}

static const struct vm_hooks debug_hooks = {
	.poll_fds = gdb_conn_poll_fds,
	.handle_fds = gdb_conn_handle_fds,
	.started = gdb_conn_start,
	.ending = hook_ending,
	.free = hook_free,
	.apply_debug = debug_on_apply,
	.debug_exit = debug_on_exit,
	.debug_event = debug_on_event,
	.claim_io = debug_on_claim_io,
	.mmio = debug_on_mmio,
	.report_stop = hook_report_stop,
	.serve_stopped = gdb_conn_serve,
	.step_over = debug_on_step_over,
};

int debug_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct gdb_server_config scfg;
	struct debug *dbg;
	int n = 0;

	dbg = calloc(1, sizeof(*dbg));
	if (!dbg)
		return err_set(EXIT_HOST, "out of memory");
	dbg->vm = vm;
	pthread_mutex_init(&dbg->lock, NULL);
	gdb_conn_init(dbg);
	vm_set_hooks(vm, &debug_hooks, dbg);
	if (gdb_endpoint_parse(cfg->gdb, &dbg->ep) < 0)
		return -1;
	if (arch_debug_probe(vm->kvm_fd, &dbg->caps) < 0)
		return -1;
	dbg->arch.block_irq = dbg->caps.block_irq;
	if (cfg->verbose)
		arch_debug_report(stderr, &dbg->caps, false);
	for (const struct gdb_monitor_cmd *c = generic_cmds; c->name; c++)
		dbg->cmds[n++] = *c;
	for (const struct gdb_monitor_cmd *c = arch_monitor_cmds; c->name && n < MAX_MONITOR_CMDS - 1; c++)
		dbg->cmds[n++] = *c;

	static struct gdb_target_ops ops;
	ops = debug_ops;
	ops.monitor_cmds = dbg->cmds;
	memset(&scfg, 0, sizeof(scfg));
	scfg.write = gdb_conn_write;
	scfg.io_ctx = dbg;
	scfg.arch = arch_gdb_layout(vm);
	dbg->srv = gdb_server_new(&ops, dbg, &scfg);
	if (!dbg->srv)
		return err_set(EXIT_HOST, "cannot create the gdb server: %s", strerror(errno));
	debug_mark_all_dirty(vm);
	if (cfg->wait_gdb)
		vm_pause_at_start(vm); /* the vCPUs park at once; gdb's first resume starts them */

	return gdb_conn_listen(dbg);
}

