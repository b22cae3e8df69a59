/* SPDX-License-Identifier: MIT */
/*
 * The ACPI PM1 registers and PM timer (see acpi_pm.h for what is modelled),
 * and at the bottom the glue that puts them at the ports the FADT names and
 * turns an S5 request into the end of the VM.
 */
#include "acpi_pm.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>
#include "x86/acpi.h"

#define PM1_STS_OFFSET 0
#define PM1_EN_OFFSET  2
#define PM1_CNT_OFFSET (ACPI_PM1A_CNT_PORT - ACPI_PM1A_EVT_PORT)
#define PM_TMR_OFFSET  (ACPI_PM_TMR_PORT - ACPI_PM1A_EVT_PORT)

_Static_assert(PM1_CNT_OFFSET == 4 && PM_TMR_OFFSET == 8, "PM block layout");
_Static_assert(PM_TMR_OFFSET + ACPI_PM_TMR_LEN == ACPI_PM_PORTS, "PM block size");

/* Enable bits that exist; the others are reserved and read 0. */
#define PM1_EN_DEFINED (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
			ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE)
/* Control bits kept as written (SCI_EN is hard-wired, GBL_RLS and SLP_EN write-only). */
#define PM1_CNT_KEPT   (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)

#define NSEC_PER_SEC 1000000000ULL

void acpi_pm_reset(struct acpi_pm *pm, uint64_t now_ns)
{
	memset(pm, 0, sizeof(*pm));
	pm->start_ns = now_ns;
}

uint32_t acpi_pm_timer_count(uint64_t ns)
{
	/* floor(ns * f / 1e9), split so that nothing overflows 64 bits. */
	uint64_t ticks = ns / NSEC_PER_SEC * ACPI_PM_TMR_HZ +
			 ns % NSEC_PER_SEC * ACPI_PM_TMR_HZ / NSEC_PER_SEC;

	return (uint32_t)(ticks & ACPI_PM_TIMER_MASK);
}

void acpi_pm_read(const struct acpi_pm *pm, uint64_t offset, uint8_t *data, unsigned size,
		  uint64_t now_ns)
{
	/* One timer sample per access, so a 4-byte read is one consistent value. */
	uint32_t timer = acpi_pm_timer_count(now_ns >= pm->start_ns ? now_ns - pm->start_ns : 0);
	uint16_t control = (uint16_t)((pm->control & PM1_CNT_KEPT) | ACPI_PM1_SCI_EN);

	for (unsigned i = 0; i < size; i++) {
		uint64_t at = offset + i;
		uint32_t reg;
		unsigned byte;

		if (at >= PM_TMR_OFFSET && at < ACPI_PM_PORTS) {
			reg = timer;
			byte = (unsigned)(at - PM_TMR_OFFSET);
		} else if (at < PM1_EN_OFFSET) {
			reg = pm->status;
			byte = (unsigned)(at - PM1_STS_OFFSET);
		} else if (at < PM1_CNT_OFFSET) {
			reg = pm->enable;
			byte = (unsigned)(at - PM1_EN_OFFSET);
		} else if (at < PM1_CNT_OFFSET + ACPI_PM1_CNT_LEN) {
			reg = control;
			byte = (unsigned)(at - PM1_CNT_OFFSET);
		} else {
			data[i] = 0xFF;
			continue;
		}
		data[i] = (uint8_t)(reg >> (8 * byte));
	}
}

/* One byte written into a 16-bit register: the new value of that register. */
static uint16_t with_byte(uint16_t reg, unsigned byte, uint8_t val)
{
	uint16_t mask = (uint16_t)(0xFF << (8 * byte));

	return (uint16_t)((reg & ~mask) | ((uint16_t)val << (8 * byte) & mask));
}

enum acpi_pm_request acpi_pm_write(struct acpi_pm *pm, uint64_t offset, const uint8_t *data,
				   unsigned size)
{
	enum acpi_pm_request req = ACPI_PM_NOTHING;

	for (unsigned i = 0; i < size; i++) {
		uint64_t at = offset + i;
		unsigned byte = (unsigned)(at & 1);

		if (at < PM1_EN_OFFSET) {
			/* Status bits clear where a 1 is written (4.8.3.1.1). */
			pm->status &= (uint16_t)~((uint16_t)data[i] << (8 * byte));
		} else if (at < PM1_CNT_OFFSET) {
			pm->enable = with_byte(pm->enable, byte, data[i]) & PM1_EN_DEFINED;
		} else if (at < PM1_CNT_OFFSET + ACPI_PM1_CNT_LEN) {
			uint16_t written = with_byte(pm->control, byte, data[i]);

			pm->control = written & PM1_CNT_KEPT;
			/*
			 * SLP_TYP and SLP_EN share the high byte, so the byte
			 * that carries SLP_EN also carries the type it means.
			 */
			if ((written & ACPI_PM1_SLP_EN) &&
			    (written & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT == ACPI_SLP_TYP_S5)
				req = ACPI_PM_POWEROFF;
		}
		/* The unused ports and the read-only timer ignore writes. */
	}
	return req;
}

/* Glue: the block at 0x600-0x60B, one lock, the host's monotonic clock. */

static struct {
	pthread_mutex_t lock;
	const struct device_host *host;
	struct acpi_pm pm;
	struct io_device dev;
} acpi_pm_dev = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void acpi_pm_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			     unsigned size)
{
	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&acpi_pm_dev.lock);
	acpi_pm_read(&acpi_pm_dev.pm, offset, data, size, monotonic_ns());
	pthread_mutex_unlock(&acpi_pm_dev.lock);
}

static void acpi_pm_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset,
			      const uint8_t *data, unsigned size)
{
	enum acpi_pm_request req;

	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&acpi_pm_dev.lock);
	req = acpi_pm_write(&acpi_pm_dev.pm, offset, data, size);
	pthread_mutex_unlock(&acpi_pm_dev.lock);
	if (req == ACPI_PM_POWEROFF)
		acpi_pm_dev.host->request_exit(acpi_pm_dev.host, EXIT_GUEST_OK, "ACPI poweroff (S5)");
}

static int acpi_pm_device_init(const struct device_host *host)
{
	pthread_mutex_lock(&acpi_pm_dev.lock);
	acpi_pm_dev.host = host;
	acpi_pm_reset(&acpi_pm_dev.pm, monotonic_ns());
	acpi_pm_dev.dev = (struct io_device){
		.name = "ACPI PM1 and PM timer",
		.base = ACPI_PM1A_EVT_PORT,
		.len = ACPI_PM_PORTS,
		.read = acpi_pm_pio_read,
		.write = acpi_pm_pio_write,
	};
	pthread_mutex_unlock(&acpi_pm_dev.lock);
	return iobus_register(host->pio, &acpi_pm_dev.dev);
}

static void acpi_pm_device_reset(const struct device_host *host)
{
	(void)host;
	pthread_mutex_lock(&acpi_pm_dev.lock);
	acpi_pm_reset(&acpi_pm_dev.pm, monotonic_ns());
	pthread_mutex_unlock(&acpi_pm_dev.lock);
}

/* The PM timer is saved as its age, so that a restored timer goes on from where it was. */
static void acpi_pm_device_save(const struct device_host *host, struct state_writer *w)
{
	const struct acpi_pm *pm = &acpi_pm_dev.pm;

	(void)host;
	pthread_mutex_lock(&acpi_pm_dev.lock);
	state_put_u16(w, pm->status);
	state_put_u16(w, pm->enable);
	state_put_u16(w, pm->control);
	state_put_u64(w, monotonic_ns() - pm->start_ns);
	pthread_mutex_unlock(&acpi_pm_dev.lock);
}

static int acpi_pm_device_load(const struct device_host *host, struct state_reader *r)
{
	struct acpi_pm s;
	uint64_t age, now = monotonic_ns();

	(void)host;
	s.status = state_get_u16(r);
	s.enable = state_get_u16(r);
	s.control = state_get_u16(r);
	age = state_get_u64(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	/* Older than this host's clock: the timer wraps every few seconds anyway. */
	s.start_ns = now - age % (now + 1);
	pthread_mutex_lock(&acpi_pm_dev.lock);
	acpi_pm_dev.pm = s;
	pthread_mutex_unlock(&acpi_pm_dev.lock);
	return 0;
}

static void acpi_pm_device_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &acpi_pm_dev.dev);
}

static const struct device acpi_pm_device = {
	.name = "ACPI PM",
	.level = DEVICE_LEVEL_PLATFORM,
	.init = acpi_pm_device_init,
	.reset = acpi_pm_device_reset,
	.exit = acpi_pm_device_exit,
	.save = acpi_pm_device_save,
	.load = acpi_pm_device_load,
};

device_register(acpi_pm_device);
