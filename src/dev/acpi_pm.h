/* SPDX-License-Identifier: MIT */
/*
 * The ACPI fixed hardware's power-management registers (ACPI 6.x, 4.8), as
 * a model that knows nothing of KVM: the PM1a event block (status, enable),
 * the PM1a control register, and the PM timer, in one block of ports that
 * starts at ACPI_PM1A_EVT_PORT (src/x86/acpi.h, where the FADT says so):
 *
 *   offset 0-1  PM1 status   write 1 to clear; nothing here ever sets a bit
 *   offset 2-3  PM1 enable   the defined enable bits read back as written
 *   offset 4-5  PM1 control  SCI_EN reads 1; SLP_TYP kept; SLP_EN acts
 *   offset 6-7  (unused: reads 0xFF)
 *   offset 8-11 PM timer     24-bit count at 3.579545 MHz, read-only
 *
 * No SMM, so ACPI mode is always on (SCI_EN set). No event ever raises the
 * SCI: there are no buttons, no GPEs and no timer-overflow status, so the
 * SCI line (IRQ 9) stays low. Writing SLP_EN with SLP_TYP = 5 (\_S5 in the
 * DSDT) asks for soft-off; other sleep types are ignored (no S1-S4).
 *
 * Accesses may be 1, 2 or 4 bytes wide at any offset; each byte goes to
 * its own register, as on an LPC bus. Not thread-safe: the caller locks.
 */
#ifndef MINIKVM_ACPI_PM_H
#define MINIKVM_ACPI_PM_H

#include <stdint.h>

#define ACPI_PM_PORTS 12   /* ACPI_PM1A_EVT_PORT .. the end of the PM timer */

/* PM1 status / enable bits (4.8.3.1) */
#define ACPI_PM1_TMR    (1u << 0)
#define ACPI_PM1_BM     (1u << 4)   /* status only */
#define ACPI_PM1_GBL    (1u << 5)
#define ACPI_PM1_PWRBTN (1u << 8)
#define ACPI_PM1_SLPBTN (1u << 9)
#define ACPI_PM1_RTC    (1u << 10)
#define ACPI_PM1_PCIEXP_WAKE (1u << 14)
#define ACPI_PM1_WAK    (1u << 15)  /* status only */

/* PM1 control bits (4.8.3.2.1) */
#define ACPI_PM1_SCI_EN      (1u << 0)
#define ACPI_PM1_BM_RLD      (1u << 1)
#define ACPI_PM1_GBL_RLS     (1u << 2)   /* write-only */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP     (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN      (1u << 13)  /* write-only */

#define ACPI_PM_TIMER_MASK 0xFFFFFFu

struct acpi_pm {
	uint16_t status;
	uint16_t enable;
	uint16_t control;      /* BM_RLD and SLP_TYP as last written */
	uint64_t start_ns;     /* host monotonic time at which the timer read 0 */
};

/* What a write asks of the machine. */
enum acpi_pm_request {
	ACPI_PM_NOTHING,
	ACPI_PM_POWEROFF,      /* SLP_EN with the S5 sleep type */
};

/* Power-on state (status, enable, control 0); the timer counts from 0 at now_ns (host CLOCK_MONOTONIC). */
void acpi_pm_reset(struct acpi_pm *pm, uint64_t now_ns);
/* Read size bytes at offset into the block; bytes outside it read 0xFF. */
void acpi_pm_read(const struct acpi_pm *pm, uint64_t offset, uint8_t *data, unsigned size,
		  uint64_t now_ns);
enum acpi_pm_request acpi_pm_write(struct acpi_pm *pm, uint64_t offset, const uint8_t *data,
				   unsigned size);
/* The PM timer's 24-bit count ns nanoseconds after it read 0. */
uint32_t acpi_pm_timer_count(uint64_t ns);

#endif
