/* SPDX-License-Identifier: MIT */
/*
 * What every architecture provides (the kvmtool split): core code (vm.c,
 * vcpu.c, device.c) calls these and never says "x86". The x86 versions:
 * VM and vCPU setup and exits in src/x86/cpu.c, IRQ lines in irq.c, crash
 * dumps in dump.c, emulation failures in emulate.c. The arch's part of
 * struct vm is struct vm_arch (vm_arch.h).
 *
 * What an architecture gives the debugger (registers, translation,
 * breakpoint and step primitives, the register description, the host
 * probe; x86: regs.c, debug_hw.c, probe.c) is part 1 of the debugger
 * contract, src/debug_contract.h.
 */
#ifndef MINIKVM_ARCH_H
#define MINIKVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;
struct vcpu_debug_event;

/* How to get a KVM on this arch, for the "no /dev/kvm" message. */
extern const char arch_kvm_hint[];
/* VM-wide setup before any vCPU exists (KVM's interrupt controller mode, CPUID). */
int arch_vm_init(struct vm *vm);
/*
 * Words a Linux kernel's command line needs on this host and machine, after
 * the user's (cfg->append, may be NULL): x86's hidden CPU features, its
 * virtio-mmio devices (--share); NULL when none. For loader_load().
 */
struct vm_config;
const char *arch_kernel_cmdline_extra(const struct vm_config *cfg);
/* After the image is loaded: the tables the boot mode needs (GDT, page tables, ACPI). */
int arch_boot_tables(struct vm *vm);
/* Per vCPU: CPUID, MSRs, FPU; the boot vCPU gets the boot state, the others wait for INIT/SIPI. */
int arch_vcpu_init(struct vcpu *vcpu);
/* Back to the boot state (registers, MP state) without touching CPUID (monitor reset). */
int arch_vcpu_reset(struct vcpu *vcpu);
void arch_vm_free(struct vm *vm);
/* Drive an interrupt line (ISA IRQ or GSI) to level. */
int arch_irq_line(struct vm *vm, int irq, int level);
/* Just before each KVM_RUN in the vCPU's run loop (interrupt injection from userspace chips). */
void arch_vcpu_pre_run(struct vcpu *vcpu);
/*
 * Around each KVM_RUN itself (after pre_run; every one, a step-over's
 * too): where the hardware cannot single-step, the arch's own steps live
 * here (RISC-V: breakpoints planted on the next instruction for the run,
 * taken out after it; src/riscv/debug.c). run_end gets KVM_RUN's return
 * value and returns what the run loop is to see (a step that needed no
 * guest instruction ends as a KVM_EXIT_DEBUG). Nothing on x86.
 */
void arch_vcpu_run_begin(struct vcpu *vcpu);
int arch_vcpu_run_end(struct vcpu *vcpu, int rc);
/* An exit reason core code does not know; false if the arch does not either. */
bool arch_handle_exit(struct vcpu *vcpu);
/*
 * KVM's instruction emulator gave up (KVM_EXIT_INTERNAL_ERROR, emulation
 * failure). The arch completes the instructions it can (ARCH_EMULATED),
 * reports the breakpoint instruction as a debug event for the debugger to
 * judge (ARCH_DEBUG_EVENT, ev filled), or gives up too.
 */
enum arch_emulation { ARCH_NOT_EMULATED, ARCH_EMULATED, ARCH_DEBUG_EVENT };
enum arch_emulation arch_emulation_failure(struct vcpu *vcpu, struct vcpu_debug_event *ev);
/* Give the guest the exception behind a debug event that is its own (x86: #BP after int3). */
int arch_reinject_debug_event(struct vcpu *vcpu, const struct vcpu_debug_event *ev);

/*
 * Snapshots (src/x86/snapshot.c, src/riscv/snapshot.c), VM paused: a vCPU's
 * whole KVM state (x86: registers, FPU/XSAVE, MSRs, local APIC, pending
 * events, ...; RISC-V: every ONE_REG register and the MP state) and the
 * VM's (x86: its clock). A load checks what it reads (it may come from a
 * file); -1 with err_set().
 */
struct state_writer;
struct state_reader;
int arch_vcpu_save(struct vcpu *vcpu, struct state_writer *w);
int arch_vcpu_load(struct vcpu *vcpu, struct state_reader *r);
int arch_vm_save(struct vm *vm, struct state_writer *w);
int arch_vm_load(struct vm *vm, struct state_reader *r);

/* Registers, segments and the code at the instruction pointer, for crash reports. */
void arch_vcpu_dump(struct vcpu *vcpu, FILE *out);
/* The instruction pointer, for one-line messages. */
unsigned long long arch_vcpu_ip(struct vcpu *vcpu);

/*
 * The architecture's ELF machine number (EM_X86_64, EM_RISCV): the
 * e_machine of its core files, and the machine a snapshot names.
 */
extern const uint16_t arch_elf_machine;

/*
 * Guest core files (src/coredump.c; the arch's part in src/ARCH/coredump.c):
 * a vCPU's notes (registers) given to the notes writer, and the RAM seen
 * through a vCPU's page tables as ranges (malloc'd into *out; left as they
 * are when paging is off; -EOPNOTSUPP where the arch cannot walk its
 * tables). 0 or -errno.
 */
struct core_range;
struct core_note_writer;
int arch_core_notes(struct vcpu *vcpu, const struct core_note_writer *notes);
int arch_core_virtual_ranges(struct vcpu *vcpu, struct core_range **out, unsigned *n);

#endif
