/* SPDX-License-Identifier: MIT */
/*
 * Memory slots: guest RAM (guest_mem.h) handed to KVM. See memslot.c for
 * what a slot is; the debugger's protected pages (vm_protect_pages) are
 * declared with the rest of what it may ask, in debug_contract.h.
 */
#ifndef MINIKVM_MEMSLOT_H
#define MINIKVM_MEMSLOT_H

struct vm;

/* Give all of guest RAM to KVM as memory slots (vm_create). -1 with err_set(). */
int memslot_map_ram(struct vm *vm);

#endif
