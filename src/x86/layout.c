/* SPDX-License-Identifier: MIT */
#include "layout.h"
#include "../guest_mem.h"

struct region {
	uint64_t start, end;
};

/* Regions the VMM writes and the guest must not be loaded over. */
static const struct region reserved[] = {
	{ LAYOUT_GDT, LAYOUT_PAGETABLES_END },
	{ LAYOUT_EBDA, LAYOUT_HIGHMEM },
};

int layout_range_free(uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (addr < reserved[i].end && addr + len > reserved[i].start)
			return 0;
	return 1;
}

static int add(struct memmap_entry *out, int n, int max, uint64_t addr, uint64_t end,
	       uint32_t type)
{
	if (end <= addr || n >= max)
		return n;
	out[n].addr = addr;
	out[n].len = end - addr;
	out[n].type = type;
	return n + 1;
}

int layout_memmap(const struct guest_mem *mem, struct memmap_entry *out, int max)
{
	uint64_t low = mem->low_size;
	int n = 0;

	n = add(out, n, max, 0, LAYOUT_GDT, MEMMAP_RAM);
	n = add(out, n, max, LAYOUT_GDT, LAYOUT_PAGETABLES_END, MEMMAP_RESERVED);
	n = add(out, n, max, LAYOUT_PAGETABLES_END, LAYOUT_EBDA, MEMMAP_RAM);
	n = add(out, n, max, LAYOUT_EBDA, LAYOUT_LOWMEM_END, MEMMAP_RESERVED);
	n = add(out, n, max, LAYOUT_ACPI, LAYOUT_ACPI_END, MEMMAP_RESERVED);
	if (low > LAYOUT_HIGHMEM)
		n = add(out, n, max, LAYOUT_HIGHMEM, low, MEMMAP_RAM);
	if (guest_mem_high_size(mem))
		n = add(out, n, max, GUEST_MEM_HIGH_START, guest_mem_top(mem), MEMMAP_RAM);
	return n;
}
