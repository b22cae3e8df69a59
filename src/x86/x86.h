/* SPDX-License-Identifier: MIT */
/* Helpers shared inside src/x86/. */
#ifndef MINIKVM_X86_X86_H
#define MINIKVM_X86_X86_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* "real mode", "protected mode", "long mode", "compatibility mode" */
const char *x86_mode_name(const struct kvm_sregs *s);
/* Segments, descriptor tables, control registers, EFER and APIC base, one per line. */
void x86_print_sregs(FILE *out, const struct kvm_sregs *s, uint64_t apic_base);

/*
 * True when this host's KVM runs guests through its instruction emulator
 * (no VT-x/AMD-V: PVM and the like), which cannot execute some instructions.
 */
bool x86_host_kvm_is_emulated(void);

/* A flat (base 0, limit 4 GiB) code or data descriptor for a GDT: type, L, D/B. */
uint64_t x86_gdt_flat_entry(uint8_t type, bool code64, bool db);
/* The same segment as KVM_SET_SREGS takes it, with its selector. */
void x86_seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l, bool db);

struct vcpu;
/* Deliver exception vector to the guest after moving RIP on by skip bytes. */
bool x86_inject_exception(struct vcpu *vcpu, unsigned vector, unsigned skip);
/* The vCPU's segment and control registers; cached while it is stopped. 0 or -errno. */
int x86_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
/* One MSR of a vCPU; 0 or -EIO. */
int x86_msr_get(struct vcpu *vcpu, uint32_t index, uint64_t *val);
int x86_msr_set(struct vcpu *vcpu, uint32_t index, uint64_t val);
/*
 * Any number of MSRs through KVM_GET_MSRS or KVM_SET_MSRS (req), in
 * chunks KVM takes, each MSR KVM refuses skipped: the values read into done
 * (may be NULL), and how many went through. io is the ioctl on the vCPU (a
 * stand-in in tests); src/x86/snapshot.c.
 */
typedef int (*x86_msr_ioctl_fn)(void *ctx, unsigned long req, struct kvm_msrs *m);
int x86_msrs_io(x86_msr_ioctl_fn io, void *ctx, unsigned long req, const struct kvm_msr_entry *entries,
		uint32_t n, struct kvm_msr_entry *done);

#endif
