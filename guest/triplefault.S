/* SPDX-License-Identifier: MIT */
/*
 * triplefault.bin — a guest that crashes the CPU on purpose.
 *
 * Demonstrates how the VMM reports a dead guest. We load an IDT whose limit
 * is 0, so no vector has a usable gate, then execute ud2 (undefined opcode,
 * vector 6). Delivering #UD fails (the gate lies beyond the IDT limit) and
 * raises #GP; delivering #GP fails too and becomes a double fault (#DF);
 * delivering #DF fails and the processor triple-faults, i.e. shuts down
 * (Intel SDM vol. 3A, 6.15, "Interrupt 8 - Double Fault Exception").
 * KVM reports that as KVM_EXIT_SHUTDOWN; minikvm prints a register dump
 * on stderr and exits with status 3.
 *
 * Run:    minikvm --format raw32 guest/triplefault.bin
 * Prints: "about to triple fault\n"     Exit status: 3 (dump on stderr)
 */
#include "lib/machine.h"

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl $message, %esi
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %ah
	movw $COM1_LSR, %dx
2:	inb %dx, %al
	testb $UART_LSR_THRE, %al
	jz 2b
	movw $COM1_THR, %dx
	movb %ah, %al
	outb %al, %dx
	jmp 1b

3:	lidt empty_idt
	.globl crash_here
crash_here:
	ud2                     /* #UD -> #GP -> #DF -> triple fault */

	/* Not reached; if the CPU ever gets here, say so with status 1. */
	movl $HC_EXIT, %eax
	movl $1, %ebx
	movw $HYPERCALL_PORT, %dx
	outl %eax, %dx
4:	hlt
	jmp 4b

	.section .rodata
message:	.asciz "about to triple fault\n"
	.balign 8
empty_idt:
	.word 0                 /* limit 0: no gate is inside it */
	.long 0                 /* base */

	.section .note.GNU-stack, "", @progbits
