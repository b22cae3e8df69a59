/* SPDX-License-Identifier: MIT */
/*
 * The PC's keyboard controller (an Intel 8042 and its descendants) at ports
 * 0x60 (data) and 0x64 (status on read, command on write), with no keyboard
 * and no mouse plugged in. Guests need it for two things: rebooting (pulse
 * the CPU reset line: command 0xFE, or an output-port write with bit 0
 * clear), which here ends the VM with status 0, and Linux's probe, which
 * must see a sane controller and learn quickly that nothing is attached.
 *
 * The controller answers its own commands through a small output queue
 * (read through 0x60; status bit 0 says a byte waits, bit 5 that it came
 * from the mouse side). A byte the guest sends to a device (a data write
 * with no command pending, or command 0xD4 for the mouse) finds no device,
 * and the controller does what a real one does when a device never clocks
 * the byte in: it reports a time-out (status bit 6) with 0xFE as the data.
 * Linux turns that into an immediate "no keyboard/mouse" instead of waiting
 * for its command time-outs. Interrupts (IRQ 1 for keyboard-side bytes,
 * IRQ 12 for mouse-side bytes) follow the command byte's enable bits.
 * Reading 0x60 with nothing queued returns the last byte again.
 *
 * Not modelled: the A20 gate (KVM guests always see A20 enabled), the
 * input port (0xC0), controller RAM beyond the command byte (reads 0).
 */
#include "device.h"
#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>

#include <pthread.h>
#include <string.h>

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_KBD_IRQ      1
#define I8042_AUX_IRQ      12

/* Status register (port 0x64, read). */
#define STATUS_OBF     0x01 /* output buffer full: a byte waits at 0x60 */
#define STATUS_SYS     0x04 /* system flag: self-test passed (firmware did it) */
#define STATUS_CMD     0x08 /* last write went to 0x64 */
#define STATUS_UNLOCK  0x10 /* keyboard not inhibited by the key lock */
#define STATUS_AUXDATA 0x20 /* the waiting byte is from the mouse side */
#define STATUS_TIMEOUT 0x40 /* the device did not answer */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS    0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

#define OUTPORT_RESET 0x01 /* 0 holds the CPU in reset */
#define OUTPORT_A20   0x02

#define NO_DEVICE 0xFE     /* data with STATUS_TIMEOUT: nothing answered */
#define QUEUE_SIZE 16

struct out_byte {
	uint8_t data;
	bool aux;
	bool timeout;
};

static struct i8042 {
	pthread_mutex_t lock;
	const struct device_host *host;
	uint8_t ctr;
	uint8_t outport;
	bool last_was_command;
	uint8_t pending;          /* command waiting for its data byte at 0x60, or 0 */
	struct out_byte queue[QUEUE_SIZE];
	unsigned head, len;
	uint8_t last;             /* last byte read from 0x60 */
	int kbd_irq, aux_irq;     /* levels last given to KVM */
	struct io_device data_dev, command_dev;
} kbc = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Keep the interrupt lines in step with the queue; lock held. */
static void update_irqs(struct i8042 *k)
{
	bool obf = k->len > 0, aux = obf && k->queue[k->head].aux;
	int kbd = obf && !aux && (k->ctr & CTR_KBDINT);
	int mouse = aux && (k->ctr & CTR_AUXINT);

	if (kbd != k->kbd_irq) {
		k->kbd_irq = kbd;
		(void)k->host->irq_line(k->host, I8042_KBD_IRQ, kbd);
	}
	if (mouse != k->aux_irq) {
		k->aux_irq = mouse;
		(void)k->host->irq_line(k->host, I8042_AUX_IRQ, mouse);
	}
}

static void queue_byte(struct i8042 *k, uint8_t data, bool aux, bool timeout)
{
	/* A guest that never reads 0x60 loses the newest bytes, not our memory. */
	if (k->len == QUEUE_SIZE)
		return;
	k->queue[(k->head + k->len) % QUEUE_SIZE] = (struct out_byte){ data, aux, timeout };
	k->len++;
}

static uint8_t status(const struct i8042 *k)
{
	uint8_t s = STATUS_SYS | STATUS_UNLOCK;

	if (k->last_was_command)
		s |= STATUS_CMD;
	if (k->len) {
		const struct out_byte *b = &k->queue[k->head];

		s |= STATUS_OBF;
		if (b->aux)
			s |= STATUS_AUXDATA;
		if (b->timeout)
			s |= STATUS_TIMEOUT;
	}
	return s;
}

static void reset_cpu(struct i8042 *k)
{
	/* There is no firmware to restart into: a reset is the end of this VM. */
	k->host->request_exit(k->host, EXIT_GUEST_OK, "i8042 reset");
}

static void command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	switch (cmd) {
	case 0x20: /* read command byte */
		queue_byte(k, k->ctr, false, false);
		break;
	case 0x21 ... 0x3F: /* read controller RAM */
		queue_byte(k, 0, false, false);
		break;
	case 0x60 ... 0x7F: /* write command byte / RAM: data follows */
	case 0xD1:          /* write output port */
	case 0xD2:          /* write keyboard output buffer (as if typed) */
	case 0xD3:          /* write mouse output buffer (as if moved) */
	case 0xD4:          /* write to the mouse */
		k->pending = cmd;
		break;
	case 0xA7: /* disable mouse port */
		k->ctr |= CTR_AUXDIS;
		break;
	case 0xA8: /* enable mouse port */
		k->ctr &= ~CTR_AUXDIS;
		break;
	case 0xA9: /* mouse interface test: 0 = no error */
	case 0xAB: /* keyboard interface test */
		queue_byte(k, 0x00, false, false);
		break;
	case 0xAA: /* controller self-test: 0x55 = passed */
		queue_byte(k, 0x55, false, false);
		break;
	case 0xAD: /* disable keyboard port */
		k->ctr |= CTR_KBDDIS;
		break;
	case 0xAE: /* enable keyboard port */
		k->ctr &= ~CTR_KBDDIS;
		break;
	case 0xD0: /* read output port */
		queue_byte(k, k->outport, false, false);
		break;
	case 0xF0 ... 0xFF:
		/* Pulse output-port bits 0-3 low for those bits that are 0 in cmd; bit 0 is reset. */
		if (!(cmd & OUTPORT_RESET))
			reset_cpu(k);
		break;
	default: /* vendor commands, A20 on/off (0xDD/0xDF): nothing to do */
		break;
	}
}

static void data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = val;
		break;
	case 0x61 ... 0x7F: /* other RAM bytes: not kept */
		break;
	case 0xD1:
		k->outport = val;
		if (!(val & OUTPORT_RESET))
			reset_cpu(k);
		break;
	case 0xD2:
		queue_byte(k, val, false, false);
		break;
	case 0xD3:
		queue_byte(k, val, true, false);
		break;
	case 0xD4:
		queue_byte(k, NO_DEVICE, true, true);
		break;
	default:
		/* A byte for the keyboard, which is not there. */
		queue_byte(k, NO_DEVICE, false, true);
		break;
	}
}

static void status_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *out,
			unsigned size)
{
	struct i8042 *k = opaque;

	(void)vcpu;
	if (!size)
		return;
	memset(out, 0xFF, size);
	if (offset != 0)
		return;
	pthread_mutex_lock(&k->lock);
	out[0] = status(k);
	pthread_mutex_unlock(&k->lock);
}

static void data_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *out,
		      unsigned size)
{
	struct i8042 *k = opaque;

	(void)vcpu;
	if (!size)
		return;
	memset(out, 0xFF, size);
	if (offset != 0)
		return;
	pthread_mutex_lock(&k->lock);
	if (k->len) {
		k->last = k->queue[k->head].data;
		k->head = (k->head + 1) % QUEUE_SIZE;
		k->len--;
		update_irqs(k);
	}
	out[0] = k->last;
	pthread_mutex_unlock(&k->lock);
}

static void data_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *in,
		       unsigned size)
{
	struct i8042 *k = opaque;

	(void)vcpu;
	if (!size || offset != 0)
		return;
	pthread_mutex_lock(&k->lock);
	k->last_was_command = false;
	data(k, in[0]);
	update_irqs(k);
	pthread_mutex_unlock(&k->lock);
}

static void command_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *in,
			  unsigned size)
{
	struct i8042 *k = opaque;

	(void)vcpu;
	if (!size || offset != 0)
		return;
	pthread_mutex_lock(&k->lock);
	k->last_was_command = true;
	command(k, in[0]);
	update_irqs(k);
	pthread_mutex_unlock(&k->lock);
}

/* What a BIOS leaves: keyboard interrupt on, scan-code translation, self-test done. Lock held. */
static void power_on(struct i8042 *k)
{
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
	k->outport = OUTPORT_RESET | OUTPORT_A20;
	k->last_was_command = false;
	k->pending = 0;
	k->head = k->len = 0;
	k->last = 0;
}

static int i8042_init(const struct device_host *host)
{
	struct i8042 *k = &kbc;

	pthread_mutex_lock(&k->lock);
	k->host = host;
	power_on(k);
	k->kbd_irq = k->aux_irq = 0;
	k->data_dev = (struct io_device){
		.name = "i8042 data",
		.base = I8042_DATA_PORT,
		.len = 1,
		.opaque = k,
		.read = data_read,
		.write = data_write,
	};
	k->command_dev = (struct io_device){
		.name = "i8042 status/command",
		.base = I8042_COMMAND_PORT,
		.len = 1,
		.opaque = k,
		.read = status_read,
		.write = command_write,
	};
	pthread_mutex_unlock(&k->lock);
	if (iobus_register(host->pio, &k->data_dev) < 0)
		return -1;
	if (iobus_register(host->pio, &k->command_dev) < 0) {
		iobus_unregister(host->pio, &k->data_dev);
		return -1;
	}
	return 0;
}

static void i8042_reset(const struct device_host *host)
{
	struct i8042 *k = &kbc;

	(void)host;
	pthread_mutex_lock(&k->lock);
	power_on(k);
	update_irqs(k); /* the queue is empty: raised lines fall */
	pthread_mutex_unlock(&k->lock);
}

static void i8042_save(const struct device_host *host, struct state_writer *w)
{
	struct i8042 *k = &kbc;

	(void)host;
	pthread_mutex_lock(&k->lock);
	state_put_u8(w, k->ctr);
	state_put_u8(w, k->outport);
	state_put_bool(w, k->last_was_command);
	state_put_u8(w, k->pending);
	for (unsigned i = 0; i < QUEUE_SIZE; i++) {
		state_put_u8(w, k->queue[i].data);
		state_put_bool(w, k->queue[i].aux);
		state_put_bool(w, k->queue[i].timeout);
	}
	state_put_u8(w, (uint8_t)k->head);
	state_put_u8(w, (uint8_t)k->len);
	state_put_u8(w, k->last);
	state_put_bool(w, k->kbd_irq != 0);
	state_put_bool(w, k->aux_irq != 0);
	pthread_mutex_unlock(&k->lock);
}

static int i8042_load(const struct device_host *host, struct state_reader *r)
{
	struct i8042 *k = &kbc;
	struct out_byte queue[QUEUE_SIZE];
	uint8_t ctr, outport, pending, last;
	unsigned head, len;
	bool last_was_command;
	int kbd_irq, aux_irq;

	(void)host;
	ctr = state_get_u8(r);
	outport = state_get_u8(r);
	last_was_command = state_get_bool(r);
	pending = state_get_u8(r);
	for (unsigned i = 0; i < QUEUE_SIZE; i++) {
		queue[i].data = state_get_u8(r);
		queue[i].aux = state_get_bool(r);
		queue[i].timeout = state_get_bool(r);
	}
	head = state_get_u8(r);
	len = state_get_u8(r);
	last = state_get_u8(r);
	kbd_irq = state_get_bool(r);
	aux_irq = state_get_bool(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	/* Head and length index the output queue. */
	if (head >= QUEUE_SIZE || len > QUEUE_SIZE)
		return state_reject(r, "i8042 output queue head %u, length %u: it holds %d bytes", head,
				    len, QUEUE_SIZE);
	pthread_mutex_lock(&k->lock);
	k->ctr = ctr;
	k->outport = outport;
	k->last_was_command = last_was_command;
	k->pending = pending;
	memcpy(k->queue, queue, sizeof(queue));
	k->head = head;
	k->len = len;
	k->last = last;
	k->kbd_irq = kbd_irq;
	k->aux_irq = aux_irq;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static void i8042_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &kbc.command_dev);
	iobus_unregister(host->pio, &kbc.data_dev);
}

static const struct device i8042_device = {
	.name = "i8042",
	.level = DEVICE_LEVEL_PLATFORM,
	.init = i8042_init,
	.reset = i8042_reset,
	.exit = i8042_exit,
	.save = i8042_save,
	.load = i8042_load,
};

device_register(i8042_device);
