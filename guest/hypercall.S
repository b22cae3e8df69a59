/* SPDX-License-Identifier: MIT */
/*
 * hypercall.bin — every minikvm hypercall, from a raw 64-bit image.
 *
 * Demonstrates the paravirtual port 0x510 (see lib/machine.h): the call
 * number in EAX, arguments in RBX and RCX, `out %eax, %dx` with DX = 0x510,
 * the result in RAX. All output goes through hypercalls, not the UART:
 *   VERSION  -> printed;
 *   PUTCHAR  -> every line but one is printed a byte at a time with it;
 *   WRITE    -> one line printed from guest memory in one call, and a WRITE
 *               of a range outside RAM, which must return -1;
 *   VCPU_ID  -> printed (0 for the only vCPU);
 *   an unknown call number, which must return -1;
 *   GETCHAR  -> console input echoed upper-cased until it returns -2 (end of
 *               input); while it returns -1 (nothing yet) we spin with pause;
 *   EXIT     -> ends the VM with status 7.
 *
 * Run:    printf abc | minikvm --format raw64 guest/hypercall.bin
 * Prints: "hypercall: version 1\n"
 *         "hypercall: this line came through WRITE\n"
 *         "hypercall: WRITE returned 40\n"
 *         "hypercall: vcpu id 0\n"
 *         "hypercall: unknown call 0x1234 returned -1\n"
 *         "hypercall: WRITE outside RAM returned -1\n"
 *         "hypercall: echo: ABC\n"            (the input, upper-cased)
 *         "hypercall: end of input, EXIT 7\n"
 * Exit status: 7
 */
#include "lib/machine.h"

/* Far above any RAM minikvm gives a guest: 16 TiB. */
#define NOT_RAM 0x100000000000

	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	leaq stack_top(%rip), %rsp

	/* VERSION */
	leaq msg_version(%rip), %rsi
	call hc_puts
	movl $HC_VERSION, %eax
	call hypercall
	call print_dec
	call newline

	/* WRITE: one line straight from guest memory (physical = virtual here). */
	movl $HC_WRITE, %eax
	leaq msg_write(%rip), %rbx
	movq $(msg_write_end - msg_write), %rcx
	call hypercall
	movq %rax, %r12
	leaq msg_write_ret(%rip), %rsi
	call hc_puts
	movq %r12, %rax
	call print_dec
	call newline

	/* VCPU_ID */
	leaq msg_vcpu(%rip), %rsi
	call hc_puts
	movl $HC_VCPU_ID, %eax
	call hypercall
	call print_dec
	call newline

	/* An unknown call number. */
	leaq msg_unknown(%rip), %rsi
	call hc_puts
	movl $0x1234, %eax
	call hypercall
	call print_dec
	call newline

	/* WRITE of a range that is not RAM. */
	leaq msg_badwrite(%rip), %rsi
	call hc_puts
	movl $HC_WRITE, %eax
	movq $NOT_RAM, %rbx
	movl $16, %ecx
	call hypercall
	call print_dec
	call newline

	/* GETCHAR until the end of input, echoing upper-cased. */
	leaq msg_echo(%rip), %rsi
	call hc_puts
echo_loop:
	movl $HC_GETCHAR, %eax
	call hypercall
	cmpq $-1, %rax          /* nothing has arrived yet: wait */
	je echo_wait
	cmpq $-2, %rax          /* end of input */
	je echo_done
	cmpq $0xff, %rax
	ja bad_getchar
	cmpb $'a', %al
	jb 1f
	cmpb $'z', %al
	ja 1f
	subb $('a' - 'A'), %al
1:	movzbl %al, %ebx
	call hc_putc
	jmp echo_loop
echo_wait:
	pause
	jmp echo_loop

echo_done:
	call newline
	leaq msg_bye(%rip), %rsi
	call hc_puts
	movl $7, %ebx
exit:
	movl $HC_EXIT, %eax
	call hypercall
2:	cli
	hlt                     /* not reached */
	jmp 2b

bad_getchar:
	movq %rax, %r12
	call newline
	leaq msg_bad(%rip), %rsi
	call hc_puts
	movq %r12, %rax
	call print_dec
	call newline
	movl $1, %ebx
	jmp exit

	.text
/* hypercall: number in EAX, arguments in RBX/RCX; result in RAX. Clobbers RDX. */
hypercall:
	movw $HYPERCALL_PORT, %dx
	outl %eax, %dx
	ret

/* hc_putc: print BL with PUTCHAR. Clobbers RAX, RDX. */
hc_putc:
	movl $HC_PUTCHAR, %eax
	jmp hypercall

/* hc_puts: print the NUL-terminated string at RSI with PUTCHAR. Clobbers RAX, RBX, RDX, RSI. */
hc_puts:
	movzbl (%rsi), %ebx
	testb %bl, %bl
	jz 1f
	call hc_putc
	incq %rsi
	jmp hc_puts
1:	ret

newline:
	movl $'\n', %ebx
	jmp hc_putc

/* print_dec: print RAX as a signed decimal number. Clobbers RAX, RBX, RCX, RDX, RSI. */
print_dec:
	testq %rax, %rax
	jns 1f
	pushq %rax
	movl $'-', %ebx
	call hc_putc
	popq %rax
	negq %rax
1:	leaq digits_end(%rip), %rsi
	movl $10, %ecx
2:	xorl %edx, %edx
	divq %rcx               /* RDX:RAX / 10 */
	addb $'0', %dl
	decq %rsi
	movb %dl, (%rsi)
	testq %rax, %rax
	jnz 2b
	jmp hc_puts             /* digits_end holds the terminating NUL */

	.section .rodata
msg_version:	.asciz "hypercall: version "
msg_write:	.ascii "hypercall: this line came through WRITE\n"
msg_write_end:
msg_write_ret:	.asciz "hypercall: WRITE returned "
msg_vcpu:	.asciz "hypercall: vcpu id "
msg_unknown:	.asciz "hypercall: unknown call 0x1234 returned "
msg_badwrite:	.asciz "hypercall: WRITE outside RAM returned "
msg_echo:	.asciz "hypercall: echo: "
msg_bye:	.asciz "hypercall: end of input, EXIT 7\n"
msg_bad:	.asciz "hypercall: GETCHAR returned an unexpected value: "

	.bss
	.balign 16
digits:		.skip 24
digits_end:	.skip 8         /* zero: the NUL after the digits */
	.balign 16
	.skip 4096
stack_top:

	.section .note.GNU-stack, "", @progbits
