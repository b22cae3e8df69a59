/* SPDX-License-Identifier: MIT */
/*
 * Entry point for the 32-bit C guests started in flat protected mode
 * (raw32 images and plain ELF32 files). The VMM gives us CS/DS/SS with base
 * 0 and limit 4 GiB but no stack, so: take our own stack, clear .bss (a raw
 * image's .bss is not in the file), call main(), and if it ever returns,
 * halt.
 */
	.section .text.start, "ax"
	.code32
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl $stack_top, %esp
	xorl %ebp, %ebp

	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb               /* the stack lives in .bss too: fine, it is empty */

	call main
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.bss
	.balign 16
stack_bottom:
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
