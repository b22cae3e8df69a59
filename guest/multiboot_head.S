/* SPDX-License-Identifier: MIT */
/*
 * The multiboot header and entry point, assembled twice:
 *   mbkernel.elf: an ELF kernel; the header asks for page-aligned modules
 *                 and memory information, the loader reads the ELF program
 *                 headers;
 *   mbkludge.bin: (-DAOUT_KLUDGE) a flat binary (objcopy -O binary); header
 *                 flag 16 says "use my address fields" - where the header
 *                 lives, where to load the file, where data and bss end and
 *                 where to start - so a loader needs nothing else.
 * The header must sit 4-byte aligned in the first 8 KiB of the file; the
 * linker script puts .multiboot first.
 *
 * Entry state (spec 3.2): 32-bit protected mode, paging off, EAX = 0x2BADB002,
 * EBX = physical address of the multiboot information; no stack.
 */
#include "multiboot.h"

#ifdef AOUT_KLUDGE
#define MB_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE)
#else
#define MB_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#endif

	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)     /* the three add up to 0 */
#ifdef AOUT_KLUDGE
	.long multiboot_header  /* header_addr: where this header is loaded */
	.long __image_start     /* load_addr: file offset 0 goes here */
	.long _edata            /* load_end_addr: text and data end */
	.long _end              /* bss_end_addr: the loader zeroes up to here */
	.long _start            /* entry_addr */
#endif

	.text
	.code32
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl $stack_top, %esp
	xorl %ebp, %ebp
	pushl $0
	popfl                   /* a known EFLAGS */
	pushl %ebx              /* multiboot_main(magic, info) */
	pushl %eax
	call multiboot_main
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.section .rodata
	.globl multiboot_header_flags, multiboot_kernel_kind
multiboot_header_flags:
	.long MB_FLAGS
multiboot_kernel_kind:
#ifdef AOUT_KLUDGE
	.asciz "a.out kludge"
#else
	.asciz "ELF"
#endif

	/*
	 * Initialised data, so the file really contains a .data section: it
	 * checks that the loader copied it, and for the kludge image it makes
	 * the file end exactly at load_end_addr (_edata).
	 */
	.data
	.globl multiboot_data_probe
	.balign 4
multiboot_data_probe:
	.long 0x600dda7a

	.bss
	.balign 16
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
