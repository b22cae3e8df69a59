/* SPDX-License-Identifier: MIT */
/* Shared by smp.c and smp_trampoline.S: where the APs start and their stacks. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

/*
 * The real-mode trampoline is copied here, a free 4 KiB page below 1 MiB
 * (guest/README.md; src/x86/layout.h marks 0xF000-0x9FBFF usable). A SIPI
 * with vector V starts the AP at CS = V << 8, IP = 0, i.e. at V << 12.
 */
#define TRAMPOLINE_ADDR   0x10000
#define TRAMPOLINE_VECTOR (TRAMPOLINE_ADDR >> 12)

#define SMP_MAX_CPUS      64
#define AP_STACK_SIZE     4096

/* Selectors of the trampoline's own GDT. */
#define TRAMP_CODE32      0x08
#define TRAMP_DATA        0x10

#endif
