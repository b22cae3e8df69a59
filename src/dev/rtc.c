/* SPDX-License-Identifier: MIT */
/*
 * The MC146818-style RTC and CMOS RAM (see rtc.h for what is modelled), and
 * at the bottom the glue that puts it at ports 0x70-0x71 with the host's
 * wall clock.
 */
#include "rtc.h"

#include <pthread.h>
#include <string.h>

#include "device.h"
#include "iobus.h"
#include "snapshot_state.h"

#include <errno.h>

void rtc_reset(struct rtc *r)
{
	memset(r, 0, sizeof(*r));
	r->cmos[RTC_STATUS_A] = RTC_A_RESET;
	r->cmos[RTC_STATUS_B] = RTC_B_RESET;
}

static bool is_time_register(unsigned reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static bool binary_mode(const struct rtc *r)
{
	return r->cmos[RTC_STATUS_B] & RTC_B_DM;
}

/* 0..99 in the guest's chosen format. */
static uint8_t encode(const struct rtc *r, int value)
{
	value %= 100;
	if (value < 0)
		value += 100;
	return binary_mode(r) ? (uint8_t)value : (uint8_t)((value / 10) << 4 | value % 10);
}

/* Whatever byte the guest wrote, as a number; bad BCD digits just count as 10-15. */
static int decode(const struct rtc *r, uint8_t v)
{
	return binary_mode(r) ? v : (v >> 4) * 10 + (v & 0x0F);
}

/* The guest's current time: frozen while SET, else the host's plus the offset. */
static bool guest_time(const struct rtc *r, time_t now, struct tm *tm)
{
	time_t t;

	if (r->frozen) {
		*tm = r->set_time;
		return true;
	}
	/* The offset may come from a snapshot file: a sum past time_t is no time at all. */
	if (__builtin_add_overflow(now, r->offset, &t))
		return false;
	return gmtime_r(&t, tm) != NULL;
}

static uint8_t read_time_register(const struct rtc *r, unsigned reg, time_t now)
{
	struct tm tm;
	int hour;

	if (!guest_time(r, now, &tm))
		return 0;
	switch (reg) {
	case RTC_SECONDS:
		/* A leap second (60) shows as 59: the RTC has no such value. */
		return encode(r, tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case RTC_MINUTES:
		return encode(r, tm.tm_min);
	case RTC_HOURS:
		if (r->cmos[RTC_STATUS_B] & RTC_B_24H)
			return encode(r, tm.tm_hour);
		hour = tm.tm_hour % 12;
		return (uint8_t)(encode(r, hour ? hour : 12) | (tm.tm_hour >= 12 ? RTC_HOURS_PM : 0));
	case RTC_DAY_OF_WEEK:
		return encode(r, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return encode(r, tm.tm_mday);
	case RTC_MONTH:
		return encode(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(r, (tm.tm_year + 1900) % 100);
	default: /* RTC_CENTURY */
		return encode(r, (tm.tm_year + 1900) / 100);
	}
}

/* Change one field of tm to what the guest wrote to reg. */
static void set_field(const struct rtc *r, struct tm *tm, unsigned reg, uint8_t val)
{
	int year = tm->tm_year + 1900;

	switch (reg) {
	case RTC_SECONDS:
		tm->tm_sec = decode(r, val);
		break;
	case RTC_MINUTES:
		tm->tm_min = decode(r, val);
		break;
	case RTC_HOURS:
		if (r->cmos[RTC_STATUS_B] & RTC_B_24H) {
			tm->tm_hour = decode(r, val);
		} else {
			/* 12 AM is midnight, 12 PM noon. */
			tm->tm_hour = decode(r, val & ~RTC_HOURS_PM) % 12;
			if (val & RTC_HOURS_PM)
				tm->tm_hour += 12;
		}
		break;
	case RTC_DAY_OF_MONTH:
		tm->tm_mday = decode(r, val);
		break;
	case RTC_MONTH:
		tm->tm_mon = decode(r, val) - 1;
		break;
	case RTC_YEAR:
		tm->tm_year = year - year % 100 + decode(r, val) - 1900;
		break;
	case RTC_CENTURY:
		tm->tm_year = decode(r, val) * 100 + year % 100 - 1900;
		break;
	default: /* RTC_DAY_OF_WEEK follows from the date */
		break;
	}
}

/*
 * Make tm the guest's time from now on (the host's clock stays as it is).
 * timegm() normalises tm; a result outside the years the registers can
 * show (a guest writing month 0x99 over and over) keeps the old time.
 */
static void commit_time(struct rtc *r, struct tm *tm, time_t now)
{
	time_t t = timegm(tm);
	int64_t offset;

	if (t == (time_t)-1 || tm->tm_year < 0 - 1900 || tm->tm_year > 9999 - 1900 ||
	    __builtin_sub_overflow((int64_t)t, (int64_t)now, &offset))
		return;
	r->offset = offset;
}

static void write_time_register(struct rtc *r, unsigned reg, uint8_t val, time_t now)
{
	struct tm tm;

	if (r->frozen) {
		set_field(r, &r->set_time, reg, val);
		return;
	}
	if (!guest_time(r, now, &tm))
		return;
	set_field(r, &tm, reg, val);
	commit_time(r, &tm, now);
}

static void write_status_b(struct rtc *r, uint8_t val, time_t now)
{
	bool set = val & RTC_B_SET;

	/* Freeze before the mode bits change: the frozen copy is a struct tm. */
	if (set && !r->frozen)
		r->frozen = guest_time(r, now, &r->set_time);
	r->cmos[RTC_STATUS_B] = val;
	if (!set && r->frozen) {
		r->frozen = false;
		commit_time(r, &r->set_time, now);
	}
}

static uint8_t read_register(struct rtc *r, unsigned reg, time_t now)
{
	if (is_time_register(reg))
		return read_time_register(r, reg, now);
	switch (reg) {
	case RTC_STATUS_A:
		return r->cmos[reg] & ~RTC_A_UIP;
	case RTC_STATUS_C:
		return 0;  /* no interrupt flags, so reading has nothing to clear */
	case RTC_STATUS_D:
		return RTC_D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void write_register(struct rtc *r, unsigned reg, uint8_t val, time_t now)
{
	if (is_time_register(reg)) {
		write_time_register(r, reg, val, now);
		return;
	}
	switch (reg) {
	case RTC_STATUS_A:
		r->cmos[reg] = val & ~RTC_A_UIP;
		break;
	case RTC_STATUS_B:
		write_status_b(r, val, now);
		break;
	case RTC_STATUS_C:
	case RTC_STATUS_D:
		break;     /* read-only */
	default:
		r->cmos[reg] = val;
		break;
	}
}

uint8_t rtc_read(struct rtc *r, unsigned offset, time_t now)
{
	if (offset != 1)
		return 0xFF;
	return read_register(r, r->index, now);
}

void rtc_write(struct rtc *r, unsigned offset, uint8_t val, time_t now)
{
	if (offset == 0)
		r->index = val & (RTC_CMOS_SIZE - 1);   /* bit 7: NMI mask, not ours */
	else if (offset == 1)
		write_register(r, r->index, val, now);
}

/* Glue: ports 0x70-0x71, one lock, the host's UTC clock. */

static struct {
	pthread_mutex_t lock;
	struct rtc rtc;
	struct io_device dev;
} cmos = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A wide access covers consecutive ports, as on the ISA bus. */
static void rtc_pio_read(void *opaque, struct vcpu *vcpu, uint64_t offset, uint8_t *data,
			 unsigned size)
{
	time_t now = time(NULL);

	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&cmos.lock);
	for (unsigned i = 0; i < size; i++)
		data[i] = offset + i < 2 ? rtc_read(&cmos.rtc, (unsigned)(offset + i), now) : 0xFF;
	pthread_mutex_unlock(&cmos.lock);
}

static void rtc_pio_write(void *opaque, struct vcpu *vcpu, uint64_t offset, const uint8_t *data,
			  unsigned size)
{
	time_t now = time(NULL);

	(void)opaque;
	(void)vcpu;
	pthread_mutex_lock(&cmos.lock);
	for (unsigned i = 0; i < size; i++)
		if (offset + i < 2)
			rtc_write(&cmos.rtc, (unsigned)(offset + i), data[i], now);
	pthread_mutex_unlock(&cmos.lock);
}

static int rtc_device_init(const struct device_host *host)
{
	pthread_mutex_lock(&cmos.lock);
	rtc_reset(&cmos.rtc);
	cmos.dev = (struct io_device){
		.name = "RTC/CMOS",
		.base = RTC_INDEX_PORT,
		.len = 2,
		.read = rtc_pio_read,
		.write = rtc_pio_write,
	};
	pthread_mutex_unlock(&cmos.lock);
	return iobus_register(host->pio, &cmos.dev);
}

static void rtc_device_reset(const struct device_host *host)
{
	(void)host;
	pthread_mutex_lock(&cmos.lock);
	rtc_reset(&cmos.rtc);
	pthread_mutex_unlock(&cmos.lock);
}

/*
 * The guest's clock is kept as an offset from the host's, so a restored
 * RTC goes on from the host's time now (a wall clock does not go back).
 */
#define RTC_MAX_OFFSET (10000ll * 366 * 86400)

static bool tm_sane(const struct tm *t)
{
	const int f[] = { t->tm_sec, t->tm_min, t->tm_hour, t->tm_mday, t->tm_mon, t->tm_year, t->tm_wday };

	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] < -100000 || f[i] > 100000)
			return false;
	return true;
}

static void rtc_device_save(const struct device_host *host, struct state_writer *w)
{
	const struct rtc *r = &cmos.rtc;
	const struct tm *t = &r->set_time;

	(void)host;
	pthread_mutex_lock(&cmos.lock);
	state_put_u8(w, r->index);
	state_put(w, r->cmos, sizeof(r->cmos));
	state_put_u64(w, (uint64_t)r->offset);
	state_put_bool(w, r->frozen);
	state_put_u32(w, (uint32_t)t->tm_sec);
	state_put_u32(w, (uint32_t)t->tm_min);
	state_put_u32(w, (uint32_t)t->tm_hour);
	state_put_u32(w, (uint32_t)t->tm_mday);
	state_put_u32(w, (uint32_t)t->tm_mon);
	state_put_u32(w, (uint32_t)t->tm_year);
	state_put_u32(w, (uint32_t)t->tm_wday);
	pthread_mutex_unlock(&cmos.lock);
}

static int rtc_device_load(const struct device_host *host, struct state_reader *r)
{
	struct rtc s;

	(void)host;
	memset(&s, 0, sizeof(s));
	s.index = state_get_u8(r);
	state_get(r, s.cmos, sizeof(s.cmos));
	s.offset = (int64_t)state_get_u64(r);
	s.frozen = state_get_bool(r);
	s.set_time.tm_sec = (int)state_get_u32(r);
	s.set_time.tm_min = (int)state_get_u32(r);
	s.set_time.tm_hour = (int)state_get_u32(r);
	s.set_time.tm_mday = (int)state_get_u32(r);
	s.set_time.tm_mon = (int)state_get_u32(r);
	s.set_time.tm_year = (int)state_get_u32(r);
	s.set_time.tm_wday = (int)state_get_u32(r);
	if (state_reader_done(r) < 0)
		return -EINVAL;
	if (s.index >= RTC_CMOS_SIZE)
		return state_reject(r, "RTC index register %u is past CMOS RAM (%d bytes)", s.index,
				    RTC_CMOS_SIZE);
	/* A frozen time holds what the guest wrote (any BCD); only keep the sums in range. */
	if (!tm_sane(&s.set_time))
		return state_reject(r, "RTC time being set has a field beyond +-100000");
	/* The registers show years 0-9999 (commit_time()): the offset stays within that span. */
	if (s.offset < -RTC_MAX_OFFSET || s.offset > RTC_MAX_OFFSET)
		return state_reject(r, "RTC offset %lld s from the host's clock is more than 10000 years",
				    (long long)s.offset);
	pthread_mutex_lock(&cmos.lock);
	cmos.rtc = s;
	pthread_mutex_unlock(&cmos.lock);
	return 0;
}

static void rtc_device_exit(const struct device_host *host)
{
	iobus_unregister(host->pio, &cmos.dev);
}

static const struct device rtc_device = {
	.name = "RTC/CMOS",
	.level = DEVICE_LEVEL_PLATFORM,
	.init = rtc_device_init,
	.reset = rtc_device_reset,
	.exit = rtc_device_exit,
	.save = rtc_device_save,
	.load = rtc_device_load,
};

device_register(rtc_device);
