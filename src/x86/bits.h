/* SPDX-License-Identifier: MIT */
/*
 * x86 architectural bits, each defined once: control registers, EFER,
 * RFLAGS, the debug registers, page-table entries, the MSR numbers the VMM
 * names and the exception vectors it raises. The numbers are the CPU's, not
 * minikvm's choices: Intel SDM vol. 3 §2.5 (CR0, CR4), §2.2.1 (EFER), vol. 1
 * §3.4.3 (RFLAGS), vol. 3 ch. 17 (DR6, DR7), ch. 4 (paging), ch. 6
 * (vectors), vol. 4 (MSRs). Plain constants: any file may include this.
 */
#ifndef MINIKVM_X86_BITS_H
#define MINIKVM_X86_BITS_H

/* CR0 */
#define CR0_PE (1ULL << 0)  /* protected mode (clear: real mode) */
#define CR0_MP (1ULL << 1)  /* wait/fwait honours CR0.TS */
#define CR0_ET (1ULL << 4)  /* x87 present: always 1 on modern CPUs */
#define CR0_NE (1ULL << 5)  /* x87 errors as #MF, not the PC's IRQ 13 */
#define CR0_WP (1ULL << 16) /* supervisor writes honour read-only pages */
#define CR0_PG (1ULL << 31) /* paging */

/* CR4 */
#define CR4_PSE (1ULL << 4)         /* 4 MiB pages in 32-bit paging */
#define CR4_PAE (1ULL << 5)         /* 64-bit entries: PAE or long-mode paging */
#define CR4_OSFXSR (1ULL << 9)      /* the OS saves SSE state: SSE may be used */
#define CR4_OSXMMEXCPT (1ULL << 10) /* SSE exceptions as #XM */
#define CR4_LA57 (1ULL << 12)       /* 5-level paging */
#define CR4_SMAP (1ULL << 21)       /* supervisor data accesses to user pages fault */

/* EFER (MSR 0xC0000080) */
#define EFER_LME (1ULL << 8)  /* long mode enabled (takes effect with CR0.PG) */
#define EFER_LMA (1ULL << 10) /* long mode active */
#define EFER_NXE (1ULL << 11) /* the XD bit of page-table entries is in use */

/* RFLAGS */
#define RFLAGS_AC (1ULL << 18) /* alignment check; with SMAP: explicit user accesses allowed */

/* DR6 and DR7 */
#define DR6_BS (1ULL << 14) /* the exit was a single step */
#define DR7_LE (1ULL << 8)  /* exact breakpoint detection (legacy, but set as gdb does) */
#define DR7_GE (1ULL << 9)

/* Page-table entries (4- and 5-level, PAE; 32-bit paging uses the low bits alike) */
#define PTE_P (1ULL << 0)  /* present */
#define PTE_W (1ULL << 1)  /* writable */
#define PTE_U (1ULL << 2)  /* user-mode accessible */
#define PTE_PS (1ULL << 7) /* a large page (in a PDPTE or PDE) */
#define PTE_NX (1ULL << 63) /* execute-disable (XD), with EFER.NXE */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL /* the next table or page, up to 52 bits */

/* MSRs */
#define MSR_IA32_APICBASE 0x1B
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1A0
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_KERNEL_GS_BASE 0xC0000102

/* Exception vectors */
#define VEC_BP 3  /* int3 */
#define VEC_GP 13 /* general protection */
#define VEC_PF 14 /* page fault */
#define VEC_MF 16 /* x87 floating-point error */

/* The one-byte breakpoint instruction, int3 */
#define INSN_INT3 0xCC

#endif
