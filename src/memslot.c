/* SPDX-License-Identifier: MIT */
/*
 * Memory slots: how KVM learns where the guest's RAM is. A slot says
 * "guest-physical range X is backed by host memory at Y"
 * (KVM_SET_USER_MEMORY_REGION on the VM fd); from then on the guest's
 * accesses there never leave the CPU: the hardware's second-stage tables
 * (EPT on Intel, NPT on AMD) map guest-physical to host memory, filled in
 * by KVM as the guest touches pages. An access to a guest-physical address
 * no slot covers (the 3-4 GiB hole: LAPIC, IOAPIC, other MMIO) exits to us
 * as KVM_EXIT_MMIO, and a write to a KVM_MEM_READONLY slot does too.
 *
 * The host memory itself is guest_mem.c's (one mmap, which knows nothing
 * of KVM); this file gives it to KVM: one slot for RAM below the hole, one
 * for RAM above 4 GiB, each cut around the pages the debugger protects
 * (vm_protect_pages: software watchpoints and patched hardware breakpoints).
 */
#include "memslot.h"
#include "debug_contract.h"
#include "error.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static int set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, uint64_t host_off,
		    bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)vm->mem.host + host_off,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_set(EXIT_HOST, "KVM_SET_USER_MEMORY_REGION (slot %d at %#llx) failed: %s",
			       slot, (unsigned long long)gpa, strerror(errno));
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Memory slots: one for RAM below the hole, one for RAM above 4 GiB, each
 * cut around the pages that must be read-only or unmapped (for software
 * watchpoints and patched hardware breakpoints; see vm_protect_pages).
 */
static int map_ram(struct vm *vm, const uint64_t *ro_sorted, int nro)
{
	const struct {
		uint64_t gpa, size, host_off;
	} regions[2] = {
		{ GUEST_MEM_BASE, vm->mem.low_size, 0 },
		{ GUEST_MEM_HIGH_START, guest_mem_high_size(&vm->mem), vm->mem.low_size },
	};
	int slot = 0, k = 0;

	for (int i = 0; i < 2; i++) {
		uint64_t at = regions[i].gpa, end = regions[i].gpa + regions[i].size;

		for (; k < nro && ro_sorted[k] < end; k++) {
			uint64_t p = ro_sorted[k];

			if (p < at)
				continue;
			bool no_access = p & VM_PAGE_NO_ACCESS;

			p &= ~VM_PAGE_NO_ACCESS;
			if (p > at && set_slot(vm, slot++, at, p - at, regions[i].host_off + at - regions[i].gpa, false) < 0)
				return -1;
			if (!no_access &&
			    set_slot(vm, slot++, p, 0x1000, regions[i].host_off + p - regions[i].gpa, true) < 0)
				return -1;
			at = p + 0x1000;
		}
		if (end > at && set_slot(vm, slot++, at, end - at, regions[i].host_off + at - regions[i].gpa, false) < 0)
			return -1;
	}
	vm->nslots = slot;
	return 0;
}

int memslot_map_ram(struct vm *vm)
{
	return map_ram(vm, NULL, 0);
}

int vm_protect_pages(struct vm *vm, const uint64_t *pages, int n)
{
	uint64_t sorted[256];
	int m = 0;

	if (n > (int)(sizeof(sorted) / sizeof(sorted[0])))
		return err_set(EXIT_HOST, "too many protected pages");
	memcpy(sorted, pages, (size_t)n * sizeof(*pages));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_u64);
	/* One entry a page; "no access" (sorted after) wins over read-only. */
	for (int i = 0; i < n; i++) {
		if (m > 0 && (sorted[m - 1] & ~VM_PAGE_NO_ACCESS) == (sorted[i] & ~VM_PAGE_NO_ACCESS))
			m--;
		sorted[m++] = sorted[i];
	}
	/* Slots may not overlap even for a moment: drop them all, then map anew. */
	for (int i = 0; i < vm->nslots; i++)
		if (set_slot(vm, i, 0, 0, 0, false) < 0)
			return -1;
	return map_ram(vm, sorted, m);
}
