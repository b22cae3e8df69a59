/* SPDX-License-Identifier: MIT */
/*
 * Where guest RAM sits on the x86 machine (a PC): from 0 up to 3 GiB, the
 * rest from 4 GiB on; the hole between is MMIO (LAPIC, IOAPIC, ...).
 * guest_mem.h includes this through the arch's include path.
 */
#ifndef MINIKVM_X86_GUEST_MEM_ARCH_H
#define MINIKVM_X86_GUEST_MEM_ARCH_H

#define GUEST_MEM_BASE       0x0ULL         /* RAM starts at guest-physical 0 */
#define GUEST_MEM_HOLE_START 0xC0000000ULL  /* 3 GiB: RAM below, MMIO above */
#define GUEST_MEM_HIGH_START 0x100000000ULL /* 4 GiB: RAM resumes here */

#endif
