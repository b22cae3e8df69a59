/* SPDX-License-Identifier: MIT */
/*
 * The PC's real-time clock and CMOS RAM (a Motorola MC146818A and its
 * successors), as a model that knows nothing of KVM: port 0x70 selects one
 * of 128 bytes (bit 7 is the NMI mask on a PC, which KVM does not route
 * here: it is dropped), port 0x71 reads or writes it.
 *
 *   0x00 0x02 0x04  seconds, minutes, hours       the host's UTC time, read
 *   0x06 0x07 0x08  day of week (1 = Sunday),     at the moment of the read,
 *   0x09 0x32       day, month, year, century     plus the guest's offset
 *   0x01 0x03 0x05  alarm seconds/minutes/hours   stored only
 *   0x0A            status A: UIP (bit 7) always clear, the rest stored
 *                   (divider and rate; 0x26 after reset)
 *   0x0B            status B: stored (0x02: 24-hour, BCD); DM (bit 2)
 *                   selects binary, 24/12 (bit 1) the hour format, SET
 *                   (bit 7) freezes the clock while the guest sets it
 *   0x0C            status C: no interrupt is ever flagged, reads 0
 *   0x0D            status D: 0x80, valid RAM and time (battery good)
 *   the rest        plain CMOS RAM, zero at power-on
 *
 * Setting the clock keeps the host's clock untouched: the guest's time is
 * the host's plus an offset in seconds. A write to a time register while
 * SET is clear changes that field at once; with SET, writes go to a frozen
 * copy that becomes the new time (and offset) when SET is cleared, which is
 * how hwclock and Linux set it. The day of week is derived from the date
 * and writes to it are dropped. Values that are no date (month 13, BCD
 * 0xAA) are normalised by timegm(), never trusted.
 *
 * Not modelled: interrupts (IRQ 8 stays low: no periodic, alarm or
 * update-ended interrupts, so status C never has a flag to clear), the
 * update cycle (UIP never set), daylight-saving mode (status B bit 0).
 * Not thread-safe: the caller locks.
 */
#ifndef MINIKVM_RTC_H
#define MINIKVM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT  0x71
#define RTC_CMOS_SIZE  128

enum {
	RTC_SECONDS = 0x00,
	RTC_SECONDS_ALARM = 0x01,
	RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04,
	RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06,
	RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_STATUS_A = 0x0A,
	RTC_STATUS_B = 0x0B,
	RTC_STATUS_C = 0x0C,
	RTC_STATUS_D = 0x0D,
	RTC_CENTURY = 0x32,   /* the FADT's CENTURY field names it */
};

#define RTC_A_UIP   0x80
#define RTC_A_RESET 0x26      /* 32.768 kHz time base, 1024 Hz rate */
#define RTC_B_SET   0x80
#define RTC_B_DM    0x04      /* binary, not BCD */
#define RTC_B_24H   0x02
#define RTC_B_RESET RTC_B_24H
#define RTC_D_VRT   0x80
#define RTC_HOURS_PM 0x80     /* in 12-hour mode */

struct rtc {
	uint8_t index;            /* selected register, 0..127 */
	uint8_t cmos[RTC_CMOS_SIZE]; /* RAM, alarms, status A and B */
	int64_t offset;           /* guest time minus host time, in seconds */
	bool frozen;              /* SET: reads and writes use set_time */
	struct tm set_time;
};

/*
 * Power-on state: CMOS RAM zero, status A 0x26, B 0x02 (24-hour, BCD), the
 * guest's time the host's (offset 0), index 0. minikvm has no battery: a
 * reset (monitor reset) is a fresh start of the machine, so the RAM and a
 * time the guest set go too.
 */
void rtc_reset(struct rtc *r);
/*
 * Port access: offset 0 is the index port (0x70), 1 the data port (0x71);
 * now is the host's time. The index port reads 0xFF (write-only).
 */
uint8_t rtc_read(struct rtc *r, unsigned offset, time_t now);
void rtc_write(struct rtc *r, unsigned offset, uint8_t val, time_t now);

#endif
