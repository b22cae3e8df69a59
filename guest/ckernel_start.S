/* SPDX-License-Identifier: MIT */
/*
 * Entry point of ckernel.elf, in 64-bit long mode on the VMM's identity map.
 * The VMM gives us no stack, so take 64 KiB of .bss (the ELF loader zeroes
 * it), clear RBP so that frame-pointer walks end here, and call kmain().
 * The CFI marks RIP as undefined in this frame: gdb's `bt` stops cleanly at
 * _start instead of unwinding into garbage.
 */
	.section .text.start, "ax"
	.code64
	.globl _start
	.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	cli
	cld
	leaq stack_top(%rip), %rsp  /* 16-byte aligned; the call makes it ABI-correct */
	xorl %ebp, %ebp
	call kmain
1:	cli                         /* kmain never returns; if it did, stop here */
	hlt
	jmp 1b
	.cfi_endproc
	.size _start, . - _start

	.bss
	.balign 16
	.globl stack_bottom, stack_top
stack_bottom:
	.skip 65536
stack_top:

	.section .note.GNU-stack, "", @progbits
