/* SPDX-License-Identifier: MIT */
/*
 * The PC's PCI configuration ports, as a model that knows nothing of KVM:
 * configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2)
 * at 0xCF8-0xCFF, with one device behind it, the host bridge at 00:00.0,
 * and nothing else on any bus.
 *
 *   0xCF8 dword  CONFIG_ADDRESS: enable (bit 31), bus, device, function,
 *                register; stored as written and read back
 *   0xCF9 byte   the chipset's Reset Control Register (not PCI, but inside
 *                the same dword, so the same device must decode it: the
 *                I/O bus maps every port to one device). Bit 2 (RST_CPU)
 *                asks for a reset; reads return the last value written
 *   0xCF8/0xCFA/0xCFB  other byte and word accesses: not configuration
 *                cycles (a chipset passes them on to ISA, where nothing
 *                answers): reads 0xFF, writes dropped. Linux's probe for the
 *                old mechanism #2 writes bytes there and must not find one
 *   0xCFC-0xCFF  CONFIG_DATA: the addressed dword of configuration space,
 *                any width; all ones when the enable bit is clear or no
 *                function answers ("no device"); writes are dropped
 *
 * Why a host bridge: Linux checks that mechanism #1 really works by looking
 * for a host bridge or VGA class (or an Intel or Compaq vendor ID) on bus 0
 * unless the DMI BIOS date is 2001 or later; a machine without SMBIOS
 * tables and with an empty bus 0 fails that check and boots with "PCI:
 * Fatal: No config space access function found". The bridge identifies as
 * the Intel 440FX (8086:1237, class 06 00 00), the host bridge Linux knows
 * from every PC emulator; it has no BARs, its registers are read-only, and
 * it is a single-function device.
 *
 * Not thread-safe: the caller locks.
 */
#ifndef MINIKVM_PCI_H
#define MINIKVM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_PORT  0xCF8
#define PCI_CONFIG_PORTS 8        /* 0xCF8-0xCFF */

#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_RESET_RST_CPU 0x04    /* Reset Control Register bit 2 */

#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x1237
#define PCI_CLASS_HOST_BRIDGE 0x060000

struct pci_host {
	uint32_t config_address;
	uint8_t reset_control;
};

/* Power-on state: CONFIG_ADDRESS 0 (disabled), Reset Control 0. */
void pci_host_reset(struct pci_host *h);
/* Access at offset 0..7 from 0xCF8; bytes outside read 0xFF. */
void pci_host_read(const struct pci_host *h, uint64_t offset, uint8_t *data, unsigned size);
/* True when the write asks for a CPU reset (port 0xCF9, RST_CPU set). */
bool pci_host_write(struct pci_host *h, uint64_t offset, const uint8_t *data, unsigned size);
/* The configuration dword at reg (a multiple of 4) of bus:dev.fn; all ones = no device. */
uint32_t pci_config_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg);

#endif
