/* SPDX-License-Identifier: MIT */
/*
 * The 8254 programmable interval timer (Intel 8254 datasheet) and the PC's
 * port 0x61, in userspace with --irqchip split.
 *
 * Three 16-bit down counters share a 1.193182 MHz clock. Software writes a
 * control word to port 0x43 (channel, access mode, counting mode, BCD),
 * then the initial count N (0 means 65536, or 10000 in BCD) to the
 * channel's port 0x40-0x42, and reads the running count there, or what a
 * latch or read-back command froze. On a PC, channels 0 and 1 have their
 * GATE input tied high; channel 0's OUT is ISA IRQ 0; channel 2's gate is
 * port 0x61 bit 0 and its OUT drives the speaker and reads as bit 5.
 *
 * The modes, with t the clock ticks since the count was loaded:
 *   0 interrupt on terminal count: counts N down, OUT low until t = N
 *   1 hardware one-shot: a gate rise starts it; OUT low for N ticks
 *   2 rate generator: period N, OUT low for the last tick of each period
 *   3 square wave: period N, OUT high for the first half, low for the rest
 *   4 software strobe: counts N down, OUT low for the one tick at t = N
 *   5 hardware strobe: mode 4 started by a gate rise
 * With the gate low, modes 0, 2, 3 and 4 hold the count (2 and 3 force OUT
 * high); a gate rise restarts modes 2 and 3 from N and resumes 0 and 4.
 *
 * Nothing ticks here: a count is computed from a monotonic clock when read.
 * Only IRQ 0 needs a thread, which sleeps until channel 0's OUT next rises.
 * Waking late, it pulses once and moves on to the next period boundary: no
 * storm of missed ticks (Linux keeps time with its clocksource, not ticks).
 *
 * Not modelled: the one-tick delay before a count is loaded; a new count
 * in modes 2 and 3 waiting for the end of the period (it starts at once),
 * or in modes 1 and 5 leaving a one-shot in progress alone.
 */
#include "i8254.h"

#include "error.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIT_HZ        1193182u
#define NS_PER_SEC    1000000000ull
#define PIT_BASE      0x40
#define PIT_CONTROL   3  /* port 0x43 */
#define PORT_B        0x61
/* Port 0x61 ("system control port B"): bits 0-1 RW, 4-5 RO, the rest read 0. */
#define PORTB_GATE2   0x01
#define PORTB_SPEAKER 0x02
#define PORTB_REFRESH 0x10
#define PORTB_OUT2    0x20
/* The DRAM refresh toggle, as channel 1 once paced it: every 18 ticks (15 us). */
#define REFRESH_TICKS 18
/* IRQ 0 at most every 60 ticks (20 kHz): a count of 1 must not busy the host. */
#define MIN_IRQ_TICKS 60

enum access { RW_LATCH, RW_LO, RW_HI, RW_LOHI };

struct pit_channel {
	uint8_t mode;          /* as written, 0-7; mode() folds 6 and 7 onto 2 and 3 */
	uint8_t rw;            /* enum access */
	bool bcd, gate;
	bool loaded;           /* a count was written since the control word */
	bool armed;            /* modes 1 and 5: a gate rise started the count */
	bool null_count;       /* status bit 6: the count written is not counting yet */
	uint32_t count;        /* N: 1-65536 */
	uint64_t start_ns;     /* when the counter last started or resumed */
	uint64_t held_ticks;   /* ticks counted before start_ns (the gate paused it) */
	bool write_msb_next, read_msb_next;
	uint8_t write_lsb;
	uint8_t latch_left;    /* bytes of the latched count still to be read */
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct i8254 {
	pthread_mutex_t lock;
	const struct i8254_ops *ops;
	void *ctx;
	struct iobus *pio;
	struct pit_channel ch[3];
	bool speaker;
	bool irq_armed;        /* channel 0 will raise IRQ 0 ... */
	uint64_t irq_tick;     /* ... when its tick count reaches this */
	pthread_cond_t cond;   /* on CLOCK_MONOTONIC: wakes the timer thread */
	pthread_t thread;
	bool thread_started, stopping;
	struct io_device pit_dev, portb_dev;
};

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * PIT_HZ + ns % NS_PER_SEC * PIT_HZ / NS_PER_SEC;
}

/* The first nanosecond by which tick t has happened. */
static uint64_t ticks_to_ns(uint64_t t)
{
	return t / PIT_HZ * NS_PER_SEC + (t % PIT_HZ * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t pit_now(const struct i8254 *pit)
{
	struct timespec ts;

	if (pit->ops->now_ns)
		return pit->ops->now_ns(pit->ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int mode(const struct pit_channel *ch)
{
	return ch->mode > 5 ? ch->mode - 4 : ch->mode;
}

/* Modes 1 and 5 start on a gate rise; the others count while the gate is high. */
static bool gate_triggered(const struct pit_channel *ch)
{
	return mode(ch) == 1 || mode(ch) == 5;
}

static bool periodic(const struct pit_channel *ch)
{
	return mode(ch) == 2 || mode(ch) == 3;
}

static uint64_t elapsed(const struct pit_channel *ch, uint64_t now)
{
	bool counting = ch->loaded && (gate_triggered(ch) ? ch->armed : ch->gate);

	if (!counting || now < ch->start_ns)
		return ch->held_ticks;
	return ch->held_ticks + ns_to_ticks(now - ch->start_ns);
}

/* The counter as software reads it (BCD-encoded if so programmed). */
static uint16_t counter_value(const struct pit_channel *ch, uint64_t now)
{
	uint64_t t = elapsed(ch, now), n = ch->count, m = ch->bcd ? 10000 : 65536;
	uint64_t v, p = t % n, half = (n + 1) / 2, h = p < half ? p : p - half;

	if (mode(ch) == 2) {
		v = n - p;             /* N, N-1, ..., 1, reload */
	} else if (mode(ch) == 3) {
		/*
		 * Down by two per tick, reloading at each half period; an odd N
		 * loses one on the first tick of the high half and three on the
		 * first of the low half (8254 datasheet, mode 3).
		 */
		if (h == 0)
			v = n;
		else if (n % 2 == 0)
			v = n - 2 * h;
		else
			v = p < half ? n + 1 - 2 * h : n - 1 - 2 * h;
	} else {
		v = n + m - t % m;     /* down from N, on through the wrap */
	}
	v %= m;
	if (!ch->bcd)
		return (uint16_t)v;
	return (uint16_t)(v / 1000 << 12 | v / 100 % 10 << 8 | v / 10 % 10 << 4 | v % 10);
}

static bool out_level(const struct pit_channel *ch, uint64_t now)
{
	uint64_t t = elapsed(ch, now), n = ch->count;

	if (!ch->loaded)
		return mode(ch) != 0; /* a control word drops OUT in mode 0, raises it otherwise */
	switch (mode(ch)) {
	case 0:
		return t >= n;
	case 1:
		return !ch->armed || t >= n;
	case 2:
		return !ch->gate || n < 2 || t % n != n - 1;
	case 3:
		return !ch->gate || t % n < (n + 1) / 2;
	case 4:
		return t != n;
	default: /* 5 */
		return !ch->armed || t != n;
	}
}

/* In modes 2 and 3 IRQ 0 rises every period, but no faster than MIN_IRQ_TICKS. */
static uint64_t irq_period(const struct pit_channel *ch)
{
	uint64_t n = ch->count;

	return n >= MIN_IRQ_TICKS ? n : n * ((MIN_IRQ_TICKS + n - 1) / n);
}

static void pulse_irq0(struct i8254 *pit)
{
	pit->ops->irq0_pulse(pit->ctx);
}

/* Under the lock: is IRQ 0 due at now? Moves the schedule on and sets *next. */
static bool timer_due(struct i8254 *pit, uint64_t now, uint64_t *next)
{
	struct pit_channel *ch = &pit->ch[0];
	uint64_t t = elapsed(ch, now);
	bool due = pit->irq_armed && t >= pit->irq_tick;

	if (due && periodic(ch))
		pit->irq_tick = (t / irq_period(ch) + 1) * irq_period(ch);
	else if (due)
		pit->irq_armed = false; /* modes 0 and 4: once */
	/* Channel 0's gate is tied high, so nothing is ever held: tick 0 is start_ns. */
	*next = pit->irq_armed ? ch->start_ns + ticks_to_ns(pit->irq_tick) : I8254_NEVER;
	return due;
}

static void *timer_thread(void *arg)
{
	struct i8254 *pit = arg;
	uint64_t next;
	struct timespec ts;

	pthread_mutex_lock(&pit->lock);
	while (!pit->stopping) {
		if (timer_due(pit, pit_now(pit), &next)) {
			pthread_mutex_unlock(&pit->lock);
			pulse_irq0(pit);
			pthread_mutex_lock(&pit->lock);
		} else if (next == I8254_NEVER) {
			pthread_cond_wait(&pit->cond, &pit->lock);
		} else {
			ts.tv_sec = (time_t)(next / NS_PER_SEC);
			ts.tv_nsec = (long)(next % NS_PER_SEC);
			pthread_cond_timedwait(&pit->cond, &pit->lock, &ts);
		}
	}
	pthread_mutex_unlock(&pit->lock);
	return NULL;
}

/*
 * The timer thread, the first time IRQ 0 is armed (from a vCPU thread or
 * the event loop's, whose signal mask it inherits: SIGINT, SIGTERM and the
 * kick signal blocked). A test with its own clock drives the timer itself
 * (i8254.h). Without the thread the guest only misses IRQ 0; the next
 * programming tries again. Lock held.
 */
static void start_timer_thread(struct i8254 *pit)
{
	if (pit->irq_armed && !pit->thread_started && !pit->stopping && !pit->ops->now_ns &&
	    pthread_create(&pit->thread, NULL, timer_thread, pit) == 0) {
		pit->thread_started = true;
		pthread_setname_np(pit->thread, "pit");
	}
}

/* Channel 0 was programmed: schedule its first IRQ 0 pulse. */
static void arm_irq0(struct i8254 *pit)
{
	struct pit_channel *ch = &pit->ch[0];

	/* The gate is tied high, so modes 1 and 5 never trigger. */
	pit->irq_armed = ch->loaded && !gate_triggered(ch);
	pit->irq_tick = periodic(ch) ? irq_period(ch) : ch->count;
	start_timer_thread(pit);
	pthread_cond_signal(&pit->cond);
}

static void load_count(struct i8254 *pit, struct pit_channel *ch, uint16_t raw, uint64_t now)
{
	/* Bad BCD digits (0xA-0xF) just count as 10-15. */
	uint32_t bcd = ((raw >> 12) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u +
			(raw & 15)) % 10000;
	uint32_t n = ch->bcd ? bcd : raw;

	ch->count = n ? n : ch->bcd ? 10000 : 65536;
	ch->loaded = true;
	ch->held_ticks = 0;
	ch->start_ns = now;
	/* Modes 1 and 5 move the count into the counter at the next gate rise. */
	ch->armed = false;
	ch->null_count = gate_triggered(ch);
	if (ch == &pit->ch[0])
		arm_irq0(pit);
}

static void write_counter(struct i8254 *pit, struct pit_channel *ch, uint8_t val, uint64_t now)
{
	if (ch->rw != RW_LOHI) {
		load_count(pit, ch, ch->rw == RW_HI ? (uint16_t)(val << 8) : val, now);
	} else if (ch->write_msb_next) {
		ch->write_msb_next = false;
		load_count(pit, ch, (uint16_t)(ch->write_lsb | val << 8), now);
	} else {
		ch->write_lsb = val;
		ch->write_msb_next = true;
		ch->null_count = true;
		/* Mode 0: the first byte stops the count and drops OUT (datasheet, mode 0). */
		if (mode(ch) == 0 && ch->loaded) {
			ch->held_ticks = elapsed(ch, now);
			ch->loaded = false;
			if (ch == &pit->ch[0])
				arm_irq0(pit);
		}
	}
}

static uint8_t read_counter(struct pit_channel *ch, uint64_t now)
{
	uint16_t v;
	bool msb;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	if (ch->latch_left) {
		msb = ch->rw == RW_HI || (ch->rw == RW_LOHI && ch->latch_left == 1);
		ch->latch_left--;
		v = ch->latch;
	} else {
		msb = ch->rw == RW_HI || (ch->rw == RW_LOHI && ch->read_msb_next);
		if (ch->rw == RW_LOHI)
			ch->read_msb_next = !ch->read_msb_next;
		v = counter_value(ch, now);
	}
	return msb ? v >> 8 : v & 0xFF;
}

/* A second latch before the first is read changes nothing (datasheet). */
static void latch_count(struct pit_channel *ch, uint64_t now)
{
	if (ch->latch_left)
		return;
	ch->latch = counter_value(ch, now);
	ch->latch_left = ch->rw == RW_LOHI ? 2 : 1;
}

/* Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 pick channels. */
static void read_back(struct i8254 *pit, uint8_t val, uint64_t now)
{
	for (int i = 0; i < 3; i++) {
		struct pit_channel *ch = &pit->ch[i];

		if (!(val & (2 << i)))
			continue;
		if (!(val & 0x10) && !ch->status_latched) {
			ch->status = (uint8_t)(out_level(ch, now) << 7 | ch->null_count << 6 |
					       ch->rw << 4 | ch->mode << 1 | ch->bcd);
			ch->status_latched = true;
		}
		if (!(val & 0x20))
			latch_count(ch, now);
	}
}

static void write_control(struct i8254 *pit, uint8_t val, uint64_t now)
{
	struct pit_channel *ch = &pit->ch[(val >> 6) % 3];

	if ((val >> 6) == 3) {
		read_back(pit, val, now);
		return;
	}
	if ((val >> 4 & 3) == RW_LATCH) {
		latch_count(ch, now);
		return;
	}
	ch->rw = val >> 4 & 3;
	ch->mode = val >> 1 & 7;
	ch->bcd = val & 1;
	/* All control logic resets: the channel waits for a count. */
	ch->loaded = ch->armed = ch->status_latched = false;
	ch->write_msb_next = ch->read_msb_next = false;
	ch->null_count = true;
	ch->held_ticks = 0;
	ch->latch_left = 0;
	if (ch == &pit->ch[0])
		arm_irq0(pit);
}

static void set_gate(struct pit_channel *ch, bool gate, uint64_t now)
{
	if (gate == ch->gate)
		return;
	/* Falling: modes 0, 2, 3 and 4 hold the count. */
	if (!gate && !gate_triggered(ch))
		ch->held_ticks = elapsed(ch, now);
	ch->gate = gate;
	if (!gate || !ch->loaded)
		return;
	/* Rising: modes 0 and 4 resume, 2 and 3 reload, 1 and 5 trigger. */
	ch->start_ns = now;
	if (mode(ch) != 0 && mode(ch) != 4)
		ch->held_ticks = 0;
	if (gate_triggered(ch)) {
		ch->armed = true;
		ch->null_count = false;
	}
}

/* Byte accesses only; wider ones float high and are dropped. */
static void pit_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			 unsigned size)
{
	struct i8254 *pit = opaque;

	(void)vcpu;
	memset(data, 0xFF, size);
	if (size != 1 || offset >= PIT_CONTROL) /* the control word is write-only */
		return;
	pthread_mutex_lock(&pit->lock);
	data[0] = read_counter(&pit->ch[offset], pit_now(pit));
	pthread_mutex_unlock(&pit->lock);
}

static void pit_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			  unsigned size)
{
	struct i8254 *pit = opaque;

	(void)vcpu;
	if (size != 1 || offset > PIT_CONTROL)
		return;
	pthread_mutex_lock(&pit->lock);
	if (offset == PIT_CONTROL)
		write_control(pit, data[0], pit_now(pit));
	else
		write_counter(pit, &pit->ch[offset], data[0], pit_now(pit));
	pthread_mutex_unlock(&pit->lock);
}

static void portb_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			   unsigned size)
{
	struct i8254 *pit = opaque;
	uint64_t now;

	(void)vcpu;
	(void)offset;
	memset(data, 0xFF, size);
	if (size != 1)
		return;
	pthread_mutex_lock(&pit->lock);
	now = pit_now(pit);
	data[0] = (pit->ch[2].gate ? PORTB_GATE2 : 0) | (pit->speaker ? PORTB_SPEAKER : 0) |
		  (ns_to_ticks(now) / REFRESH_TICKS % 2 ? PORTB_REFRESH : 0) |
		  (out_level(&pit->ch[2], now) ? PORTB_OUT2 : 0);
	pthread_mutex_unlock(&pit->lock);
}

static void portb_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			    unsigned size)
{
	struct i8254 *pit = opaque;

	(void)vcpu;
	(void)offset;
	if (size != 1)
		return;
	pthread_mutex_lock(&pit->lock);
	set_gate(&pit->ch[2], data[0] & PORTB_GATE2, pit_now(pit));
	pit->speaker = data[0] & PORTB_SPEAKER;
	pthread_mutex_unlock(&pit->lock);
}

void i8254_reset(struct i8254 *pit)
{
	if (!pit)
		return;
	pthread_mutex_lock(&pit->lock);
	for (int i = 0; i < 3; i++) {
		memset(&pit->ch[i], 0, sizeof(pit->ch[i]));
		pit->ch[i].rw = RW_LOHI;
		pit->ch[i].count = 65536;
		pit->ch[i].gate = i != 2;
	}
	pit->speaker = false;
	pit->irq_armed = false;
	pthread_cond_signal(&pit->cond);
	pthread_mutex_unlock(&pit->lock);
}

uint64_t i8254_run_timer(struct i8254 *pit)
{
	uint64_t next;
	bool due;

	pthread_mutex_lock(&pit->lock);
	due = timer_due(pit, pit_now(pit), &next);
	pthread_mutex_unlock(&pit->lock);
	if (due)
		pulse_irq0(pit);
	return next;
}

struct i8254 *i8254_create(struct iobus *pio, const struct i8254_ops *ops, void *ctx)
{
	struct i8254 *pit = calloc(1, sizeof(*pit));
	pthread_condattr_t attr;

	if (!pit) {
		err_set(EXIT_HOST, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&pit->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pit->cond, &attr);
	pthread_condattr_destroy(&attr);
	pit->ops = ops;
	pit->ctx = ctx;
	pit->pio = pio;
	pit->pit_dev = (struct io_device){
		.name = "8254 PIT",
		.base = PIT_BASE,
		.len = 4,
		.opaque = pit,
		.read = pit_pio_read,
		.write = pit_pio_write,
	};
	pit->portb_dev = (struct io_device){
		.name = "port B (0x61)",
		.base = PORT_B,
		.len = 1,
		.opaque = pit,
		.read = portb_pio_read,
		.write = portb_pio_write,
	};
	i8254_reset(pit);
	if (iobus_register(pio, &pit->pit_dev) < 0 || iobus_register(pio, &pit->portb_dev) < 0) {
		i8254_free(pit);
		return NULL;
	}
	return pit;
}

void i8254_save(struct i8254 *pit, struct state_writer *w)
{
	uint64_t now;

	pthread_mutex_lock(&pit->lock);
	now = pit_now(pit);
	for (int i = 0; i < 3; i++) {
		const struct pit_channel *ch = &pit->ch[i];

		state_put_u8(w, ch->mode);
		state_put_u8(w, ch->rw);
		state_put_bool(w, ch->bcd);
		state_put_bool(w, ch->gate);
		state_put_bool(w, ch->loaded);
		state_put_bool(w, ch->armed);
		state_put_bool(w, ch->null_count);
		state_put_u32(w, ch->count);
		state_put_u64(w, now - ch->start_ns); /* the clock is monotonic: never negative */
		state_put_u64(w, ch->held_ticks);
		state_put_bool(w, ch->write_msb_next);
		state_put_bool(w, ch->read_msb_next);
		state_put_u8(w, ch->write_lsb);
		state_put_u8(w, ch->latch_left);
		state_put_u16(w, ch->latch);
		state_put_bool(w, ch->status_latched);
		state_put_u8(w, ch->status);
	}
	state_put_bool(w, pit->speaker);
	state_put_bool(w, pit->irq_armed);
	state_put_u64(w, pit->irq_tick);
	pthread_mutex_unlock(&pit->lock);
}

/*
 * What a snapshot's IRQ 0 schedule may be, given channel 0 as loaded and t
 * its tick count now: armed only while channel 0 counts (else the timer
 * thread would wake at once, forever, for a tick that never comes), and due
 * at the tick arm_irq0() or timer_due() would have chosen. A periodic
 * schedule further off than the next period boundary (a clock that started
 * before this host's, or a file) is moved to that boundary. 0 or -EINVAL.
 */
static int load_irq0_schedule(struct state_reader *r, const struct pit_channel *ch, uint64_t t,
			      bool *armed, uint64_t *tick)
{
	uint64_t period = irq_period(ch);

	if (!*armed)
		return 0;
	if (!ch->loaded || gate_triggered(ch))
		return state_reject(r, "PIT IRQ 0 is armed but channel 0 is not counting");
	if (!periodic(ch)) {
		if (*tick != ch->count)
			return state_reject(r, "PIT IRQ 0 is due at tick %llu, but channel 0 counts to %u",
					    (unsigned long long)*tick, ch->count);
		return 0;
	}
	if (*tick == 0 || *tick % period)
		return state_reject(r, "PIT IRQ 0 is due at tick %llu, not a multiple of its period %llu",
				    (unsigned long long)*tick, (unsigned long long)period);
	if (*tick > (t / period + 1) * period)
		*tick = (t / period + 1) * period;
	return 0;
}

int i8254_load(struct i8254 *pit, struct state_reader *r)
{
	struct pit_channel ch[3];
	uint64_t age[3], irq_tick, now;
	bool speaker, irq_armed;

	memset(ch, 0, sizeof(ch));
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &ch[i];

		c->mode = state_get_u8(r);
		c->rw = state_get_u8(r);
		c->bcd = state_get_bool(r);
		c->gate = state_get_bool(r);
		c->loaded = state_get_bool(r);
		c->armed = state_get_bool(r);
		c->null_count = state_get_bool(r);
		c->count = state_get_u32(r);
		age[i] = state_get_u64(r);
		c->held_ticks = state_get_u64(r);
		c->write_msb_next = state_get_bool(r);
		c->read_msb_next = state_get_bool(r);
		c->write_lsb = state_get_u8(r);
		c->latch_left = state_get_u8(r);
		c->latch = state_get_u16(r);
		c->status_latched = state_get_bool(r);
		c->status = state_get_u8(r);
	}
	speaker = state_get_bool(r);
	irq_armed = state_get_bool(r);
	irq_tick = state_get_u64(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		const struct pit_channel *c = &ch[i];

		/* count divides, rw and mode select, latch_left counts bytes out. */
		if (c->mode > 7 || c->rw > RW_LOHI || c->count < 1 || c->count > 65536 || c->latch_left > 2)
			return state_reject(r, "PIT channel %d: mode %u, access %u, count %u or %u latched "
					    "bytes out of range", i, c->mode, c->rw, c->count, c->latch_left);
		/* A start in the future would hold the count, and IRQ 0's wake-ups, until then. */
		if ((int64_t)age[i] < 0)
			return state_reject(r, "PIT channel %d started %llu ns in the future", i,
					    (unsigned long long)-age[i]);
	}
	/* On a PC the gates of channels 0 and 1 are tied high; timer_due() counts on it. */
	if (!ch[0].gate || !ch[1].gate)
		return state_reject(r, "PIT channel %d's gate is low; it is tied high", ch[0].gate ? 1 : 0);
	if (ch[0].loaded && ch[0].held_ticks)
		return state_reject(r, "PIT channel 0 holds %llu ticks, but its gate never paused it",
				    (unsigned long long)ch[0].held_ticks);
	pthread_mutex_lock(&pit->lock);
	now = pit_now(pit);
	/*
	 * Ages are kept; one older than this host's clock (a snapshot of a
	 * machine that ran longer than this host has been up) starts at the
	 * clock's zero instead of wrapping into the future.
	 */
	for (int i = 0; i < 3; i++)
		ch[i].start_ns = age[i] > now ? 0 : now - age[i];
	if (load_irq0_schedule(r, &ch[0], elapsed(&ch[0], now), &irq_armed, &irq_tick) < 0) {
		pthread_mutex_unlock(&pit->lock);
		return -EINVAL;
	}
	memcpy(pit->ch, ch, sizeof(ch));
	pit->speaker = speaker;
	pit->irq_armed = irq_armed;
	pit->irq_tick = irq_tick;
	start_timer_thread(pit);
	pthread_cond_signal(&pit->cond);
	pthread_mutex_unlock(&pit->lock);
	return 0;
}

void i8254_stop(struct i8254 *pit)
{
	bool started;

	if (!pit)
		return;
	pthread_mutex_lock(&pit->lock);
	pit->stopping = true; /* for good: the thread is never started again */
	started = pit->thread_started;
	pit->thread_started = false;
	pthread_cond_signal(&pit->cond);
	pthread_mutex_unlock(&pit->lock);
	if (started)
		pthread_join(pit->thread, NULL);
}

void i8254_free(struct i8254 *pit)
{
	if (!pit)
		return;
	i8254_stop(pit);
	iobus_unregister(pit->pio, &pit->pit_dev);
	iobus_unregister(pit->pio, &pit->portb_dev);
	pthread_cond_destroy(&pit->cond);
	pthread_mutex_destroy(&pit->lock);
	free(pit);
}
