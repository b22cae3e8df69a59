/* SPDX-License-Identifier: MIT */
/*
 * hello16.bin — the smallest guest: a real-mode "boot sector".
 *
 * Demonstrates: 16-bit real mode as a BIOS leaves it (CS=DS=ES=SS=0,
 * IP=SP=0x7C00), programmed I/O to a 16550A UART (poll the line status
 * register until the transmit holding register is empty, then write the
 * byte), and ending the machine the way a PC reboots: command 0xFE (pulse
 * the reset line) to the i8042 keyboard controller, which minikvm treats as
 * a clean shutdown.
 *
 * Run:    minikvm guest/hello16.bin
 * Prints: "Hello, world! (real mode)\n"     Exit status: 0
 */
#include "lib/machine.h"

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp       /* the stack grows down, below our own code */

	movw $message, %si
next_char:
	lodsb                   /* AL = DS:[SI++] */
	testb %al, %al
	jz done
	call putc
	jmp next_char

done:
	movb $I8042_CMD_RESET, %al
	outb %al, $I8042_CMD_PORT
halt:
	hlt                     /* not reached: the reset ends the VM */
	jmp halt

/* putc: write AL to COM1. Clobbers DX, AH. */
putc:
	movb %al, %ah
	movw $COM1_LSR, %dx
wait_thre:
	inb %dx, %al
	testb $UART_LSR_THRE, %al
	jz wait_thre
	movw $COM1_THR, %dx
	movb %ah, %al
	outb %al, %dx
	ret

message:
	.asciz "Hello, world! (real mode)\n"

	/* Pad to 512 bytes and end with the 0x55 0xAA boot signature, like a real boot sector. */
	.org 510
	.byte 0x55, 0xaa

	.section .note.GNU-stack, "", @progbits
