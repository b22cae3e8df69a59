/* SPDX-License-Identifier: MIT */
/* build/riscv_board_fdt: the RISC-V board's device tree for board_sample.h's VM, on stdout. */
#include "board_sample.h"
#include "error.h"

#include <endian.h>
#include <stdio.h>

int main(void)
{
	static struct vm vm;
	static struct vm_config cfg;
	const uint8_t *blob;
	uint32_t size;

	if (board_sample(&vm, &cfg) < 0) {
		fprintf(stderr, "riscv_board_fdt: %s\n", err_message());
		return 1;
	}
	blob = guest_mem_ptr(&vm.mem, vm.arch.fdt_addr, 8);
	memcpy(&size, blob + 4, 4);
	fwrite(blob, 1, be32toh(size), stdout);
	free(vm.mem.host);
	return 0;
}
