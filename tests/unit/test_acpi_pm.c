/* SPDX-License-Identifier: MIT */
/* The ACPI PM1 registers and PM timer, driven the way ACPICA drives them. */
#include "test.h"

#include "dev/acpi_pm.h"

#define STS 0
#define EN  2
#define CNT 4
#define TMR 8
#define SEC 1000000000ULL

static uint32_t rd(const struct acpi_pm *pm, unsigned offset, unsigned size, uint64_t now)
{
	uint8_t d[4] = { 0 };

	acpi_pm_read(pm, offset, d, size, now);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static enum acpi_pm_request wr(struct acpi_pm *pm, unsigned offset, unsigned size, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return acpi_pm_write(pm, offset, d, size);
}

TEST(acpi_pm_power_on_state)
{
	struct acpi_pm pm;

	acpi_pm_reset(&pm, 5 * SEC);
	CHECK_EQ(rd(&pm, STS, 2, 5 * SEC), 0);
	CHECK_EQ(rd(&pm, EN, 2, 5 * SEC), 0);
	CHECK_EQ(rd(&pm, CNT, 2, 5 * SEC), ACPI_PM1_SCI_EN);   /* ACPI mode, no SMM */
	CHECK_EQ(rd(&pm, TMR, 4, 5 * SEC), 0);
	CHECK_EQ(rd(&pm, 6, 2, 5 * SEC), 0xFFFF);               /* the gap */
}

TEST(acpi_pm_enable_bits_stick)
{
	struct acpi_pm pm;

	/* ACPICA enables a fixed event and reads the bit back to see the hardware is there. */
	acpi_pm_reset(&pm, 0);
	CHECK_EQ(wr(&pm, EN, 2, ACPI_PM1_GBL), ACPI_PM_NOTHING);
	CHECK_EQ(rd(&pm, EN, 2, 0), ACPI_PM1_GBL);
	wr(&pm, EN, 2, ACPI_PM1_GBL | ACPI_PM1_RTC | ACPI_PM1_PWRBTN | ACPI_PM1_TMR);
	CHECK_EQ(rd(&pm, EN, 2, 0), ACPI_PM1_GBL | ACPI_PM1_RTC | ACPI_PM1_PWRBTN | ACPI_PM1_TMR);
	wr(&pm, EN, 2, 0xFFFF);                                  /* reserved bits read 0 */
	CHECK_EQ(rd(&pm, EN, 2, 0), 0x4721);
	wr(&pm, EN + 1, 1, 0);                                   /* one byte at a time */
	CHECK_EQ(rd(&pm, EN, 2, 0), 0x0021);
	CHECK_EQ(rd(&pm, EN + 1, 1, 0), 0);
	/* Enable writes touch neither status nor control. */
	CHECK_EQ(rd(&pm, STS, 2, 0), 0);
	CHECK_EQ(rd(&pm, CNT, 2, 0), ACPI_PM1_SCI_EN);
}

TEST(acpi_pm_status_write_one_to_clear)
{
	struct acpi_pm pm;

	acpi_pm_reset(&pm, 0);
	pm.status = ACPI_PM1_WAK | ACPI_PM1_PWRBTN | ACPI_PM1_TMR;
	wr(&pm, STS, 2, ACPI_PM1_PWRBTN);
	CHECK_EQ(rd(&pm, STS, 2, 0), ACPI_PM1_WAK | ACPI_PM1_TMR);
	wr(&pm, STS, 2, 0);                                      /* zeros change nothing */
	CHECK_EQ(rd(&pm, STS, 2, 0), ACPI_PM1_WAK | ACPI_PM1_TMR);
	wr(&pm, STS + 1, 1, ACPI_PM1_WAK >> 8);
	CHECK_EQ(rd(&pm, STS, 2, 0), ACPI_PM1_TMR);
	wr(&pm, STS, 2, 0xFFFF);                                 /* ACPICA clears them all */
	CHECK_EQ(rd(&pm, STS, 2, 0), 0);
}

/* ACPICA's sleep sequence: write SLP_TYP, then SLP_TYP | SLP_EN. */
TEST(acpi_pm_s5_powers_off)
{
	struct acpi_pm pm;
	uint32_t cnt;

	acpi_pm_reset(&pm, 0);
	cnt = rd(&pm, CNT, 2, 0) & ~(ACPI_PM1_SLP_TYP | ACPI_PM1_SLP_EN);
	cnt |= 5u << ACPI_PM1_SLP_TYP_SHIFT;
	CHECK_EQ(wr(&pm, CNT, 2, cnt), ACPI_PM_NOTHING);
	CHECK_EQ(rd(&pm, CNT, 2, 0), cnt);                       /* SLP_TYP kept, SCI_EN still 1 */
	CHECK_EQ(wr(&pm, CNT, 2, cnt | ACPI_PM1_SLP_EN), ACPI_PM_POWEROFF);
	CHECK_EQ(rd(&pm, CNT, 2, 0) & ACPI_PM1_SLP_EN, 0);       /* write-only */

	/* The same as two byte writes: SLP_EN and SLP_TYP share the high byte. */
	acpi_pm_reset(&pm, 0);
	CHECK_EQ(wr(&pm, CNT, 1, 0x01), ACPI_PM_NOTHING);
	CHECK_EQ(wr(&pm, CNT + 1, 1, (ACPI_PM1_SLP_EN | 5u << ACPI_PM1_SLP_TYP_SHIFT) >> 8),
		 ACPI_PM_POWEROFF);
	/* And as part of a 32-bit write starting at the enable register. */
	acpi_pm_reset(&pm, 0);
	CHECK_EQ(wr(&pm, EN, 4, (ACPI_PM1_SLP_EN | 5u << ACPI_PM1_SLP_TYP_SHIFT) << 16),
		 ACPI_PM_POWEROFF);
}

TEST(acpi_pm_other_sleep_states_ignored)
{
	struct acpi_pm pm;

	acpi_pm_reset(&pm, 0);
	for (uint32_t typ = 0; typ < 8; typ++) {
		enum acpi_pm_request want = typ == 5 ? ACPI_PM_POWEROFF : ACPI_PM_NOTHING;

		CHECK_EQ(wr(&pm, CNT, 2, typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN), want);
		/* Without SLP_EN no type does anything. */
		CHECK_EQ(wr(&pm, CNT, 2, typ << ACPI_PM1_SLP_TYP_SHIFT), ACPI_PM_NOTHING);
	}
	/* SLP_EN written alone uses the type in the same byte (0 here), not a stale one. */
	wr(&pm, CNT, 2, 5u << ACPI_PM1_SLP_TYP_SHIFT);
	CHECK_EQ(wr(&pm, CNT + 1, 1, ACPI_PM1_SLP_EN >> 8), ACPI_PM_NOTHING);
	/* Writes to the timer and the gap do nothing either. */
	CHECK_EQ(wr(&pm, TMR, 4, 0xFFFFFFFF), ACPI_PM_NOTHING);
	CHECK_EQ(wr(&pm, 6, 2, 0xFFFF), ACPI_PM_NOTHING);
	CHECK_EQ(rd(&pm, TMR, 4, 0), 0);
}

TEST(acpi_pm_timer_rate_and_wrap)
{
	CHECK_EQ(acpi_pm_timer_count(0), 0);
	CHECK_EQ(acpi_pm_timer_count(SEC), 3579545);
	CHECK_EQ(acpi_pm_timer_count(SEC / 1000), 3579);         /* 3579.545 ticks per ms */
	CHECK_EQ(acpi_pm_timer_count(280), 1);                   /* one tick is 279.4 ns */
	CHECK_EQ(acpi_pm_timer_count(279), 0);
	/* 24 bits wrap after 2^24 ticks, about 4.69 s. */
	CHECK_EQ(acpi_pm_timer_count(5 * SEC), (5ULL * 3579545) & 0xFFFFFF);
	/* A host up for ten years: no 64-bit overflow on the way. */
	CHECK_EQ(acpi_pm_timer_count(315360000ULL * SEC), (315360000ULL * 3579545) & 0xFFFFFF);
}

TEST(acpi_pm_timer_reads)
{
	struct acpi_pm pm;
	uint64_t t0 = 1000 * SEC;
	uint32_t prev = 0;

	acpi_pm_reset(&pm, t0);
	CHECK_EQ(rd(&pm, TMR, 4, t0 + SEC), 3579545);
	/* The top byte of the register is always 0 (a 24-bit timer, TMR_VAL_EXT clear). */
	CHECK_EQ(rd(&pm, TMR + 3, 1, t0 + 4 * SEC), 0);
	CHECK_EQ(rd(&pm, TMR, 2, t0 + SEC), 3579545 & 0xFFFF);
	CHECK_EQ(rd(&pm, TMR + 2, 1, t0 + SEC), (3579545 >> 16) & 0xFF);
	/* Monotonic within a wrap: what Linux's acpi_pm clocksource checks. */
	for (uint64_t ns = 0; ns < 4 * SEC; ns += 9999991) {
		uint32_t now = rd(&pm, TMR, 4, t0 + ns);

		CHECK(now >= prev);
		prev = now;
	}
	/* A clock that went backwards before the start reads 0, not garbage. */
	CHECK_EQ(rd(&pm, TMR, 4, t0 - 1), 0);
}

TEST(acpi_pm_reset_restores_power_on_state)
{
	struct acpi_pm pm;

	acpi_pm_reset(&pm, 0);
	wr(&pm, EN, 2, ACPI_PM1_PWRBTN | ACPI_PM1_RTC);
	wr(&pm, CNT, 2, ACPI_PM1_BM_RLD | 3u << ACPI_PM1_SLP_TYP_SHIFT);
	CHECK(rd(&pm, EN, 2, SEC) != 0);
	CHECK(rd(&pm, TMR, 4, SEC) != 0);
	acpi_pm_reset(&pm, 7 * SEC);
	CHECK_EQ(rd(&pm, STS, 2, 7 * SEC), 0);
	CHECK_EQ(rd(&pm, EN, 2, 7 * SEC), 0);
	CHECK_EQ(rd(&pm, CNT, 2, 7 * SEC), ACPI_PM1_SCI_EN);
	CHECK_EQ(rd(&pm, TMR, 4, 7 * SEC), 0); /* the timer starts again from 0 */
}
