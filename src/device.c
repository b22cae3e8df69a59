/* SPDX-License-Identifier: MIT */
#include "device.h"
#include "arch.h"
#include "vcpu.h"
#include "vm.h"

#include <string.h>

#define MAX_DEVICES 32

/* Sorted by (level, name) as they register. */
static const struct device *devices[MAX_DEVICES];
static int ndevices;
static int ninit;    /* devices[0..ninit) have been initialised */
static bool stopped;
static struct device_host host;

static bool before(const struct device *a, const struct device *b)
{
	return a->level != b->level ? a->level < b->level : strcmp(a->name, b->name) < 0;
}

void device_add(const struct device *dev)
{
	int i = ndevices;

	/* Runs from constructors before main(); the table is sized for every device file. */
	if (ndevices == MAX_DEVICES)
		return;
	while (i > 0 && before(dev, devices[i - 1])) {
		devices[i] = devices[i - 1];
		i--;
	}
	devices[i] = dev;
	ndevices++;
}

static int host_irq_line(const struct device_host *h, int irq, int level)
{
	return arch_irq_line(h->vm, irq, level);
}

static bool host_request_exit(const struct device_host *h, int status, const char *reason)
{
	return vm_request_exit(h->vm, status, reason);
}

int devices_init_all(struct vm *vm)
{
	host = (struct device_host){
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.console = &vm->console,
		.mem = &vm->mem,
		.cfg = vm->cfg,
		.irq_line = host_irq_line,
		.request_exit = host_request_exit,
		.get_regs = vcpu_get_regs,
		.set_regs = vcpu_set_regs,
		.vm = vm,
	};
	ninit = 0;
	stopped = false;
	for (int i = 0; i < ndevices; i++) {
		if (devices[i]->init && devices[i]->init(&host) < 0)
			return -1;
		ninit = i + 1;
	}
	return 0;
}

void devices_reset_all(struct vm *vm)
{
	(void)vm;
	for (int i = 0; i < ninit; i++)
		if (devices[i]->reset)
			devices[i]->reset(&host);
}

void devices_stop_all(struct vm *vm)
{
	(void)vm;
	if (stopped)
		return;
	stopped = true;
	for (int i = ninit - 1; i >= 0; i--)
		if (devices[i]->stop)
			devices[i]->stop(&host);
}

void devices_exit_all(struct vm *vm)
{
	devices_stop_all(vm);
	for (int i = ninit - 1; i >= 0; i--)
		if (devices[i]->exit)
			devices[i]->exit(&host);
	ninit = 0;
}

int devices_list(const struct device *const **list, const struct device_host **h)
{
	*list = devices;
	*h = &host;
	return ninit;
}

int devices_registered(const struct device *const **list)
{
	*list = devices;
	return ndevices;
}
