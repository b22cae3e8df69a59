/* SPDX-License-Identifier: MIT */
/*
 * What arch.h asks that RISC-V does not do yet: snapshots (monitor savevm,
 * --loadvm). Each says so plainly instead of failing oddly.
 */
#include "arch.h"
#include "error.h"

#define NOT_YET "not available on RISC-V yet (x86 only for now)"

/* KVM's RISC-V side has no instruction emulator that gives up to userspace. */
enum arch_emulation arch_emulation_failure(struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	(void)vcpu;
	(void)ev;
	return ARCH_NOT_EMULATED;
}

int arch_vcpu_save(struct vcpu *vcpu, struct state_writer *w)
{
	(void)vcpu;
	(void)w;
	return err_set(EXIT_USAGE, "snapshots are " NOT_YET);
}

int arch_vcpu_load(struct vcpu *vcpu, struct state_reader *r)
{
	(void)vcpu;
	(void)r;
	return err_set(EXIT_USAGE, "snapshots (--loadvm) are " NOT_YET);
}

int arch_vm_save(struct vm *vm, struct state_writer *w)
{
	(void)vm;
	(void)w;
	return err_set(EXIT_USAGE, "snapshots are " NOT_YET);
}

int arch_vm_load(struct vm *vm, struct state_reader *r)
{
	(void)vm;
	(void)r;
	return err_set(EXIT_USAGE, "snapshots (--loadvm) are " NOT_YET);
}
