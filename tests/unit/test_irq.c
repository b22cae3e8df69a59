/* SPDX-License-Identifier: MIT */
/*
 * The interrupt chips' snapshots with --irqchip kernel (src/x86/irq.c): the
 * kernel's own structures come from the file, and what KVM's models could
 * never hold is refused before KVM_SET_IRQCHIP / KVM_SET_PIT2 sees it. No
 * KVM here (the VM fd is -1), so a state that passes the checks reaches the
 * ioctl and fails there with EBADF: that is how a test tells the two apart.
 */
#include "test.h"

#include <errno.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "snapshot_state.h"
#include "vm.h"
#include "x86/irqchip.h"
#include "x86/layout.h"

struct kernel_chips {
	struct vm *vm;
	const struct device *const *devs;
	const struct device_host *host;
	int n;
};

static void chips_up(struct kernel_chips *k)
{
	k->vm = calloc(1, sizeof(*k->vm));
	k->vm->pio.name = "pio";
	k->vm->mmio.name = "mmio";
	k->vm->kvm_fd = k->vm->vm_fd = k->vm->event_fd = -1; /* --irqchip kernel, no KVM */
	CHECK_EQ(devices_init_all(k->vm), 0);
	k->n = devices_list(&k->devs, &k->host);
}

static void chips_down(struct kernel_chips *k)
{
	devices_exit_all(k->vm);
	free(k->vm);
}

/* Load one device from: the mode byte (1: KVM's chips), then bytes. The reader keeps the error. */
static int load(const struct kernel_chips *k, const char *name, const void *bytes, size_t len,
		struct state_reader *r)
{
	static uint8_t buf[2048];

	CHECK(len < sizeof(buf));
	buf[0] = 1;
	memcpy(buf + 1, bytes, len);
	state_reader_init(r, buf, len + 1);
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->devs[i]->name, name))
			return k->devs[i]->load(k->host, r);
	CHECK(!"no such device");
	return 0;
}

/* Why load refused the bytes, or "(not refused: N)" with what load returned. */
static const char *refusal(const struct kernel_chips *k, const char *name, const void *bytes,
			   size_t len)
{
	static char why[sizeof(((struct state_reader *)0)->why) + 32];
	struct state_reader r;
	int ret = load(k, name, bytes, len, &r);

	if (ret == -EINVAL)
		snprintf(why, sizeof(why), "%s", state_reader_error(&r));
	else
		snprintf(why, sizeof(why), "(not refused: %d, %s)", ret, state_reader_error(&r));
	return why;
}

/* An 8259 as KVM gives it once a kernel set it up: vectors 0x30/0x38, IRQ 5 and 10-11 level. */
static struct kvm_irqchip good_pic(uint32_t chip)
{
	struct kvm_irqchip c;

	memset(&c, 0, sizeof(c));
	c.chip_id = chip;
	c.chip.pic.irq_base = chip == KVM_IRQCHIP_PIC_MASTER ? 0x30 : 0x38;
	c.chip.pic.priority_add = 0;
	c.chip.pic.elcr_mask = chip == KVM_IRQCHIP_PIC_MASTER ? 0xF8 : 0xDE;
	c.chip.pic.elcr = chip == KVM_IRQCHIP_PIC_MASTER ? 0x20 : 0x0C;
	c.chip.pic.imr = 0xFB;
	return c;
}

/* Issue 19 item 11: the file's bytes went to KVM_SET_IRQCHIP as they were. */
TEST(irq_kernel_pic_state_is_checked_before_kvm_sees_it)
{
	struct kernel_chips k;
	struct state_reader r;
	struct kvm_irqchip two[2] = { good_pic(KVM_IRQCHIP_PIC_MASTER), good_pic(KVM_IRQCHIP_PIC_SLAVE) };

	chips_up(&k);
	/* A sane pair reaches KVM (here: no VM fd). */
	CHECK(load(&k, "8259 PIC", two, sizeof(two), &r) < 0);
	CHECK_STR(state_reader_error(&r), "KVM_SET_IRQCHIP refused chip 0: Bad file descriptor");

	/* One byte of one chip wrong at a time (offsets into struct kvm_pic_state). */
	static const struct {
		int chip;
		size_t field;
		uint8_t value;
		const char *why;
	} bad[] = {
		{ 0, offsetof(struct kvm_pic_state, init_state), 200, "KVM's master 8259: init_state is 200, at most 3" },
		{ 0, offsetof(struct kvm_pic_state, priority_add), 8, "KVM's master 8259: priority_add is 8, at most 7" },
		{ 1, offsetof(struct kvm_pic_state, poll), 2, "KVM's slave 8259: poll is 2, at most 1" },
		{ 1, offsetof(struct kvm_pic_state, elcr_mask), 0xFF,
		  "KVM's slave 8259: ELCR 0xc with mask 0xff; the chip's mask is 0xde" },
		{ 1, offsetof(struct kvm_pic_state, elcr), 0x01,
		  "KVM's slave 8259: ELCR 0x1 with mask 0xde; the chip's mask is 0xde" },
		{ 1, offsetof(struct kvm_pic_state, irq_base), 0x3B,
		  "KVM's slave 8259: vector base 0x3b is not a multiple of 8" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		two[0] = good_pic(KVM_IRQCHIP_PIC_MASTER);
		two[1] = good_pic(KVM_IRQCHIP_PIC_SLAVE);
		((uint8_t *)&two[bad[i].chip].chip.pic)[bad[i].field] = bad[i].value;
		CHECK_STR(refusal(&k, "8259 PIC", two, sizeof(two)), bad[i].why);
	}
	/* The slave's state where the master's belongs. */
	CHECK_STR(refusal(&k, "8259 PIC", &two[1], sizeof(two[1])),
		  "KVM chip 1 where chip 0 belongs");
	/* Our own chips' state given to a VM with KVM's. */
	{
		uint8_t ours[1] = { 0 };

		state_reader_init(&r, ours, 1);
		for (int i = 0; i < k.n; i++)
			if (!strcmp(k.devs[i]->name, "8259 PIC"))
				CHECK_EQ(k.devs[i]->load(k.host, &r), -EINVAL);
		CHECK_STR(state_reader_error(&r), "its chips are minikvm's, this VM's are KVM's (--irqchip kernel)");
	}
	chips_down(&k);
}

TEST(irq_kernel_ioapic_state_is_checked_before_kvm_sees_it)
{
	struct kernel_chips k;
	struct state_reader r;
	struct kvm_irqchip c;

	chips_up(&k);
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	c.chip.ioapic.base_address = LAYOUT_IOAPIC;
	c.chip.ioapic.ioregsel = 0x10;
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		c.chip.ioapic.redirtbl[i].bits = 1ull << 16;
	CHECK(load(&k, "IOAPIC", &c, sizeof(c), &r) < 0);
	CHECK_STR(state_reader_error(&r), "KVM_SET_IRQCHIP refused chip 2: Bad file descriptor");

	c.chip.ioapic.ioregsel = 0x80000010;
	CHECK_STR(refusal(&k, "IOAPIC", &c, sizeof(c)),
		  "KVM's IOAPIC: IOREGSEL 0x80000010 is not a register (0-0xff)");
	c.chip.ioapic.ioregsel = 0;
	c.chip.ioapic.base_address = 0xFEE00000; /* over the local APICs */
	CHECK_STR(refusal(&k, "IOAPIC", &c, sizeof(c)),
		  "KVM's IOAPIC at 0xfee00000; the machine's is at 0xfec00000");
	c.chip.ioapic.base_address = LAYOUT_IOAPIC;
	c.chip.ioapic.irr = 1u << 31;
	CHECK_STR(refusal(&k, "IOAPIC", &c, sizeof(c)),
		  "KVM's IOAPIC: IRR 0x80000000; it has only 24 pins");
	c.chip.ioapic.irr = 0;
	c.chip.ioapic.id = 16;
	CHECK_STR(refusal(&k, "IOAPIC", &c, sizeof(c)),
		  "KVM's IOAPIC: ID 16 does not fit its 4 bits");
	chips_down(&k);
}

TEST(irq_kernel_pit_state_is_checked_before_kvm_sees_it)
{
	struct kernel_chips k;
	struct state_reader r;
	struct kvm_pit_state2 ps;

	chips_up(&k);
	memset(&ps, 0, sizeof(ps));
	for (int i = 0; i < 3; i++) {
		ps.channels[i].count = 0x10000;
		ps.channels[i].mode = i ? 0xFF : 2;  /* channel 0 programmed, the others at reset */
		ps.channels[i].rw_mode = i ? 0 : 3;
		ps.channels[i].gate = i != 2;
	}
	CHECK(load(&k, "8254 PIT", &ps, sizeof(ps), &r) < 0);
	CHECK_STR(state_reader_error(&r), "KVM_SET_PIT2 refused it: Bad file descriptor");

	ps.channels[1].count = 0xFFFFFFFF;
	CHECK_STR(refusal(&k, "8254 PIT", &ps, sizeof(ps)),
		  "KVM's PIT channel 1: count 4294967295, mode 255, access 0, "
		  "read/write state 0/0, latched 0/0, BCD 0 or gate 1 out of range");
	ps.channels[1].count = 0;
	ps.channels[0].mode = 6;
	CHECK(strstr(refusal(&k, "8254 PIT", &ps, sizeof(ps)), "KVM's PIT channel 0: count 65536, mode 6,") != NULL);
	ps.channels[0].mode = 2;
	ps.channels[2].read_state = 9;
	CHECK(strstr(refusal(&k, "8254 PIT", &ps, sizeof(ps)), "read/write state 9/0") != NULL);
	ps.channels[2].read_state = 0;
	ps.flags = 0x80;
	CHECK_STR(refusal(&k, "8254 PIT", &ps, sizeof(ps)),
		  "KVM's PIT: flags 0x80 include ones this kernel interface lacks");
	ps.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	ps.reserved[8] = 1;
	CHECK_STR(refusal(&k, "8254 PIT", &ps, sizeof(ps)),
		  "KVM's PIT: reserved word 8 is 0x1, not 0");
	chips_down(&k);
}
