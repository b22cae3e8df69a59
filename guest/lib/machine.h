/* SPDX-License-Identifier: MIT */
/*
 * The machine minikvm gives its guests: I/O ports, the hypercall ABI, fixed
 * addresses. Only #defines, so both the assembly guests (.S files, through
 * the C preprocessor) and the C guests can include it.
 *
 * Hypercall ABI (docs/hypercalls.md): the call number goes in EAX, arguments
 * in RBX (arg0) and RCX (arg1), then `out %eax, %dx` with DX = 0x510 (a
 * 32-bit OUT; in real mode that is `outl`, with the 0x66 prefix). The result
 * comes back in RAX.
 */
#ifndef GUEST_MACHINE_H
#define GUEST_MACHINE_H

/* COM1, a 16550A: wait for LSR.THRE (transmit holding register empty), then write THR. */
#define COM1_PORT        0x3F8
#define COM1_THR         (COM1_PORT + 0)
#define COM1_LSR         (COM1_PORT + 5)
#define UART_LSR_THRE    0x20

/* isa-debug-exit: writing v ends the VM with exit status (v << 1) | 1. */
#define DEBUG_EXIT_PORT  0xF4

/* i8042 keyboard controller: command 0xFE (pulse reset) ends the VM with status 0. */
#define I8042_CMD_PORT   0x64
#define I8042_CMD_RESET  0xFE

#define HYPERCALL_PORT   0x510
#define HC_VERSION       0  /* -> 1 */
#define HC_PUTCHAR       1  /* BL = byte -> 0 */
#define HC_GETCHAR       2  /* -> byte, -1 (nothing yet) or -2 (end of input) */
#define HC_EXIT          3  /* EBX = exit status */
#define HC_VCPU_ID       4  /* -> vCPU index, 0-based */
#define HC_WRITE         5  /* RBX = guest-physical address, RCX = length -> length or -1 */

/* Where raw32/raw64 images and our ELF kernels are loaded. */
#define GUEST_LOAD_ADDR  0x100000

/* The local APIC (Intel SDM vol. 3A, chapter 10/11 "Advanced Programmable Interrupt Controller"). */
#define LAPIC_BASE       0xFEE00000
#define LAPIC_ID         0x020  /* bits 31:24: this CPU's APIC ID */
#define LAPIC_SVR        0x0F0  /* spurious-interrupt vector; bit 8 = APIC software enable */
#define LAPIC_ICR_LOW    0x300  /* writing it sends the IPI */
#define LAPIC_ICR_HIGH   0x310  /* bits 31:24: destination APIC ID */

/* Model-specific registers and control-register bits (SDM vol. 3A, 2.5 and 2.2.1). */
#define MSR_EFER         0xC0000080
#define EFER_LME         (1 << 8)
#define EFER_LMA         (1 << 10)
#define CR0_PE           (1 << 0)
#define CR0_PG           (1 << 31)
#define CR4_PAE          (1 << 5)

#endif
