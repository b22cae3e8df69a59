/* SPDX-License-Identifier: MIT */
/*
 * virtio-9p end to end, without KVM: the registered device (src/dev/
 * virtio_9p.c) comes up for one --share on a fresh tree (p9_client.h's),
 * and a driver written here finds it at the arch's slot, negotiates,
 * sets up the request queue in a buffer standing for RAM, and sends
 * Tversion, Tattach, Twalk, Tlopen and Tread as Linux's zero-copy read
 * does (the reply split over an 11-byte header buffer and the data pages);
 * the file's bytes come back in the guest's buffers. Then a reset starts a
 * new session, and a VM with a share refuses to be saved.
 */
#include "test.h"
#include "virtio_driver.h"

#include <errno.h>
#include <stdlib.h>

#include "arch.h"
#include "dev/virtio_mmio.h"
#include "device.h"
#include "error.h"
#include "iobus.h"
#include "layout.h"
#include "options.h"
#include "p9_client.h"
#include "snapshot.h"
#include "snapshot_state.h"
#include "vm.h"

static uint8_t ram[VD_RAM] __attribute__((aligned(16)));

#define REQ   (VD_BUF)
#define RHDR  (VD_BUF + 0x2000) /* 11 bytes: size, type, tag, count */
#define RBODY (VD_BUF + 0x3000)
#define RBODY_LEN 0x2000

struct rig {
	struct vdrv d;
	struct iobus mmio;
	struct device_host host;
	struct vm_config cfg;
	const struct device *dev;
	char top[64], root[96];
	int irq, level, raises;
	uint8_t msg[512];
	size_t len;
	uint8_t reply[11 + RBODY_LEN];
	uint32_t reply_len;
};

static struct rig *the_rig;

static int fake_irq_line(const struct device_host *host, int irq, int level)
{
	(void)host;
	the_rig->irq = irq;
	if (level && !the_rig->level)
		the_rig->raises++;
	the_rig->level = level;
	return 0;
}

static uint32_t rd(struct rig *r, uint64_t off)
{
	uint8_t b[4];

	iobus_access(&r->mmio, NULL, LAYOUT_VIRTIO_BASE + off, b, 4, false);
	return vd_get32(b);
}

static void wr(struct rig *r, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	vd_put32(b, v);
	iobus_access(&r->mmio, NULL, LAYOUT_VIRTIO_BASE + off, b, 4, true);
}

/* The device up for one share of a fresh tree; false (test failed) if not. */
static bool rig_up(struct rig *r, bool writable)
{
	const struct device *const *devs;
	int n = devices_registered(&devs);

	memset(r, 0, sizeof(*r));
	the_rig = r;
	for (int i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, "virtio-9p"))
			r->dev = devs[i];
	CHECK(r->dev != NULL);
	if (!r->dev || p9c_tree_make(r->top, sizeof(r->top), r->root, sizeof(r->root), 2) < 0)
		return false;
	vd_init(&r->d, ram, 8);
	r->mmio.name = "mmio";
	r->cfg.nshares = 1;
	snprintf(r->cfg.shares[0].dir, sizeof(r->cfg.shares[0].dir), "%s", r->root);
	strcpy(r->cfg.shares[0].tag, "hostshare");
	r->cfg.shares[0].writable = writable;
	r->host = (struct device_host){ .mmio = &r->mmio, .mem = &r->d.mem, .cfg = &r->cfg,
					.irq_line = fake_irq_line };
	CHECK_EQ(r->dev->init(&r->host), 0);
	return true;
}

static void rig_down(struct rig *r)
{
	r->dev->exit(&r->host);
	CHECK_EQ(r->mmio.n, 0);
	p9c_tree_remove(r->top);
}

/* The driver's side of 3.1.1, queue 0 of 8 descriptors. */
static void driver_up(struct rig *r)
{
	uint32_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;

	wr(r, VIRTIO_MMIO_STATUS, 0);
	wr(r, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* MOUNT_TAG */
	wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(r, VIRTIO_MMIO_STATUS, ok);
	CHECK_EQ(rd(r, VIRTIO_MMIO_STATUS), ok);
	wr(r, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(rd(r, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	wr(r, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(r, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)VD_DESC);
	wr(r, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(VD_DESC >> 32));
	wr(r, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)VD_AVAIL);
	wr(r, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(VD_AVAIL >> 32));
	wr(r, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)VD_USED);
	wr(r, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(VD_USED >> 32));
	wr(r, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(r, VIRTIO_MMIO_STATUS, ok | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(rd(r, VIRTIO_MMIO_STATUS), ok | VIRTIO_STATUS_DRIVER_OK);
}

/* Building a message: type and tag, then fields; send() fills in size. */
static void msg(struct rig *r, uint8_t type, uint16_t tag)
{
	r->len = 4;
	r->msg[r->len++] = type;
	vd_put16(r->msg + r->len, tag);
	r->len += 2;
}
static void m16(struct rig *r, uint16_t v) { vd_put16(r->msg + r->len, v); r->len += 2; }
static void m32(struct rig *r, uint32_t v) { vd_put32(r->msg + r->len, v); r->len += 4; }
static void m64(struct rig *r, uint64_t v) { vd_put64(r->msg + r->len, v); r->len += 8; }
static void mstr(struct rig *r, const char *s)
{
	m16(r, (uint16_t)strlen(s));
	memcpy(r->msg + r->len, s, strlen(s));
	r->len += strlen(s);
}

/*
 * The request through the queue: one readable buffer, the reply over an
 * 11-byte buffer and the body's. The reply's type, or -1 if no chain came
 * back; an Rlerror's errno in *ecode.
 */
static int send(struct rig *r, uint32_t *ecode)
{
	uint16_t before = vd_used_idx(&r->d);
	uint32_t id;

	vd_put32(r->msg, (uint32_t)r->len);
	memcpy(vd_at(&r->d, REQ), r->msg, r->len);
	memset(vd_at(&r->d, RHDR), 0xEE, 11);
	vd_desc(&r->d, 4, REQ, (uint32_t)r->len, VIRTQ_DESC_F_NEXT, 6);
	vd_desc(&r->d, 6, RHDR, 11, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vd_desc(&r->d, 1, RBODY, RBODY_LEN, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&r->d, 4);
	wr(r, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (vd_used_idx(&r->d) != (uint16_t)(before + 1))
		return -1;
	vd_used(&r->d, before, &id, &r->reply_len);
	CHECK_EQ(id, 4);
	/* The interrupt: raised, then acked down as Linux's vm_interrupt does. */
	CHECK_EQ(rd(r, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
	CHECK_EQ(r->level, 1);
	wr(r, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	CHECK_EQ(r->level, 0);
	memcpy(r->reply, vd_at(&r->d, RHDR), 11);
	memcpy(r->reply + 11, vd_at(&r->d, RBODY), RBODY_LEN);
	CHECK_EQ(vd_get32(r->reply), r->reply_len); /* used.len is the reply's size */
	CHECK_EQ(vd_get16(r->reply + 5), vd_get16(r->msg + 5)); /* its tag */
	if (r->reply[4] == P9_RLERROR && ecode)
		*ecode = vd_get32(r->reply + 7);
	return r->reply[4];
}

/* Tversion, Tattach fid 0, Twalk to NAME as fid 1, Tlopen(flags); the Tlopen's reply type. */
static int open_file(struct rig *r, const char *name, uint32_t flags, uint32_t *ecode)
{
	msg(r, P9_TVERSION, P9_NOTAG);
	m32(r, 8192);
	mstr(r, "9P2000.L");
	CHECK_EQ(send(r, NULL), P9_TVERSION + 1);
	CHECK_EQ(vd_get32(r->reply + 7), 8192); /* msize */
	msg(r, P9_TATTACH, 1);
	m32(r, 0);
	m32(r, P9_NOFID);
	mstr(r, "root");
	mstr(r, "");
	m32(r, 0);
	CHECK_EQ(send(r, NULL), P9_TATTACH + 1);
	msg(r, P9_TWALK, 2);
	m32(r, 0);
	m32(r, 1);
	m16(r, 1);
	mstr(r, name);
	CHECK_EQ(send(r, NULL), P9_TWALK + 1);
	CHECK_EQ(vd_get16(r->reply + 7), 1); /* one qid */
	msg(r, P9_TLOPEN, 3);
	m32(r, 1);
	m32(r, flags);
	return send(r, ecode);
}

TEST(virtio_9p_reads_a_file_through_the_queue)
{
	static struct rig r;
	uint8_t b[4];

	if (!rig_up(&r, false))
		return;
	/* The slot: virtio-mmio, device 9, the tag in config space. */
	CHECK_EQ(rd(&r, VIRTIO_MMIO_MAGIC), 0x74726976);
	CHECK_EQ(rd(&r, VIRTIO_MMIO_DEVICE_ID), 9);
	iobus_access(&r.mmio, NULL, LAYOUT_VIRTIO_BASE + VIRTIO_MMIO_CONFIG, b, 2, false);
	CHECK_EQ(vd_get16(b), 9);
	for (unsigned i = 0; i < 9; i++) {
		iobus_access(&r.mmio, NULL, LAYOUT_VIRTIO_BASE + VIRTIO_MMIO_CONFIG + 2 + i, b, 1, false);
		CHECK_EQ(b[0], "hostshare"[i]);
	}
	driver_up(&r);
	CHECK_EQ(open_file(&r, "hello.txt", 0 /* O_RDONLY */, NULL), P9_TLOPEN + 1);
	msg(&r, P9_TREAD, 4);
	m32(&r, 1);
	m64(&r, 0);
	m32(&r, 4096);
	CHECK_EQ(send(&r, NULL), P9_TREAD + 1);
	CHECK_EQ(vd_get32(r.reply + 7), strlen(P9C_HELLO)); /* count */
	CHECK_EQ(r.reply_len, 11 + strlen(P9C_HELLO));
	/* The data went to the second buffer, as a zero-copy read's pages. */
	CHECK_MEM(vd_at(&r.d, RBODY), P9C_HELLO, strlen(P9C_HELLO));
	CHECK_EQ(r.irq, ((const int[])LAYOUT_VIRTIO_IRQS)[0]);
	rig_down(&r);
}

TEST(virtio_9p_share_is_read_only_by_default)
{
	static struct rig r;
	uint32_t ecode = 0;

	if (!rig_up(&r, false))
		return;
	driver_up(&r);
	CHECK_EQ(open_file(&r, "hello.txt", 2 /* O_RDWR */, &ecode), P9_RLERROR);
	CHECK_EQ(ecode, EROFS);
	rig_down(&r);
}

TEST(virtio_9p_writable_share_writes_the_host_file)
{
	static struct rig r;
	char path[160], got[32] = { 0 };
	FILE *f;

	if (!rig_up(&r, true))
		return;
	driver_up(&r);
	CHECK_EQ(open_file(&r, "hello.txt", 2 /* O_RDWR */, NULL), P9_TLOPEN + 1);
	msg(&r, P9_TWRITE, 5);
	m32(&r, 1);
	m64(&r, 0);
	m32(&r, 5);
	memcpy(r.msg + r.len, "HELLO", 5);
	r.len += 5;
	CHECK_EQ(send(&r, NULL), P9_TWRITE + 1);
	CHECK_EQ(vd_get32(r.reply + 7), 5);
	snprintf(path, sizeof(path), "%s/hello.txt", r.root);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ(fread(got, 1, sizeof(got) - 1, f), strlen(P9C_HELLO));
		fclose(f);
	}
	CHECK_STR(got, "HELLO, 9p\n");
	rig_down(&r);
}

TEST(virtio_9p_reset_starts_a_new_session)
{
	static struct rig r;
	uint32_t ecode = 0;

	if (!rig_up(&r, false))
		return;
	driver_up(&r);
	CHECK_EQ(open_file(&r, "hello.txt", 0, NULL), P9_TLOPEN + 1);
	/* monitor reset: the device as at power-on, and fid 1 gone with the old session. */
	r.dev->reset(&r.host);
	CHECK_EQ(rd(&r, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(&r, VIRTIO_MMIO_QUEUE_READY), 0);
	vd_init(&r.d, ram, 8);
	driver_up(&r);
	msg(&r, P9_TVERSION, P9_NOTAG);
	m32(&r, 8192);
	mstr(&r, "9P2000.L");
	CHECK_EQ(send(&r, NULL), P9_TVERSION + 1);
	msg(&r, P9_TREAD, 4);
	m32(&r, 1);
	m64(&r, 0);
	m32(&r, 64);
	CHECK_EQ(send(&r, &ecode), P9_RLERROR);
	CHECK_EQ(ecode, EBADF);
	rig_down(&r);
}

TEST(virtio_9p_a_share_cannot_be_saved_none_can)
{
	static struct rig r;
	struct vm_config none = { 0 };
	struct device_host host = { .cfg = &none };
	const char *why;

	if (!rig_up(&r, false))
		return;
	why = r.dev->unsaveable(&r.host);
	CHECK(why && strstr(why, "9p share 'hostshare'"));
	CHECK(why && strstr(why, r.root));
	rig_down(&r);
	/* No share: nothing on the bus, nothing to refuse. */
	host.mmio = &r.mmio;
	CHECK_EQ(r.dev->init(&host), 0);
	CHECK_EQ(r.mmio.n, 0);
	CHECK(r.dev->unsaveable(&host) == NULL);
	r.dev->exit(&host);
}

TEST(virtio_9p_a_bad_chain_gets_no_reply_and_needs_reset)
{
	static struct rig r;

	if (!rig_up(&r, false))
		return;
	driver_up(&r);
	/* The reply buffer is past the end of RAM. */
	vd_desc(&r.d, 0, REQ, 16, VIRTQ_DESC_F_NEXT, 1);
	vd_desc(&r.d, 1, GUEST_MEM_BASE + VD_RAM - 8, 4096, VIRTQ_DESC_F_WRITE, 0);
	vd_avail(&r.d, 0);
	wr(&r, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(vd_used_idx(&r.d), 0);
	CHECK(rd(&r, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	rig_down(&r);
}

/* snapshot_take() on a VM whose devices include a share: refused with the device's line. */
TEST(virtio_9p_snapshot_of_a_vm_with_a_share_is_refused)
{
	static struct rig r;
	struct vm *vm = calloc(1, sizeof(*vm));
	struct state_writer w;

	if (!rig_up(&r, false))
		return;
	r.dev->exit(&r.host); /* the rig's device: devices_init_all brings it up again for the VM */
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->arch.split_irqchip = true;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->arch.extint_vector = -1;
	vm->cfg = &r.cfg;
	vm->mem = r.d.mem;
	CHECK_EQ(devices_init_all(vm), 0);
	CHECK(iobus_find(&vm->mmio, LAYOUT_VIRTIO_BASE, 4) != NULL);
	CHECK_EQ(snapshot_take(vm, &w), -1);
	CHECK(strstr(err_message(), "this machine cannot be saved: the 9p share 'hostshare'") != NULL);
	devices_exit_all(vm);
	CHECK(iobus_find(&vm->mmio, LAYOUT_VIRTIO_BASE, 4) == NULL);
	free(vm);
	p9c_tree_remove(r.top);
}

/* x86: a Linux guest learns the slots from its command line, one word per share. */
TEST(virtio_9p_x86_kernel_command_line_names_each_slot)
{
	static struct vm_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.append = "console=ttyS0 clearcpuid=pcid"; /* no hidden-features words, whatever the host */
	CHECK(arch_kernel_cmdline_extra(&cfg) == NULL);
	cfg.nshares = 2;
	CHECK_STR(arch_kernel_cmdline_extra(&cfg),
		  "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:10");
	cfg.nshares = 4;
	CHECK(strstr(arch_kernel_cmdline_extra(&cfg), " virtio_mmio.device=4K@0xd0003000:14") != NULL);
}
