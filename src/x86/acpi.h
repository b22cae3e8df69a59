/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for the guest: how an OS learns how many CPUs there are, where
 * their local APICs and the I/O APIC sit, and how ISA interrupts are wired.
 * The tables live in [LAYOUT_ACPI, LAYOUT_ACPI_END) (0xE0000-0xFFFFF), where
 * an OS without EFI scans for the RSDP.
 *
 *   RSDP (0xE0000) -> RSDT (32-bit pointers) and XSDT (64-bit) -> MADT
 *
 * The I/O APIC is given ID 0: KVM's in-kernel IOAPIC resets its ID register
 * to 0, so the table and the hardware agree. (Local APIC IDs are 0..n-1 too;
 * I/O APIC and local APIC IDs live in different namespaces on x2APIC-era
 * hardware, and Linux accepts the overlap.)
 */
#ifndef MINIKVM_X86_ACPI_H
#define MINIKVM_X86_ACPI_H

#include <stdint.h>

struct guest_mem;

/*
 * Clear the ACPI area and write the tables for ncpus vCPUs (1..MAX_CPUS)
 * with local APIC IDs 0..ncpus-1. 0, or -1 with err_set(EXIT_USAGE, ...)
 * when ncpus is out of range or guest RAM does not cover the area.
 */
int acpi_build(struct guest_mem *mem, int ncpus);

/* Guest-physical address of the RSDP that acpi_build() writes. */
uint64_t acpi_rsdp_address(void);

#endif
