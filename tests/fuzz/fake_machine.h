/* SPDX-License-Identifier: MIT */
/*
 * A machine with no KVM behind it, for the snapshot fuzzer and the program
 * that makes its seeds: a struct vm whose KVM, VM and vCPU file descriptors
 * are numbers no real file has, every device of the tree initialised on it
 * (as tests/unit/test_device.c does), and an ioctl() that answers for those
 * numbers the way a KVM would (fake_machine.c says how). Every other fd
 * goes to the real ioctl.
 *
 * The PIT's timer thread never starts (the devices are "stopped" once
 * initialised, so their ports still answer): whoever wants time to pass
 * moves the clock on (fake_clock_skew_ns) and calls i8254_run_timer() on
 * vm.arch.pit.
 */
#ifndef MINIKVM_FAKE_MACHINE_H
#define MINIKVM_FAKE_MACHINE_H

#include <stdint.h>

#include "options.h"
#include "vcpu.h"
#include "vm.h"

struct fake_machine {
	struct vm vm;
	struct vm_config cfg;
	struct vcpu vcpus[MAX_CPUS];
	uint8_t *ram;
};

/* Every device up on a VM with ncpus vCPUs and mem_size bytes of RAM; 0 or -1 (err_set()). */
int fake_machine_start(struct fake_machine *m, enum irqchip_mode irqchip, int ncpus,
		       uint64_t mem_size);
/* Every device down, RAM freed. */
void fake_machine_end(struct fake_machine *m);
/* Another size of RAM (zeroed) and count of vCPUs, devices untouched; 0 or -1. */
int fake_machine_resize(struct fake_machine *m, int ncpus, uint64_t mem_size);

/*
 * CLOCK_MONOTONIC as this thread reads it runs ahead of the host's by this
 * much (clock_gettime() is fake_machine.c's too): add to it, never take
 * away, to let time pass without waiting.
 */
extern __thread uint64_t fake_clock_skew_ns;

/* The MSRs a fake vCPU has (KVM_GET_MSR_INDEX_LIST); KVM_SET_MSRS refuses FAKE_MSR_REFUSED. */
#define FAKE_MSR_REFUSED 0x40000000u

#endif
