/* SPDX-License-Identifier: MIT */
/*
 * The debugger: gdbstub's target operations done with KVM, and the gdb
 * connection. Runs in the event-loop thread; see debug.h.
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
#include "debug.h"
#include "arch.h"
#include "error.h"
#include "gdb_endpoint.h"
#include "loader/loader.h"
#include "vcpu.h"
#include "vm.h"
#include "../gdbstub/gdbstub.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAGE 4096ULL
#define MAX_MONITOR_CMDS 16

struct sw_breakpoint {
	uint64_t addr;  /* as gdb gave it */
	uint64_t gpa;   /* where the instruction byte was written */
	uint8_t orig;
};

struct sw_watch {
	uint64_t addr, gpa;
	unsigned len;
};

struct debug {
	struct vm *vm;
	struct gdb_server *srv;
	struct gdb_endpoint ep;
	int listen_fd, in_fd, out_fd; /* in/out: the connection (both the socket, or stdin/stdout) */
	struct debug_host_caps caps;
	struct debug_arch_state arch;
	struct sw_breakpoint bps[DEBUG_MAX_SW_BREAKPOINTS];
	int nbps;
	struct sw_watch watches[DEBUG_MAX_WATCH];
	int nwatches;
	bool phys;          /* monitor phys on: gdb addresses are guest-physical */
	bool running;       /* resumed on gdb's behalf; a stop must be reported */
	bool started;       /* the guest has run (for -S: the first attach sees the entry) */
	unsigned last_vcpu; /* where the last stop happened */
	struct gdb_monitor_cmd cmds[MAX_MONITOR_CMDS];
};

const struct debug_arch_state *debug_arch_state(const struct debug *dbg)
{
	return &dbg->arch;
}

static void mark_all_dirty(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->debug_dirty = true;
}

static struct vcpu *vcpu_of(struct debug *dbg, unsigned i)
{
	return dbg->vm->vcpus[i < (unsigned)dbg->vm->ncpus ? i : 0];
}

/* ---- registers ---- */

static unsigned op_num_threads(void *ctx)
{
	return (unsigned)((struct debug *)ctx)->vm->ncpus;
}

static int op_read_regs(void *ctx, unsigned vcpu, uint8_t *buf)
{
	return arch_gdb_read_regs(vcpu_of(ctx, vcpu), buf);
}

static int op_write_regs(void *ctx, unsigned vcpu, const uint8_t *buf)
{
	return arch_gdb_write_regs(vcpu_of(ctx, vcpu), buf, -1);
}

static int op_write_reg(void *ctx, unsigned vcpu, unsigned regno, const uint8_t *buf)
{
	return arch_gdb_write_regs(vcpu_of(ctx, vcpu), buf, (int)regno);
}

/* ---- memory ---- */

/* The guest-physical address of a gdb address, for one page. */
static int to_gpa(struct debug *dbg, unsigned vcpu, uint64_t addr, uint64_t *gpa)
{
	if (dbg->phys) {
		*gpa = addr;
		return 0;
	}
	return arch_translate(vcpu_of(dbg, vcpu), addr, gpa);
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
				host[bp->gpa - gpa] = arch_breakpoint_insn[0];
			else
				buf[done + (bp->gpa - gpa)] = bp->orig;
		}
		done += chunk;
	}
	return done ? (long)done : -EFAULT;
}

static long op_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len)
{
	return access_mem(ctx, vcpu, addr, buf, len, false);
}

static long op_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	long n = access_mem(ctx, vcpu, addr, (uint8_t *)buf, len, true);

	/* A write must be whole: gdb does not retry the rest. */
	return n == (long)len ? n : -EFAULT;
}

/* ---- breakpoints and watchpoints ---- */

static int insert_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, unsigned len,
		     bool for_sw);
static int remove_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr);

static int insert_sw(struct debug *dbg, uint64_t addr)
{
	struct sw_breakpoint *bp;
	uint64_t gpa;
	uint8_t *host;

	/* Where the host gives a real-mode int3 to the guest, a debug register stands in. */
	if (!dbg->caps.sw_bp_real_mode && arch_vcpu_real_mode(vcpu_of(dbg, dbg->last_vcpu)))
		return insert_hw(dbg, DEBUG_HW_EXEC, addr, 1, true);
	if (dbg->nbps == DEBUG_MAX_SW_BREAKPOINTS)
		return -ENOSPC;
	if (to_gpa(dbg, dbg->last_vcpu, addr, &gpa) < 0 || !(host = guest_mem_ptr(&dbg->vm->mem, gpa, 1)))
		return -EFAULT;
	bp = &dbg->bps[dbg->nbps++];
	bp->addr = addr;
	bp->gpa = gpa;
	bp->orig = *host;
	*host = arch_breakpoint_insn[0];
	dbg->arch.sw_breakpoints = true;
	return 0;
}

static int remove_sw(struct debug *dbg, uint64_t addr)
{
	for (int i = 0; i < DEBUG_HW_SLOTS; i++) {
		struct debug_hw_slot *s = &dbg->arch.hw[i];

		if (s->used && s->for_sw && s->addr == addr) {
			s->used = s->for_sw = false;
			mark_all_dirty(dbg->vm);
			return 0;
		}
	}
	for (int i = 0; i < dbg->nbps; i++) {
		struct sw_breakpoint *bp = &dbg->bps[i];
		uint8_t *host;

		if (bp->addr != addr)
			continue;
		host = guest_mem_ptr(&dbg->vm->mem, bp->gpa, 1);
		/* Only put the byte back if the guest did not overwrite our breakpoint. */
		if (host && *host == arch_breakpoint_insn[0])
			*host = bp->orig;
		dbg->bps[i] = dbg->bps[--dbg->nbps];
		dbg->arch.sw_breakpoints = dbg->nbps > 0;
		return 0;
	}
	return -ENOENT;
}

static int insert_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr, unsigned len,
		     bool for_sw)
{
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
		s->used = true;
		s->for_sw = for_sw;
		s->type = type;
		s->addr = addr;
		s->len = type == DEBUG_HW_EXEC ? 1 : len;
		mark_all_dirty(dbg->vm);
		return 0;
	}
	return -ENOSPC; /* four debug registers, all taken */
}

static int remove_hw(struct debug *dbg, enum debug_hw_type type, uint64_t addr)
{
	for (int i = 0; i < DEBUG_HW_SLOTS; i++) {
		struct debug_hw_slot *s = &dbg->arch.hw[i];

		if (s->used && !s->for_sw && s->type == type && s->addr == addr) {
			s->used = false;
			mark_all_dirty(dbg->vm);
			return 0;
		}
	}
	return -ENOENT;
}

/* Make the pages under software watchpoints read-only to the guest. */
static int apply_watch_pages(struct debug *dbg)
{
	uint64_t pages[DEBUG_MAX_WATCH * 2];
	int n = 0;

	for (int i = 0; i < dbg->nwatches; i++) {
		const struct sw_watch *w = &dbg->watches[i];

		for (uint64_t p = w->gpa & ~(PAGE - 1); p < w->gpa + w->len; p += PAGE)
			pages[n++] = p;
	}
	return vm_set_readonly_pages(dbg->vm, pages, n) < 0 ? -EIO : 0;
}

static int insert_sw_watch(struct debug *dbg, uint64_t addr, unsigned len)
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
	if (apply_watch_pages(dbg) < 0) {
		dbg->nwatches--;
		return -EIO;
	}
	return 0;
}

static int remove_sw_watch(struct debug *dbg, uint64_t addr, unsigned len)
{
	for (int i = 0; i < dbg->nwatches; i++) {
		if (dbg->watches[i].addr == addr && dbg->watches[i].len == len) {
			dbg->watches[i] = dbg->watches[--dbg->nwatches];
			return apply_watch_pages(dbg);
		}
	}
	return -ENOENT;
}

static bool sw_watch_in_use(const struct debug *dbg)
{
	return !dbg->caps.dr_write_watch;
}

static int op_insert_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct debug *dbg = ctx;

	switch (type) {
	case GDB_BP_SW:
		return insert_sw(dbg, addr);
	case GDB_BP_HW:
		return insert_hw(dbg, DEBUG_HW_EXEC, addr, 1, false);
	case GDB_WP_WRITE:
		if (dbg->caps.dr_write_watch)
			return insert_hw(dbg, DEBUG_HW_WRITE, addr, (unsigned)kind, false);
		if (dbg->caps.readonly_mem)
			return insert_sw_watch(dbg, addr, (unsigned)kind);
		return -EOPNOTSUPP;
	case GDB_WP_READ:
		return dbg->caps.dr_read_watch ? insert_hw(dbg, DEBUG_HW_READ, addr, (unsigned)kind, false)
					       : -EOPNOTSUPP;
	case GDB_WP_ACCESS:
		return dbg->caps.dr_read_watch ? insert_hw(dbg, DEBUG_HW_ACCESS, addr, (unsigned)kind, false)
					       : -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

static int op_remove_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct debug *dbg = ctx;

	switch (type) {
	case GDB_BP_SW:
		return remove_sw(dbg, addr);
	case GDB_BP_HW:
		return remove_hw(dbg, DEBUG_HW_EXEC, addr);
	case GDB_WP_WRITE:
		return sw_watch_in_use(dbg) ? remove_sw_watch(dbg, addr, (unsigned)kind)
					    : remove_hw(dbg, DEBUG_HW_WRITE, addr);
	case GDB_WP_READ:
		return remove_hw(dbg, DEBUG_HW_READ, addr);
	case GDB_WP_ACCESS:
		return remove_hw(dbg, DEBUG_HW_ACCESS, addr);
	}
	return -EOPNOTSUPP;
}

bool debug_is_breakpoint(struct debug *dbg, uint64_t addr)
{
	for (int i = 0; i < dbg->nbps; i++)
		if (dbg->bps[i].addr == addr)
			return true;
	return false;
}

bool debug_watched_write(struct debug *dbg, struct vcpu *vcpu, uint64_t gpa,
			 const uint8_t *data, unsigned len)
{
	bool watched_page = false;

	for (int i = 0; i < dbg->nwatches; i++) {
		const struct sw_watch *w = &dbg->watches[i];

		if (gpa >= (w->gpa & ~(PAGE - 1)) && gpa < ((w->gpa + w->len + PAGE - 1) & ~(PAGE - 1)))
			watched_page = true;
	}
	if (!watched_page)
		return false;
	/* Do what the guest meant to do, then see whether it touched a watched range. */
	guest_mem_write(&dbg->vm->mem, gpa, data, len);
	for (int i = 0; i < dbg->nwatches; i++) {
		const struct sw_watch *w = &dbg->watches[i];

		if (gpa < w->gpa + w->len && w->gpa < gpa + len) {
			struct vcpu_stop why = { VCPU_STOP_WATCH, w->addr };

			vm_debug_stop(dbg->vm, vcpu, &why);
			break;
		}
	}
	return true;
}

/* ---- running and stopping ---- */

static int op_resume(void *ctx, const struct gdb_resume_action *actions, unsigned n)
{
	struct debug *dbg = ctx;
	struct vm *vm = dbg->vm;

	for (unsigned i = 0; i < n && i < (unsigned)vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		switch (actions[i].kind) {
		case GDB_RESUME_STOPPED: v->mode = VCPU_STAY; break;
		case GDB_RESUME_CONTINUE: v->mode = VCPU_CONTINUE; break;
		case GDB_RESUME_STEP: v->mode = VCPU_STEP; break;
		case GDB_RESUME_RANGE_STEP:
			v->mode = VCPU_RANGE_STEP;
			v->range_start = actions[i].range_start;
			v->range_end = actions[i].range_end;
			break;
		}
		v->debug_dirty = true;
	}
	dbg->running = true;
	dbg->started = true;
	vm_resume(vm);
	return 0;
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

/* Every vCPU is parked: tell gdb why the VM stopped. */
static void report_stop(struct debug *dbg, int signal_if_none)
{
	struct vm *vm = dbg->vm;
	struct gdb_stop_event ev = { .reason = GDB_STOP_SIGNAL, .signal = signal_if_none };

	drain(vm->debug_fd);
	if (vm->stopper >= 0) {
		const struct vcpu_stop *st = &vm->vcpus[vm->stopper]->stop;

		ev.vcpu = (unsigned)vm->stopper;
		ev.signal = GDB_SIGNAL_TRAP;
		ev.addr = st->addr;
		switch (st->kind) {
		case VCPU_STOP_SWBREAK: ev.reason = GDB_STOP_SWBREAK; break;
		case VCPU_STOP_HWBREAK: ev.reason = GDB_STOP_HWBREAK; break;
		case VCPU_STOP_WATCH: ev.reason = GDB_STOP_WATCH; break;
		case VCPU_STOP_RWATCH: ev.reason = GDB_STOP_RWATCH; break;
		case VCPU_STOP_AWATCH: ev.reason = GDB_STOP_AWATCH; break;
		case VCPU_STOP_CRASH: ev.signal = GDB_SIGNAL_SEGV; break;
		default: break;
		}
	} else {
		ev.vcpu = dbg->last_vcpu;
	}
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

void debug_handle_stop(struct vm *vm)
{
	struct debug *dbg = vm->debug;

	if (!dbg->running) {
		/* Nobody waits (gdb left meanwhile): drop it and let the guest go on. */
		drain(vm->debug_fd);
		if (!gdb_server_attached(dbg->srv))
			vm_resume(vm);
		return;
	}
	vm_pause(vm);
	report_stop(dbg, GDB_SIGNAL_TRAP);
}

static int op_thread_extra_info(void *ctx, unsigned vcpu, char *buf, size_t size)
{
	return arch_describe_vcpu(vcpu_of(ctx, vcpu), buf, size);
}

static void op_kill(void *ctx)
{
	struct debug *dbg = ctx;

	vm_request_exit(dbg->vm, EXIT_GUEST_OK, "killed by gdb");
}

static int op_detach(void *ctx)
{
	struct debug *dbg = ctx;
	struct vm *vm = dbg->vm;

	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i]->mode = VCPU_CONTINUE;
		vm->vcpus[i]->debug_dirty = true;
	}
	dbg->running = false;
	dbg->started = true;
	vm_resume(vm);
	return 0;
}

/* ---- monitor commands ---- */

static const struct gdb_monitor_cmd generic_cmds[] = {
	{ "phys", "on|off", "gdb addresses are guest-physical (on) or virtual (off, default)" },
	{ "step-irq", "on|off", "let interrupts in while single-stepping (default off)" },
	{ "stats", NULL, "VM exits by reason and port, per vCPU" },
	{ "reset", NULL, "restart the guest from its image (breakpoints stay)" },
	{ "quit", NULL, "end the VM now" },
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
	if (vm_reset(dbg->vm) < 0) {
		gdb_console_printf(out, "reset failed: %s\n", err_message());
		return -EIO;
	}
	/* The image was reloaded over our breakpoints: put them back. */
	for (int i = 0; i < dbg->nbps; i++) {
		uint8_t *host = guest_mem_ptr(&dbg->vm->mem, dbg->bps[i].gpa, 1);

		if (host) {
			dbg->bps[i].orig = *host;
			*host = arch_breakpoint_insn[0];
		}
	}
	gdb_console_printf(out, "guest reset to its entry point\n");
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
		mark_all_dirty(dbg->vm);
		return r;
	}
	if (strcmp(cmd, "stats") == 0)
		return monitor_stats(dbg, out);
	if (strcmp(cmd, "reset") == 0)
		return monitor_reset(dbg, out);
	if (strcmp(cmd, "quit") == 0) {
		gdb_console_printf(out, "ending the VM\n");
		vm_request_exit(dbg->vm, EXIT_GUEST_OK, "monitor quit");
		return 0;
	}
	return arch_monitor(vcpu_of(dbg, vcpu), cmd, out);
}

static const struct gdb_target_ops debug_ops = {
	.num_threads = op_num_threads,
	.read_regs = op_read_regs,
	.write_regs = op_write_regs,
	.write_reg = op_write_reg,
	.read_mem = op_read_mem,
	.write_mem = op_write_mem,
	.insert_bp = op_insert_bp,
	.remove_bp = op_remove_bp,
	.resume = op_resume,
	.request_stop = op_request_stop,
	.range_step = true,
	.thread_extra_info = op_thread_extra_info,
	.monitor = op_monitor,
	.kill = op_kill,
	.detach = op_detach,
};

/* ---- the connection ---- */

static int conn_write(void *io, const void *buf, size_t len)
{
	struct debug *dbg = io;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(dbg->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
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
	if (dbg->vm->cfg->verbose)
		fprintf(stderr, "minikvm: gdb disconnected; the guest runs on\n");
}

static void accept_conn(struct debug *dbg)
{
	int fd = accept4(dbg->listen_fd, NULL, NULL, SOCK_CLOEXEC), one = 1;

	if (fd < 0)
		return;
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
	if (dbg->vm->cfg->verbose)
		fprintf(stderr, "minikvm: gdb connected\n");
	connect_gdb(dbg);
}

int debug_poll_fds(struct vm *vm, struct pollfd *pfd, int max)
{
	struct debug *dbg = vm->debug;
	int n = 0;

	if (!dbg || max < 3)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = vm->debug_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = dbg->listen_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = dbg->in_fd, .events = POLLIN };
	return n;
}

void debug_handle_fds(struct vm *vm, const struct pollfd *pfd, int n)
{
	struct debug *dbg = vm->debug;
	uint8_t buf[65536];

	if (!dbg || n < 3)
		return;
	if (pfd[0].revents & POLLIN)
		debug_handle_stop(vm);
	if (pfd[1].revents & POLLIN)
		accept_conn(dbg);
	if (pfd[2].fd >= 0 && pfd[2].fd == dbg->in_fd && pfd[2].revents) {
		ssize_t r = read(dbg->in_fd, buf, sizeof(buf));

		if (r > 0)
			gdb_server_feed(dbg->srv, buf, (size_t)r);
		else if (r == 0 || (errno != EINTR && errno != EAGAIN))
			disconnect(dbg);
	}
}

void debug_vm_ending(struct vm *vm, int status, bool crashed)
{
	struct debug *dbg = vm->debug;
	struct gdb_stop_event ev = { .vcpu = dbg ? dbg->last_vcpu : 0 };

	if (!dbg || dbg->in_fd < 0 || !gdb_server_attached(dbg->srv))
		return;
	if (crashed) {
		ev.reason = GDB_STOP_TERMINATED;
		ev.signal = GDB_SIGNAL_SEGV;
	} else {
		ev.reason = GDB_STOP_EXITED;
		ev.exit_code = status;
	}
	gdb_server_stop_event(dbg->srv, &ev);
}

/* ---- setup ---- */

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
	dbg->listen_fd = dbg->in_fd = dbg->out_fd = -1;
	vm->debug = dbg;
	if (gdb_endpoint_parse(cfg->gdb, &dbg->ep) < 0)
		return -1;
	if (arch_debug_probe(vm, &dbg->caps) < 0)
		return -1;
	dbg->arch.block_irq = dbg->caps.block_irq;
	if (cfg->verbose)
		fprintf(stderr, "minikvm: host debug support: write watchpoints by %s, read/access "
			"watchpoints %s, interrupts %s while stepping, real-mode breakpoints by %s\n",
			dbg->caps.dr_write_watch ? "debug registers" :
			dbg->caps.readonly_mem ? "read-only memory slots" : "nothing (unsupported)",
			dbg->caps.dr_read_watch ? "by debug registers" : "unsupported on this host",
			dbg->caps.block_irq ? "held back" : "not held back",
			dbg->caps.sw_bp_real_mode ? "int3" : "debug registers");
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
	mark_all_dirty(vm);
	if (cfg->wait_gdb)
		vm->paused = true; /* the vCPUs park at once; gdb's first resume starts them */

	if (dbg->ep.kind != GDB_EP_STDIO) {
		char where[300];

		dbg->listen_fd = gdb_endpoint_listen(&dbg->ep);
		if (dbg->listen_fd < 0)
			return -1;
		gdb_endpoint_describe(&dbg->ep, where, sizeof(where));
		fprintf(stderr, "minikvm: gdb stub listening on %s%s\n", where,
			cfg->wait_gdb ? "; the guest waits for gdb" : "");
	}
	return 0;
}

void debug_start(struct vm *vm)
{
	struct debug *dbg = vm->debug;

	/* gdb on the other end of a pipe is there from the start. */
	if (dbg && dbg->ep.kind == GDB_EP_STDIO) {
		dbg->in_fd = STDIN_FILENO;
		dbg->out_fd = STDOUT_FILENO;
		connect_gdb(dbg);
	}
}

void debug_free(struct vm *vm)
{
	struct debug *dbg = vm->debug;

	if (!dbg)
		return;
	if (dbg->srv)
		gdb_server_free(dbg->srv);
	if (dbg->in_fd >= 0 && dbg->ep.kind != GDB_EP_STDIO)
		close(dbg->in_fd);
	if (dbg->listen_fd >= 0) {
		close(dbg->listen_fd);
		if (dbg->ep.kind == GDB_EP_UNIX)
			unlink(dbg->ep.path);
	}
	free(dbg);
	vm->debug = NULL;
}
