/* SPDX-License-Identifier: MIT */
/*
 * Devices register themselves (kvmtool's habit): each device file ends with
 * device_init(its_init_function), and vm_create() calls every registered
 * init function, so neither main() nor vm.c keeps a list of devices.
 */
#ifndef MINIKVM_DEVICE_H
#define MINIKVM_DEVICE_H

struct vm;

typedef int (*device_init_fn)(struct vm *vm);

void device_register(const char *name, device_init_fn fn);
/* Call every registered init function; stops at the first that fails. */
int devices_init_all(struct vm *vm);

#define device_init(fn)                                                        \
	static void __attribute__((constructor)) fn##__register(void)          \
	{                                                                      \
		device_register(#fn, fn);                                      \
	}

#endif
