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
 *   device --vm_irq_line(irq)--> 8259 pin irq   --INTR--> vCPU 0 (ExtINT, KVM_INTERRUPT)
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

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* ---- the 8259A pair (dev/i8259.c): ports 0x20-0x21, 0xA0-0xA1, ELCR 0x4D0-0x4D1 ---- */
int i8259_create(struct vm *vm);
void i8259_destroy(struct vm *vm);
void i8259_reset(struct vm *vm);
/* Drive ISA line irq (0-15) to level; edge or level by the ELCR. */
void i8259_set_irq(struct vm *vm, int irq, int level);
/* The master's INTR output: an unmasked request outranks what is in service. */
bool i8259_pending(struct vm *vm);
/* The CPU's interrupt acknowledge: the vector to deliver (7 or 15 of the base if spurious). */
int i8259_ack(struct vm *vm);

/* ---- the 8254 PIT (dev/i8254.c): ports 0x40-0x43 and 0x61 (gate 2, speaker, OUT2) ---- */
int i8254_create(struct vm *vm);
/* Stop the timer thread for good (the VM is ending); the ports still answer. */
void i8254_stop(struct vm *vm);
void i8254_destroy(struct vm *vm);
void i8254_reset(struct vm *vm);

/* ---- the IOAPIC (dev/ioapic.c): MMIO at LAYOUT_IOAPIC, 24 pins ---- */
int ioapic_create(struct vm *vm);
void ioapic_destroy(struct vm *vm);
void ioapic_reset(struct vm *vm);
void ioapic_set_irq(struct vm *vm, int gsi, int level);
/* A local APIC took an EOI for a level-triggered vector (KVM_EXIT_IOAPIC_EOI). */
void ioapic_eoi(struct vm *vm, int vector);

/* ---- glue (x86/irq.c) ---- */
/* Create what --irqchip asks for: before any vCPU exists. */
int irq_vm_init(struct vm *vm);
void irq_vm_free(struct vm *vm);
void irq_vm_reset(struct vm *vm);
/* An ISA/GSI line from a device. */
int irq_line(struct vm *vm, int irq, int level);
/* The 8259's INTR output may have risen: make vCPU 0 take the interrupt. */
void irq_extint_changed(struct vm *vm);
/* Before each KVM_RUN of vCPU 0: inject the 8259's interrupt or ask for a window. */
void irq_vcpu_pre_run(struct vcpu *vcpu);

#endif
