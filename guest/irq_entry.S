/* SPDX-License-Identifier: MIT */
/*
 * Interrupt entry stubs of irq.elf (guest/irq.c builds the IDT from them).
 *
 * One 16-byte stub per vector, at irq_stubs + 16 * vector. Each makes the
 * stack look the same whatever the vector: where the CPU pushes no error
 * code it pushes a zero, then it pushes the vector number. irq_common saves
 * the registers the C calling convention lets a callee clobber, hands
 * irq_dispatch() a pointer to the whole frame (struct irq_frame in irq.c)
 * and returns with iretq, the 64-bit iret (a 32-bit iret is one of the
 * instructions some emulating KVM hosts cannot run).
 *
 * Stack alignment: the CPU aligns RSP to 16 bytes before pushing its five
 * quadwords (SS, RSP, RFLAGS, CS, RIP); with the error code, the vector
 * and nine registers that makes 16 quadwords, so RSP is 16-byte aligned at
 * the call, as the ABI wants.
 */
	.text
	.code64

	.balign 16
	.globl irq_stubs
irq_stubs:
	vector = 0
	.rept 256
	.balign 16
	/* #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX push an error code (SDM vol. 3A, 6.13). */
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || \
	      vector == 29 || vector == 30)
	pushq $0
	.endif
	pushq $vector
	jmp irq_common
	vector = vector + 1
	.endr

irq_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq %rsp, %rdi
	cld
	call irq_dispatch
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp              /* the vector and the error code */
	iretq

	.section .note.GNU-stack, "", @progbits
