/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration mechanism #1 with only a host bridge behind it, and
 * the reset register that shares its ports (see pci.h), then the glue that
 * puts them at 0xCF8-0xCFF and turns a reset into the end of the VM.
 */
#include "pci.h"

#include <pthread.h>
#include <string.h>

#include "device.h"
#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>
#include "x86/acpi.h"

#define RESET_OFFSET (ACPI_RESET_PORT - PCI_CONFIG_PORT)
#define DATA_OFFSET  4

_Static_assert(RESET_OFFSET == 1, "the reset register is the second byte of 0xCF8");

/* CONFIG_ADDRESS fields. */
#define ADDR_BUS(a) (((a) >> 16) & 0xFF)
#define ADDR_DEV(a) (((a) >> 11) & 0x1F)
#define ADDR_FN(a)  (((a) >> 8) & 0x07)
#define ADDR_REG(a) ((a) & 0xFC)
/* Bits 24-30 are reserved on Intel; AMD puts extended register bits there. */
#define ADDR_EXT(a) (((a) >> 24) & 0x7F)

#define HOST_REVISION 0x02
#define CMD_MEMORY     0x0002  /* a host bridge decodes memory... */
#define CMD_BUS_MASTER 0x0004  /* ...and masters the bus for the CPU */

void pci_host_reset(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
}

uint32_t pci_config_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	if (bus != 0 || dev != 0 || fn != 0 || reg > 0xFC)
		return 0xFFFFFFFF;
	switch (reg) {
	case 0x00:  /* device ID, vendor ID */
		return (uint32_t)PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR;
	case 0x04:  /* status, command */
		return CMD_MEMORY | CMD_BUS_MASTER;
	case 0x08:  /* class code, revision */
		return (uint32_t)PCI_CLASS_HOST_BRIDGE << 8 | HOST_REVISION;
	case 0x0C:  /* BIST, header type 0 (single function), latency, cache line */
		return 0;
	default:    /* no BARs, no capabilities, no interrupt pin */
		return 0;
	}
}

/* The dword CONFIG_DATA shows for the current CONFIG_ADDRESS. */
static uint32_t config_data(const struct pci_host *h)
{
	uint32_t a = h->config_address;

	if (!(a & PCI_CONFIG_ENABLE) || ADDR_EXT(a))
		return 0xFFFFFFFF;
	return pci_config_read(ADDR_BUS(a), ADDR_DEV(a), ADDR_FN(a), ADDR_REG(a));
}

void pci_host_read(const struct pci_host *h, uint64_t offset, uint8_t *data, unsigned size)
{
	memset(data, 0xFF, size);
	if (offset == 0 && size == 4) {
		for (unsigned i = 0; i < 4; i++)
			data[i] = (uint8_t)(h->config_address >> (8 * i));
	} else if (offset == RESET_OFFSET && size == 1) {
		data[0] = h->reset_control;
	} else if (offset >= DATA_OFFSET && offset < PCI_CONFIG_PORTS) {
		/* A byte or word inside the data dword reads that part of it. */
		uint32_t dword = config_data(h);

		for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_PORTS; i++)
			data[i] = (uint8_t)(dword >> (8 * (offset + i - DATA_OFFSET)));
	}
}

bool pci_host_write(struct pci_host *h, uint64_t offset, const uint8_t *data, unsigned size)
{
	if (offset == 0 && size == 4) {
		h->config_address = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
				    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	} else if (offset == RESET_OFFSET && size == 1) {
		h->reset_control = data[0];
		return data[0] & PCI_RESET_RST_CPU;
	}
	/* Configuration writes: every register of the host bridge is read-only. */
	return false;
}

/* Glue: 0xCF8-0xCFF, one lock; a reset ends the VM (there is no firmware to rerun). */

static struct {
	pthread_mutex_t lock;
	const struct device_host *dh;
	struct pci_host host;
	struct io_device dev;
} pci = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void pci_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			 unsigned size)
{
	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&pci.lock);
	pci_host_read(&pci.host, offset, data, size);
	pthread_mutex_unlock(&pci.lock);
}

static void pci_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			  unsigned size)
{
	bool reset;

	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&pci.lock);
	reset = pci_host_write(&pci.host, offset, data, size);
	pthread_mutex_unlock(&pci.lock);
	if (reset)
		pci.dh->request_exit(pci.dh, EXIT_GUEST_OK, "reset via port 0xCF9");
}

static int pci_device_init(const struct device_host *host)
{
	pthread_mutex_lock(&pci.lock);
	pci.dh = host;
	pci_host_reset(&pci.host);
	pci.dev = (struct io_device){
		.name = "PCI config (mechanism #1) and reset control",
		.base = PCI_CONFIG_PORT,
		.len = PCI_CONFIG_PORTS,
		.read = pci_pio_read,
		.write = pci_pio_write,
	};
	pthread_mutex_unlock(&pci.lock);
	return iobus_register(host->pio, &pci.dev);
}

static void pci_device_reset(const struct device_host *host)
{
	(void)host;
	pthread_mutex_lock(&pci.lock);
	pci_host_reset(&pci.host);
	pthread_mutex_unlock(&pci.lock);
}

static void pci_device_save(const struct device_host *host, struct state_writer *w)
{
	(void)host;
	pthread_mutex_lock(&pci.lock);
	state_put_u32(w, pci.host.config_address);
	state_put_u8(w, pci.host.reset_control);
	pthread_mutex_unlock(&pci.lock);
}

static int pci_device_load(const struct device_host *host, struct state_reader *r)
{
	struct pci_host s;

	(void)host;
	s.config_address = state_get_u32(r);
	s.reset_control = state_get_u8(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	pthread_mutex_lock(&pci.lock);
	pci.host = s;
	pthread_mutex_unlock(&pci.lock);
	return 0;
}

static void pci_device_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &pci.dev);
}

static const struct device pci_device = {
	.name = "PCI host",
	.level = DEVICE_LEVEL_PLATFORM,
	.init = pci_device_init,
	.reset = pci_device_reset,
	.exit = pci_device_exit,
	.save = pci_device_save,
	.load = pci_device_load,
};

device_register(pci_device);
