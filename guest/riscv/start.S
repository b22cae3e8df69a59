/* SPDX-License-Identifier: MIT */
/*
 * Entry of the C guests (ckernel.c, smp.c, ticker.c): the boot hart arrives with
 * a0 = its hart id and a1 = the device tree's address (the RISC-V boot
 * convention SBI firmware and KVM VMMs follow). Other harts park. Set up
 * the stack, clear .bss, call kmain(hartid, fdt).
 */
	.section .text.start
	.globl _start
_start:
	bnez	a0, park            /* only hart 0 runs the kernel */
	la	sp, stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	kmain
park:
	wfi
	j	park
