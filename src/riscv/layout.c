/* SPDX-License-Identifier: MIT */
/* What the RISC-V machine keeps for itself in guest RAM (layout.h): the device tree's room. */
#include "layout.h"
#include "error.h"
#include "guest_mem.h"

uint64_t layout_fdt_addr(const struct guest_mem *mem)
{
	return guest_mem_top(mem) - LAYOUT_FDT_SIZE;
}

int layout_check_reserved(const struct guest_mem *mem, uint64_t addr, uint64_t len,
			  const char *what)
{
	uint64_t fdt = layout_fdt_addr(mem);

	/* The caller checked that [addr, addr + len) is RAM, so the sum cannot wrap. */
	if (addr + len > fdt)
		return err_set(EXIT_USAGE,
			       "%s at 0x%llx..0x%llx overlaps the device tree minikvm writes in the "
			       "last %llu KiB of RAM (from 0x%llx); give the guest more memory (-m)",
			       what, (unsigned long long)addr, (unsigned long long)(addr + len),
			       LAYOUT_FDT_SIZE >> 10, (unsigned long long)fdt);
	return 0;
}
