/* SPDX-License-Identifier: MIT */
/*
 * Where the VMM puts things in guest-physical memory. The guest is told about
 * the reserved parts through its memory map (multiboot mmap, later e820).
 *
 *   0x00000 .. 0x00FFF  usable (real-mode IVT area)
 *   0x01000 .. 0x01FFF  GDT                                   reserved
 *   0x02000 .. 0x08FFF  boot information: multiboot info,     reserved
 *                       memory map, command line, module list
 *   0x09000 .. 0x0EFFF  page tables: PML4, PDPT, 4 PDs        reserved
 *   0x0F000 .. 0x9FBFF  usable
 *   0x9FC00 .. 0x9FFFF  EBDA                                  reserved
 *   0xA0000 .. 0xDFFFF  legacy VGA/ROM hole (not in the map)
 *   0xE0000 .. 0xFFFFF  ACPI tables (RSDP where Linux scans)  reserved
 *   0x100000 ..         usable: kernels, raw32/raw64 images
 *   3 GiB .. 4 GiB      MMIO hole (virtio-mmio 0xD0000000.., IOAPIC 0xFEC00000,
 *                       LAPIC 0xFEE00000)
 *   4 GiB ..            rest of RAM when there is more than 3 GiB; its last
 *                       pages hold the page directories that map it (one 4 KiB
 *                       PD per GiB above 4 GiB)               reserved
 */
#ifndef MINIKVM_X86_LAYOUT_H
#define MINIKVM_X86_LAYOUT_H

#include <stdint.h>

#define LAYOUT_GDT            0x1000ULL
#define LAYOUT_BOOTINFO       0x2000ULL
#define LAYOUT_BOOTINFO_END   0x9000ULL
#define LAYOUT_PAGETABLES     0x9000ULL
#define LAYOUT_PAGETABLES_END 0xF000ULL
#define LAYOUT_EBDA           0x9FC00ULL
#define LAYOUT_LOWMEM_END     0xA0000ULL
#define LAYOUT_ACPI           0xE0000ULL
#define LAYOUT_ACPI_END       0x100000ULL
#define LAYOUT_HIGHMEM        0x100000ULL

#define LAYOUT_RAW16_LOAD     0x7C00ULL    /* like a boot sector */
#define LAYOUT_RAW_LOAD       0x100000ULL  /* raw32 / raw64 default */

#define LAYOUT_IOAPIC         0xFEC00000ULL
#define LAYOUT_LAPIC          0xFEE00000ULL
/* KVM needs three pages for the real-mode TSS and one for the EPT identity map. */
#define LAYOUT_KVM_TSS        0xFFFBD000ULL
#define LAYOUT_KVM_IDENTITY   0xFFFBC000ULL

/* The guests this machine runs: i386 and x86-64 ELF files (src/loader/elf.c). */
#define LAYOUT_ARCH_NAME "x86"
#define LAYOUT_ELF_MACHINE_OK(m) ((m) == EM_386 || (m) == EM_X86_64)

/* The UART wired to the console (src/dev/uart8250.c): COM1. */
#define LAYOUT_SERIAL_NAME "serial (COM1)"
#define LAYOUT_SERIAL_MMIO 0      /* on the port bus */
#define LAYOUT_SERIAL_BASE 0x3F8
#define LAYOUT_SERIAL_LEN  8
#define LAYOUT_SERIAL_IRQ  4

/*
 * virtio-mmio devices (src/dev/virtio_9p.c): slot i is the 4 KiB at BASE +
 * i * 0x1000 with ISA IRQ VIRTIO_IRQS[i], which nothing else of the PC
 * drives (0 PIT, 1 and 12 i8042, 4 COM1, 8 RTC, 9 SCI). A Linux guest
 * finds them on its command line (virtio_mmio.device=4K@ADDR:IRQ, src/x86/cpu.c).
 */
#define LAYOUT_VIRTIO_BASE   0xD0000000ULL
#define LAYOUT_VIRTIO_STRIDE 0x1000ULL
#define LAYOUT_VIRTIO_IRQS   { 5, 10, 11, 14 }

/* GDT selectors. 0x10/0x18 are what the Linux boot protocol calls __BOOT_CS/DS. */
#define GDT_SEL_CODE32 0x08
#define GDT_SEL_CODE   0x10 /* 64-bit code in long mode, 32-bit otherwise */
#define GDT_SEL_DATA   0x18
#define GDT_SEL_CODE64 0x20
#define GDT_ENTRIES    5

/* Memory map entry types (e820 / multiboot share them). */
enum memmap_type { MEMMAP_RAM = 1, MEMMAP_RESERVED = 2, MEMMAP_ACPI = 3 };

struct memmap_entry {
	uint64_t addr, len;
	uint32_t type;
};

#define MEMMAP_MAX 16

struct guest_mem;
/* The guest's view of physical memory; returns the number of entries. */
int layout_memmap(const struct guest_mem *mem, struct memmap_entry *out, int max);
/* Is [addr, addr+len) clear of the fixed regions below 1 MiB the VMM reserves? */
int layout_range_free(uint64_t addr, uint64_t len);
/*
 * Where the page directories for RAM above 4 GiB start: the last pages of
 * RAM. guest_mem_top() when all RAM is below the hole (nothing reserved).
 */
uint64_t layout_high_tables(const struct guest_mem *mem);
/*
 * The arch's part of loader_check_range(), for a range already known to be
 * RAM: clear of what the VMM keeps for itself (the regions below 1 MiB, the
 * high page tables)? 0, or -1 with err_set(EXIT_USAGE, "WHAT at ... overlaps ...").
 */
int layout_check_reserved(const struct guest_mem *mem, uint64_t addr, uint64_t len,
			  const char *what);

#endif
