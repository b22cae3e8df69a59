/* SPDX-License-Identifier: MIT */
/*
 * modeswitch.bin — a boot sector that climbs real -> protected -> long mode,
 * printing one line in each, for debugging across mode switches.
 *
 * Run:    minikvm guest/modeswitch.bin            (raw16 at 0x7c00)
 * Debug:  minikvm -S --gdb-arch x86-64 guest/modeswitch.bin
 *         gdb guest/modeswitch.bin.elf -ex "target remote :1234"
 *         (the x86-64 layout serves all three modes; labels below are symbols)
 * Prints: "mode: real\n", "mode: protected\n", "mode: long\n"
 * Exit:   hypercall EXIT 0
 *
 * Labels: rm_point (real mode, AX = 0x1234), pm_point (protected mode,
 * EAX = 0x89abcdef), lm_point (long mode, RAX = 0x0123456789abcdef).
 * Page tables it builds: PML4 0x20000 -> PDPT 0x21000 -> PD 0x22000
 * (2 MiB pages identity-mapping the first 1 GiB).
 */
#include "lib/puts.inc"
#define HC_PORT 0x510

	.section .text.start, "ax"
	.code16
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7c00, %sp
	movw $msg_real, %si
	call puts16
	movw $0x1234, %ax
	.globl rm_point
rm_point:
	nop
	lgdt gdt_desc
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmp $0x08, $pm_entry

	COM1_PUTS puts16

	.code32
pm_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $0x7c00, %esp
	movl $msg_prot, %esi
	call puts32
	movl $0x89abcdef, %eax
	.globl pm_point
pm_point:
	nop
	/* Identity map of the first GiB: PML4[0] -> PDPT[0] -> PD of 512 2 MiB pages. */
	movl $0x20000, %edi
	xorl %eax, %eax
	movl $3 * 4096 / 4, %ecx
	rep stosl
	movl $0x21003, 0x20000
	movl $0x22003, 0x21000
	movl $0x22000, %edi
	movl $0x83, %eax
	movl $512, %ecx
3:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 3b
	movl $0x20000, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax            /* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx     /* EFER */
	rdmsr
	orl $0x100, %eax           /* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax      /* PG: long mode becomes active */
	movl %eax, %cr0
	ljmp $0x18, $lm_entry

	COM1_PUTS puts32

	.code64
lm_entry:
	movq $msg_long, %rsi
	call puts32_64
	movabsq $0x0123456789abcdef, %rax
	.globl lm_point
lm_point:
	nop
	movl $3, %eax              /* HC_EXIT */
	xorl %ebx, %ebx
	movw $HC_PORT, %dx
	outl %eax, %dx
	hlt

	COM1_PUTS puts32_64

	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff   /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff   /* 0x10: data */
	.quad 0x00af9a000000ffff   /* 0x18: 64-bit code */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

msg_real: .asciz "mode: real\n"
msg_prot: .asciz "mode: protected\n"
msg_long: .asciz "mode: long\n"

	.section .note.GNU-stack, "", @progbits
