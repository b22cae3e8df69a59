/* SPDX-License-Identifier: MIT */
#include "pagetable.h"
#include "layout.h"
#include "error.h"
#include "guest_mem.h"

#include <string.h>

#define GIB (1ULL << 30)
#define MIB2 (2ULL << 20)

int pagetable_build(const struct guest_mem *mem, uint64_t *cr3)
{
	const uint64_t pml4_gpa = LAYOUT_PAGETABLES;
	const uint64_t pdpt_gpa = pml4_gpa + 0x1000;
	const uint64_t pd_gpa = pdpt_gpa + 0x1000;      /* four PDs: 0..4 GiB */
	uint64_t top = guest_mem_top(mem);
	uint64_t *pml4, *pdpt, *pd;

	if (pd_gpa + 4 * 0x1000 > LAYOUT_PAGETABLES_END)
		return err_set(EXIT_HOST, "page-table area too small");
	pml4 = guest_mem_ptr(mem, pml4_gpa, 0x1000);
	pdpt = guest_mem_ptr(mem, pdpt_gpa, 0x1000);
	pd = guest_mem_ptr(mem, pd_gpa, 4 * 0x1000);
	if (!pml4 || !pdpt || !pd)
		return err_set(EXIT_USAGE, "guest memory too small for the boot page tables");
	if (top > 512 * GIB)
		return err_set(EXIT_USAGE, "the identity map covers at most 512 GiB");

	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = pdpt_gpa | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (pd_gpa + i * 0x1000) | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i * MIB2) | PTE_P | PTE_W | PTE_PS;
	for (uint64_t i = 4; i * GIB < top; i++) {
		uint64_t gpa = layout_high_tables(mem) + (i - 4) * 0x1000;
		uint64_t *high_pd = guest_mem_ptr(mem, gpa, 0x1000);

		if (!high_pd)
			return err_set(EXIT_HOST, "page directory at %#llx is not RAM",
				       (unsigned long long)gpa);
		pdpt[i] = gpa | PTE_P | PTE_W;
		for (uint64_t j = 0; j < 512; j++)
			high_pd[j] = (i * GIB + j * MIB2) | PTE_P | PTE_W | PTE_PS;
	}
	*cr3 = pml4_gpa;
	return 0;
}
