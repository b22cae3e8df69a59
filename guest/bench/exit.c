/* SPDX-License-Identifier: MIT */
/*
 * exit.elf — the start-to-exit benchmark guest (scripts/bench.py, row 1).
 *
 * Its first C statement ends the VM through isa-debug-exit with value 0x2a:
 * the VMM exits with status 85 ((0x2a << 1) | 1). Prints nothing. The whole
 * process's wall time is VMM setup + a handful of guest instructions + exit.
 *
 * Run: minikvm guest/bench/exit.elf
 *      qemu-system-x86_64 -M microvm -nodefaults -no-user-config -enable-kvm
 *        -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04
 *        -kernel guest/bench/exit.elf
 * Exit status: 85
 */
#include "lib/io.h"

int main(void)
{
	debug_exit(0x2a);
}
