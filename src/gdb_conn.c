/* SPDX-License-Identifier: MIT */
/*
 * The debugger's connection to gdb: the listening socket, accepting (one
 * client at a time, each peer checked by gdb_peer.c), reading gdb's bytes
 * into the gdb server, and writing its replies through a queue that never
 * blocks. Where gdb may connect is gdb_endpoint.c; what the packets mean is
 * gdbstub/ and the target operations in debug.c. Everything here runs
 * under dbg->lock: in the event-loop thread, or in the vCPU thread that
 * stopped the VM (its stop reply, then gdb's packets while the VM stays
 * stopped: see "Who reads gdb" below).
 */
#include "debug_internal.h"
#include "error.h"
#include "gdb_peer.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Who reads gdb: the event loop, or the vCPU that stopped the VM.
 *
 * A single step is gdb's packet, then KVM_RUN, then the stop reply. KVM_RUN
 * must be called by the vCPU's own thread (another thread's KVM_RUN makes
 * KVM wait for an RCU grace period), so if the event loop read the packet,
 * every step would wake a sleeping thread on the way: on an emulated host
 * that hand-off cost more than KVM's part of the step and gdb's round trip
 * together (docs/benchmarks.md). So while the VM is stopped, the thread of
 * the vCPU that stopped it reads gdb's packets itself (gdb_conn_serve), and
 * a resume it serves runs on that very thread.
 *
 * dbg->reader says who may read; only the reader reads, under dbg->lock.
 * A step (or range step) lends the connection (CONN_LENT): nobody polls it,
 * so gdb's next packet wakes only the vCPU that stops, which takes it, and
 * the event loop sleeps through a whole session of steps. A step that runs
 * longer than one or two ticks of LEND_MSEC ends the lending: the event loop
 * reads again (a Ctrl-C waits at most that long). The tick is armed when
 * not running, and a lending is over when a tick finds the same one as the
 * tick before (lend_gen), so a step costs no system call for it. A continue lends nothing: the event
 * loop reads gdb while the guest runs, and the vCPU that stops takes the
 * connection from it. The event loop takes it back from a serving vCPU
 * (serve_wake) when it must close it.
 */
#define LEND_MSEC 10
enum { CONN_LOOP = -2, CONN_LENT = -1 };

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

/* The timer for the nearest of: a drop (at once), the write deadline. */
static void rearm(struct debug *dbg)
{
	int64_t at = -1, now;

	if (dbg->drop) {
		arm_timer(dbg, 0);
		return;
	}
	if (dbg->outq_len)
		at = dbg->write_deadline;
	if (at < 0) {
		arm_timer(dbg, -1);
		return;
	}
	now = now_msec();
	arm_timer(dbg, at > now ? at - now : 0);
}

/* The event loop reads gdb again; a vCPU serving it is told to stop. */
static void take_back(struct debug *dbg)
{
	uint64_t one = 1;

	if (dbg->reader >= 0 && write(dbg->serve_wake, &one, sizeof(one)) < 0) {
		/* an eventfd counter cannot overflow from one write */
	}
	dbg->reader = CONN_LOOP;
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

int gdb_conn_write(void *io, const void *buf, size_t len)
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
		rearm(dbg);
}

static void disconnect(struct debug *dbg);

static void arm_lend_tick(struct debug *dbg)
{
	struct itimerspec t = { .it_value = { 0, LEND_MSEC * 1000000L } };

	timerfd_settime(dbg->lend_timer, 0, &t, NULL);
	dbg->lend_armed = true;
}

/* A tick: a lending seen at the last tick too is over; a newer one gets another tick. */
static void on_lend_tick(struct debug *dbg)
{
	uint64_t ticks;

	if (read(dbg->lend_timer, &ticks, sizeof(ticks)) < 0) {
		/* not expired after all */
	}
	dbg->lend_armed = false;
	if (dbg->reader != CONN_LENT)
		return; /* taken by a vCPU; the next lending arms the tick */
	if (dbg->lend_gen == dbg->lend_seen) {
		dbg->reader = CONN_LOOP;
		return;
	}
	dbg->lend_seen = dbg->lend_gen;
	arm_lend_tick(dbg);
}

/* The timer fired: a client is to be dropped (marked for it, or it took nothing for too long). */
static void on_timer(struct debug *dbg)
{
	uint64_t ticks;
	int64_t now = now_msec();

	if (read(dbg->timer_fd, &ticks, sizeof(ticks)) < 0) {
		/* not expired after all (re-armed meanwhile) */
	}
	if (!dbg->drop && dbg->outq_len && now >= dbg->write_deadline)
		drop_later(dbg, "it has not read its replies for 10 seconds");
	if (dbg->drop)
		disconnect(dbg);
	else
		rearm(dbg);
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
	take_back(dbg);
	if (dbg->ep.kind != GDB_EP_STDIO)
		close(dbg->in_fd);
	dbg->in_fd = dbg->out_fd = -1;
	dbg->outq_len = 0;
	dbg->drop = false;
	rearm(dbg);
	if (dbg->vm->cfg->verbose)
		fprintf(stderr, "minikvm: gdb disconnected; the guest runs on\n");
}

/* A connection that never said a word goes away: nothing was attached. */
static void drop_silent(struct debug *dbg)
{
	take_back(dbg);
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

enum { PFD_LISTEN, PFD_IN, PFD_OUT, PFD_TIMER, PFD_LEND, PFD_COUNT };

int gdb_conn_poll_fds(void *ctx, struct pollfd *pfd, int max)
{
	struct debug *dbg = ctx;
	bool queued, reads;

	if (max < PFD_COUNT)
		return 0;
	pthread_mutex_lock(&dbg->lock);
	queued = dbg->outq_len && !dbg->drop;
	reads = dbg->reader == CONN_LOOP;
	pfd[PFD_LISTEN] = (struct pollfd){ .fd = dbg->listen_fd, .events = POLLIN };
	/* Lent or served by a vCPU: gdb's bytes are not ours to wait for. */
	pfd[PFD_IN] = (struct pollfd){ .fd = reads ? dbg->in_fd : -1, .events = reads ? POLLIN : 0 };
	/* A socket is both ends: one entry. */
	pfd[PFD_OUT] = (struct pollfd){ .fd = queued && dbg->out_fd != dbg->in_fd ? dbg->out_fd : -1,
					.events = POLLOUT };
	if (queued && dbg->out_fd == dbg->in_fd) {
		pfd[PFD_IN].fd = dbg->in_fd;
		pfd[PFD_IN].events = (short)(pfd[PFD_IN].events | POLLOUT);
	}
	pfd[PFD_TIMER] = (struct pollfd){ .fd = dbg->timer_fd, .events = POLLIN };
	pfd[PFD_LEND] = (struct pollfd){ .fd = dbg->lend_timer, .events = POLLIN };
	pthread_mutex_unlock(&dbg->lock);
	return PFD_COUNT;
}

/* Lock held, the reader: what gdb sent goes to the server (or it went away). */
static void read_gdb(struct debug *dbg)
{
	uint8_t buf[65536];
	ssize_t r = read(dbg->in_fd, buf, sizeof(buf));

	if (r > 0 && !dbg->greeted) {
		dbg->greeted = true;
		if (dbg->vm->cfg->verbose)
			fprintf(stderr, "minikvm: gdb connected\n");
		connect_gdb(dbg);
	}
	if (r > 0) {
		if (dbg->reader == CONN_LOOP)
			dbg->reads_loop++;
		else
			dbg->reads_vcpu++;
		gdb_server_feed(dbg->srv, buf, (size_t)r);
	} else if ((r == 0 || (errno != EINTR && errno != EAGAIN)) && !dbg->greeted)
		drop_silent(dbg);
	else if (r == 0 || (errno != EINTR && errno != EAGAIN))
		disconnect(dbg);
}

void gdb_conn_handle_fds(void *ctx, const struct pollfd *pfd, int n)
{
	struct debug *dbg = ctx;
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
	/* Only the reader reads: a vCPU may have taken the connection since the poll. */
	if (pfd[PFD_IN].fd >= 0 && pfd[PFD_IN].fd == dbg->in_fd && dbg->reader == CONN_LOOP &&
	    pfd[PFD_IN].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
		read_gdb(dbg);
	if (pfd[PFD_TIMER].revents & POLLIN)
		on_timer(dbg);
	if (pfd[PFD_LEND].revents & POLLIN)
		on_lend_tick(dbg);
	if (hold)
		vm_release(dbg->vm);
	pthread_mutex_unlock(&dbg->lock);
}

void gdb_conn_init(struct debug *dbg)
{
	dbg->listen_fd = dbg->in_fd = dbg->out_fd = -1;
	dbg->reader = CONN_LOOP;
	dbg->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	dbg->lend_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	dbg->serve_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

void gdb_conn_lend(struct debug *dbg)
{
	if (dbg->in_fd < 0 || dbg->vm->non_stop || dbg->lend_timer < 0)
		return;
	dbg->reader = CONN_LENT;
	dbg->lend_gen++;
	if (!dbg->lend_armed)
		arm_lend_tick(dbg);
}

/* Lock held: all-stop, stopped, and a client attached that this thread may serve. */
static bool stopped_attached(struct debug *dbg)
{
	bool paused;

	pthread_mutex_lock(&dbg->vm->run_lock);
	paused = dbg->vm->paused && !dbg->vm->non_stop;
	pthread_mutex_unlock(&dbg->vm->run_lock);
	return paused && !dbg->running && dbg->in_fd >= 0 && dbg->greeted && !dbg->drop &&
	       gdb_server_attached(dbg->srv) && !atomic_load(&dbg->vm->exiting);
}

void gdb_conn_serve(void *ctx, struct vcpu *vcpu)
{
	struct debug *dbg = ctx;
	uint64_t n;

	pthread_mutex_lock(&dbg->lock);
	if (dbg->reader >= 0 || dbg->serve_wake < 0 || !stopped_attached(dbg)) {
		pthread_mutex_unlock(&dbg->lock);
		return;
	}
	/* Taken from the event loop, it may still poll the fd: its next wake-up finds it gone. */
	dbg->reader = vcpu->id;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = dbg->in_fd, .events = POLLIN },
			{ .fd = dbg->serve_wake, .events = POLLIN },
			{ .fd = dbg->vm->event_fd, .events = POLLIN }, /* the VM ends */
		};

		pthread_mutex_unlock(&dbg->lock);
		if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
			pthread_mutex_lock(&dbg->lock);
			take_back(dbg);
			arm_timer(dbg, 0);
			break;
		}
		pthread_mutex_lock(&dbg->lock);
		if (pfd[1].revents && read(dbg->serve_wake, &n, sizeof(n)) < 0) {
			/* another wake-up took it */
		}
		if (dbg->reader != vcpu->id)
			break; /* the event loop took it back (it closes the connection) */
		if (pfd[0].revents)
			read_gdb(dbg);
		if (dbg->reader != vcpu->id)
			break; /* resumed: lent (a step comes back here), or gone */
		if (!stopped_attached(dbg)) {
			/* Detached, non-stop, ending: the event loop reads again; wake it to poll. */
			dbg->reader = CONN_LOOP;
			arm_timer(dbg, 0);
			break;
		}
	}
	pthread_mutex_unlock(&dbg->lock);
}

int gdb_conn_listen(struct debug *dbg)
{
	const struct vm_config *cfg = dbg->vm->cfg;
	char where[300];

	if (dbg->ep.kind == GDB_EP_STDIO)
		return 0;
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
	return 0;
}

void gdb_conn_start(void *ctx)
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

void gdb_conn_close(struct debug *dbg)
{
	if (dbg->in_fd >= 0 && dbg->ep.kind != GDB_EP_STDIO)
		close(dbg->in_fd);
	if (dbg->timer_fd >= 0)
		close(dbg->timer_fd);
	if (dbg->serve_wake >= 0)
		close(dbg->serve_wake);
	if (dbg->lend_timer >= 0)
		close(dbg->lend_timer);
	free(dbg->outq);
	if (dbg->listen_fd >= 0) {
		close(dbg->listen_fd);
		gdb_endpoint_unlink(&dbg->ep);
	}
}
