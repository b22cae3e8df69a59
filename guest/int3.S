/* SPDX-License-Identifier: MIT */
/*
 * int3.bin — a long-mode guest that uses int3 itself, with its own #BP
 * handler: the VMM (and a debugger attached to it) must hand the guest's own
 * breakpoints to the guest, not swallow them.
 *
 * Run:    minikvm --format raw64 guest/int3.bin
 * Prints: "int3: before\n", "int3: handler ran, count=1\n",
 *         "int3: handler ran, count=2\n", "int3: after, count=2\n",
 *         "int3: mxcsr ok\n" (an ldmxcsr/stmxcsr round trip: another pair of
 *         instructions some KVM emulators cannot run and minikvm completes)
 * Exit:   hypercall EXIT 0 (status 0); a lost #BP would hang or crash instead.
 */
#include "lib/puts.inc"

	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	leaq stack_top(%rip), %rsp
	/* IDT entry 3: a 64-bit interrupt gate to bp_handler, selector 0x10. */
	leaq bp_handler(%rip), %rax
	leaq idt(%rip), %rdi
	movw %ax, 3*16(%rdi)
	movw $0x10, 3*16+2(%rdi)
	movw $0x8e00, 3*16+4(%rdi)
	shrq $16, %rax
	movw %ax, 3*16+6(%rdi)
	shrq $16, %rax
	movl %eax, 3*16+8(%rdi)
	lidt idt_desc(%rip)
	leaq msg_before(%rip), %rsi
	call puts
	.globl own_int3
own_int3:
	int3
	int3
	leaq msg_after(%rip), %rsi
	call puts
	call print_count
	subq $16, %rsp
	movl $0x1fa0, 4(%rsp)       /* default MXCSR with the underflow mask cleared... */
	ldmxcsr 4(%rsp)
	stmxcsr 8(%rsp)
	movl $0x1f80, 12(%rsp)
	ldmxcsr 12(%rsp)            /* ...and back */
	addq $16, %rsp
	cmpl $0x1fa0, -8(%rsp)
	jne 1f
	leaq msg_mxcsr(%rip), %rsi
	call puts
1:	movl $3, %eax
	xorl %ebx, %ebx
	movw $0x510, %dx
	outl %eax, %dx
	hlt

	.globl bp_handler
bp_handler:
	incq bp_count(%rip)
	leaq msg_handler(%rip), %rsi
	call puts
	call print_count
	iretq

print_count:
	movq bp_count(%rip), %rax
	addb $'0', %al
	movb %al, digit(%rip)
	leaq msg_count(%rip), %rsi
	jmp puts

	COM1_PUTS puts

	.data
	.balign 16
idt:
	.skip 16 * 4
idt_desc:
	.word 16 * 4 - 1
	.quad idt
bp_count:
	.quad 0
msg_before: .asciz "int3: before\n"
msg_handler: .asciz "int3: handler ran"
msg_after: .asciz "int3: after"
msg_mxcsr: .asciz "int3: mxcsr ok\n"
msg_count: .ascii ", count="
digit: .asciz "0\n"

	.bss
	.balign 16
	.skip 4096
stack_top:

	.section .note.GNU-stack, "", @progbits
