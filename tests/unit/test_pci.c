/* SPDX-License-Identifier: MIT */
/* PCI configuration mechanism #1 and the reset register, as Linux probes them. */
#include "test.h"

#include "dev/pci.h"

static uint32_t in(const struct pci_host *h, unsigned port, unsigned size)
{
	uint8_t d[4] = { 0 };

	pci_host_read(h, port - PCI_CONFIG_PORT, d, size);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static bool out(struct pci_host *h, unsigned port, unsigned size, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return pci_host_write(h, port - PCI_CONFIG_PORT, d, size);
}

/* Linux's pci_conf1_read(): address to 0xCF8, then a read at 0xCFC + (reg & 3). */
static uint32_t conf1_read(struct pci_host *h, unsigned bus, unsigned devfn, unsigned reg,
			   unsigned size)
{
	out(h, 0xCF8, 4, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xFC));
	return in(h, 0xCFC + (reg & 3), size);
}

/* arch/x86/pci/direct.c's pci_check_type1(), including its sanity check. */
TEST(pci_linux_type1_probe_succeeds)
{
	struct pci_host h;
	uint32_t saved;
	bool found = false;

	pci_host_reset(&h);
	CHECK(!out(&h, 0xCFB, 1, 0x01));
	saved = in(&h, 0xCF8, 4);
	CHECK_EQ(saved, 0);
	out(&h, 0xCF8, 4, 0x80000000);
	CHECK_EQ(in(&h, 0xCF8, 4), 0x80000000);
	for (unsigned devfn = 0; devfn < 0x100 && !found; devfn++) {
		uint32_t class = conf1_read(&h, 0, devfn, 0x0A, 2);

		found = class == 0x0600;
		CHECK(found || class == 0xFFFF);
	}
	CHECK(found);
	out(&h, 0xCF8, 4, saved);
	CHECK_EQ(in(&h, 0xCF8, 4), saved);
}

/* pci_check_type2() must not find mechanism #2: the byte registers read back 0xFF. */
TEST(pci_linux_type2_probe_fails)
{
	struct pci_host h;

	pci_host_reset(&h);
	out(&h, 0xCF8, 4, 0x80001234);
	out(&h, 0xCFB, 1, 0x00);
	out(&h, 0xCF8, 1, 0x00);
	out(&h, 0xCFA, 1, 0x00);
	CHECK_EQ(in(&h, 0xCF8, 1), 0xFF);
	CHECK_EQ(in(&h, 0xCFA, 1), 0xFF);
	CHECK_EQ(in(&h, 0xCF8, 2), 0xFFFF);
	CHECK_EQ(in(&h, 0xCFA, 2), 0xFFFF);
	/* Byte and word writes are not configuration-address writes. */
	out(&h, 0xCF8, 2, 0);
	CHECK_EQ(in(&h, 0xCF8, 4), 0x80001234);
}

TEST(pci_host_bridge_config_space)
{
	struct pci_host h;

	pci_host_reset(&h);
	CHECK_EQ(conf1_read(&h, 0, 0, 0x00, 4), 0x12378086);
	CHECK_EQ(conf1_read(&h, 0, 0, 0x00, 2), 0x8086);
	CHECK_EQ(conf1_read(&h, 0, 0, 0x02, 2), 0x1237);
	CHECK_EQ(conf1_read(&h, 0, 0, 0x08, 4) >> 8, 0x060000);
	CHECK_EQ(conf1_read(&h, 0, 0, 0x0B, 1), 0x06);       /* base class */
	CHECK_EQ(conf1_read(&h, 0, 0, 0x0E, 1), 0x00);       /* header type 0, one function */
	for (unsigned bar = 0x10; bar <= 0x24; bar += 4)
		CHECK_EQ(conf1_read(&h, 0, 0, bar, 4), 0);      /* no BARs */
	CHECK_EQ(conf1_read(&h, 0, 0, 0x3D, 1), 0);          /* no interrupt pin */
	CHECK_EQ(conf1_read(&h, 0, 0, 0xFC, 4), 0);
	/* Read-only: a write to the command register or a BAR changes nothing. */
	out(&h, 0xCF8, 4, 0x80000010);
	out(&h, 0xCFC, 4, 0xFFFFFFFF);
	CHECK_EQ(in(&h, 0xCFC, 4), 0);
	out(&h, 0xCF8, 4, 0x80000004);
	out(&h, 0xCFC, 2, 0);
	CHECK_EQ(in(&h, 0xCFC, 2), 0x0006);
}

TEST(pci_nothing_else_answers)
{
	struct pci_host h;

	pci_host_reset(&h);
	CHECK_EQ(conf1_read(&h, 0, 1 << 3, 0, 4), 0xFFFFFFFF);   /* 00:01.0 */
	CHECK_EQ(conf1_read(&h, 0, 1, 0, 4), 0xFFFFFFFF);        /* 00:00.1 */
	CHECK_EQ(conf1_read(&h, 0, 0xFF, 0, 2), 0xFFFF);         /* 00:1f.7 */
	CHECK_EQ(conf1_read(&h, 1, 0, 0, 4), 0xFFFFFFFF);        /* bus 1 */
	CHECK_EQ(conf1_read(&h, 255, 0, 0, 1), 0xFF);
	/* Enable bit clear: no configuration cycle at all. */
	out(&h, 0xCF8, 4, 0x00000000);
	CHECK_EQ(in(&h, 0xCFC, 4), 0xFFFFFFFF);
	/* AMD's extended-register bits point past our 256 bytes. */
	out(&h, 0xCF8, 4, 0x81000000);
	CHECK_EQ(in(&h, 0xCFC, 4), 0xFFFFFFFF);
	/* Outside the eight ports. */
	CHECK_EQ(in(&h, 0xD00, 1), 0xFF);
	CHECK(!out(&h, 0xD00, 1, 0x06));
}

TEST(pci_reset_control_register)
{
	struct pci_host h;

	pci_host_reset(&h);
	CHECK_EQ(in(&h, 0xCF9, 1), 0);
	CHECK(!out(&h, 0xCF9, 1, 0x02));                      /* SYS_RST alone: no reset yet */
	CHECK_EQ(in(&h, 0xCF9, 1), 0x02);
	CHECK(out(&h, 0xCF9, 1, 0x06));                       /* what the FADT's RESET_VALUE is */
	CHECK(out(&h, 0xCF9, 1, 0x04));
	CHECK(out(&h, 0xCF9, 1, 0x0E));                       /* full reset */
	/* The reset register does not disturb the configuration address. */
	out(&h, 0xCF8, 4, 0x80000000);
	out(&h, 0xCF9, 1, 0x02);
	CHECK_EQ(in(&h, 0xCF8, 4), 0x80000000);
	CHECK_EQ(in(&h, 0xCF9, 1), 0x02);
}

TEST(pci_reset_restores_power_on_state)
{
	struct pci_host h;

	pci_host_reset(&h);
	out(&h, 0xCF8, 4, 0x80001234u);
	out(&h, 0xCF9, 1, 0x02); /* a Reset Control value without RST_CPU */
	CHECK_EQ(in(&h, 0xCF8, 4) & 0xFFFF00FF, 0x80001234u & 0xFFFF00FF);
	pci_host_reset(&h);
	CHECK_EQ(in(&h, 0xCF8, 4), 0);
	CHECK_EQ(in(&h, 0xCF9, 1), 0);
	/* Disabled: configuration reads find nothing. */
	CHECK_EQ(in(&h, 0xCFC, 4), 0xFFFFFFFFu);
}
