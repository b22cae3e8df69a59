/* SPDX-License-Identifier: MIT */
/*
 * Interrupt controllers. KVM can emulate all of a PC's in the kernel
 * (KVM_CREATE_IRQCHIP: the 8259 pair, the IOAPIC, one local APIC per vCPU,
 * plus KVM_CREATE_PIT2 for the 8254) or only the local APICs
 * (KVM_CAP_SPLIT_IRQCHIP), leaving the rest to the VMM. minikvm does the
 * second by default (--irqchip split) and keeps the first as --irqchip kernel.
 *
 * Why split by default: every device KVM puts on its in-kernel I/O buses is
 * freed through an SRCU callback, and destroying the VM then waits for an
 * SRCU grace period (several timer ticks: 8 to 28 ms measured here). With
 * the legacy chips in userspace the VM is created and destroyed in well
 * under a millisecond. It also keeps every interrupt route readable here:
 *
 *   device --arch_irq_line(irq)-> 8259 pin irq   --INTR--> vCPU 0 (ExtINT, KVM_INTERRUPT)
 *                            \-> IOAPIC pin gsi --MSI---> local APICs (KVM_SIGNAL_MSI)
 *
 * ISA IRQ 0 (the PIT) arrives at IOAPIC pin 2, as the MADT's interrupt
 * source override says; every other ISA IRQ keeps its number.
 *
 * Each chip keeps its state behind its own mutex: device threads, vCPU
 * threads and the PIT's timer thread all raise lines.
 */
#ifndef MINIKVM_X86_IRQCHIP_H
#define MINIKVM_X86_IRQCHIP_H

#include <stdint.h>

struct vm;
struct vcpu;

/*
 * The chips themselves are models that know nothing of struct vm
 * (src/dev/i8259.h, ioapic.h, i8254.h); src/x86/irq.c is the glue that
 * registers them as devices of a VM and wires their callbacks to KVM.
 * Only irq.c touches vm->arch.pic, .ioapic, .pit and .extint_vector.
 */
/* ---- glue (x86/irq.c) ---- */
/*
 * Tell KVM what --irqchip asks for, before any vCPU exists: the in-kernel
 * chips, or the split irqchip. Our own chips are devices (device.h), made,
 * reset and freed with the others.
 */
int irq_vm_init(struct vm *vm);
/* An ISA/GSI line from a device: arch_irq_line() (arch.h), defined in irq.c. */
/* A local APIC took an EOI for a level-triggered IOAPIC vector (KVM_EXIT_IOAPIC_EOI). */
void irq_ioapic_eoi(struct vm *vm, int vector);
/* Before each KVM_RUN of vCPU 0: inject the 8259's interrupt or ask for a window. */
void irq_vcpu_pre_run(struct vcpu *vcpu);

/*
 * --irqchip kernel snapshots: KVM's chip (chip_id chip) and PIT state from
 * a file, checked before KVM_SET_IRQCHIP / KVM_SET_PIT2 sees them. 0, or
 * -EINVAL with r rejected (state_reject(): which field, which value).
 */
struct kvm_irqchip;
struct kvm_pit_state2;
struct state_reader;
int irq_kvm_chip_check(const struct kvm_irqchip *c, uint32_t chip, struct state_reader *r);
int irq_kvm_pit_check(const struct kvm_pit_state2 *ps, struct state_reader *r);

#endif
