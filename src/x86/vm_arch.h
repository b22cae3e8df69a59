/* SPDX-License-Identifier: MIT */
/*
 * The x86 part of struct vm (vm->arch). Core code includes this as
 * "vm_arch.h" through the arch's include path (-iquote src/$(ARCH), the
 * kvmtool way) and never looks inside: only src/x86/ does.
 */
#ifndef MINIKVM_X86_VM_ARCH_H
#define MINIKVM_X86_VM_ARCH_H

#include <stdbool.h>

struct kvm_cpuid2;
struct i8259;
struct ioapic;
struct i8254;

struct vm_arch {
	struct kvm_cpuid2 *cpuid;    /* KVM_GET_SUPPORTED_CPUID, adjusted per vCPU (cpu.c) */

	/* Interrupt controllers in userspace (irqchip.h, irq.c); all NULL with --irqchip kernel. */
	bool split_irqchip;
	struct i8259 *pic;
	struct ioapic *ioapic;
	struct i8254 *pit;
	int extint_vector;           /* acknowledged from the 8259, not yet taken by KVM; -1: none */
};

#endif
