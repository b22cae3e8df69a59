/* SPDX-License-Identifier: MIT */
/*
 * Interrupts on the RISC-V machine: devices' lines go to the PLIC model
 * (src/dev/plic.c) at 0x0c00_0000, whose context c is hart c's supervisor
 * external interrupt. KVM raises and lowers that interrupt in the vCPU when
 * told through KVM_INTERRUPT (KVM_INTERRUPT_SET / _UNSET: the guest's
 * sip.SEIP), an ioctl KVM allows from any thread, so the device's own
 * thread (the vCPU that wrote the UART, the event loop) calls it directly.
 */
#include "arch.h"
#include "device.h"
#include "dev/plic.h"
#include "iobus.h"
#include "kvm_riscv.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

#include <string.h>
#include <sys/ioctl.h>

/* One VM per process, so one PLIC. */
static struct plic plic;
static struct io_device plic_dev;

static void hart_external_irq(void *ctx, int context, int level)
{
	struct vm *vm = ctx;
	struct vcpu *vcpu = context < vm->ncpus ? vm->vcpus[context] : NULL;
	struct kvm_interrupt irq = { level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET };

	/* Before the vCPUs exist no output can be high: the guest has enabled nothing. */
	if (vcpu)
		(void)ioctl(vcpu->fd, KVM_INTERRUPT, &irq);
}

static const struct plic_ops plic_ops = { .set_output = hart_external_irq };

int arch_irq_line(struct vm *vm, int irq, int level)
{
	(void)vm;
	plic_set_level(&plic, irq, level);
	return 0;
}

/* The PLIC's registers are 32 bits wide: other accesses read 0 and write nothing. */
static void plic_mmio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			   unsigned size)
{
	uint32_t v = 0;

	(void)vcpu;
	if (size == 4)
		v = plic_read(opaque, offset);
	memset(data, 0, size);
	memcpy(data, &v, size < 4 ? size : 4);
}

static void plic_mmio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			    unsigned size)
{
	uint32_t v;

	(void)vcpu;
	if (size != 4)
		return;
	memcpy(&v, data, 4);
	plic_write(opaque, offset, v);
}

static int plic_device_init(const struct device_host *host)
{
	plic_init(&plic, host->vm->ncpus, &plic_ops, host->vm);
	plic_dev = (struct io_device){
		.name = "plic",
		.base = LAYOUT_PLIC_BASE,
		.len = PLIC_SIZE,
		.opaque = &plic,
		.read = plic_mmio_read,
		.write = plic_mmio_write,
	};
	return iobus_register(host->mmio, &plic_dev);
}

static void plic_device_reset(const struct device_host *host)
{
	(void)host;
	plic_reset(&plic);
}

static void plic_device_exit(const struct device_host *host)
{
	iobus_unregister(host->mmio, &plic_dev);
	plic_destroy(&plic);
}

static void plic_device_save(const struct device_host *host, struct state_writer *w)
{
	(void)host;
	plic_save(&plic, w);
}

static int plic_device_load(const struct device_host *host, struct state_reader *r)
{
	(void)host;
	return plic_load(&plic, r);
}

static const struct device plic_device = {
	.name = "plic",
	.level = DEVICE_LEVEL_IRQCHIP,
	.init = plic_device_init,
	.reset = plic_device_reset,
	.exit = plic_device_exit,
	.save = plic_device_save,
	.load = plic_device_load,
};

device_register(plic_device);
