/* SPDX-License-Identifier: MIT */
/*
 * long64.bin — a raw image started directly in 64-bit long mode.
 *
 * Demonstrates: the raw64 start state (paging on with the VMM's identity
 * map, CS=0x10 a 64-bit code segment), checking it the way a kernel would:
 * EFER (MSR 0xC0000080) has LME (bit 8, long mode enabled) and LMA (bit 10,
 * long mode active), CR0.PG (bit 31) and CR4.PAE (bit 5) are set. It then
 * writes a 64-bit value at 32 MiB — far beyond the image, reachable only
 * through the identity map — reads it back, and ends the VM with the EXIT
 * hypercall.
 *
 * Run:    minikvm --format raw64 guest/long64.bin
 * Prints: "long mode: EFER.LMA=1 EFER.LME=1 CR0.PG=1 CR4.PAE=1 CS=0x0010\n"
 *         "long64: wrote 0x0123456789abcdef at 0x0000000002000000, read back 0x0123456789abcdef\n"
 *         "long64: exiting via hypercall EXIT 0\n"
 * Exit status: 0
 */
#include "lib/machine.h"

#define TEST_ADDR  0x2000000            /* 32 MiB */
#define TEST_VALUE 0x0123456789abcdef

	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	leaq stack_top(%rip), %rsp

	leaq msg_lma(%rip), %rsi
	call puts
	movl $MSR_EFER, %ecx
	rdmsr                   /* EDX:EAX = EFER */
	movl %eax, %r12d
	shrl $10, %eax
	andl $1, %eax
	call putdigit
	leaq msg_lme(%rip), %rsi
	call puts
	movl %r12d, %eax
	shrl $8, %eax
	andl $1, %eax
	call putdigit

	leaq msg_pg(%rip), %rsi
	call puts
	movq %cr0, %rax
	shrq $31, %rax
	andl $1, %eax
	call putdigit
	leaq msg_pae(%rip), %rsi
	call puts
	movq %cr4, %rax
	shrq $5, %rax
	andl $1, %eax
	call putdigit

	leaq msg_cs(%rip), %rsi
	call puts
	xorl %eax, %eax
	movw %cs, %ax
	movl $4, %ecx
	call puthex
	movb $'\n', %al
	call putc

	/* Through the page tables to 32 MiB and back. */
	movq $TEST_VALUE, %r13
	movq $TEST_ADDR, %r14
	movq %r13, (%r14)
	mfence
	movq (%r14), %r15

	leaq msg_wrote(%rip), %rsi
	call puts
	movq %r13, %rax
	movl $16, %ecx
	call puthex
	leaq msg_at(%rip), %rsi
	call puts
	movq %r14, %rax
	movl $16, %ecx
	call puthex
	leaq msg_read(%rip), %rsi
	call puts
	movq %r15, %rax
	movl $16, %ecx
	call puthex
	movb $'\n', %al
	call putc

	leaq msg_bye(%rip), %rsi
	call puts
	movl $HC_EXIT, %eax
	xorl %ebx, %ebx         /* exit status 0 */
	movw $HYPERCALL_PORT, %dx
	outl %eax, %dx
1:	cli
	hlt                     /* not reached */
	jmp 1b

	.text
/* puts: print the NUL-terminated string at RSI. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* putdigit: print AL (0..9) as a decimal digit. */
putdigit:
	addb $'0', %al
	jmp putc

/* puthex: print the low RCX hex digits of RAX. Clobbers RAX, RBX, RCX, RDX. */
puthex:
	movq %rax, %rbx
	leal -4(,%rcx,4), %ecx
1:	movq %rbx, %rax
	shrq %cl, %rax
	andl $0xf, %eax
	leaq hexdigits(%rip), %rdx
	movb (%rdx,%rax), %al
	call putc
	subl $4, %ecx
	jns 1b
	ret

/* putc: print AL on COM1. Clobbers RAX, RDX. */
putc:
	movb %al, %ah
	movw $COM1_LSR, %dx
1:	inb %dx, %al
	testb $UART_LSR_THRE, %al
	jz 1b
	movw $COM1_THR, %dx
	movb %ah, %al
	outb %al, %dx
	ret

	.section .rodata
hexdigits:	.ascii "0123456789abcdef"
msg_lma:	.asciz "long mode: EFER.LMA="
msg_lme:	.asciz " EFER.LME="
msg_pg:		.asciz " CR0.PG="
msg_pae:	.asciz " CR4.PAE="
msg_cs:		.asciz " CS=0x"
msg_wrote:	.asciz "long64: wrote 0x"
msg_at:		.asciz " at 0x"
msg_read:	.asciz ", read back 0x"
msg_bye:	.asciz "long64: exiting via hypercall EXIT 0\n"

	.bss
	.balign 16
	.skip 4096
stack_top:

	.section .note.GNU-stack, "", @progbits
