/* SPDX-License-Identifier: MIT */
/*
 * virtio-9p (virtio 1.2 spec, section 5.11): each --share is a 9P2000.L
 * file server (src/p9) behind a virtio-mmio transport (virtio_mmio.c),
 * device ID 9, feature VIRTIO_9P_MOUNT_TAG, config space le16 tag_len then
 * the tag's bytes, one request queue. A Linux guest mounts it with
 * `mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt`.
 *
 * Where share i sits is the arch's layout.h: LAYOUT_VIRTIO_BASE + i *
 * LAYOUT_VIRTIO_STRIDE, interrupt LAYOUT_VIRTIO_IRQS[i]; the guest learns
 * it from the device tree (src/riscv/board.c) or its command line
 * (src/x86/cpu.c). Without --share the device puts nothing on the bus and
 * has no state.
 *
 * Threads: a request is handled synchronously, in the thread of the vCPU
 * whose write to QueueNotify trapped, under the transport's lock (one per
 * share): the queue's chains are taken in turn, each request gathered from
 * the chain's readable buffers, answered by the server, the reply
 * scattered over its writable buffers, the chain put in the used ring with
 * the reply's length, and the interrupt raised. A slow host file system
 * holds that vCPU meanwhile; other vCPUs run on (DESIGN.md: device
 * emulation is synchronous, with per-device locks).
 *
 * A reset (the driver's Status = 0, or monitor reset) starts a new 9p
 * session: the server and every fid the guest had are gone. The fids are
 * open files of the host, which no snapshot can hold: a VM with a share
 * refuses savevm and loadvm (device.h's unsaveable).
 */
#include "device.h"
#include "dev/virtio_mmio.h"
#include "error.h"
#include "guest_mem.h"
#include "iobus.h"
#include "layout.h" /* the arch's: where the virtio-mmio slots are */
#include "options.h"
#include "p9/p9.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VIRTIO_ID_9P          9
#define VIRTIO_9P_MOUNT_TAG   (1ull << 0)
#define P9_QUEUE              0

struct virtio_9p {
	struct virtio_mmio t;
	struct virtio_mmio_device vdev;
	struct io_device io;
	const struct device_host *host;
	const struct share *share;
	int irq;
	int root_fd;                /* O_PATH of the shared directory, for each new server */
	struct p9_server *server;   /* NULL when making one failed (requests get no reply) */
	uint8_t *req, *reply;       /* P9_DEFAULT_MSIZE each: the server's msize at most */
	uint8_t config[2 + SHARE_TAG_MAX];
	char name[16 + SHARE_TAG_MAX];
	struct virtq_chain chain;   /* the one being handled (large: not on the stack) */
};

static struct virtio_9p *shares[MAX_SHARES];
static int nshares;

static void new_server(struct virtio_9p *d)
{
	struct p9_options opt = { .writable = d->share->writable };

	p9_server_free(d->server);
	d->server = NULL;
	if (p9_server_new(d->root_fd, &opt, &d->server) < 0)
		d->server = NULL;
}

/* The transport's reset callback: a fresh session. */
static void v9p_reset(void *ctx)
{
	new_server(ctx);
}

static void v9p_set_irq(void *ctx, int level)
{
	struct virtio_9p *d = ctx;

	/* A failing KVM_IRQ_LINE costs the guest an interrupt; nothing better to do here. */
	(void)d->host->irq_line(d->host, d->irq, level);
}

/* One request: gather, serve, scatter; the used length is what was written. */
static uint32_t serve(struct virtio_9p *d, const struct virtq_chain *c)
{
	uint64_t req_len, reply_cap = c->write_len < P9_DEFAULT_MSIZE ? c->write_len : P9_DEFAULT_MSIZE;
	ssize_t n;

	if (!d->server)
		new_server(d);
	if (!d->server)
		return 0;
	req_len = virtq_gather(c, d->req, P9_DEFAULT_MSIZE);
	n = p9_server_handle(d->server, d->req, req_len, d->reply, reply_cap);
	if (n <= 0)
		return 0; /* no tag to answer, or no room for even an Rlerror */
	return (uint32_t)virtq_scatter(c, d->reply, (uint64_t)n);
}

static void v9p_notify(void *ctx, struct virtio_mmio *t, unsigned q)
{
	struct virtio_9p *d = ctx;

	while (virtio_mmio_pop(t, q, &d->chain) > 0)
		virtio_mmio_push(t, q, d->chain.head, serve(d, &d->chain));
}

static void mmio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data, unsigned size)
{
	(void)vcpu;
	virtio_mmio_read(opaque, offset, data, size);
}

static void mmio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
		       unsigned size)
{
	(void)vcpu;
	virtio_mmio_write(opaque, offset, data, size);
}

static void share_free(struct virtio_9p *d)
{
	if (!d)
		return;
	p9_server_free(d->server);
	if (d->root_fd >= 0)
		close(d->root_fd);
	virtio_mmio_destroy(&d->t);
	free(d->req);
	free(d->reply);
	free(d);
}

static int share_init(const struct device_host *host, int i)
{
	static const int irqs[] = LAYOUT_VIRTIO_IRQS;
	const struct share *sh = &host->cfg->shares[i];
	size_t tag_len = strlen(sh->tag);
	struct virtio_9p *d = calloc(1, sizeof(*d));

	if (!d)
		return err_set(EXIT_HOST, "out of memory for --share %s", sh->dir);
	d->root_fd = -1;
	d->host = host;
	d->share = sh;
	d->irq = irqs[i];
	d->config[0] = (uint8_t)tag_len;
	d->config[1] = (uint8_t)(tag_len >> 8);
	memcpy(d->config + 2, sh->tag, tag_len);
	d->vdev = (struct virtio_mmio_device){
		.device_id = VIRTIO_ID_9P,
		.features = VIRTIO_9P_MOUNT_TAG,
		.nqueues = 1,
		.config = d->config,
		.config_len = 2 + tag_len,
		.notify = v9p_notify,
		.reset = v9p_reset,
		.set_irq = v9p_set_irq,
	};
	virtio_mmio_init(&d->t, &d->vdev, d, host->mem);
	shares[nshares++] = d;
	snprintf(d->name, sizeof(d->name), "virtio-9p (%s)", sh->tag);
	d->req = malloc(P9_DEFAULT_MSIZE);
	d->reply = malloc(P9_DEFAULT_MSIZE);
	if (!d->req || !d->reply)
		return err_set(EXIT_HOST, "out of memory for --share %s", sh->dir);
	d->root_fd = open(sh->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->root_fd < 0)
		return err_set(EXIT_USAGE, "--share: cannot open the directory '%s': %s", sh->dir,
			       strerror(errno));
	new_server(d);
	if (!d->server)
		return err_set(EXIT_HOST, "--share %s: cannot serve it over 9p", sh->dir);
	d->io = (struct io_device){
		.name = d->name,
		.base = LAYOUT_VIRTIO_BASE + (uint64_t)i * LAYOUT_VIRTIO_STRIDE,
		.len = VIRTIO_MMIO_SIZE,
		.opaque = &d->t,
		.read = mmio_read,
		.write = mmio_write,
	};
	return iobus_register(host->mmio, &d->io);
}

static void v9p_exit(const struct device_host *host)
{
	for (int i = 0; i < nshares; i++) {
		if (shares[i]->io.len)
			iobus_unregister(host->mmio, &shares[i]->io);
		share_free(shares[i]);
		shares[i] = NULL;
	}
	nshares = 0;
}

static int v9p_init(const struct device_host *host)
{
	int n = host->cfg ? host->cfg->nshares : 0;

	nshares = 0;
	for (int i = 0; i < n; i++) {
		if (share_init(host, i) < 0) {
			v9p_exit(host); /* exit is called only when init succeeds */
			return -1;
		}
	}
	return 0;
}

static void v9p_device_reset(const struct device_host *host)
{
	(void)host;
	for (int i = 0; i < nshares; i++)
		virtio_mmio_reset(&shares[i]->t);
}

static const char *v9p_unsaveable(const struct device_host *host)
{
	static char why[sizeof(((struct share *)0)->dir) + 256];

	(void)host;
	if (!nshares)
		return NULL;
	snprintf(why, sizeof(why), "the 9p share '%s' (--share %s) holds the guest's files open "
		 "on the host, which a snapshot cannot (start without --share to use snapshots)",
		 shares[0]->share->tag, shares[0]->share->dir);
	return why;
}

static const struct device virtio_9p_device = {
	.name = "virtio-9p",
	.level = DEVICE_LEVEL_PERIPHERAL,
	.init = v9p_init,
	.reset = v9p_device_reset,
	.exit = v9p_exit,
	.unsaveable = v9p_unsaveable,
};

device_register(virtio_9p_device);
