/* SPDX-License-Identifier: MIT */
/*
 * How an application processor (AP) gets from the SIPI to C code.
 *
 * smp_trampoline_start..smp_trampoline_end is copied by the BSP to
 * TRAMPOLINE_ADDR (0x10000), below 1 MiB, because a SIPI can only start a
 * CPU in real mode at a page-aligned address under 1 MiB: vector 0x10 gives
 * CS = 0x1000 (base 0x10000), IP = 0. The code therefore never uses its link
 * address; it addresses its data relative to CS.
 *
 * It loads its own GDT (flat 32-bit code 0x08 and data 0x10), sets CR0.PE
 * and far-jumps to ap_entry32 in the image at 1 MiB, now in 32-bit
 * protected mode. There each AP takes the next free stack from ap_stacks
 * with `lock xadd` (several APs run this at the same time) and calls
 * ap_main() in smp.c.
 */
#include "lib/machine.h"
#include "smp.h"

#define TRAMP_OFFSET(sym) ((sym) - smp_trampoline_start)

	.text
	.code16
	.globl smp_trampoline_start, smp_trampoline_end
smp_trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl TRAMP_OFFSET(tramp_gdtr)  /* DS-relative: DS = CS = 0x1000 */
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	/* A far jump reloads CS from the new GDT: from here on, 32-bit code. */
	ljmpl $TRAMP_CODE32, $ap_entry32

	.balign 8
tramp_gdt:
	.quad 0                         /* null descriptor */
	.quad 0x00cf9a000000ffff        /* 0x08: code, base 0, limit 4 GiB, 32-bit, execute/read */
	.quad 0x00cf92000000ffff        /* 0x10: data, base 0, limit 4 GiB, read/write */
tramp_gdtr:
	.word 3 * 8 - 1                 /* limit */
	.long TRAMPOLINE_ADDR + TRAMP_OFFSET(tramp_gdt)  /* linear base of the copy */
smp_trampoline_end:

	.code32
ap_entry32:
	movw $TRAMP_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs

	/* index = ap_next_stack++, atomically; the stack is ap_stacks[index]. */
	movl $1, %eax
	lock xaddl %eax, ap_next_stack
	cmpl $(SMP_MAX_CPUS - 1), %eax
	jae 1f                          /* more APs than stacks: stay out of the way */
	incl %eax
	imull $AP_STACK_SIZE, %eax
	addl $ap_stacks, %eax
	movl %eax, %esp                 /* top of ap_stacks[index] */
	xorl %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
