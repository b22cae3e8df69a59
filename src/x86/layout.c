/* SPDX-License-Identifier: MIT */
#include "layout.h"
#include "guest_mem.h"
#include "error.h"

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
	if (len == 0)
		return 1;
	/* addr and len come from guest images: compare without forming addr + len. */
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (addr < reserved[i].end &&
		    (addr >= reserved[i].start || len > reserved[i].start - addr))
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

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t layout_high_tables(const struct guest_mem *mem)
{
	uint64_t high = guest_mem_high_size(mem);
	uint64_t pds = (high + (1ULL << 30) - 1) >> 30;

	return guest_mem_top(mem) - pds * 0x1000;
}

int layout_memmap(const struct guest_mem *mem, struct memmap_entry *out, int max)
{
	uint64_t low = mem->low_size;
	int n = 0;

	/* Usable low memory is only what RAM covers (a tiny guest has less than 640 KiB). */
	n = add(out, n, max, 0, min64(LAYOUT_GDT, low), MEMMAP_RAM);
	n = add(out, n, max, LAYOUT_GDT, LAYOUT_PAGETABLES_END, MEMMAP_RESERVED);
	n = add(out, n, max, LAYOUT_PAGETABLES_END, min64(LAYOUT_EBDA, low), MEMMAP_RAM);
	n = add(out, n, max, LAYOUT_EBDA, LAYOUT_LOWMEM_END, MEMMAP_RESERVED);
	n = add(out, n, max, LAYOUT_ACPI, LAYOUT_ACPI_END, MEMMAP_RESERVED);
	if (low > LAYOUT_HIGHMEM)
		n = add(out, n, max, LAYOUT_HIGHMEM, low, MEMMAP_RAM);
	if (guest_mem_high_size(mem)) {
		n = add(out, n, max, GUEST_MEM_HIGH_START, layout_high_tables(mem), MEMMAP_RAM);
		n = add(out, n, max, layout_high_tables(mem), guest_mem_top(mem), MEMMAP_RESERVED);
	}
	return n;
}

int layout_check_reserved(const struct guest_mem *mem, uint64_t addr, uint64_t len,
			  const char *what)
{
	unsigned long long a = addr, e = addr + len;

	if (e > layout_high_tables(mem))
		return err_set(EXIT_USAGE,
			       "%s at 0x%llx..0x%llx overlaps the page tables minikvm keeps in the "
			       "last %llu KiB of RAM (from 0x%llx)", what, a, e,
			       (unsigned long long)(guest_mem_top(mem) - layout_high_tables(mem)) >> 10,
			       (unsigned long long)layout_high_tables(mem));
	if (!layout_range_free(addr, len))
		return err_set(EXIT_USAGE,
			       "%s at 0x%llx..0x%llx overlaps memory minikvm reserves for itself "
			       "(0x%llx..0x%llx: GDT, boot information, page tables; 0x%llx..0x%llx: "
			       "EBDA, ROM area, ACPI tables); load it at 0x%llx or above",
			       what, a, e, LAYOUT_GDT, LAYOUT_PAGETABLES_END, LAYOUT_EBDA,
			       LAYOUT_HIGHMEM, LAYOUT_HIGHMEM);
	return 0;
}
