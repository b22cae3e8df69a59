/* SPDX-License-Identifier: MIT */
/*
 * What every architecture provides (the kvmtool split): core code (vm.c,
 * vcpu.c) calls these and never says "x86". The x86 versions live in
 * src/x86/cpu.c.
 */
#ifndef MINIKVM_ARCH_H
#define MINIKVM_ARCH_H

#include <stdio.h>

struct vm;
struct vcpu;

/* VM-wide setup before any vCPU exists (interrupt controllers, timers, CPUID). */
int arch_vm_init(struct vm *vm);
/* After the image is loaded: the tables the boot mode needs (GDT, page tables, ACPI). */
int arch_boot_tables(struct vm *vm);
/* Per vCPU: CPUID, MSRs, FPU; the boot vCPU gets the boot state, the others wait for INIT/SIPI. */
int arch_vcpu_init(struct vcpu *vcpu);
void arch_vm_free(struct vm *vm);

/* Registers, segments and the code at the instruction pointer, for crash reports. */
void arch_vcpu_dump(struct vcpu *vcpu, FILE *out);
/* The instruction pointer, for one-line messages. */
unsigned long long arch_vcpu_ip(struct vcpu *vcpu);

#endif
