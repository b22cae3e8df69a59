/* SPDX-License-Identifier: MIT */
/*
 * PVH entry for the benchmark guests, which must boot unchanged on minikvm
 * and on QEMU (`-kernel FILE`, -M microvm and -M pc).
 *
 * The ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18, name "Xen", a 4-byte
 * physical address) names pvh_start. Both VMMs enter it in flat 32-bit
 * protected mode with paging off and EBX = the hvm_start_info (unused here).
 *
 * Built twice from this one file:
 *   32-bit (exit.elf, serial.elf): take a stack, call main() in 32-bit
 *     protected mode.
 *   -DLONG64 (loop.elf, an ELF64): identity-map the first GiB with 2 MiB
 *     pages (no 1 GiB pages: some KVMs lack them), enable PAE, EFER.LME and
 *     paging, far-jump to 64-bit code and call main() in long mode. An ELF64
 *     gets gdb's x86-64 register layout on minikvm, which is the only layout
 *     QEMU's stub offers: the same gdb session works on both.
 *
 * .bss is zeroed by both loaders (and guest RAM starts zeroed), so there is
 * no clearing loop here: every instruction counts on a host whose KVM
 * emulates guests.
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4                 /* n_namesz: "Xen\0" */
	.long 4                 /* n_descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start         /* the entry's physical address */

	.section .text.start, "ax"
	.code32
	.globl pvh_start
	.type pvh_start, @function
pvh_start:
	cli
	cld
	movl $stack_top, %esp
	xorl %ebp, %ebp
#ifndef LONG64
	call main
1:	cli
	hlt
	jmp 1b
#else
	/* PD: 512 entries of 2 MiB (present, writable, page size) = the first GiB. */
	movl $pd, %edi
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, (%edi,%ecx,8)
	addl $1, %ecx
	cmpl $512, %ecx
	jb 2b
	movl $pdpt + 3, pml4
	movl $pd + 3, pdpt
	movl $pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax         /* CR4.PAE */
	movl %eax, %cr4
	movl $0xC0000080, %ecx  /* EFER */
	rdmsr
	orl $0x100, %eax        /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax   /* CR0.PG | CR0.PE */
	movl %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $long_entry

	.code64
long_entry:
	.cfi_startproc
	.cfi_undefined rip
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $stack_top, %rsp
	xorl %ebp, %ebp
	call main
3:	cli
	hlt
	jmp 3b
	.cfi_endproc
#endif
	.size pvh_start, . - pvh_start

#ifdef LONG64
	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff  /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff  /* 0x10: data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
#endif

	.bss
	.balign 16
stack_bottom:
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
