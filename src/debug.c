/* SPDX-License-Identifier: MIT */
/*
 * The debugger: gdbstub's target operations done with KVM, and the gdb
 * connection; see debug.h. gdb's packets are read and served in the
 * event-loop thread; a stop is reported by the vCPU thread that caused it,
 * once every vCPU is parked. dbg->lock keeps the two apart.
 *
 * All-stop: a stop (breakpoint, step, Ctrl-C) parks every vCPU outside
 * KVM_RUN (vm_pause) before gdb hears of it; a resume gives each vCPU its
 * action (continue, step, range-step, stay) and lets them go (vm_resume).
 *
 * Breakpoints: software ones are the arch's breakpoint instruction written
 * into guest memory through the guest's own page tables; memory reads show
 * the original bytes. Hardware breakpoints and watchpoints use the debug
 * registers where the host's KVM makes them fire; where it does not (data
 * breakpoints on PVM hosts), write watchpoints make the watched page
 * read-only to the guest (a KVM_MEM_READONLY slot), so each write to it
 * comes to us as an MMIO exit: we do the write, then check the watched range.
 */
#include "debug_internal.h"
#include "arch.h"
#include "coredump.h"
#include "error.h"
#include "host_file.h"
#include "gdb_peer.h"
#include "loader/loader.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

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

	if (n > (unsigned)vm->ncpus)
		n = (unsigned)vm->ncpus;
	for (unsigned i = 0; i < n; i++)
		orders[i] = order_of(&actions[i]);
	if (!vm->non_stop)
		dbg->running = true;
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
	struct core_patch patches[DEBUG_MAX_SW_BREAKPOINTS];
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
		patches[i] = (struct core_patch){ dbg->bps[i].gpa, dbg->bps[i].orig };
	if (coredump_vm(dbg->vm, dir, arg, paging, vcpu, patches, (unsigned)dbg->nbps, msg,
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

/* ---- the connection ---- */

/*
 * Output to gdb never blocks: what the connection does not take at once
 * waits in a queue that the event loop drains when the fd is writable. A
 * client that stops reading (a gdb suspended with Ctrl-Z, a script that
 * only sends) is dropped when the queue passes OUTQ_MAX or nothing could be
 * written for WRITE_TIMEOUT_SEC; the guest then runs on, as on any
 * disconnect. So no client can hold dbg->lock, and with it the vCPUs'
 * stop reports and the event loop's signals, for longer than one write().
 */
#define OUTQ_MAX          (4U << 20)
#define WRITE_TIMEOUT_SEC 10

static int64_t now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The event loop looks at the queue in msec ms (0: at once; -1: never). */
static void arm_timer(struct debug *dbg, int64_t msec)
{
	struct itimerspec t = { .it_value = { msec / 1000, (msec % 1000) * 1000000 + (msec == 0) } };

	if (msec < 0)
		t.it_value.tv_nsec = 0;
	timerfd_settime(dbg->timer_fd, 0, &t, NULL);
}

/* Drop the client at the next turn of the event loop (not inside the server's callback). */
static void drop_later(struct debug *dbg, const char *why)
{
	if (!dbg->drop)
		fprintf(stderr, "minikvm: dropping the gdb connection: %s\n", why);
	dbg->drop = true;
	arm_timer(dbg, 0);
}

/* Write what the connection takes now; false on a broken connection. */
static bool flush_some(struct debug *dbg, const uint8_t *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(dbg->out_fd, p + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		*done += (size_t)n;
	}
	return true;
}

static int conn_write(void *io, const void *buf, size_t len)
{
	struct debug *dbg = io;
	size_t done = 0;

	if (dbg->out_fd < 0 || dbg->drop)
		return -EPIPE;
	if (!dbg->outq_len && !flush_some(dbg, buf, len, &done)) {
		drop_later(dbg, "it went away");
		return -EPIPE;
	}
	if (done == len)
		return 0;
	if (dbg->outq_len + (len - done) > OUTQ_MAX) {
		drop_later(dbg, "it does not read its replies (more than 4 MiB waiting)");
		return -EPIPE;
	}
	if (dbg->outq_len + (len - done) > dbg->outq_cap) {
		size_t cap = dbg->outq_cap ? dbg->outq_cap : 65536;
		uint8_t *q;

		while (cap < dbg->outq_len + (len - done))
			cap *= 2;
		q = realloc(dbg->outq, cap);
		if (!q) {
			drop_later(dbg, "out of memory for its replies");
			return -EPIPE;
		}
		dbg->outq = q;
		dbg->outq_cap = cap;
	}
	if (!dbg->outq_len) {
		/* Wake the event loop (this may be a vCPU thread): it waits for POLLOUT from now on. */
		dbg->write_deadline = now_msec() + WRITE_TIMEOUT_SEC * 1000;
		arm_timer(dbg, 0);
	}
	memcpy(dbg->outq + dbg->outq_len, (const uint8_t *)buf + done, len - done);
	dbg->outq_len += len - done;
	return 0;
}

/* The connection is writable: send what waits; any progress restarts the timeout. */
static void drain_outq(struct debug *dbg)
{
	size_t done;

	if (!dbg->outq_len || dbg->drop)
		return;
	if (!flush_some(dbg, dbg->outq, dbg->outq_len, &done)) {
		drop_later(dbg, "it went away");
		return;
	}
	memmove(dbg->outq, dbg->outq + done, dbg->outq_len - done);
	dbg->outq_len -= done;
	if (done)
		dbg->write_deadline = now_msec() + WRITE_TIMEOUT_SEC * 1000;
	if (!dbg->outq_len)
		arm_timer(dbg, -1);
}

static void disconnect(struct debug *dbg);

/* The timer fired: drop a client marked for it, or one that took nothing for too long. */
static void check_outq(struct debug *dbg)
{
	uint64_t ticks;
	int64_t left = dbg->write_deadline - now_msec();

	if (read(dbg->timer_fd, &ticks, sizeof(ticks)) < 0) {
		/* not expired after all (re-armed meanwhile) */
	}
	if (!dbg->drop && dbg->outq_len && left <= 0)
		drop_later(dbg, "it has not read its replies for 10 seconds");
	if (dbg->drop)
		disconnect(dbg);
	else if (dbg->outq_len)
		arm_timer(dbg, left);
}

static void connect_gdb(struct debug *dbg)
{
	/* With -S the guest has not run yet: gdb finds it stopped at its entry. */
	struct gdb_stop_event entry = { .reason = GDB_STOP_SIGNAL, .vcpu = 0, .signal = GDB_SIGNAL_TRAP };

	if (!dbg->started && dbg->vm->paused) {
		vm_pause(dbg->vm);
		gdb_server_connected(dbg->srv, &entry);
	} else {
		gdb_server_connected(dbg->srv, NULL);
	}
}

static void disconnect(struct debug *dbg)
{
	if (dbg->in_fd < 0)
		return;
	gdb_server_disconnected(dbg->srv);
	if (dbg->ep.kind != GDB_EP_STDIO)
		close(dbg->in_fd);
	dbg->in_fd = dbg->out_fd = -1;
	dbg->outq_len = 0;
	dbg->drop = false;
	arm_timer(dbg, -1);
	if (dbg->vm->cfg->verbose)
		fprintf(stderr, "minikvm: gdb disconnected; the guest runs on\n");
}

/* A connection that never said a word goes away: nothing was attached. */
static void drop_silent(struct debug *dbg)
{
	close(dbg->in_fd);
	dbg->in_fd = dbg->out_fd = -1;
	dbg->outq_len = 0;
	dbg->drop = false;
}

static void accept_conn(struct debug *dbg)
{
	int fd = accept4(dbg->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), one = 1;
	char why[400];

	if (fd < 0)
		return;
	/* Before anything else: a refused peer must not make an attached client give way. */
	if (!gdb_peer_admit(fd, &dbg->vm->cfg->gdb_allow, why, sizeof(why))) {
		static const char msg[] = "minikvm: this user may not debug this guest\n";

		if (write(fd, msg, sizeof(msg) - 1) < 0) {
			/* it is going away anyway */
		}
		close(fd);
		fprintf(stderr, "minikvm: refused a gdb connection %s\n", why);
		return;
	}
	/* A client that detached (D) but has not closed yet makes room for the next one. */
	if (dbg->in_fd >= 0 && !dbg->greeted)
		drop_silent(dbg);
	else if (dbg->in_fd >= 0 && !gdb_server_attached(dbg->srv))
		disconnect(dbg);
	if (dbg->in_fd >= 0) {
		/* One debugger at a time: the new one is turned away, the first is untouched. */
		static const char msg[] = "minikvm: another debugger is attached; one at a time\n";

		if (write(fd, msg, sizeof(msg) - 1) < 0) {
			/* it is going away anyway */
		}
		close(fd);
		fprintf(stderr, "minikvm: refused a second gdb connection (one debugger at a time)\n");
		return;
	}
	if (dbg->ep.kind == GDB_EP_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	dbg->in_fd = dbg->out_fd = fd;
	/*
	 * Attach (stop the guest, tell the server) at the client's first byte:
	 * a connection that closes without a word (another minikvm checking
	 * whether this socket is alive) must not look like a gdb that came and
	 * left, which would let a -S guest run.
	 */
	dbg->greeted = false;
}

enum { PFD_LISTEN, PFD_IN, PFD_OUT, PFD_TIMER, PFD_COUNT };

static int hook_poll_fds(void *ctx, struct pollfd *pfd, int max)
{
	struct debug *dbg = ctx;
	bool queued;

	if (max < PFD_COUNT)
		return 0;
	pthread_mutex_lock(&dbg->lock);
	queued = dbg->outq_len && !dbg->drop;
	pfd[PFD_LISTEN] = (struct pollfd){ .fd = dbg->listen_fd, .events = POLLIN };
	pfd[PFD_IN] = (struct pollfd){ .fd = dbg->in_fd, .events = POLLIN };
	/* A socket is both ends: one entry. */
	pfd[PFD_OUT] = (struct pollfd){ .fd = queued && dbg->out_fd != dbg->in_fd ? dbg->out_fd : -1,
					.events = POLLOUT };
	if (queued && dbg->out_fd == dbg->in_fd)
		pfd[PFD_IN].events |= POLLOUT;
	pfd[PFD_TIMER] = (struct pollfd){ .fd = dbg->timer_fd, .events = POLLIN };
	pthread_mutex_unlock(&dbg->lock);
	return PFD_COUNT;
}

static void hook_handle_fds(void *ctx, const struct pollfd *pfd, int n)
{
	struct debug *dbg = ctx;
	uint8_t buf[65536];
	bool any = false, hold;

	if (n < PFD_COUNT)
		return;
	for (int i = 0; i < PFD_COUNT; i++)
		any |= pfd[i].revents != 0;
	if (!any)
		return;
	pthread_mutex_lock(&dbg->lock);
	/*
	 * Non-stop: gdb talks while vCPUs run. Park them all for the moment
	 * it takes to serve it, so that breakpoints change, memory is read and
	 * written through page tables, and registers are touched on a still
	 * VM, as in all-stop; the ones gdb did not stop then run on.
	 */
	hold = dbg->vm->non_stop;
	if (hold)
		vm_hold(dbg->vm);
	if (pfd[PFD_LISTEN].revents & POLLIN)
		accept_conn(dbg);
	/* The fds are those of the connection polled for (not one accepted meanwhile). */
	if (pfd[PFD_IN].fd >= 0 && pfd[PFD_IN].fd == dbg->in_fd &&
	    (pfd[PFD_OUT].revents | (pfd[PFD_IN].revents & ~POLLIN)) & (POLLOUT | POLLERR | POLLHUP))
		drain_outq(dbg);
	if (pfd[PFD_IN].fd >= 0 && pfd[PFD_IN].fd == dbg->in_fd &&
	    pfd[PFD_IN].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) {
		ssize_t r = read(dbg->in_fd, buf, sizeof(buf));

		if (r > 0 && !dbg->greeted) {
			dbg->greeted = true;
			if (dbg->vm->cfg->verbose)
				fprintf(stderr, "minikvm: gdb connected\n");
			connect_gdb(dbg);
		}
		if (r > 0)
			gdb_server_feed(dbg->srv, buf, (size_t)r);
		else if ((r == 0 || (errno != EINTR && errno != EAGAIN)) && !dbg->greeted)
			drop_silent(dbg);
		else if (r == 0 || (errno != EINTR && errno != EAGAIN))
			disconnect(dbg);
	}
	if (pfd[PFD_TIMER].revents & POLLIN)
		check_outq(dbg);
	if (hold)
		vm_release(dbg->vm);
	pthread_mutex_unlock(&dbg->lock);
}

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

const char *debug_host_kind_name(enum debug_host_kind kind)
{
	switch (kind) {
	case DEBUG_HOST_HARDWARE: return "hardware VT-x/AMD-V";
	case DEBUG_HOST_PVM: return "PVM (guests run through KVM's instruction emulator)";
	case DEBUG_HOST_EMULATED: return "emulated AMD-V (a nested KVM on QEMU TCG)";
	}
	return "?";
}

/* The modes of the probe where a row's field is false ("; "-separated), or "". */
static const char *modes_without(const struct debug_host_caps *c, size_t field, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < c->nrows; i++) {
		const struct debug_probe_row *r = &c->rows[i];

		if (!r->tested || *(const bool *)((const char *)r + field))
			continue;
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", used ? "; " : "",
					 r->mode);
	}
	return buf;
}

#define WITHOUT(c, f, b) modes_without(c, offsetof(struct debug_probe_row, f), b, sizeof(b))

/*
 * Which method the debugger uses for each job on this host, and why, one
 * line each: what -v prints, and the end of --host-report.
 */
static void print_methods(FILE *out, const struct debug_host_caps *c)
{
	char why[512];

	fprintf(out, "minikvm: host KVM: %s\n", debug_host_kind_name(c->kind));
	if (c->kind == DEBUG_HOST_PVM)
		fprintf(out, "minikvm:   software breakpoints: int3; in protected and long mode it ends in an "
			"emulation failure that minikvm takes for the breakpoint (PVM); in real mode by %s\n",
			c->sw_bp_real_mode ? "int3" : c->dr_exec ? "debug registers" : "patched `in al, dx`");
	else if (c->sw_bp)
		fprintf(out, "minikvm:   software breakpoints: int3 (it exited to minikvm in every CPU mode tested)\n");
	else
		fprintf(out, "minikvm:   software breakpoints: patched `in al, dx`, a port I/O exit "
			"(int3 did not exit in: %s)\n", WITHOUT(c, int3, why));
	if (c->dr_exec)
		fprintf(out, "minikvm:   hardware breakpoints: debug registers (they fired in every mode tested)\n");
	else
		fprintf(out, "minikvm:   hardware breakpoints: patched `in al, dx` on a write-protected page, "
			"four at most (execute debug registers did not fire in: %s)\n", WITHOUT(c, dr_exec, why));
	if (c->dr_write_watch)
		fprintf(out, "minikvm:   write watchpoints: debug registers\n");
	else
		fprintf(out, "minikvm:   write watchpoints: %s (write debug registers did not fire in: %s)\n",
			c->readonly_mem ? "read-only memory slots" : "none (no KVM_CAP_READONLY_MEM)",
			WITHOUT(c, dr_write, why));
	if (c->dr_read_watch)
		fprintf(out, "minikvm:   read/access watchpoints: debug registers\n");
	else
		fprintf(out, "minikvm:   read/access watchpoints: unmapped pages, whose reads exit as MMIO "
			"(read debug registers did not fire in: %s)\n", WITHOUT(c, dr_read, why));
	if (c->step)
		fprintf(out, "minikvm:   single steps: KVM_GUESTDBG_SINGLESTEP (one instruction each, in every mode tested)\n");
	else
		fprintf(out, "minikvm:   single steps: KVM_GUESTDBG_SINGLESTEP, but they did not end after one "
			"instruction in: %s\n", WITHOUT(c, step, why));
	fprintf(out, "minikvm:   interrupts while stepping: %s\n",
		c->block_irq ? "held back (KVM_GUESTDBG_BLOCKIRQ)" : "not held back (no KVM_GUESTDBG_BLOCKIRQ)");
}

static const char *yes_no(bool tested, bool v)
{
	return !tested ? "-" : v ? "yes" : "no";
}

int debug_host_report(FILE *out)
{
	struct debug_host_caps caps;
	int kvm_fd = vm_open_kvm();

	if (kvm_fd < 0)
		return -1;
	fprintf(out, "minikvm %s host report\n", MINIKVM_VERSION);
	arch_host_report(out, kvm_fd);
	if (arch_debug_probe(kvm_fd, &caps) < 0) {
		close(kvm_fd);
		return -1;
	}
	close(kvm_fd);
	fprintf(out, "\nWhat this KVM did for a debugger, by CPU mode (a vCPU each, in one throwaway VM):\n");
	fprintf(out, "  %-32s %-6s %-8s %-8s %-8s %-5s %-8s\n", "mode", "int3", "DR exec", "DR write",
		"DR read", "step", "port I/O");
	for (int i = 0; i < caps.nrows; i++) {
		const struct debug_probe_row *r = &caps.rows[i];

		if (r->absent) {
			fprintf(out, "  %-32s (the CPU does not offer it)\n", r->mode);
			continue;
		}
		if (!r->tested) {
			fprintf(out, "  %-32s (KVM refused the mode)\n", r->mode);
			continue;
		}
		fprintf(out, "  %-32s %-6s %-8s %-8s %-8s %-5s %-8s\n", r->mode,
			r->int3 ? "exit" : r->int3_to_guest ? "guest" : "lost",
			yes_no(true, r->dr_exec), yes_no(true, r->dr_write), yes_no(true, r->dr_read),
			yes_no(true, r->step), r->io_exit ? "exit" : "lost");
	}
	fprintf(out, "  (int3: exit = to minikvm, as VT-x and AMD-V do; guest = the guest's own #BP handler "
		"ran; lost = neither)\n\nMethods the debugger picks here, and why:\n");
	print_methods(out, &caps);
	return 0;
}

static void hook_free(void *ctx);
static void hook_started(void *ctx);

static const struct vm_hooks debug_hooks = {
	.poll_fds = hook_poll_fds,
	.handle_fds = hook_handle_fds,
	.started = hook_started,
	.ending = hook_ending,
	.free = hook_free,
	.apply_debug = debug_on_apply,
	.debug_exit = debug_on_exit,
	.debug_event = debug_on_event,
	.claim_io = debug_on_claim_io,
	.mmio = debug_on_mmio,
	.report_stop = hook_report_stop,
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
	dbg->listen_fd = dbg->in_fd = dbg->out_fd = -1;
	dbg->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	vm_set_hooks(vm, &debug_hooks, dbg);
	if (gdb_endpoint_parse(cfg->gdb, &dbg->ep) < 0)
		return -1;
	if (arch_debug_probe(vm->kvm_fd, &dbg->caps) < 0)
		return -1;
	dbg->arch.block_irq = dbg->caps.block_irq;
	if (cfg->verbose)
		print_methods(stderr, &dbg->caps);
	for (const struct gdb_monitor_cmd *c = generic_cmds; c->name; c++)
		dbg->cmds[n++] = *c;
	for (const struct gdb_monitor_cmd *c = arch_monitor_cmds; c->name && n < MAX_MONITOR_CMDS - 1; c++)
		dbg->cmds[n++] = *c;

	static struct gdb_target_ops ops;
	ops = debug_ops;
	ops.monitor_cmds = dbg->cmds;
	memset(&scfg, 0, sizeof(scfg));
	scfg.write = conn_write;
	scfg.io_ctx = dbg;
	scfg.arch = arch_gdb_layout(vm);
	dbg->srv = gdb_server_new(&ops, dbg, &scfg);
	if (!dbg->srv)
		return err_set(EXIT_HOST, "cannot create the gdb server: %s", strerror(errno));
	debug_mark_all_dirty(vm);
	if (cfg->wait_gdb)
		vm_pause_at_start(vm); /* the vCPUs park at once; gdb's first resume starts them */

	if (dbg->ep.kind != GDB_EP_STDIO) {
		char where[300];

		dbg->listen_fd = gdb_endpoint_listen(&dbg->ep);
		if (dbg->listen_fd < 0)
			return -1;
		gdb_endpoint_describe(&dbg->ep, where, sizeof(where));
		fprintf(stderr, "minikvm: gdb stub listening on %s%s\n", where,
			cfg->wait_gdb ? "; the guest waits for gdb" : "");
		if (dbg->ep.exposed)
			fprintf(stderr, "minikvm: warning: %s is reachable from other machines, and the gdb "
				"protocol has no authentication: %s (use 127.0.0.1:PORT or unix:PATH; "
				"docs/security.md)\n", where, cfg->gdb_allow.any ?
				"whoever connects can read and write all guest memory and registers" :
				"minikvm refuses peers on other machines (their uid cannot be known) "
				"unless --gdb-allow-uid any");
	}
	return 0;
}

static void hook_started(void *ctx)
{
	struct debug *dbg = ctx;

	/* gdb on the other end of a pipe is there from the start. */
	if (dbg->ep.kind == GDB_EP_STDIO) {
		pthread_mutex_lock(&dbg->lock);
		dbg->in_fd = STDIN_FILENO;
		dbg->out_fd = STDOUT_FILENO;
		dbg->greeted = true;
		fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
		connect_gdb(dbg);
		pthread_mutex_unlock(&dbg->lock);
	}
}

static void hook_free(void *ctx)
{
	struct debug *dbg = ctx;

	snapshot_store_free(&dbg->snaps);
	if (dbg->srv)
		gdb_server_free(dbg->srv);
	if (dbg->in_fd >= 0 && dbg->ep.kind != GDB_EP_STDIO)
		close(dbg->in_fd);
	if (dbg->timer_fd >= 0)
		close(dbg->timer_fd);
	free(dbg->outq);
	if (dbg->listen_fd >= 0) {
		close(dbg->listen_fd);
		gdb_endpoint_unlink(&dbg->ep);
	}
	pthread_mutex_destroy(&dbg->lock);
	free(dbg);
}
