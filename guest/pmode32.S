/* SPDX-License-Identifier: MIT */
/*
 * pmode32.bin — a raw image started in flat 32-bit protected mode.
 *
 * Demonstrates: the raw32 start state (CS=0x10 32-bit code, DS=ES=SS=0x18,
 * base 0, limit 4 GiB, paging off, no stack: we set our own), reading CR0 to
 * show PE=1 and PG=0, reading segment selectors, and ending the VM through
 * isa-debug-exit (port 0xF4), whose exit status is (value << 1) | 1.
 *
 * Run:    minikvm --format raw32 guest/pmode32.bin
 * Prints: "Hello from 32-bit protected mode!\n"
 *         "pmode32: CR0.PE=1 CR0.PG=0 CS=0x0010 DS=0x0018 SS=0x0018\n"
 *         "pmode32: running at 0x00100000, exiting via isa-debug-exit 0x10\n"
 * Exit status: 33 ((0x10 << 1) | 1)
 */
#include "lib/machine.h"

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp

	movl $greeting, %esi
	call puts

	/* CR0 bit 0 (PE) and bit 31 (PG) */
	movl $msg_pe, %esi
	call puts
	movl %cr0, %eax
	andl $CR0_PE, %eax
	call putdigit
	movl $msg_pg, %esi
	call puts
	movl %cr0, %eax
	shrl $31, %eax
	call putdigit

	movl $msg_cs, %esi
	call puts
	xorl %eax, %eax
	movw %cs, %ax
	movl $4, %ecx
	call puthex
	movl $msg_ds, %esi
	call puts
	xorl %eax, %eax
	movw %ds, %ax
	movl $4, %ecx
	call puthex
	movl $msg_ss, %esi
	call puts
	xorl %eax, %eax
	movw %ss, %ax
	movl $4, %ecx
	call puthex

	/* Where are we? call/pop gives the address we actually run at. */
	movl $msg_at, %esi
	call puts
	call 1f
1:	popl %eax
	subl $(1b - _start), %eax
	movl $8, %ecx
	call puthex
	movl $msg_bye, %esi
	call puts

	movb $0x10, %al
	outb %al, $DEBUG_EXIT_PORT
2:	cli
	hlt                     /* not reached */
	jmp 2b

	.text
/* puts: print the NUL-terminated string at ESI. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* putdigit: print EAX (0..9) as one decimal digit. */
putdigit:
	addb $'0', %al
	jmp putc

/* puthex: print the low ECX hex digits of EAX. Clobbers EAX, ECX, EDX, EBX. */
puthex:
	movl %eax, %ebx
	leal -4(,%ecx,4), %ecx  /* shift of the most significant digit */
1:	movl %ebx, %eax
	shrl %cl, %eax
	andl $0xf, %eax
	movb hexdigits(%eax), %al
	call putc
	subl $4, %ecx
	jns 1b
	ret

/* putc: print AL on COM1. Preserves everything but EAX and EDX. */
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
greeting:	.asciz "Hello from 32-bit protected mode!\n"
msg_pe:		.asciz "pmode32: CR0.PE="
msg_pg:		.asciz " CR0.PG="
msg_cs:		.asciz " CS=0x"
msg_ds:		.asciz " DS=0x"
msg_ss:		.asciz " SS=0x"
msg_at:		.asciz "\npmode32: running at 0x"
msg_bye:	.asciz ", exiting via isa-debug-exit 0x10\n"

	.bss
	.balign 16
	.skip 4096
stack_top:

	.section .note.GNU-stack, "", @progbits
