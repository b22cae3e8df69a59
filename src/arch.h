/* SPDX-License-Identifier: MIT */
/*
 * What every architecture provides (the kvmtool split): core code (vm.c,
 * vcpu.c, device.c) calls these and never says "x86". The x86 versions:
 * VM and vCPU setup and exits in src/x86/cpu.c, IRQ lines in irq.c, crash
 * dumps in dump.c, emulation failures in emulate.c, and the debugger's
 * half (registers, debug hardware, the host probe) in regs.c, debug_hw.c
 * and probe.c. The arch's part of struct vm is struct vm_arch (vm_arch.h).
 */
#ifndef MINIKVM_ARCH_H
#define MINIKVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "debug_arch.h"

struct vm;
struct vcpu;
struct vcpu_debug_event;
struct gdb_arch;
struct gdb_console;
struct gdb_monitor_cmd;

/* VM-wide setup before any vCPU exists (KVM's interrupt controller mode, CPUID). */
int arch_vm_init(struct vm *vm);
/*
 * Words a Linux kernel's command line needs on this host, after the user's
 * (user_cmdline: --append, may be NULL); NULL when none. For loader_load().
 */
const char *arch_kernel_cmdline_extra(const char *user_cmdline);
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
 * Snapshots (src/x86/snapshot.c), VM paused: a vCPU's whole KVM state
 * (registers, FPU/XSAVE, MSRs, local APIC, pending events, ...) and the
 * VM's (its clock). A load checks what it reads (it may come from a file);
 * -1 with err_set().
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
 * Guest core files (src/coredump.c; the arch's part in src/x86/coredump.c):
 * the ELF machine, a vCPU's notes (registers) given to the notes writer, and the
 * RAM seen through a vCPU's page tables as ranges (malloc'd into *out; left
 * as they are when paging is off). 0 or -errno.
 */
struct core_range;
struct core_note_writer;
extern const uint16_t arch_core_machine;
int arch_core_notes(struct vcpu *vcpu, const struct core_note_writer *notes);
int arch_core_virtual_ranges(struct vcpu *vcpu, struct core_range **out, unsigned *n);
/*
 * The memory a core of the guest should hold as vcpu sees it, for gdb's
 * `gcore` (gdbstub's memory_regions op; src/x86/coredump.c says what is in
 * it): fn per region, ascending. 0, fn's non-zero value, or -errno.
 */
struct gdb_mem_region;
int arch_gdb_memory_regions(struct vcpu *vcpu, int (*fn)(void *fnctx, const struct gdb_mem_region *r),
			    void *fnctx);

/*
 * Debugging (src/x86/debug_hw.c, src/x86/probe.c).
 */
/* What this host's KVM can do for a debugger; probed once with tiny VMs, one per CPU mode. */
int arch_debug_probe(int kvm_fd, struct debug_host_caps *caps);
/* For --host-report: the host CPU and its KVM (model, virtualization, paging levels, KVM API). */
void arch_host_report(FILE *out, int kvm_fd);
/*
 * Program KVM_SET_GUEST_DEBUG from the debugger's slots and the vCPU's run
 * mode (step, range step, stepping over a breakpoint); st NULL: off.
 */
int arch_vcpu_set_debug(struct vcpu *vcpu, const struct debug_arch_state *st);
/* What a KVM_EXIT_DEBUG says happened: facts only (which slot, a step, int3 at pc). */
void arch_debug_exit(struct vcpu *vcpu, struct vcpu_debug_event *ev);
/* gdb's register layout for this VM's image, and the registers in it. */
const struct gdb_arch *arch_gdb_layout(const struct vm *vm);
int arch_gdb_read_regs(struct vcpu *vcpu, uint8_t *buf);
int arch_gdb_read_reg(struct vcpu *vcpu, unsigned regno, uint8_t *buf);
/* regno < 0: buf holds every register; else just that one. */
int arch_gdb_write_regs(struct vcpu *vcpu, const uint8_t *buf, int regno);
/* Guest-virtual -> guest-physical through the vCPU's page tables; -EFAULT if unmapped. */
int arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa);
/* Is the vCPU in real mode (breakpoints there may need another mechanism)? */
bool arch_vcpu_real_mode(struct vcpu *vcpu);
/* "vCPU 1, long mode, halted" */
int arch_describe_vcpu(struct vcpu *vcpu, char *buf, size_t size);
/* Arch monitor commands; arch_monitor returns -ENOENT for a command that is not its own. */
extern const struct gdb_monitor_cmd *const arch_monitor_cmds;
int arch_monitor(struct vcpu *vcpu, const char *cmd, struct gdb_console *out);
/* The software breakpoint instruction: one byte (x86: int3). */
extern const uint8_t arch_breakpoint_insn;
/*
 * A one-byte instruction that leaves the guest for the VMM on every KVM,
 * for hosts where the breakpoint instruction does not (x86: `in al, dx`,
 * a KVM_EXIT_IO). arch_io_exit_pc gives the address of the instruction
 * behind the current KVM_EXIT_IO if it is that one (else -1); the run
 * loop undoes it (the registers as before the exit).
 */
extern const uint8_t arch_io_breakpoint_insn;
int arch_io_exit_pc(struct vcpu *vcpu, uint64_t *pc);

#endif
