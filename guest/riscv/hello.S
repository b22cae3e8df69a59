/* SPDX-License-Identifier: MIT */
/*
 * The smallest RISC-V guest: print a line on the NS16550A UART of QEMU's
 * virt board (0x1000_0000), then end the machine through its test device
 * (0x10_0000) with exit code 42: the value (42 << 16) | 0x3333 means "fail
 * with this code", which is how a bare-metal test reports a status. Runs
 * unchanged under qemu-system-riscv64 -M virt -bios none -kernel hello.elf.
 */
#define UART     0x10000000
#define UART_LSR 5          /* line status register */
#define LSR_THRE 0x20       /* transmit holding register empty */
#define TEST_DEV 0x100000

	.section .text.start
	.globl _start
_start:
	li	t0, UART
	la	t1, message
1:	lbu	t2, 0(t1)
	beqz	t2, 3f
2:	lbu	t3, UART_LSR(t0)    /* wait until the UART takes a byte */
	andi	t3, t3, LSR_THRE
	beqz	t3, 2b
	sb	t2, 0(t0)
	addi	t1, t1, 1
	j	1b
3:	li	t0, TEST_DEV
	li	t1, (42 << 16) | 0x3333
	sw	t1, 0(t0)
4:	wfi                         /* not reached: the machine is gone */
	j	4b

	.section .rodata
message:
	.asciz	"Hello from RISC-V!\n"
