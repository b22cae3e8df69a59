/* SPDX-License-Identifier: MIT */
/* The RTC/CMOS model, driven through its two ports with a fixed "host" time. */
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "dev/rtc.h"
#include "device.h"
#include "snapshot_state.h"

/* Tuesday 2024-02-27 13:04:59 UTC. */
#define T0 ((time_t)1709039099)

static uint8_t reg_read(struct rtc *r, uint8_t reg, time_t now)
{
	rtc_write(r, 0, reg, now);
	return rtc_read(r, 1, now);
}

static void reg_write(struct rtc *r, uint8_t reg, uint8_t val, time_t now)
{
	rtc_write(r, 0, reg, now);
	rtc_write(r, 1, val, now);
}

TEST(rtc_reads_host_time_in_bcd)
{
	struct rtc r;

	rtc_reset(&r);
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0), 0x59);
	CHECK_EQ(reg_read(&r, RTC_MINUTES, T0), 0x04);
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 0x13);
	CHECK_EQ(reg_read(&r, RTC_DAY_OF_WEEK, T0), 3);      /* Sunday = 1 */
	CHECK_EQ(reg_read(&r, RTC_DAY_OF_MONTH, T0), 0x27);
	CHECK_EQ(reg_read(&r, RTC_MONTH, T0), 0x02);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0), 0x24);
	CHECK_EQ(reg_read(&r, RTC_CENTURY, T0), 0x20);
	/* The time moves with the host's clock. */
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 1), 0x00);
	CHECK_EQ(reg_read(&r, RTC_MINUTES, T0 + 1), 0x05);
}

TEST(rtc_status_registers)
{
	struct rtc r;

	rtc_reset(&r);
	CHECK_EQ(reg_read(&r, RTC_STATUS_A, T0), 0x26);       /* UIP clear */
	CHECK_EQ(reg_read(&r, RTC_STATUS_B, T0), 0x02);       /* 24-hour, BCD */
	CHECK_EQ(reg_read(&r, RTC_STATUS_C, T0), 0x00);
	CHECK_EQ(reg_read(&r, RTC_STATUS_D, T0), 0x80);       /* valid RAM and time */
	/* Linux's rtc_cmos writes the divider and rate; UIP is read-only. */
	reg_write(&r, RTC_STATUS_A, 0xA6, T0);
	CHECK_EQ(reg_read(&r, RTC_STATUS_A, T0), 0x26);
	reg_write(&r, RTC_STATUS_B, 0x12, T0);                /* UIE on: stored */
	CHECK_EQ(reg_read(&r, RTC_STATUS_B, T0), 0x12);
	reg_write(&r, RTC_STATUS_C, 0xFF, T0);                /* read-only */
	reg_write(&r, RTC_STATUS_D, 0x00, T0);
	CHECK_EQ(reg_read(&r, RTC_STATUS_C, T0), 0x00);
	CHECK_EQ(reg_read(&r, RTC_STATUS_D, T0), 0x80);
}

TEST(rtc_binary_and_12_hour_modes)
{
	struct rtc r;

	rtc_reset(&r);
	reg_write(&r, RTC_STATUS_B, RTC_B_DM | RTC_B_24H, T0);
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0), 59);
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 13);
	CHECK_EQ(reg_read(&r, RTC_DAY_OF_MONTH, T0), 27);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0), 24);
	CHECK_EQ(reg_read(&r, RTC_CENTURY, T0), 20);
	reg_write(&r, RTC_STATUS_B, RTC_B_DM, T0);            /* 12-hour, binary */
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 0x80 | 1);      /* 1 PM */
	reg_write(&r, RTC_STATUS_B, 0, T0);                   /* 12-hour, BCD */
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 0x81);
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0 - 13 * 3600), 0x12);        /* midnight: 12 AM */
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0 - 3600), 0x80 | 0x12);      /* noon: 12 PM */
}

TEST(rtc_cmos_ram_and_index)
{
	struct rtc r;

	rtc_reset(&r);
	for (unsigned i = 0x0E; i < RTC_CMOS_SIZE; i++)
		if (i != RTC_CENTURY)
			CHECK_EQ(reg_read(&r, (uint8_t)i, T0), 0);
	reg_write(&r, 0x0F, 0x0A, T0);                        /* shutdown status byte */
	reg_write(&r, 0x7F, 0x5A, T0);
	reg_write(&r, RTC_HOURS_ALARM, 0x23, T0);
	CHECK_EQ(reg_read(&r, 0x0F, T0), 0x0A);
	CHECK_EQ(reg_read(&r, 0x7F, T0), 0x5A);
	CHECK_EQ(reg_read(&r, RTC_HOURS_ALARM, T0), 0x23);
	/* Bit 7 of the index is the NMI mask: same register. */
	CHECK_EQ(reg_read(&r, 0x80 | 0x0F, T0), 0x0A);
	CHECK_EQ(reg_read(&r, 0x80 | RTC_SECONDS, T0), 0x59);
	/* The index port is write-only; the index survives data accesses. */
	CHECK_EQ(rtc_read(&r, 0, T0), 0xFF);
	rtc_write(&r, 0, 0x7F, T0);
	CHECK_EQ(rtc_read(&r, 1, T0), 0x5A);
	CHECK_EQ(rtc_read(&r, 1, T0), 0x5A);
	CHECK_EQ(rtc_read(&r, 2, T0), 0xFF);                  /* outside the device */
	rtc_write(&r, 2, 0x00, T0);
	CHECK_EQ(rtc_read(&r, 1, T0), 0x5A);
}

/* How Linux and hwclock set the clock: SET, write the fields, clear SET. */
TEST(rtc_set_time_with_set_bit)
{
	struct rtc r;

	rtc_reset(&r);
	reg_write(&r, RTC_STATUS_B, RTC_B_SET | RTC_B_24H, T0);
	reg_write(&r, RTC_YEAR, 0x99, T0);
	reg_write(&r, RTC_MONTH, 0x12, T0);
	reg_write(&r, RTC_DAY_OF_MONTH, 0x31, T0);
	reg_write(&r, RTC_HOURS, 0x23, T0);
	reg_write(&r, RTC_MINUTES, 0x59, T0);
	reg_write(&r, RTC_SECONDS, 0x58, T0);
	reg_write(&r, RTC_CENTURY, 0x19, T0);
	/* Frozen while SET: time does not run, and the fields read as written. */
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 100), 0x58);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0 + 100), 0x99);
	reg_write(&r, RTC_STATUS_B, RTC_B_24H, T0 + 100);
	/* 1999-12-31 23:59:58 from T0 + 100 on. */
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 100), 0x58);
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 102), 0x00);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0 + 102), 0x00);
	CHECK_EQ(reg_read(&r, RTC_CENTURY, T0 + 102), 0x20);
	CHECK_EQ(reg_read(&r, RTC_MONTH, T0 + 102), 0x01);
	CHECK_EQ(reg_read(&r, RTC_DAY_OF_WEEK, T0 + 102), 7); /* 2000-01-01 was a Saturday */
}

TEST(rtc_set_one_field_without_set_bit)
{
	struct rtc r;

	rtc_reset(&r);
	reg_write(&r, RTC_MINUTES, 0x30, T0);
	CHECK_EQ(reg_read(&r, RTC_MINUTES, T0), 0x30);
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 0x13);
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 1), 0x00);
	CHECK_EQ(reg_read(&r, RTC_MINUTES, T0 + 1), 0x31);
	/* Day of week follows the date; writing it changes nothing. */
	reg_write(&r, RTC_DAY_OF_WEEK, 1, T0);
	CHECK_EQ(reg_read(&r, RTC_DAY_OF_WEEK, T0), 3);
	/* In binary mode, 12-hour: 11 PM. */
	reg_write(&r, RTC_STATUS_B, RTC_B_DM, T0);
	reg_write(&r, RTC_HOURS, 0x80 | 11, T0);
	reg_write(&r, RTC_STATUS_B, RTC_B_DM | RTC_B_24H, T0);
	CHECK_EQ(reg_read(&r, RTC_HOURS, T0), 23);
}

/* Nothing a guest writes can make the clock fail or the VMM misbehave. */
TEST(rtc_hostile_values)
{
	struct rtc r;

	rtc_reset(&r);
	for (unsigned round = 0; round < 2000; round++) {
		reg_write(&r, RTC_MONTH, 0x99, T0);               /* month 99: years pass */
		reg_write(&r, RTC_CENTURY, 0xFF, T0);             /* bad BCD digits */
		reg_write(&r, RTC_DAY_OF_MONTH, 0x00, T0);
		reg_write(&r, RTC_STATUS_B, (uint8_t)round, T0);
	}
	reg_write(&r, RTC_STATUS_B, RTC_B_DM | RTC_B_24H, T0);
	/* The clock still reads as some date with fields in range. */
	CHECK(reg_read(&r, RTC_MONTH, T0) >= 1 && reg_read(&r, RTC_MONTH, T0) <= 12);
	CHECK(reg_read(&r, RTC_DAY_OF_MONTH, T0) >= 1 && reg_read(&r, RTC_DAY_OF_MONTH, T0) <= 31);
	CHECK(reg_read(&r, RTC_HOURS, T0) <= 23);
	CHECK(reg_read(&r, RTC_CENTURY, T0) <= 99);
	/* And it can be set back. */
	reg_write(&r, RTC_STATUS_B, RTC_B_SET | RTC_B_24H, T0);
	reg_write(&r, RTC_CENTURY, 0x20, T0);
	reg_write(&r, RTC_YEAR, 0x24, T0);
	reg_write(&r, RTC_MONTH, 0x02, T0);
	reg_write(&r, RTC_DAY_OF_MONTH, 0x27, T0);
	reg_write(&r, RTC_STATUS_B, RTC_B_24H, T0);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0), 0x24);
	CHECK_EQ(reg_read(&r, RTC_MONTH, T0), 0x02);
}

TEST(rtc_reset_restores_power_on_state)
{
	struct rtc r;

	rtc_reset(&r);
	/* Dirty it: RAM, status A and B, a time set by the guest, SET left on, an index. */
	reg_write(&r, 0x40, 0xAB, T0);
	reg_write(&r, RTC_STATUS_A, 0x2F, T0);
	reg_write(&r, RTC_STATUS_B, RTC_B_24H | RTC_B_DM, T0);
	reg_write(&r, RTC_YEAR, 30, T0);
	reg_write(&r, RTC_STATUS_B, RTC_B_SET | RTC_B_24H | RTC_B_DM, T0);
	rtc_write(&r, 0, 0x41, T0);
	rtc_reset(&r);
	/* Time: the host's again, in BCD; the frozen copy is gone. */
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0), 0x24);
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0 + 1), 0x00);
	CHECK_EQ(reg_read(&r, RTC_STATUS_A, T0), RTC_A_RESET);
	CHECK_EQ(reg_read(&r, RTC_STATUS_B, T0), RTC_B_RESET);
	CHECK_EQ(reg_read(&r, RTC_STATUS_C, T0), 0);
	CHECK_EQ(reg_read(&r, RTC_STATUS_D, T0), RTC_D_VRT);
	CHECK_EQ(reg_read(&r, 0x40, T0), 0);
	CHECK_EQ(r.index, 0x40); /* as last selected by reg_read */
	rtc_reset(&r);
	CHECK_EQ(r.index, 0);
}

/*
 * Issue 19 item 10: the offset comes from a snapshot file, and host time
 * plus INT64_MAX was a signed overflow (an abort under UBSan). Now a sum
 * past time_t is no time: the registers read 0.
 */
TEST(rtc_offset_past_time_t_reads_no_time)
{
	struct rtc r;

	rtc_reset(&r);
	r.offset = INT64_MAX;
	CHECK_EQ(reg_read(&r, RTC_SECONDS, T0), 0);
	CHECK_EQ(reg_read(&r, RTC_YEAR, T0), 0);
	r.offset = INT64_MIN;
	CHECK_EQ(reg_read(&r, RTC_SECONDS, -1), 0);
	/* A guest's write does not start from a time that is not there. */
	reg_write(&r, RTC_YEAR, 0x30, -1);
	CHECK_EQ(r.offset, INT64_MIN);
}

static const struct device *rtc_device(void)
{
	const struct device *const *devs;
	int n = devices_registered(&devs);

	for (int i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, "RTC/CMOS"))
			return devs[i];
	CHECK(!"no RTC/CMOS device");
	return NULL;
}

/* The saved RTC with its offset replaced; the reader is set up on it, the result of load returned. */
static int load_with_offset(const struct device *dev, int64_t offset, struct state_writer *w,
			    struct state_reader *r)
{
	uint64_t v = (uint64_t)offset;

	memset(w, 0, sizeof(*w));
	dev->save(NULL, w);
	CHECK(!w->failed && w->len > 1 + RTC_CMOS_SIZE + 8);
	for (int i = 0; i < 8; i++)
		w->buf[1 + RTC_CMOS_SIZE + i] = (uint8_t)(v >> 8 * i);
	state_reader_init(r, w->buf, w->len);
	return dev->load(NULL, r);
}

TEST(rtc_load_refuses_an_offset_beyond_the_registers_years)
{
	const struct device *dev = rtc_device();
	struct state_writer w;
	struct state_reader r;

	dev->reset(NULL);
	CHECK_EQ(load_with_offset(dev, INT64_MAX, &w, &r), -EINVAL);
	CHECK_STR(state_reader_error(&r),
		  "RTC offset 9223372036854775807 s from the host's clock is more than 10000 years");
	state_writer_free(&w);
	CHECK_EQ(load_with_offset(dev, INT64_MIN, &w, &r), -EINVAL);
	CHECK(strstr(state_reader_error(&r), "RTC offset -9223372036854775808 s") != NULL);
	state_writer_free(&w);
	/* A guest that set its clock to year 1 (about -63.8e9 s from now) still loads. */
	CHECK_EQ(load_with_offset(dev, -63800000000ll, &w, &r), 0);
	CHECK_EQ(state_reader_done(&r), 0);
	state_writer_free(&w);
	dev->reset(NULL);
}
