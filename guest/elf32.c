/* SPDX-License-Identifier: MIT */
/*
 * elf32.elf — a plain 32-bit ELF program (no multiboot header).
 *
 * Demonstrates the ELF loader: PT_LOAD segments placed at their physical
 * addresses (text at 1 MiB, initialised data on the next page), the entry
 * point taken from the ELF header, and an ELF32 file started in flat 32-bit
 * protected mode (CR0.PE=1, paging off, CS=0x10). Ends through
 * isa-debug-exit with value 2.
 *
 * Run:    minikvm guest/elf32.elf
 * Prints: "elf32: hello from a 32-bit ELF\n"
 *         "elf32: CR0.PE=1 CR0.PG=0 CS=0x10 DS=0x18\n"
 *         "elf32: initialised data: 0xfeedc0de \"loaded from the file\"\n"
 * Exit status: 5 ((2 << 1) | 1)
 */
#include <stdint.h>

#include "lib/console.h"
#include "lib/io.h"

/* In .data, the second PT_LOAD segment: the loader must copy it. */
uint32_t data_word = 0xfeedc0de;
char data_text[] = "loaded from the file";

int main(void)
{
	unsigned long cr0 = read_cr0();

	kprintf("elf32: hello from a 32-bit ELF\n");
	kprintf("elf32: CR0.PE=%lu CR0.PG=%lu CS=0x%x DS=0x%x\n", cr0 & CR0_PE,
		(cr0 >> 31) & 1, read_cs(), read_ds());
	kprintf("elf32: initialised data: 0x%x \"%s\"\n", data_word, data_text);
	debug_exit(2);
}
