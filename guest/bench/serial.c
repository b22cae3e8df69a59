/* SPDX-License-Identifier: MIT */
/*
 * serial.elf — the serial-throughput benchmark guest (scripts/bench.py, row 3).
 *
 * Writes serial_bytes bytes (default 1 MiB; the harness patches the value in
 * a copy of the file) to COM1 the way a FIFO-aware driver does: wait until
 * the line status register says the transmit holding register is empty,
 * then write one FIFO's worth (16 bytes) to THR. The bytes are a repeating
 * 64-character line of text ending in '\n'. Then it ends the VM through
 * isa-debug-exit with value 0x2a (exit status 85).
 *
 * Run: minikvm --serial file:/tmp/out guest/bench/serial.elf
 * Exit status: 85; /tmp/out holds exactly serial_bytes bytes.
 */
#include <stdint.h>

#include "lib/io.h"

#define UART_FIFO 16

/* Patched by scripts/bench.py (found with nm); volatile so it is read from RAM. */
volatile uint32_t serial_bytes = 1 << 20;

static const char line[64] =
	"minikvm bench: serial throughput, 64 bytes per line, 16 a FIFO\n";

int main(void)
{
	uint32_t n = serial_bytes, i, j;

	outb(COM1_PORT + 3, 0x03);  /* LCR: 8 data bits, no parity, 1 stop bit */
	outb(COM1_PORT + 2, 0x07);  /* FCR: FIFOs on, both cleared */
	for (i = 0; i < n; i += UART_FIFO) {
		while (!(inb(COM1_LSR) & UART_LSR_THRE))
			cpu_pause();
		for (j = 0; j < UART_FIFO && i + j < n; j++)
			outb(COM1_THR, line[(i + j) & 63]);
	}
	debug_exit(0x2a);
}
