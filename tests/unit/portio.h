/* SPDX-License-Identifier: MIT */
/* Byte accesses on a port bus, as a guest's in/out would make them (no vCPU behind them). */
#ifndef MINIKVM_TEST_PORTIO_H
#define MINIKVM_TEST_PORTIO_H

#include "iobus.h"

#include <stdint.h>

static inline uint8_t in(struct iobus *pio, uint16_t port)
{
	uint8_t v = 0;

	iobus_access(pio, NULL, port, &v, 1, false);
	return v;
}

static inline void out(struct iobus *pio, uint16_t port, uint8_t val)
{
	iobus_access(pio, NULL, port, &val, 1, true);
}

#endif
