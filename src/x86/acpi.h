/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for the guest: how an OS learns how many CPUs there are, where
 * their local APICs and the I/O APIC sit, and how ISA interrupts are wired.
 * The tables live in [LAYOUT_ACPI, LAYOUT_ACPI_END) (0xE0000-0xFFFFF), where
 * an OS without EFI scans for the RSDP.
 *
 *   RSDP (0xE0000) -> RSDT (32-bit pointers) and XSDT (64-bit) -> FADT, MADT
 *                                                   FADT -> FACS, DSDT
 *
 * The FADT describes the PC's fixed ACPI hardware, which src/dev/ emulates
 * at the ports below: the PM1 event and control registers and the PM timer
 * (acpi_pm.c), the reset register (pci.c: it shares the dword at 0xCF8
 * with the PCI configuration address) and the RTC's century byte (rtc.c).
 * The DSDT holds the sleep-type packages \_S0 and \_S5; writing S5's type
 * with SLP_EN to PM1 control is how an OS powers the machine off.
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

/* The fixed hardware the FADT describes and src/dev/ implements. */
#define ACPI_SCI_IRQ          9      /* MADT: ISA IRQ 9 -> GSI 9, level, active high */
#define ACPI_PM1A_EVT_PORT    0x600  /* PM1 status (2 bytes), then PM1 enable (2) */
#define ACPI_PM1_EVT_LEN      4
#define ACPI_PM1A_CNT_PORT    0x604  /* PM1 control */
#define ACPI_PM1_CNT_LEN      2
#define ACPI_PM_TMR_PORT      0x608  /* PM timer: 24 bits at 3.579545 MHz */
#define ACPI_PM_TMR_LEN       4
#define ACPI_PM_TMR_HZ        3579545
#define ACPI_RESET_PORT       0xCF9  /* Reset Control Register */
#define ACPI_RESET_VALUE      0x06   /* RST_CPU | SYS_RST: a hard reset */
#define ACPI_SLP_TYP_S0       0      /* what \_S0 and \_S5 tell the OS to write to SLP_TYP */
#define ACPI_SLP_TYP_S5       5
#define ACPI_RTC_CENTURY      0x32   /* CMOS index of the century byte */

/*
 * Clear the ACPI area and write the tables for ncpus vCPUs (1..MAX_CPUS)
 * with local APIC IDs 0..ncpus-1. 0, or -1 with err_set(EXIT_USAGE, ...)
 * when ncpus is out of range or guest RAM does not cover the area.
 */
int acpi_build(struct guest_mem *mem, int ncpus);

/* Guest-physical address of the RSDP that acpi_build() writes. */
uint64_t acpi_rsdp_address(void);

#endif
