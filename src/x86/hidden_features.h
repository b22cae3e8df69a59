/* SPDX-License-Identifier: MIT */
/*
 * The CPU features a guest must not use where KVM runs guests through its
 * instruction emulator (no VT-x/AMD-V): one table (hidden_features.c) from which
 * both the CPUID bits minikvm hides and the words it adds to a Linux
 * kernel's command line are made, so the two cannot disagree.
 */
#ifndef MINIKVM_X86_HIDDEN_FEATURES_H
#define MINIKVM_X86_HIDDEN_FEATURES_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* How a Linux guest is told not to use a feature. */
enum feature_linux {
	FEATURE_CLEARCPUID, /* its name in clearcpuid= */
	FEATURE_NOXSAVE,    /* the word "noxsave" (XSAVE itself) */
	FEATURE_IMPLIED,    /* nothing: Linux drops it with a feature that is named */
};

struct x86_feature {
	const char *name; /* Linux's name: /proc/cpuinfo flags, clearcpuid= */
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	unsigned bit;
	enum feature_linux tell_linux;
};

extern const struct x86_feature x86_emulator_features[];
extern const size_t x86_emulator_nfeatures;

/*
 * Clear every table feature's bit in one CPUID entry (as KVM_GET_SUPPORTED_CPUID
 * gives it); with XSAVE gone, leaf 0xD (its state components) goes too.
 */
void x86_features_hide(struct kvm_cpuid_entry2 *e);

/* "noxsave clearcpuid=popcnt,..." from the table; the same string every call. */
const char *x86_features_linux_cmdline(void);

/*
 * What to add to a Linux kernel's command line (user_cmdline: the user's
 * --append, may be NULL): the words above on a host whose KVM emulates
 * guests, unless the user already chose with clearcpuid=; else NULL.
 */
const char *x86_linux_cmdline_extra(bool kvm_emulates, const char *user_cmdline);

#endif
