/* SPDX-License-Identifier: MIT */
/*
 * Wiring the interrupt controllers (see irqchip.h for the picture): which
 * chips exist for --irqchip kernel or split, where a device's IRQ line goes,
 * and how the 8259's interrupt reaches vCPU 0.
 *
 * With a split irqchip the local APICs are KVM's, the 8259 is ours, and the
 * handshake between them is the CPU's interrupt acknowledge cycle done by
 * hand (KVM API: KVM_INTERRUPT, request_interrupt_window):
 *   - the 8259's INTR output rises: kick vCPU 0 out of KVM_RUN;
 *   - before vCPU 0 enters KVM_RUN: if KVM says it can take an external
 *     interrupt now (kvm_run.ready_for_interrupt_injection: IF set, no
 *     interrupt shadow, LVT0 accepts ExtINT, none queued), acknowledge the
 *     8259 (IRR -> ISR) and queue its vector with KVM_INTERRUPT; otherwise
 *     set request_interrupt_window, and KVM exits with
 *     KVM_EXIT_IRQ_WINDOW_OPEN as soon as it can.
 * The vector is only taken from the 8259 at that moment, as the real
 * acknowledge would, so a request withdrawn meanwhile is never delivered.
 */
#include "irqchip.h"
#include "layout.h"

#include "arch.h"
#include "dev/i8254.h"
#include "dev/i8259.h"
#include "dev/ioapic.h"
#include "device.h"
#include "error.h"
#include "snapshot_state.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>

#define IOAPIC_PINS_RESERVED 24 /* GSIs 0-23 are the IOAPIC's pins in KVM's routing table */
#define ISA_IRQS             16
#define PIT_IRQ              0
#define PIT_GSI              2  /* the MADT's interrupt source override */

/*
 * KVM's default routing sends GSI n to IOAPIC pin n, but ISA IRQ 0 (and the
 * in-kernel PIT, which raises GSI 0) is wired to pin 2 on a PC, as our MADT
 * says. So: GSIs 0-15 to the 8259 pins (except the cascade, 2), GSI 0 to
 * IOAPIC pin 2, every other GSI but 2 to its own pin.
 */
static int kernel_irq_routing(struct vm *vm)
{
	struct {
		struct kvm_irq_routing head;
		struct kvm_irq_routing_entry e[ISA_IRQS - 1 + IOAPIC_PINS_RESERVED - 1];
	} table;
	unsigned n = 0;

	memset(&table, 0, sizeof(table));
	for (unsigned gsi = 0; gsi < ISA_IRQS; gsi++) {
		if (gsi == 2)
			continue;
		table.e[n].gsi = gsi;
		table.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		table.e[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		table.e[n].u.irqchip.pin = gsi % 8;
		n++;
	}
	for (unsigned gsi = 0; gsi < IOAPIC_PINS_RESERVED; gsi++) {
		if (gsi == PIT_GSI)
			continue;
		table.e[n].gsi = gsi;
		table.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		table.e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		table.e[n].u.irqchip.pin = gsi == PIT_IRQ ? PIT_GSI : gsi;
		n++;
	}
	table.head.nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &table) < 0)
		return err_set(EXIT_HOST, "KVM_SET_GSI_ROUTING failed: %s", strerror(errno));
	return 0;
}

static int kernel_irqchip_init(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	/* The PIC pair, the IOAPIC and one LAPIC per vCPU, emulated in the kernel. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_set(EXIT_HOST, "KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
	if (kernel_irq_routing(vm) < 0)
		return -1;
	/* The 8254 timer (IRQ 0); the dummy speaker answers port 0x61. */
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_set(EXIT_HOST, "KVM_CREATE_PIT2 failed: %s", strerror(errno));
	return 0;
}

/* ---- what the userspace chips need from outside ---- */

/* The 8259's INTR output may have risen: make vCPU 0 take the interrupt. */
static void pic_intr_raised(void *ctx)
{
	struct vm *vm = ctx;
	struct vcpu *bsp = vm->vcpus[0];

	/* vCPU 0's own thread looks again before its next KVM_RUN anyway. */
	if (!bsp || !i8259_pending(vm->arch.pic) || pthread_equal(pthread_self(), bsp->thread))
		return;
	vcpu_kick(bsp);
}

static const struct i8259_ops pic_ops = { .intr_raised = pic_intr_raised };

static void ioapic_send_msi(void *ctx, const struct ioapic_msi *m)
{
	struct vm *vm = ctx;
	struct kvm_msi msi = { .address_lo = m->address, .data = m->data };

	/* A message no APIC accepts is lost on real hardware too; nothing to report. */
	(void)ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
}

/* KVM reports EOIs (KVM_EXIT_IOAPIC_EOI) for the vectors of MSI routes among GSIs 0-23. */
static int ioapic_set_level_routes(void *ctx, const int *pin, const struct ioapic_msi *msi,
				   unsigned n)
{
	struct vm *vm = ctx;
	struct {
		struct kvm_irq_routing head;
		struct kvm_irq_routing_entry e[IOAPIC_PINS];
	} table;

	memset(&table, 0, sizeof(table));
	for (unsigned i = 0; i < n && i < IOAPIC_PINS; i++) {
		table.e[i].gsi = (uint32_t)pin[i];
		table.e[i].type = KVM_IRQ_ROUTING_MSI;
		table.e[i].u.msi.address_lo = msi[i].address;
		table.e[i].u.msi.data = msi[i].data;
	}
	table.head.nr = n < IOAPIC_PINS ? n : IOAPIC_PINS;
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &table) < 0 ? -errno : 0;
}

static const struct ioapic_ops ioapic_ops = {
	.send_msi = ioapic_send_msi,
	.set_level_routes = ioapic_set_level_routes,
};

static void pit_irq0_pulse(void *ctx)
{
	struct vm *vm = ctx;

	/* A lost pulse costs the guest a tick; there is no one to tell. */
	(void)arch_irq_line(vm, PIT_IRQ, 1);
	(void)arch_irq_line(vm, PIT_IRQ, 0);
}

static const struct i8254_ops pit_ops = { .irq0_pulse = pit_irq0_pulse };

/*
 * ---- snapshots of the chips in either mode ----
 * The same three devices save the chips wherever they are: ours (their
 * models' registers), or KVM's with --irqchip kernel (KVM_GET_IRQCHIP,
 * KVM_GET_PIT2: the kernel's own structures, as it gives them). A byte
 * says which, so a file for the other mode is refused, not misread.
 */
enum { CHIPS_OURS = 0, CHIPS_KVM = 1 };

static void put_mode(struct state_writer *w, const struct vm *vm)
{
	state_put_u8(w, vm->arch.split_irqchip ? CHIPS_OURS : CHIPS_KVM);
}

static bool mode_matches(struct state_reader *r, const struct vm *vm)
{
	uint8_t mode = state_get_u8(r);

	if (r->bad || mode == (vm->arch.split_irqchip ? CHIPS_OURS : CHIPS_KVM))
		return !r->bad;
	state_reject(r, "its chips are %s, this VM's are %s", mode == CHIPS_KVM ? "KVM's" :
		     mode == CHIPS_OURS ? "minikvm's" : "of no known kind",
		     vm->arch.split_irqchip ? "minikvm's (--irqchip split)" : "KVM's (--irqchip kernel)");
	return false;
}

/*
 * KVM_SET_IRQCHIP and KVM_SET_PIT2 take the kernel's own structures, and
 * with --irqchip kernel those come from the snapshot file. The kernel's
 * models (arch/x86/kvm/i8259.c, ioapic.c, i8254.c) check little of what
 * they are handed, so what its registers could never hold is refused here.
 */
static int check_kvm_pic(const struct kvm_pic_state *p, bool slave, struct state_reader *r)
{
	const char *name = slave ? "KVM's slave 8259" : "KVM's master 8259";
	/* What each flag is, and how big it may get: priority_add is a pin, init_state ICW1-4. */
	const struct { const char *field; uint8_t value, max; } f[] = {
		{ "priority_add", p->priority_add, 7 },
		{ "read_reg_select", p->read_reg_select, 1 },
		{ "poll", p->poll, 1 },
		{ "special_mask", p->special_mask, 1 },
		{ "init_state", p->init_state, 3 },
		{ "auto_eoi", p->auto_eoi, 1 },
		{ "rotate_on_auto_eoi", p->rotate_on_auto_eoi, 1 },
		{ "special_fully_nested_mode", p->special_fully_nested_mode, 1 },
		{ "init4", p->init4, 1 },
	};
	/* The kernel's masks (kvm_pic_init()): IRQ 0-2 and 8, 13 are edge-triggered. */
	uint8_t elcr_mask = slave ? 0xDE : 0xF8;

	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].value > f[i].max)
			return state_reject(r, "%s: %s is %u, at most %u", name, f[i].field, f[i].value,
					    f[i].max);
	if (p->irq_base & 7)
		return state_reject(r, "%s: vector base 0x%x is not a multiple of 8", name, p->irq_base);
	if (p->elcr_mask != elcr_mask || (p->elcr & ~elcr_mask))
		return state_reject(r, "%s: ELCR 0x%x with mask 0x%x; the chip's mask is 0x%x", name,
				    p->elcr, p->elcr_mask, elcr_mask);
	return 0;
}

static int check_kvm_ioapic(const struct kvm_ioapic_state *io, struct state_reader *r)
{
	if (io->base_address != LAYOUT_IOAPIC)
		return state_reject(r, "KVM's IOAPIC at 0x%llx; the machine's is at 0x%llx",
				    (unsigned long long)io->base_address, (unsigned long long)LAYOUT_IOAPIC);
	/* The registers as the kernel writes them: IOREGSEL 8 bits, ID 4, one IRR bit a pin. */
	if (io->ioregsel > 0xFF)
		return state_reject(r, "KVM's IOAPIC: IOREGSEL 0x%x is not a register (0-0xff)",
				    io->ioregsel);
	if (io->id > 0xF)
		return state_reject(r, "KVM's IOAPIC: ID %u does not fit its 4 bits", io->id);
	if (io->irr >> KVM_IOAPIC_NUM_PINS)
		return state_reject(r, "KVM's IOAPIC: IRR 0x%x; it has only %d pins", io->irr,
				    KVM_IOAPIC_NUM_PINS);
	return 0;
}

int irq_kvm_chip_check(const struct kvm_irqchip *c, uint32_t chip, struct state_reader *r)
{
	if (c->chip_id != chip)
		return state_reject(r, "KVM chip %u where chip %u belongs", c->chip_id, chip);
	if (chip == KVM_IRQCHIP_IOAPIC)
		return check_kvm_ioapic(&c->chip.ioapic, r);
	return check_kvm_pic(&c->chip.pic, chip == KVM_IRQCHIP_PIC_SLAVE, r);
}

int irq_kvm_pit_check(const struct kvm_pit_state2 *ps, struct state_reader *r)
{
	for (int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &ps->channels[i];

		/*
		 * The kernel's PIT: a count of 1-0x10000 (0 is loaded as 0x10000),
		 * modes 0-5 (6 and 7 folded onto 2 and 3) or 0xff before the first
		 * control word, access 1-3 (0 at reset), its read/write byte
		 * states 0-4 (RW_STATE_*), and a latch of the access's bytes.
		 */
		if (c->count > 0x10000 || (c->mode > 5 && c->mode != 0xFF) || c->rw_mode > 3 ||
		    c->read_state > 4 || c->write_state > 4 || c->count_latched > 3 ||
		    c->status_latched > 1 || c->bcd > 1 || c->gate > 1)
			return state_reject(r, "KVM's PIT channel %d: count %u, mode %u, access %u, read/write "
					    "state %u/%u, latched %u/%u, BCD %u or gate %u out of range", i,
					    c->count, c->mode, c->rw_mode, c->read_state, c->write_state,
					    c->count_latched, c->status_latched, c->bcd, c->gate);
	}
	if (ps->flags & ~(uint32_t)(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return state_reject(r, "KVM's PIT: flags 0x%x include ones this kernel interface lacks",
				    ps->flags);
	for (unsigned i = 0; i < sizeof(ps->reserved) / sizeof(ps->reserved[0]); i++)
		if (ps->reserved[i])
			return state_reject(r, "KVM's PIT: reserved word %u is 0x%x, not 0", i,
					    ps->reserved[i]);
	return 0;
}

/* One of KVM's chips (PIC master, slave, IOAPIC) as raw bytes; a failed read is saved empty. */
static void save_kvm_chip(struct vm *vm, struct state_writer *w, uint32_t chip)
{
	struct kvm_irqchip c = { .chip_id = chip };

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0) {
		w->failed = true;
		return;
	}
	state_put(w, &c, sizeof(c));
}

/*
 * The next n of KVM's chips (chip ids chips[0..n-1]) from r: all read and
 * checked before KVM is handed any, so a bad slave leaves the master as it was.
 */
static int load_kvm_chips(struct vm *vm, struct state_reader *r, const uint32_t *chips, int n)
{
	struct kvm_irqchip c[2];

	for (int i = 0; i < n; i++) {
		state_get(r, &c[i], sizeof(c[i]));
		if (r->bad || irq_kvm_chip_check(&c[i], chips[i], r) < 0)
			return -EINVAL;
	}
	if (state_reader_done(r) < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c[i]) < 0)
			return state_reject(r, "KVM_SET_IRQCHIP refused chip %u: %s", chips[i],
					    strerror(errno));
	return 0;
}

/*
 * ---- the chips as devices (device.h): created with --irqchip split only ----
 * The 8259 and IOAPIC come first (every other device drives their lines),
 * the PIT next; exits run the other way, so the PIT's thread has stopped
 * before the chips it raises IRQ 0 into are freed.
 */

static int pic_init(const struct device_host *host)
{
	struct vm *vm = host->vm;

	if (!vm->arch.split_irqchip)
		return 0;
	vm->arch.pic = i8259_create(host->pio, &pic_ops, vm);
	return vm->arch.pic ? 0 : -1;
}

static void pic_reset(const struct device_host *host)
{
	struct vm *vm = host->vm;

	/* A vector acknowledged but not yet taken by vCPU 0 belonged to the old machine. */
	vm->arch.extint_vector = -1;
	i8259_reset(vm->arch.pic);
}

static void pic_save(const struct device_host *host, struct state_writer *w)
{
	struct vm *vm = host->vm;

	put_mode(w, vm);
	if (!vm->arch.split_irqchip) {
		save_kvm_chip(vm, w, KVM_IRQCHIP_PIC_MASTER);
		save_kvm_chip(vm, w, KVM_IRQCHIP_PIC_SLAVE);
		return;
	}
	/* A vector acknowledged and not yet taken by vCPU 0 is in service already. */
	state_put_u32(w, (uint32_t)vm->arch.extint_vector);
	i8259_save(vm->arch.pic, w);
}

static int pic_load(const struct device_host *host, struct state_reader *r)
{
	struct vm *vm = host->vm;
	int32_t extint;

	if (!mode_matches(r, vm))
		return -EINVAL;
	if (!vm->arch.split_irqchip) {
		static const uint32_t pics[2] = { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE };

		return load_kvm_chips(vm, r, pics, 2);
	}
	extint = (int32_t)state_get_u32(r);
	if (!r->bad && (extint < -1 || extint > 255))
		return state_reject(r, "8259 vector %d waiting for vCPU 0 is not a vector", extint);
	if (i8259_load(vm->arch.pic, r) < 0)
		return -EINVAL;
	vm->arch.extint_vector = extint;
	return 0;
}

static void pic_exit(const struct device_host *host)
{
	i8259_free(host->vm->arch.pic);
	host->vm->arch.pic = NULL;
}

static const struct device pic_device = {
	.name = "8259 PIC",
	.level = DEVICE_LEVEL_IRQCHIP,
	.init = pic_init,
	.reset = pic_reset,
	.exit = pic_exit,
	.save = pic_save,
	.load = pic_load,
};

device_register(pic_device);

static int ioapic_init(const struct device_host *host)
{
	struct vm *vm = host->vm;

	if (!vm->arch.split_irqchip)
		return 0;
	vm->arch.ioapic = ioapic_create(host->mmio, LAYOUT_IOAPIC, &ioapic_ops, vm);
	return vm->arch.ioapic ? 0 : -1;
}

static void ioapic_device_reset(const struct device_host *host)
{
	ioapic_reset(host->vm->arch.ioapic);
}

static void ioapic_device_save(const struct device_host *host, struct state_writer *w)
{
	struct vm *vm = host->vm;

	put_mode(w, vm);
	if (vm->arch.split_irqchip)
		ioapic_save(vm->arch.ioapic, w);
	else
		save_kvm_chip(vm, w, KVM_IRQCHIP_IOAPIC);
}

static int ioapic_device_load(const struct device_host *host, struct state_reader *r)
{
	struct vm *vm = host->vm;

	if (!mode_matches(r, vm))
		return -EINVAL;
	if (vm->arch.split_irqchip)
		return ioapic_load(vm->arch.ioapic, r);
	return load_kvm_chips(vm, r, &(const uint32_t){ KVM_IRQCHIP_IOAPIC }, 1);
}

static void ioapic_exit(const struct device_host *host)
{
	ioapic_free(host->vm->arch.ioapic);
	host->vm->arch.ioapic = NULL;
}

static const struct device ioapic_device = {
	.name = "IOAPIC",
	.level = DEVICE_LEVEL_IRQCHIP,
	.init = ioapic_init,
	.reset = ioapic_device_reset,
	.exit = ioapic_exit,
	.save = ioapic_device_save,
	.load = ioapic_device_load,
};

device_register(ioapic_device);

static int pit_init(const struct device_host *host)
{
	struct vm *vm = host->vm;

	if (!vm->arch.split_irqchip)
		return 0;
	vm->arch.pit = i8254_create(host->pio, &pit_ops, vm);
	return vm->arch.pit ? 0 : -1;
}

static void pit_reset(const struct device_host *host)
{
	i8254_reset(host->vm->arch.pit);
}

/* The PIT's thread raises IRQ 0, which may kick vCPU 0: it ends before the vCPU threads do. */
static void pit_stop(const struct device_host *host)
{
	i8254_stop(host->vm->arch.pit);
}

static void pit_save(const struct device_host *host, struct state_writer *w)
{
	struct vm *vm = host->vm;
	struct kvm_pit_state2 ps;

	put_mode(w, vm);
	if (vm->arch.split_irqchip) {
		i8254_save(vm->arch.pit, w);
	} else if (ioctl(vm->vm_fd, KVM_GET_PIT2, &ps) < 0) {
		w->failed = true;
	} else {
		state_put(w, &ps, sizeof(ps));
	}
}

static int pit_load(const struct device_host *host, struct state_reader *r)
{
	struct vm *vm = host->vm;
	struct kvm_pit_state2 ps;

	if (!mode_matches(r, vm))
		return -EINVAL;
	if (vm->arch.split_irqchip)
		return i8254_load(vm->arch.pit, r);
	state_get(r, &ps, sizeof(ps));
	if (state_reader_done(r) < 0 || irq_kvm_pit_check(&ps, r) < 0)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &ps) < 0)
		return state_reject(r, "KVM_SET_PIT2 refused it: %s", strerror(errno));
	return 0;
}

static void pit_exit(const struct device_host *host)
{
	i8254_free(host->vm->arch.pit);
	host->vm->arch.pit = NULL;
}

static const struct device pit_device = {
	.name = "8254 PIT",
	.level = DEVICE_LEVEL_TIMER,
	.init = pit_init,
	.reset = pit_reset,
	.stop = pit_stop,
	.exit = pit_exit,
	.save = pit_save,
	.load = pit_load,
};

device_register(pit_device);

/* ---- the VM's side ---- */

int irq_vm_init(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { IOAPIC_PINS_RESERVED },
	};

	vm->arch.split_irqchip = vm->cfg->irqchip == IRQCHIP_SPLIT;
	vm->arch.extint_vector = -1;
	if (!vm->arch.split_irqchip)
		return kernel_irqchip_init(vm);
	/* The chips themselves are devices, created with the others (devices_init_all()). */
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return err_set(EXIT_HOST, "KVM_CAP_SPLIT_IRQCHIP failed: %s (try --irqchip kernel)",
			       strerror(errno));
	return 0;
}

int arch_irq_line(struct vm *vm, int irq, int level)
{
	struct kvm_irq_level line = { .irq = (uint32_t)irq, .level = (uint32_t)level };

	if (!vm->arch.split_irqchip) {
		/* kernel_irq_routing() does what the split branch below spells out. */
		if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0)
			return err_set(EXIT_HOST, "KVM_IRQ_LINE %d failed: %s", irq, strerror(errno));
		return 0;
	}
	if (irq < ISA_IRQS)
		i8259_set_irq(vm->arch.pic, irq, level);
	ioapic_set_irq(vm->arch.ioapic, irq == PIT_IRQ ? PIT_GSI : irq, level);
	return 0;
}

void irq_ioapic_eoi(struct vm *vm, int vector)
{
	ioapic_eoi(vm->arch.ioapic, vector);
}

void irq_vcpu_pre_run(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	if (!vm->arch.split_irqchip || vcpu->id != 0)
		return;
	if (vm->arch.extint_vector < 0 && !i8259_pending(vm->arch.pic)) {
		run->request_interrupt_window = 0;
		return;
	}
	if (run->ready_for_interrupt_injection && run->if_flag) {
		struct kvm_interrupt intr;

		/* One acknowledged but refused last time goes first; it is in service already. */
		if (vm->arch.extint_vector < 0)
			vm->arch.extint_vector = i8259_ack(vm->arch.pic);
		intr.irq = (uint32_t)vm->arch.extint_vector;
		if (ioctl(vcpu->fd, KVM_INTERRUPT, &intr) == 0)
			vm->arch.extint_vector = -1;
	}
	/* Another request behind this one, or not ready: exit when the guest can take it. */
	run->request_interrupt_window = vm->arch.extint_vector >= 0 || i8259_pending(vm->arch.pic);
}
