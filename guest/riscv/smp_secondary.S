/* SPDX-License-Identifier: MIT */
/*
 * Where guest/riscv/smp.c starts the other harts. (The boot hart enters
 * through start.S, at kmain.) A hart started by SBI HSM hart_start arrives
 * here in S-mode with a0 = its hart id, a1 = the opaque value smp.c passed
 * (its struct hart, whose first field is its stack's top), satp = 0 and
 * sstatus.SIE = 0 (SBI specification, "Hart State Management Extension").
 * Once smp_secondary_main returns, the hart parks.
 */
	.section .text
	.balign	4
	.globl	smp_secondary_entry
smp_secondary_entry:
	ld	sp, 0(a1)           /* struct hart's stack_top */
	call	smp_secondary_main  /* a0 = hart id, a1 = struct hart * */
1:	wfi
	j	1b
