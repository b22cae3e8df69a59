/* SPDX-License-Identifier: MIT */
#include "device.h"

#define MAX_DEVICE_INITS 32

static struct {
	const char *name;
	device_init_fn fn;
} inits[MAX_DEVICE_INITS];
static int ninits;

void device_register(const char *name, device_init_fn fn)
{
	/* Runs from constructors before main(); the table is sized for every device file. */
	if (ninits < MAX_DEVICE_INITS) {
		inits[ninits].name = name;
		inits[ninits].fn = fn;
		ninits++;
	}
}

int devices_init_all(struct vm *vm)
{
	for (int i = 0; i < ninits; i++)
		if (inits[i].fn(vm) < 0)
			return -1;
	return 0;
}
