/* SPDX-License-Identifier: MIT */
/*
 * The Multiboot (version 0.6.96) structures our multiboot kernels read.
 * Field offsets are those of the specification, section 3.3 "Boot
 * information format".
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002  /* in the kernel's header */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002  /* in EAX at entry */

/* Header flags: what the kernel asks of the boot loader. */
#define MULTIBOOT_PAGE_ALIGN       (1 << 0)   /* modules on 4 KiB boundaries */
#define MULTIBOOT_MEMORY_INFO      (1 << 1)   /* mem_* and mmap_* wanted */
#define MULTIBOOT_AOUT_KLUDGE      (1 << 16)  /* the address fields are valid */

/* Info flags: which fields of struct multiboot_info are valid. */
#define MULTIBOOT_INFO_MEMORY      (1 << 0)
#define MULTIBOOT_INFO_CMDLINE     (1 << 2)
#define MULTIBOOT_INFO_MODS        (1 << 3)
#define MULTIBOOT_INFO_MEM_MAP     (1 << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1 << 9)

#ifndef __ASSEMBLER__
#include <stdint.h>

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;         /* KiB from 0 */
	uint32_t mem_upper;         /* KiB from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;           /* physical address of a C string */
	uint32_t mods_count;
	uint32_t mods_addr;         /* physical address of struct multiboot_module[] */
	uint32_t syms[4];
	uint32_t mmap_length;       /* bytes */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;  /* physical address of a C string */
	uint32_t apm_table;
} __attribute__((packed));

struct multiboot_module {
	uint32_t mod_start;         /* first byte */
	uint32_t mod_end;           /* one past the last byte */
	uint32_t cmdline;           /* C string */
	uint32_t reserved;
} __attribute__((packed));

/* A memory map entry; `size` does not count itself, the next entry is 4 + size further. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;              /* 1 = available RAM */
} __attribute__((packed));
#endif

#endif
