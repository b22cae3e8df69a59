/* SPDX-License-Identifier: MIT */
/*
 * What a guest must not use where KVM runs it through its instruction
 * emulator (no VT-x/AMD-V underneath: PVM and the like). That emulator
 * cannot execute a number of extensions a stock kernel patches in (Linux's
 * alternatives) wherever CPUID offers them. minikvm hides them twice, from
 * this one table:
 *
 *  - in CPUID (x86_features_hide, for KVM_SET_CPUID2), which any guest
 *    reads, where that KVM honours what the VMM sets;
 *  - on a Linux kernel's command line (noxsave clearcpuid=...), because
 *    some such KVMs pass the hardware's CPUID bits through regardless.
 *
 * Bit positions: Intel SDM vol. 2A, CPUID. Names: Linux's
 * arch/x86/include/asm/cpufeatures.h (the /proc/cpuinfo flags), which
 * clearcpuid= takes since Linux 5.19; an older kernel ignores the names.
 * FEATURE_IMPLIED: Linux clears the feature itself when one it depends on
 * is cleared (arch/x86/kernel/cpu/cpuid-deps.c), or uses it only in code
 * that needs such a feature; naming it too would only lengthen the line.
 */
#include "x86/hidden_features.h"

#include <pthread.h>
#include <string.h>

/* Leaf 1 and leaf 7 sub-leaf 0, where most of them are. */
#define ECX1(name, bit, how) { name, 1, 0, CPUID_ECX, bit, how }
#define EBX7(name, bit, how) { name, 7, 0, CPUID_EBX, bit, how }
#define ECX7(name, bit, how) { name, 7, 0, CPUID_ECX, bit, how }
#define EDX7(name, bit, how) { name, 7, 0, CPUID_EDX, bit, how }

const struct x86_feature x86_emulator_features[] = {
	/*
	 * XSAVE/XRSTOR, with which Linux saves and restores every task's
	 * FPU state, and all whose state lives in the XSAVE area (AVX,
	 * AVX-512, PKRU). "noxsave" takes all of them with it in Linux;
	 * AVX, AVX2, FMA, F16C, AVX-512F and PKU are named as well, as they
	 * always were (F16C does not depend on XSAVE in cpuid-deps.c).
	 */
	ECX1("xsave", 26, FEATURE_NOXSAVE),
	ECX1("osxsave", 27, FEATURE_IMPLIED), /* CR4.OSXSAVE, never set without XSAVE; no Linux name */
	ECX1("avx", 28, FEATURE_CLEARCPUID),
	ECX1("fma", 12, FEATURE_CLEARCPUID),
	ECX1("f16c", 29, FEATURE_CLEARCPUID),
	EBX7("avx2", 5, FEATURE_CLEARCPUID),
	EBX7("avx512f", 16, FEATURE_CLEARCPUID),
	EBX7("avx512dq", 17, FEATURE_IMPLIED),
	EBX7("avx512ifma", 21, FEATURE_IMPLIED),
	EBX7("avx512pf", 26, FEATURE_IMPLIED),
	EBX7("avx512er", 27, FEATURE_IMPLIED),
	EBX7("avx512cd", 28, FEATURE_IMPLIED),
	EBX7("avx512bw", 30, FEATURE_IMPLIED),
	EBX7("avx512vl", 31, FEATURE_IMPLIED),
	ECX7("avx512vbmi", 1, FEATURE_IMPLIED),
	ECX7("pku", 3, FEATURE_CLEARCPUID),
	ECX7("avx512_vbmi2", 6, FEATURE_IMPLIED),
	ECX7("vaes", 9, FEATURE_IMPLIED),
	ECX7("vpclmulqdq", 10, FEATURE_IMPLIED),
	ECX7("avx512_vnni", 11, FEATURE_IMPLIED),
	ECX7("avx512_bitalg", 12, FEATURE_IMPLIED),
	ECX7("avx512_vpopcntdq", 14, FEATURE_IMPLIED),
	EDX7("avx512_4vnniw", 2, FEATURE_IMPLIED),
	EDX7("avx512_4fmaps", 3, FEATURE_IMPLIED),
	EDX7("avx512_vp2intersect", 8, FEATURE_IMPLIED),
	{ "avx_vnni", 7, 1, CPUID_EAX, 4, FEATURE_IMPLIED },    /* VEX: needs AVX */
	{ "avx512_bf16", 7, 1, CPUID_EAX, 5, FEATURE_IMPLIED },

	/*
	 * SSE-family extensions beyond SSE2, and the crypto and checksum
	 * helpers built on them (AES-NI, CLMUL for GHASH and CRC, SHA, the
	 * CRC32 of SSE4.2): Linux's crypto and RAID code picks them by CPUID.
	 */
	ECX1("ssse3", 9, FEATURE_CLEARCPUID),
	ECX1("sse4_1", 19, FEATURE_CLEARCPUID),
	ECX1("sse4_2", 20, FEATURE_CLEARCPUID),
	ECX1("pclmulqdq", 1, FEATURE_CLEARCPUID),
	ECX1("aes", 25, FEATURE_CLEARCPUID),
	EBX7("sha_ni", 29, FEATURE_CLEARCPUID),
	ECX7("gfni", 8, FEATURE_IMPLIED), /* Linux uses it only in AVX code (ARIA) */

	/*
	 * Single instructions patched into ordinary kernel code where CPUID
	 * offers them: POPCNT (hweight), MOVBE, LZCNT (ABM), BMI1/2, ADX,
	 * CMPXCHG16B (this_cpu_cmpxchg128, SLUB), RDRAND/RDSEED, the
	 * FSGSBASE and RDPID/RDTSCP instructions of the entry and vDSO code,
	 * and the CLFLUSHOPT/CLWB cache flushes.
	 */
	ECX1("popcnt", 23, FEATURE_CLEARCPUID),
	ECX1("movbe", 22, FEATURE_CLEARCPUID),
	{ "abm", 0x80000001, 0, CPUID_ECX, 5, FEATURE_CLEARCPUID },
	EBX7("bmi1", 3, FEATURE_CLEARCPUID),
	EBX7("bmi2", 8, FEATURE_CLEARCPUID),
	EBX7("adx", 19, FEATURE_CLEARCPUID),
	ECX1("cx16", 13, FEATURE_CLEARCPUID),
	ECX1("rdrand", 30, FEATURE_CLEARCPUID),
	EBX7("rdseed", 18, FEATURE_CLEARCPUID),
	EBX7("fsgsbase", 0, FEATURE_CLEARCPUID),
	ECX7("rdpid", 22, FEATURE_CLEARCPUID),
	{ "rdtscp", 0x80000001, 0, CPUID_EDX, 27, FEATURE_CLEARCPUID },
	EBX7("clflushopt", 23, FEATURE_CLEARCPUID),
	EBX7("clwb", 24, FEATURE_CLEARCPUID),

	/*
	 * Protection and TLB features that put STAC/CLAC around every user
	 * access (SMAP) or INVPCID and PCID-tagged CR3 writes into every
	 * context switch and TLB flush.
	 */
	EBX7("smap", 20, FEATURE_CLEARCPUID),
	ECX1("pcid", 17, FEATURE_CLEARCPUID),
	EBX7("invpcid", 10, FEATURE_CLEARCPUID),
};

const size_t x86_emulator_nfeatures = sizeof(x86_emulator_features) / sizeof(x86_emulator_features[0]);

static uint32_t *cpuid_reg_ptr(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case CPUID_EAX:
		return &e->eax;
	case CPUID_EBX:
		return &e->ebx;
	case CPUID_ECX:
		return &e->ecx;
	case CPUID_EDX:
		break;
	}
	return &e->edx;
}

void x86_features_hide(struct kvm_cpuid_entry2 *e)
{
	bool xsave_hidden = false;

	for (size_t i = 0; i < x86_emulator_nfeatures; i++) {
		const struct x86_feature *f = &x86_emulator_features[i];

		xsave_hidden |= f->tell_linux == FEATURE_NOXSAVE;
		/* KVM reports index 0 for leaves without sub-leaves. */
		if (e->function == f->leaf && e->index == f->subleaf)
			*cpuid_reg_ptr(e, f->reg) &= ~(1U << f->bit);
	}
	/* No XSAVE: no state components to describe (SDM: CPUID leaf 0DH). */
	if (xsave_hidden && e->function == 0xD)
		e->eax = e->ebx = e->ecx = e->edx = 0;
}

static char linux_cmdline[512];

/* The table is fixed: the unit test sees the whole line, so nothing is cut here unseen. */
static void linux_cmdline_put(size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n < sizeof(linux_cmdline)) {
		memcpy(linux_cmdline + *len, s, n + 1);
		*len += n;
	}
}

static void linux_cmdline_build(void)
{
	size_t len = 0;
	bool first = true;

	for (size_t i = 0; i < x86_emulator_nfeatures; i++)
		if (x86_emulator_features[i].tell_linux == FEATURE_NOXSAVE)
			linux_cmdline_put(&len, len ? " noxsave" : "noxsave");
	for (size_t i = 0; i < x86_emulator_nfeatures; i++) {
		if (x86_emulator_features[i].tell_linux != FEATURE_CLEARCPUID)
			continue;
		linux_cmdline_put(&len, !first ? "," : len ? " clearcpuid=" : "clearcpuid=");
		linux_cmdline_put(&len, x86_emulator_features[i].name);
		first = false;
	}
}

const char *x86_features_linux_cmdline(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, linux_cmdline_build);
	return linux_cmdline;
}

const char *x86_linux_cmdline_extra(bool kvm_emulates, const char *user_cmdline)
{
	if (!kvm_emulates || (user_cmdline && strstr(user_cmdline, "clearcpuid=")))
		return NULL;
	return x86_features_linux_cmdline();
}
