/* SPDX-License-Identifier: MIT */
/*
 * The 8254 PIT and port 0x61, driven through their ports with a fake clock
 * (and, in one test, the real one with the timer thread).
 */
#include "test.h"
#include "portio.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "dev/i8254.h"
#include "iobus.h"
#include "snapshot_state.h"

#define PIT_HZ  1193182ull
#define CONTROL 0x43
#define PORT_B  0x61
#define T0      1000000000ull /* the fake clock starts at 1 s: tick 1193182 */

struct fake {
	uint64_t now;
	atomic_int pulses;
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_pulse(void *ctx)
{
	atomic_fetch_add(&((struct fake *)ctx)->pulses, 1);
}

/* The first nanosecond of tick t of a counter that started at base. */
static uint64_t later(uint64_t base, uint64_t t)
{
	return base + (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t at(uint64_t t)
{
	return later(T0, t);
}

/* The PIT alone on a port bus, its IRQ 0 counted in f. */
struct pit_test {
	struct iobus pio;
	struct i8254 *pit;
	struct i8254_ops ops;
};

static struct pit_test *pit_new(struct fake *f, bool fake_clock)
{
	struct pit_test *t = calloc(1, sizeof(*t));

	f->now = T0;
	atomic_store(&f->pulses, 0);
	t->pio.name = "pio";
	t->ops = (struct i8254_ops){
		.irq0_pulse = fake_pulse,
		.now_ns = fake_clock ? fake_now : NULL,
	};
	t->pit = i8254_create(&t->pio, &t->ops, f);
	CHECK(t->pit != NULL);
	return t;
}

static void pit_free(struct pit_test *t)
{
	i8254_free(t->pit);
	CHECK_EQ(t->pio.n, 0); /* its ports left the bus */
	free(t);
}

static void write_count(struct pit_test *t, int ch, uint16_t count)
{
	out(&t->pio, 0x40 + ch, count & 0xFF);
	out(&t->pio, 0x40 + ch, count >> 8);
}

/* Two reads of a channel in lo/hi access mode (latched or not). */
static uint16_t read_count(struct pit_test *t, int ch)
{
	uint8_t lo = in(&t->pio, 0x40 + ch);

	return (uint16_t)(lo | in(&t->pio, 0x40 + ch) << 8);
}

/* The counter latch command, then the two bytes. */
static uint16_t latch(struct pit_test *t, int ch)
{
	out(&t->pio, CONTROL, (uint8_t)(ch << 6));
	return read_count(t, ch);
}

static uint8_t status(struct pit_test *t, int ch)
{
	out(&t->pio, CONTROL, (uint8_t)(0xE0 | 2 << ch));
	return in(&t->pio, 0x40 + ch);
}

TEST(i8254_mode0_counts_down_and_pulses_once)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, CONTROL, 0x30);             /* channel 0, lo/hi, mode 0, binary */
	CHECK_EQ(status(t, 0), 0x70);      /* OUT low, null count */
	write_count(t, 0, 10000);
	CHECK_EQ(latch(t, 0), 10000);
	CHECK_EQ(status(t, 0), 0x30);
	f.now = at(1000);
	CHECK_EQ(latch(t, 0), 9000);
	f.now = at(9999);
	CHECK_EQ(status(t, 0) & 0x80, 0);
	CHECK_EQ(i8254_run_timer(t->pit), at(10000));
	CHECK_EQ(f.pulses, 0);
	f.now = at(10000);
	CHECK_EQ(status(t, 0) & 0x80, 0x80);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER);
	CHECK_EQ(f.pulses, 1);
	f.now = at(10005);
	CHECK_EQ(latch(t, 0), 0xFFFB);     /* on through the wrap */
	f.now = at(80000);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER);
	CHECK_EQ(f.pulses, 1);
	pit_free(t);
}

TEST(i8254_latch_holds_the_count)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, CONTROL, 0x30);
	write_count(t, 0, 10000);
	f.now = at(100);
	out(&t->pio, CONTROL, 0x00);
	CHECK_EQ(in(&t->pio, 0x40), 9900 & 0xFF);
	f.now = at(500);
	out(&t->pio, CONTROL, 0x00);             /* latched already: ignored */
	CHECK_EQ(in(&t->pio, 0x40), 9900 >> 8);
	CHECK_EQ(latch(t, 0), 9500);
	/* Without a latch, reads alternate low and high bytes of the running count. */
	f.now = at(600);
	CHECK_EQ(read_count(t, 0), 9400);
	pit_free(t);
}

TEST(i8254_mode2_rate_generator_and_irq0)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, CONTROL, 0x34);             /* channel 0, lo/hi, mode 2: Linux's periodic tick */
	write_count(t, 0, 1193);
	CHECK_EQ(latch(t, 0), 1193);
	f.now = at(100);
	CHECK_EQ(latch(t, 0), 1093);
	f.now = at(1192);
	CHECK_EQ(latch(t, 0), 1);
	CHECK_EQ(status(t, 0) & 0x80, 0);  /* OUT low for the last tick */
	f.now = at(1193);
	CHECK_EQ(latch(t, 0), 1193);
	CHECK_EQ(status(t, 0) & 0x80, 0x80);
	CHECK_EQ(i8254_run_timer(t->pit), at(2 * 1193));
	CHECK_EQ(f.pulses, 1);
	f.now = at(2 * 1193);
	CHECK_EQ(i8254_run_timer(t->pit), at(3 * 1193));
	CHECK_EQ(f.pulses, 2);
	/* Waking up late: one pulse, and the schedule moves past now. */
	f.now = at(10 * 1193 + 7);
	CHECK_EQ(i8254_run_timer(t->pit), at(11 * 1193));
	CHECK_EQ(f.pulses, 3);
	CHECK_EQ(i8254_run_timer(t->pit), at(11 * 1193));
	CHECK_EQ(f.pulses, 3);
	/* Reprogramming restarts the period from the new count. */
	out(&t->pio, CONTROL, 0x34);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER);
	write_count(t, 0, 100);
	CHECK_EQ(i8254_run_timer(t->pit), f.now + at(100) - T0);
	/* A tiny count reads right but pulses IRQ 0 no faster than every 60 ticks. */
	f.now = T0;
	write_count(t, 0, 2);
	f.now = at(1);
	CHECK_EQ(latch(t, 0), 1);
	CHECK_EQ(i8254_run_timer(t->pit), at(60));
	pit_free(t);
}

TEST(i8254_mode3_square_wave_on_out2)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);
	static const uint16_t odd[] = { 5, 4, 2, 5, 2, 5 };
	static const uint8_t odd_out[] = { 1, 1, 1, 0, 0, 1 };

	out(&t->pio, PORT_B, 0x01);              /* gate 2 high */
	out(&t->pio, CONTROL, 0xB6);             /* channel 2, lo/hi, mode 3: the speaker's tone */
	write_count(t, 2, 1000);
	CHECK_EQ(latch(t, 2), 1000);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	f.now = at(1);
	CHECK_EQ(latch(t, 2), 998);
	f.now = at(499);
	CHECK_EQ(latch(t, 2), 2);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	f.now = at(500);
	CHECK_EQ(latch(t, 2), 1000);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = at(999);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = at(1000);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	/* An odd count: high for (N+1)/2 ticks, low for (N-1)/2. */
	f.now = T0;
	write_count(t, 2, 5);
	for (unsigned tick = 0; tick < 6; tick++) {
		f.now = at(tick);
		CHECK_EQ(latch(t, 2), odd[tick]);
		CHECK_EQ(!!(in(&t->pio, PORT_B) & 0x20), odd_out[tick]);
	}
	/* Gate low forces OUT high and holds; the rising edge reloads. */
	f.now = at(700);
	out(&t->pio, PORT_B, 0x00);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x21, 0x20);
	f.now = at(800);
	out(&t->pio, PORT_B, 0x01);
	CHECK_EQ(latch(t, 2), 5);
	pit_free(t);
}

/* Linux's pit_calibrate_tsc(): channel 2, mode 0, gate via port 0x61, poll OUT2. */
TEST(i8254_mode0_gate_and_out2)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);
	uint64_t gate;

	CHECK_EQ(in(&t->pio, PORT_B) & 0x23, 0x00);
	out(&t->pio, PORT_B, (in(&t->pio, PORT_B) & ~0x02) | 0x01);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x03, 0x01);
	out(&t->pio, CONTROL, 0xB0);
	write_count(t, 2, 11931);          /* 10 ms */
	f.now = at(11930);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = at(11931);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	/* Gate low holds mode 0; a rise resumes it where it was. */
	f.now = T0;
	write_count(t, 2, 11931);
	f.now = at(5000);
	out(&t->pio, PORT_B, 0x00);
	f.now = at(6000);
	CHECK_EQ(latch(t, 2), 11931 - 5000);
	f.now = gate = at(7000);
	out(&t->pio, PORT_B, 0x03);              /* gate and speaker on */
	f.now = later(gate, 1000);
	CHECK_EQ(latch(t, 2), 11931 - 6000);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x23, 0x03);
	f.now = later(gate, 6930);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = later(gate, 6931);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	/* Writing the first byte of a new count stops it and drops OUT. */
	out(&t->pio, 0x42, 0x10);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = T0;
	out(&t->pio, 0x42, 0x00);
	f.now = at(15);
	CHECK_EQ(latch(t, 2), 1);
	pit_free(t);
}

/* Linux's quick_pit_calibrate(): mode 0 from 0xFFFF, the MSB read without latches. */
TEST(i8254_quick_pit_calibrate_reads)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, PORT_B, 0x01);
	out(&t->pio, CONTROL, 0xB0);
	out(&t->pio, 0x42, 0xFF);
	out(&t->pio, 0x42, 0xFF);
	f.now = at(10);
	CHECK_EQ(in(&t->pio, 0x42), 0xF5);
	CHECK_EQ(in(&t->pio, 0x42), 0xFF);
	for (unsigned k = 1; k < 200; k++) {
		f.now = at(256 * k + 3);
		in(&t->pio, 0x42);
		CHECK_EQ(in(&t->pio, 0x42), 0xFF - k);
	}
	pit_free(t);
}

TEST(i8254_read_back_command)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, CONTROL, 0x34);
	write_count(t, 0, 1000);
	out(&t->pio, CONTROL, 0xB0);             /* channel 2 waits for its count */
	f.now = at(100);
	out(&t->pio, CONTROL, 0xCA);             /* count and status of channels 0 and 2 */
	f.now = at(300);
	CHECK_EQ(in(&t->pio, 0x40), 0xB4);       /* OUT high, count loaded, lo/hi, mode 2 */
	CHECK_EQ(read_count(t, 0), 900);
	CHECK_EQ(in(&t->pio, 0x42), 0x70);       /* OUT low, null count, lo/hi, mode 0 */
	CHECK_EQ(read_count(t, 2), 0);     /* never loaded: the reset count, 65536 */
	/* Status only: the count reads live afterwards. */
	out(&t->pio, CONTROL, 0xE2);
	out(&t->pio, CONTROL, 0xE2);             /* a second status latch changes nothing */
	f.now = at(350);
	CHECK_EQ(in(&t->pio, 0x40), 0xB4);
	CHECK_EQ(read_count(t, 0), 650);
	/* Count only. */
	out(&t->pio, CONTROL, 0xD2);
	f.now = at(360);
	CHECK_EQ(read_count(t, 0), 650);
	CHECK_EQ(read_count(t, 0), 640);
	pit_free(t);
}

TEST(i8254_bcd_access_modes_and_zero_count)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	out(&t->pio, CONTROL, 0x31);             /* lo/hi, mode 0, BCD */
	write_count(t, 0, 0x1000);
	f.now = at(1);
	CHECK_EQ(latch(t, 0), 0x0999);
	f.now = at(1001);
	CHECK_EQ(latch(t, 0), 0x9999);
	CHECK_EQ(status(t, 0) & 0x01, 0x01);
	f.now = T0;
	write_count(t, 0, 0);              /* 10000 in BCD */
	f.now = at(1);
	CHECK_EQ(latch(t, 0), 0x9999);
	/* Low byte only, high byte only. */
	f.now = T0;
	out(&t->pio, CONTROL, 0x14);
	out(&t->pio, 0x40, 0x50);
	f.now = at(10);
	CHECK_EQ(in(&t->pio, 0x40), 0x46);
	CHECK_EQ(in(&t->pio, 0x40), 0x46);
	f.now = T0;
	out(&t->pio, CONTROL, 0x24);
	out(&t->pio, 0x40, 0x12);
	f.now = at(0x200);
	CHECK_EQ(in(&t->pio, 0x40), 0x10);
	/* Zero is 65536; mode 6 is mode 2. */
	f.now = T0;
	out(&t->pio, CONTROL, 0x3C);
	write_count(t, 0, 0);
	CHECK_EQ(latch(t, 0), 0);
	f.now = at(1);
	CHECK_EQ(latch(t, 0), 0xFFFF);
	f.now = at(65536);
	CHECK_EQ(latch(t, 0), 0);
	CHECK_EQ(i8254_run_timer(t->pit), at(2 * 65536));
	CHECK_EQ(f.pulses, 1);
	/* The control port is write-only; wide accesses float high. */
	CHECK_EQ(in(&t->pio, CONTROL), 0xFF);
	{
		struct io_device *d = iobus_find(&t->pio, 0x40, 2);
		uint8_t r[2] = { 0, 0 };

		d->read(d->opaque, NULL, 0, r, 2);
		CHECK_EQ(r[0] & r[1], 0xFF);
	}
	pit_free(t);
}

TEST(i8254_modes_1_and_5_wait_for_the_gate)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);
	uint64_t gate;

	out(&t->pio, CONTROL, 0xB2);             /* channel 2, mode 1 */
	write_count(t, 2, 100);
	f.now = at(50);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	CHECK_EQ(latch(t, 2), 100);
	f.now = gate = at(60);
	out(&t->pio, PORT_B, 0x01);              /* trigger */
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = later(gate, 30);
	out(&t->pio, PORT_B, 0x00);              /* gate low does not stop a one-shot */
	CHECK_EQ(latch(t, 2), 70);
	f.now = later(gate, 99);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = later(gate, 100);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	out(&t->pio, PORT_B, 0x01);              /* retrigger */
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	out(&t->pio, PORT_B, 0x00);
	out(&t->pio, CONTROL, 0xBA);             /* mode 5 */
	write_count(t, 2, 50);
	f.now = gate = at(300);
	out(&t->pio, PORT_B, 0x01);
	f.now = later(gate, 49);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	f.now = later(gate, 50);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0);
	f.now = later(gate, 51);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x20, 0x20);
	/* Channel 0's gate is tied high: mode 1 never starts, and never interrupts. */
	out(&t->pio, CONTROL, 0x32);
	write_count(t, 0, 100);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER);
	pit_free(t);
}

TEST(i8254_refresh_toggle_and_reset)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	/* Tick 1193182 at T0 is 16 into an 18-tick refresh period. */
	CHECK_EQ(in(&t->pio, PORT_B) & 0x10, 0x10);
	f.now = at(2);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x10, 0);
	f.now = at(20);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x10, 0x10);
	out(&t->pio, PORT_B, 0xFF);
	CHECK_EQ(in(&t->pio, PORT_B) & 0xCF, 0x03); /* only gate and speaker are writable */
	out(&t->pio, CONTROL, 0x34);
	write_count(t, 0, 1000);
	i8254_reset(t->pit);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER);
	CHECK_EQ(status(t, 0), 0x30);
	CHECK_EQ(in(&t->pio, PORT_B) & 0x0F, 0x00);
	pit_free(t);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* The real clock and the timer thread: started by channel 0, joined by destroy. */
TEST(i8254_timer_thread_pulses_irq0)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, false);
	struct timespec t0, t1;
	int64_t max;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	out(&t->pio, CONTROL, 0x34);
	write_count(t, 0, 1193);           /* 1 kHz */
	sleep_ms(100);
	out(&t->pio, CONTROL, 0x30);             /* stops channel 0 until a count comes */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n = atomic_load(&f.pulses);
	/* Never more than one per period (999.85 us), however late the thread ran. */
	max = ((t1.tv_sec - t0.tv_sec) * 1000000000ll + t1.tv_nsec - t0.tv_nsec) / 999847;
	if (n < 10 || n > max)
		test_fail(__FILE__, __LINE__, "%d pulses in %" PRId64 " periods", n, max);
	sleep_ms(20);
	CHECK_EQ(atomic_load(&f.pulses), n);
	write_count(t, 0, 5 * 1193);       /* mode 0: one pulse after 5 ms */
	sleep_ms(50);
	CHECK_EQ(atomic_load(&f.pulses), n + 1);
	out(&t->pio, CONTROL, 0x34);
	write_count(t, 0, 1193);
	pit_free(t);                       /* joins the running thread */
}

TEST(i8254_reset_restores_power_on_state)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);

	/* Dirty all three channels: modes, BCD, a half-written count, latches, gate 2, speaker. */
	out(&t->pio, CONTROL, 0x35);          /* channel 0: lo/hi, mode 2, BCD */
	write_count(t, 0, 0x1000);
	out(&t->pio, CONTROL, 0x50);          /* channel 1: lo only, mode 0 */
	out(&t->pio, 0x41, 0x20);
	out(&t->pio, CONTROL, 0xB6);          /* channel 2: lo/hi, mode 3 */
	out(&t->pio, 0x42, 0x10);             /* the high byte never comes */
	out(&t->pio, PORT_B, 0x03);
	out(&t->pio, CONTROL, 0x00);          /* latch channel 0, never read */
	out(&t->pio, CONTROL, 0xE4);          /* status of channel 1 latched, never read */
	f.now = at(5);
	CHECK(i8254_run_timer(t->pit) != I8254_NEVER);
	i8254_reset(t->pit);
	CHECK_EQ(i8254_run_timer(t->pit), I8254_NEVER); /* IRQ 0 disarmed */
	CHECK_EQ(in(&t->pio, PORT_B) & 0x03, 0x00);      /* gate 2 low, speaker off */
	/* Every channel: lo/hi access, mode 0, binary, count 65536 not loaded. */
	for (int ch = 0; ch < 3; ch++) {
		CHECK_EQ(status(t, ch), 0x30);
		CHECK_EQ(latch(t, ch), 0);
	}
	/* No half-written count is pending: two writes load a full count again. */
	out(&t->pio, CONTROL, 0x30);
	write_count(t, 0, 500);
	CHECK_EQ(latch(t, 0), 500);
	pit_free(t);
}

/*
 * What the timer thread does for span ns of the fake clock: run the timer,
 * sleep until the time it returns. A next time not after now is one the
 * real thread would wake for at once, forever (the state does not change):
 * a spin, given up after 1000. Returns the wake-ups.
 */
static int timer_thread_for(struct pit_test *t, struct fake *f, uint64_t span)
{
	uint64_t end = f->now + span;
	int wakeups = 0, spins = 0;

	while (f->now < end && spins < 1000) {
		uint64_t next = i8254_run_timer(t->pit);

		wakeups++;
		if (next == I8254_NEVER)
			break;
		if (next <= f->now)
			spins++;
		else
			f->now = next;
	}
	return wakeups;
}

/* Where i8254_save() puts things: 35 bytes a channel, then speaker, IRQ 0 armed, its tick. */
#define SAVED_CH(i)      (35 * (i))
#define SAVED_GATE       3
#define SAVED_LOADED     4
#define SAVED_AGE        11
#define SAVED_IRQ_ARMED  106
#define SAVED_IRQ_TICK   107

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Load w's bytes into t's PIT; the reader stays for its error. */
static int load(struct pit_test *t, const struct state_writer *w, struct state_reader *r)
{
	state_reader_init(r, w->buf, w->len);
	return i8254_load(t->pit, r);
}

/*
 * Issue 19 item 7: a file with IRQ 0 armed while channel 0 does not count
 * made the timer thread wake at once forever (1.88 s of CPU in 2 s, no
 * IRQ 0). Such a schedule is refused, and the PIT keeps its own.
 */
TEST(i8254_load_refuses_an_irq0_schedule_that_would_spin)
{
	struct fake f;
	struct pit_test *t = pit_new(&f, true);
	struct state_writer w = { 0 };
	struct state_reader r;

	i8254_save(t->pit, &w);                  /* power-on: channel 0 waits for a count */
	CHECK(!w.failed && w.len == 115);
	CHECK_EQ(w.buf[SAVED_CH(0) + SAVED_LOADED], 0);
	w.buf[SAVED_IRQ_ARMED] = 1;
	put64(w.buf + SAVED_IRQ_TICK, 1000);
	put64(w.buf + SAVED_CH(0) + SAVED_AGE, 500000000); /* tick 1000 "was" 0.5 s ago */
	CHECK_EQ(load(t, &w, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "PIT IRQ 0 is armed but channel 0 is not counting");
	CHECK_EQ(timer_thread_for(t, &f, 2000000000ull), 1); /* nothing armed: it sleeps */
	CHECK_EQ(f.pulses, 0);

	/* Counting in mode 2, but due at a tick that is no period boundary. */
	w.buf[SAVED_CH(0) + 0] = 2;
	w.buf[SAVED_CH(0) + SAVED_LOADED] = 1;
	put64(w.buf + SAVED_IRQ_TICK, 65537);
	CHECK_EQ(load(t, &w, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "PIT IRQ 0 is due at tick 65537, not a multiple of its period 65536");
	/* Channel 0's gate is tied high: a file saying low would freeze its count. */
	put64(w.buf + SAVED_IRQ_TICK, 65536);
	w.buf[SAVED_CH(0) + SAVED_GATE] = 0;
	CHECK_EQ(load(t, &w, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "PIT channel 0's gate is low; it is tied high");
	w.buf[SAVED_CH(0) + SAVED_GATE] = 1;
	/* A start in the future. */
	put64(w.buf + SAVED_CH(2) + SAVED_AGE, (uint64_t)-5);
	CHECK_EQ(load(t, &w, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r), "PIT channel 2 started 5 ns in the future");
	put64(w.buf + SAVED_CH(2) + SAVED_AGE, 0);
	/*
	 * And the fixed file loads and ticks at 18.2 Hz: the pulse due at
	 * tick 65536 (0.55 s after the start, so already late) at once, then
	 * one at each period boundary 10 to 27 up to 2 s.
	 */
	CHECK_EQ(load(t, &w, &r), 0);
	CHECK_EQ(timer_thread_for(t, &f, 1000000000ull), 19);
	CHECK_EQ(f.pulses, 19);
	state_writer_free(&w);
	pit_free(t);
}

/*
 * A channel older than this host's clock: a snapshot of a machine whose PIT
 * was programmed 9 s ago, loaded 1 s after this clock's zero. The start
 * wrapped into the future and the timer thread spun; now the channel starts
 * at the clock's zero and IRQ 0 comes at the next period boundary.
 */
TEST(i8254_load_of_a_channel_older_than_the_clock_ticks)
{
	struct fake f, g;
	struct pit_test *t = pit_new(&f, true), *u = pit_new(&g, true);
	struct state_writer w = { 0 };
	struct state_reader r;

	out(&t->pio, CONTROL, 0x34);             /* channel 0, mode 2, count 65536 */
	write_count(t, 0, 0);
	f.now = T0 + 9000000000ull;
	i8254_save(t->pit, &w);
	CHECK_EQ(get64(w.buf + SAVED_CH(0) + SAVED_AGE), 9000000000ull);
	CHECK_EQ(load(u, &w, &r), 0);            /* g.now is 1 s */
	/*
	 * The pulse saved as due (tick 65536, long past) at once, then period
	 * boundaries 19 to 54 (of 65536 ticks), which fall between 1 s and 3 s.
	 */
	CHECK_EQ(timer_thread_for(u, &g, 2000000000ull), 37);
	CHECK_EQ(g.pulses, 37);
	/* At 3 s channel 0 has counted 3579546 ticks since the clock's zero. */
	g.now = 3000000000ull;
	CHECK_EQ(latch(u, 0), 65536 - 3579546 % 65536);
	state_writer_free(&w);
	pit_free(t);
	pit_free(u);
}
