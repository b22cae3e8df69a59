/* SPDX-License-Identifier: MIT */
/*
 * The simulated target and scripted client described in sim_target.h.
 * Deliberately simple and independent of gdbstub's internals: the client
 * side decodes frames the way gdb's remote.c does (run lengths expanded on
 * the raw bytes, then escapes undone), so the tests check the wire format,
 * not the implementation.
 */
#include "sim_target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sim_target *T(void *ctx)
{
	return ctx;
}

uint8_t *sim_reg(struct sim_target *t, unsigned vcpu, unsigned regno)
{
	return t->regs[vcpu] + gdb_arch_reg_offset(t->arch, regno);
}

uint64_t sim_pc(struct sim_target *t, unsigned vcpu)
{
	const uint8_t *p = sim_reg(t, vcpu, t->arch->pc_regno);
	unsigned n = t->arch->regs[t->arch->pc_regno].bitsize / 8;
	uint64_t v = 0;

	for (unsigned i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void sim_set_pc(struct sim_target *t, unsigned vcpu, uint64_t pc)
{
	uint8_t *p = sim_reg(t, vcpu, t->arch->pc_regno);
	unsigned n = t->arch->regs[t->arch->pc_regno].bitsize / 8;

	for (unsigned i = 0; i < n && i < 8; i++)
		p[i] = (uint8_t)(pc >> (8 * i));
}

int sim_init(struct sim_target *t, const struct gdb_arch *arch, unsigned nthreads,
	     size_t mem_size)
{
	memset(t, 0, sizeof(*t));
	t->arch = arch;
	t->nthreads = nthreads > SIM_MAX_THREADS ? SIM_MAX_THREADS : nthreads;
	t->regs_size = gdb_arch_regs_size(arch);
	if (t->regs_size > SIM_REGS_MAX)
		return -EINVAL;
	t->mem_size = mem_size;
	t->mem = malloc(mem_size ? mem_size : 1);
	if (!t->mem)
		return -ENOMEM;
	for (size_t i = 0; i < mem_size; i++)
		t->mem[i] = (uint8_t)(i ^ (i >> 8));
	for (unsigned v = 0; v < t->nthreads; v++) {
		for (size_t k = 0; k < t->regs_size; k++)
			t->regs[v][k] = (uint8_t)(v * 16 + k);
		sim_set_pc(t, v, 0x1000 + v * 0x100);
	}
	return 0;
}

void sim_fini(struct sim_target *t)
{
	free(t->mem);
	t->mem = NULL;
}

void sim_stop(struct sim_target *t, enum gdb_stop_reason reason, unsigned vcpu, int signal,
	      uint64_t addr)
{
	struct gdb_stop_event ev = { .reason = reason, .vcpu = vcpu, .signal = signal,
				     .addr = addr, .exit_code = signal };

	t->running = false;
	if (reason == GDB_STOP_EXITED || reason == GDB_STOP_TERMINATED)
		t->nbps = 0;
	gdb_server_stop_event(t->srv, &ev);
}

static unsigned sim_num_threads(void *ctx)
{
	return T(ctx)->nthreads;
}

static int sim_read_regs(void *ctx, unsigned vcpu, uint8_t *buf)
{
	struct sim_target *t = T(ctx);

	if (vcpu >= t->nthreads)
		return -ESRCH;
	memcpy(buf, t->regs[vcpu], t->regs_size);
	return 0;
}

static int sim_write_regs(void *ctx, unsigned vcpu, const uint8_t *buf)
{
	struct sim_target *t = T(ctx);

	if (vcpu >= t->nthreads)
		return -ESRCH;
	memcpy(t->regs[vcpu], buf, t->regs_size);
	return 0;
}

static int sim_read_reg(void *ctx, unsigned vcpu, unsigned regno, uint8_t *buf)
{
	struct sim_target *t = T(ctx);

	if (vcpu >= t->nthreads || regno >= t->arch->nregs)
		return -EINVAL;
	memcpy(buf, sim_reg(t, vcpu, regno), t->arch->regs[regno].bitsize / 8);
	return 0;
}

static int sim_write_reg(void *ctx, unsigned vcpu, unsigned regno, const uint8_t *buf)
{
	struct sim_target *t = T(ctx);

	if (vcpu >= t->nthreads || regno >= t->arch->nregs)
		return -EINVAL;
	memcpy(sim_reg(t, vcpu, regno), buf, t->arch->regs[regno].bitsize / 8);
	return 0;
}

static bool mapped(const struct sim_target *t, uint64_t addr)
{
	return addr < t->mem_size && !(addr >= SIM_HOLE_START && addr < SIM_HOLE_END);
}

static long sim_read_mem(void *ctx, unsigned vcpu, uint64_t addr, uint8_t *buf, size_t len)
{
	struct sim_target *t = T(ctx);
	size_t n = 0;

	(void)vcpu;
	if (len == 0 || addr + (len - 1) < addr)
		abort(); /* the server promised never to do this */
	while (n < len && mapped(t, addr + n)) {
		buf[n] = t->have_hidden && addr + n == t->hidden_addr ? t->hidden_orig : t->mem[addr + n];
		n++;
	}
	return n ? (long)n : -EFAULT;
}

static long sim_peek_mem(void *ctx, unsigned vcpu, uint64_t addr, size_t len, const uint8_t **host)
{
	struct sim_target *t = T(ctx);
	size_t n = 0, page_left = 0x1000 - (addr & 0xfff);

	(void)vcpu;
	t->peek_calls++;
	if (len == 0 || addr + (len - 1) < addr)
		abort(); /* the server promised never to do this */
	if (!mapped(t, addr))
		return -EFAULT;
	if (len > page_left)
		len = page_left;
	while (n < len && mapped(t, addr + n) && !(t->have_hidden && addr + n == t->hidden_addr))
		n++;
	*host = t->mem + addr;
	return (long)n;
}

static long sim_write_mem(void *ctx, unsigned vcpu, uint64_t addr, const uint8_t *buf,
			  size_t len)
{
	struct sim_target *t = T(ctx);
	size_t n = 0;

	(void)vcpu;
	if (len == 0 || addr + (len - 1) < addr)
		abort();
	while (n < len && mapped(t, addr + n)) {
		t->mem[addr + n] = buf[n];
		n++;
	}
	return n ? (long)n : -EFAULT;
}

static unsigned hw_used(const struct sim_target *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->nbps; i++)
		n += t->bps[i].type != GDB_BP_SW;
	return n;
}

static int sim_insert_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct sim_target *t = T(ctx);

	t->insert_calls++;
	for (unsigned i = 0; i < t->nbps; i++)
		if (t->bps[i].type == type && t->bps[i].addr == addr && t->bps[i].kind == kind)
			abort(); /* the server must never insert twice */
	if (type == GDB_BP_SW && !mapped(t, addr))
		return -EFAULT;
	if (type != GDB_BP_SW && (hw_used(t) == SIM_HW_SLOTS || kind > 8))
		return kind > 8 ? -EINVAL : -ENOSPC;
	if (t->nbps == SIM_MAX_BPS)
		return -ENOSPC;
	t->bps[t->nbps++] = (struct sim_bp){ type, addr, kind };
	return 0;
}

static int sim_remove_bp(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct sim_target *t = T(ctx);

	t->remove_calls++;
	for (unsigned i = 0; i < t->nbps; i++) {
		if (t->bps[i].type == type && t->bps[i].addr == addr && t->bps[i].kind == kind) {
			t->bps[i] = t->bps[--t->nbps];
			return 0;
		}
	}
	abort(); /* the server must never remove what it did not insert */
}

static void set_reg_u64(struct sim_target *t, unsigned vcpu, unsigned regno, uint64_t v)
{
	uint8_t *p = sim_reg(t, vcpu, regno);
	unsigned n = t->arch->regs[regno].bitsize / 8;

	for (unsigned i = 0; i < n; i++)
		p[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

/* Continue on vcpu: the hits described at loop_hits in sim_target.h. */
static void run_to_breakpoint(struct sim_target *t, unsigned vcpu)
{
	struct sim_hit hit = { t, vcpu };
	unsigned rounds = t->loop_hits ? t->loop_hits : 1;

	for (unsigned k = 0; k < rounds; k++) {
		if (t->loop_hits && t->loop_regno < t->arch->nregs)
			set_reg_u64(t, vcpu, t->loop_regno, k);
		for (unsigned i = 0; i < t->nbps; i++) {
			if (t->bps[i].type != GDB_BP_SW)
				continue;
			sim_set_pc(t, vcpu, t->bps[i].addr);
			if (!gdb_server_bp_should_stop(t->srv, GDB_BP_SW, t->bps[i].addr,
						       &sim_agent_access, &hit)) {
				t->silent_hits++;
				continue;
			}
			sim_stop(t, GDB_STOP_SWBREAK, vcpu, 0, 0);
			return;
		}
	}
}

static int sim_resume(void *ctx, const struct gdb_resume_action *actions, unsigned n)
{
	struct sim_target *t = T(ctx);
	int step = -1, cont = -1;

	t->resume_calls++;
	if (n != t->nthreads)
		abort();
	if (t->resume_error)
		return t->resume_error;
	memcpy(t->last_actions, actions, n * sizeof(*actions));
	t->running = true;
	for (unsigned i = 0; i < n; i++) {
		if ((actions[i].kind == GDB_RESUME_STEP ||
		     actions[i].kind == GDB_RESUME_RANGE_STEP) && step < 0)
			step = (int)i;
		if (actions[i].kind == GDB_RESUME_CONTINUE && cont < 0)
			cont = (int)i;
	}
	if (!t->sync_stop)
		return 0;
	if (t->have_next_stop) {
		t->have_next_stop = false;
		sim_stop(t, t->next_stop.reason, t->next_stop.vcpu, t->next_stop.signal,
			 t->next_stop.addr);
	} else if (step >= 0) {
		sim_set_pc(t, (unsigned)step, sim_pc(t, (unsigned)step) + 1);
		sim_stop(t, GDB_STOP_SIGNAL, (unsigned)step, GDB_SIGNAL_TRAP, 0);
	} else if (cont >= 0) {
		run_to_breakpoint(t, (unsigned)cont);
	}
	return 0;
}

static int sim_set_non_stop(void *ctx, bool on)
{
	struct sim_target *t = T(ctx);

	t->set_non_stop_calls++;
	t->non_stop = on;
	return 0;
}

static void sim_request_stop(void *ctx)
{
	struct sim_target *t = T(ctx);

	t->request_stop_calls++;
	if (t->sync_stop)
		sim_stop(t, GDB_STOP_SIGNAL, 0, GDB_SIGNAL_INT, 0);
}

static int sim_extra_info(void *ctx, unsigned vcpu, char *buf, size_t size)
{
	snprintf(buf, size, "vCPU %u, long mode, %s", vcpu, vcpu % 2 ? "halted" : "running <&>");
	(void)ctx;
	return 0;
}

static const struct gdb_monitor_cmd sim_monitor_cmds[] = {
	{ "echo", "TEXT", "print TEXT" },
	{ "big", "N", "print N bytes" },
	{ "fail", NULL, "fail without output" },
	{ "info sregs", NULL, "show the selected vCPU" },
	{ NULL, NULL, NULL },
};

static int sim_monitor(void *ctx, unsigned vcpu, const char *cmd, struct gdb_console *out)
{
	struct sim_target *t = T(ctx);

	snprintf(t->last_monitor, sizeof(t->last_monitor), "%s", cmd);
	if (strncmp(cmd, "echo", 4) == 0) {
		gdb_console_printf(out, "%s\n", cmd[4] ? cmd + 5 : "");
	} else if (strncmp(cmd, "big", 3) == 0) {
		unsigned long n = strtoul(cmd + 3, NULL, 0);

		if (n > 300000)
			n = 300000; /* keep the fuzzer fast */

		for (unsigned long i = 0; i < n; i++)
			gdb_console_write(out, &"0123456789"[i % 10], 1);
	} else if (strcmp(cmd, "fail") == 0) {
		return -EINVAL;
	} else if (strcmp(cmd, "info sregs") == 0) {
		gdb_console_printf(out, "sregs of vCPU %u\n", vcpu);
	}
	return 0;
}

static void sim_kill(void *ctx)
{
	struct sim_target *t = T(ctx);

	t->kill_calls++;
	t->running = false;
	t->nbps = 0; /* the guest and its breakpoints are gone */
}

static int sim_detach(void *ctx)
{
	struct sim_target *t = T(ctx);

	t->detach_calls++;
	if (t->nbps)
		abort(); /* breakpoints must be out before the guest runs free */
	t->running = true;
	return 0;
}

static int sim_memory_regions(void *ctx, unsigned vcpu, gdb_region_fn fn, void *fnctx)
{
	struct sim_target *t = T(ctx);

	t->memory_regions_calls++;
	for (unsigned i = 0; i < t->nregions; i++) {
		struct gdb_mem_region r = { .start = 0x10000ULL * (i + 1) + 0x1000ULL * vcpu,
					    .size = 0x1000, .write = i % 2 == 0, .exec = i % 2 == 1 };
		int rc = fn(fnctx, &r);

		if (rc)
			return rc;
	}
	return 0;
}

/* What every simulated target has. */
#define SIM_BASE_OPS \
	.num_threads = sim_num_threads, \
	.read_regs = sim_read_regs, \
	.write_regs = sim_write_regs, \
	.read_reg = sim_read_reg, \
	.write_reg = sim_write_reg, \
	.read_mem = sim_read_mem, \
	.write_mem = sim_write_mem, \
	.insert_bp = sim_insert_bp, \
	.remove_bp = sim_remove_bp

/* ... and what the full ones add. */
#define SIM_FULL_OPS \
	SIM_BASE_OPS, \
	.resume = sim_resume, \
	.request_stop = sim_request_stop, \
	.range_step = true, \
	.thread_extra_info = sim_extra_info, \
	.monitor_cmds = sim_monitor_cmds, \
	.monitor = sim_monitor, \
	.kill = sim_kill, \
	.detach = sim_detach

const struct gdb_target_ops sim_ops = {
	SIM_FULL_OPS,
	.memory_regions = sim_memory_regions,
};

const struct gdb_target_ops sim_ops_peek = {
	SIM_FULL_OPS,
	.peek_mem = sim_peek_mem,
};

const struct gdb_target_ops sim_ops_conditional = {
	SIM_FULL_OPS,
	.conditional_breakpoints = true,
};

const struct gdb_target_ops sim_ops_all = {
	SIM_FULL_OPS,
	.conditional_breakpoints = true,
	.set_non_stop = sim_set_non_stop,
	.memory_regions = sim_memory_regions,
};

const struct gdb_target_ops sim_ops_non_stop = {
	SIM_BASE_OPS,
	.resume = sim_resume,
	.request_stop = sim_request_stop,
	.range_step = true,
	.set_non_stop = sim_set_non_stop,
	.thread_extra_info = sim_extra_info,
	.kill = sim_kill,
	.detach = sim_detach,
};

static int sim_agent_reg(void *ctx, unsigned regno, uint8_t *buf, size_t *size)
{
	struct sim_hit *hit = ctx;
	size_t n;

	if (regno >= hit->t->arch->nregs)
		return -EINVAL;
	n = hit->t->arch->regs[regno].bitsize / 8;
	if (n > *size)
		return -E2BIG;
	memcpy(buf, sim_reg(hit->t, hit->vcpu, regno), n);
	*size = n;
	return 0;
}

static long sim_agent_mem(void *ctx, uint64_t addr, uint8_t *buf, size_t len)
{
	struct sim_hit *hit = ctx;

	return sim_read_mem(hit->t, hit->vcpu, addr, buf, len);
}

const struct gdb_agent_access sim_agent_access = {
	.read_reg = sim_agent_reg,
	.read_mem = sim_agent_mem,
};

const struct gdb_target_ops sim_ops_minimal = {
	.num_threads = sim_num_threads,
	.read_regs = sim_read_regs,
	.write_regs = sim_write_regs,
	.read_mem = sim_read_mem,
	.write_mem = sim_write_mem,
	.resume = sim_resume,
	.request_stop = sim_request_stop,
};

/* ---- the client side ---- */

int sim_io_write(void *ctx, const void *buf, size_t len)
{
	struct sim_io *io = ctx;

	io->writes++;
	if (io->fail)
		return -EPIPE;
	if (io->len + len > io->cap) {
		size_t cap = (io->len + len) * 2;
		uint8_t *p = realloc(io->buf, cap);

		if (!p)
			return -ENOMEM;
		io->buf = p;
		io->cap = cap;
	}
	memcpy(io->buf + io->len, buf, len);
	io->len += len;
	return 0;
}

size_t sim_frame(const void *payload, size_t len, char *out)
{
	const uint8_t *p = payload;
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	uint8_t sum = 0;

	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c == '#' || c == '$' || c == '}' || c == '*') {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one frame at buf[*pos] == '$'. Returns 'P' or 'X'. */
static int decode_frame(const uint8_t *buf, size_t len, size_t *pos, char *out, size_t cap,
			size_t *outlen)
{
	size_t i = *pos + 1, n = 0, end, k;
	uint8_t sum = 0;

	for (end = i; end < len && buf[end] != '#'; end++)
		if (buf[end] == '$')
			return 'X';
	if (end + 2 >= len || hexval(buf[end + 1]) < 0 || hexval(buf[end + 2]) < 0)
		return 'X';
	for (k = i; k < end; k++)
		sum += buf[k];
	if (sum != (uint8_t)(hexval(buf[end + 1]) << 4 | hexval(buf[end + 2])))
		return 'X';
	*pos = end + 3;
	/* Run lengths first, on the raw bytes, as gdb's read_frame does... */
	for (k = i; k < end; k++) {
		if (buf[k] == '*') {
			int rep;

			if (n == 0 || k + 1 >= end || buf[k + 1] < 32 || buf[k + 1] > 126)
				return 'X';
			rep = buf[++k] - 29;
			if (buf[k] == '#' || buf[k] == '$' || n + (size_t)rep >= cap)
				return 'X';
			memset(out + n, out[n - 1], (size_t)rep);
			n += (size_t)rep;
			continue;
		}
		if (n + 1 >= cap)
			return 'X';
		out[n++] = (char)buf[k];
	}
	/* ...then escapes, in place (the text only shrinks). */
	*outlen = 0;
	for (k = 0; k < n; k++) {
		if (out[k] == '}') {
			if (++k == n)
				return 'X';
			out[(*outlen)++] = (char)(out[k] ^ 0x20);
		} else {
			out[(*outlen)++] = out[k];
		}
	}
	out[*outlen] = '\0';
	return 'P';
}

int sim_next(struct sim_io *io, char *out, size_t cap, size_t *len)
{
	if (io->pos >= io->len)
		return 0;
	switch (io->buf[io->pos]) {
	case '+':
	case '-':
		return io->buf[io->pos++];
	case '$':
		return decode_frame(io->buf, io->len, &io->pos, out, cap, len);
	case '%': {
		int r = decode_frame(io->buf, io->len, &io->pos, out, cap, len);

		return r == 'P' ? 'N' : r;
	}
	default:
		return 'X';
	}
}

bool sim_valid_output(const uint8_t *buf, size_t len)
{
	static char out[2 * GDB_PACKET_SIZE + 16];
	struct sim_io io = { .buf = (uint8_t *)buf, .len = len };
	size_t n;
	int r;

	while ((r = sim_next(&io, out, sizeof(out), &n)) != 0)
		if (r == 'X')
			return false;
	return true;
}

/* ---- fixture ---- */

struct sim_fixture *fx_new(const struct gdb_arch *arch, const struct gdb_target_ops *ops,
			   bool stopped)
{
	struct sim_fixture *fx = calloc(1, sizeof(*fx));
	struct gdb_server_config cfg = { .write = sim_io_write, .arch = arch };
	struct gdb_stop_event ev = { .reason = GDB_STOP_SIGNAL, .signal = GDB_SIGNAL_TRAP };

	if (!fx || sim_init(&fx->t, arch, 4, 1 << 20) < 0)
		abort();
	cfg.io_ctx = &fx->io;
	fx->srv = gdb_server_new(ops, &fx->t, &cfg);
	if (!fx->srv)
		abort();
	fx->t.srv = fx->srv;
	fx->t.sync_stop = true;
	if (gdb_server_connected(fx->srv, stopped ? &ev : NULL) < 0)
		abort();
	return fx;
}

void fx_free(struct sim_fixture *fx)
{
	gdb_server_free(fx->srv);
	sim_fini(&fx->t);
	free(fx->io.buf);
	free(fx);
}

void fx_feed(struct sim_fixture *fx, const void *bytes, size_t len)
{
	gdb_server_feed(fx->srv, bytes, len);
}

void fx_send_bin(struct sim_fixture *fx, const void *payload, size_t len)
{
	char *frame = malloc(2 * len + 8);

	if (!frame)
		abort();
	fx_feed(fx, frame, sim_frame(payload, len, frame));
	free(frame);
}

void fx_send(struct sim_fixture *fx, const char *payload)
{
	fx_send_bin(fx, payload, strlen(payload));
}

/* The next frame from the server that is not an ack ('P', 'N' or 0), counting acks. */
static int next_frame(struct sim_fixture *fx)
{
	for (;;) {
		int r = sim_next(&fx->io, fx->reply, sizeof(fx->reply), &fx->reply_len);

		if (r == '+')
			fx->acks++;
		else if (r == '-')
			fx->naks++;
		else
			return r;
	}
}

const char *fx_reply(struct sim_fixture *fx)
{
	for (;;) {
		int r = next_frame(fx);

		if (r == 'P')
			return fx->reply;
		if (r != 'N')
			return NULL;
		fx->notifications++;
		size_t n = fx->reply_len < sizeof(fx->notification) - 1 ?
			   fx->reply_len : sizeof(fx->notification) - 1;

		memcpy(fx->notification, fx->reply, n);
		fx->notification[n] = '\0';
	}
}

const char *fx_notification(struct sim_fixture *fx)
{
	return next_frame(fx) == 'N' ? fx->reply : NULL;
}

const char *fx_cmd(struct sim_fixture *fx, const char *payload)
{
	fx_send(fx, payload);
	return fx_reply(fx);
}

bool fx_quiet(struct sim_fixture *fx)
{
	return fx->io.pos == fx->io.len;
}
