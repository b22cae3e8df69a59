/* SPDX-License-Identifier: MIT */
/*
 * The PLIC model (src/dev/plic.c): priorities, enables, thresholds, claim
 * and complete, level-triggered sources, each context's output, and its
 * state saved and loaded for snapshots (a damaged one refused).
 */
#include "../test.h"

#include <errno.h>
#include <stdlib.h>

#include "dev/plic.h"
#include "snapshot_state.h"

#define CLAIM(c)     (0x200004 + 0x1000 * (c))
#define THRESHOLD(c) (0x200000 + 0x1000 * (c))
#define ENABLE(c)    (0x2000 + 0x80 * (c))

static int outputs[4], changes;

static void set_output(void *ctx, int context, int level)
{
	(void)ctx;
	outputs[context] = level;
	changes++;
}

static const struct plic_ops ops = { .set_output = set_output };

static void fresh(struct plic *p)
{
	memset(outputs, 0, sizeof(outputs));
	changes = 0;
	plic_init(p, 2, &ops, NULL);
}

/* Source 10 (the UART's) at priority 1, enabled for context 0, raised and claimed there. */
static void raised_and_claimed(struct plic *p)
{
	plic_write(p, 4 * 10, 1);
	plic_write(p, ENABLE(0), 1u << 10);
	plic_set_level(p, 10, 1);
	CHECK_EQ(outputs[0], 1);
	CHECK_EQ(plic_read(p, CLAIM(0)), 10);
}

TEST(plic_delivers_an_enabled_source_above_the_threshold)
{
	struct plic p;

	fresh(&p);
	plic_set_level(&p, 10, 1);
	CHECK_EQ(plic_read(&p, 0x1000), 1u << 10);  /* pending, but priority 0: never */
	CHECK_EQ(outputs[0], 0);
	plic_write(&p, 4 * 10, 1);
	CHECK_EQ(outputs[0], 0);                      /* not enabled yet */
	plic_write(&p, ENABLE(0), 1u << 10);
	CHECK_EQ(outputs[0], 1);
	CHECK_EQ(outputs[1], 0);                      /* context 1 did not enable it */
	plic_write(&p, THRESHOLD(0), 1);
	CHECK_EQ(outputs[0], 0);                      /* priority must exceed the threshold */
	plic_write(&p, THRESHOLD(0), 0);
	CHECK_EQ(outputs[0], 1);
	plic_destroy(&p);
}

TEST(plic_claim_complete_is_level_triggered)
{
	struct plic p;

	fresh(&p);
	raised_and_claimed(&p);
	CHECK_EQ(outputs[0], 0);                      /* claimed: no longer asks */
	CHECK_EQ(plic_read(&p, CLAIM(0)), 0);         /* nothing else */
	plic_write(&p, CLAIM(0), 10);                 /* complete with the line still high */
	CHECK_EQ(outputs[0], 1);
	CHECK_EQ(plic_read(&p, CLAIM(0)), 10);
	plic_set_level(&p, 10, 0);                    /* the device is served */
	plic_write(&p, CLAIM(0), 10);
	CHECK_EQ(outputs[0], 0);
	CHECK_EQ(plic_read(&p, 0x1000), 0);
	plic_write(&p, CLAIM(0), 10);                 /* completing twice changes nothing */
	CHECK_EQ(outputs[0], 0);
	plic_destroy(&p);
}

TEST(plic_claims_the_highest_priority_first)
{
	struct plic p;

	fresh(&p);
	plic_write(&p, 4 * 3, 1);
	plic_write(&p, 4 * 7, 5);
	plic_write(&p, ENABLE(1), (1u << 3) | (1u << 7));
	plic_set_level(&p, 3, 1);
	plic_set_level(&p, 7, 1);
	CHECK_EQ(outputs[1], 1);
	CHECK_EQ(plic_read(&p, CLAIM(1)), 7);
	CHECK_EQ(plic_read(&p, CLAIM(1)), 3);
	CHECK_EQ(outputs[1], 0);
	plic_destroy(&p);
}

TEST(plic_ignores_what_does_not_exist)
{
	struct plic p;

	fresh(&p);
	plic_set_level(&p, 0, 1);                     /* source 0 means "none" */
	plic_set_level(&p, PLIC_SOURCES, 1);
	plic_write(&p, 0, 7);                         /* its priority stays 0 */
	CHECK_EQ(plic_read(&p, 0), 0);
	CHECK_EQ(plic_read(&p, 0x1000), 0);
	plic_write(&p, ENABLE(5), ~0u);               /* a context past the harts */
	CHECK_EQ(plic_read(&p, ENABLE(5)), 0);
	CHECK_EQ(plic_read(&p, CLAIM(9)), 0);
	plic_write(&p, 4 * 2, 0xff);                  /* priorities are 3 bits */
	CHECK_EQ(plic_read(&p, 4 * 2), 7);
	CHECK_EQ(changes, 0);
	plic_destroy(&p);
}

TEST(plic_reset_lowers_outputs_and_keeps_held_lines_pending)
{
	struct plic p;

	fresh(&p);
	raised_and_claimed(&p);
	plic_reset(&p);
	CHECK_EQ(outputs[0], 0);
	CHECK_EQ(plic_read(&p, ENABLE(0)), 0);
	CHECK_EQ(plic_read(&p, 0x1000), 1u << 10);
	plic_destroy(&p);
}

/* A PLIC's state saved and loaded into a fresh one: the same registers, and its output driven. */
TEST(plic_save_load_round_trip)
{
	struct plic p, q;
	struct state_writer w = { 0 };
	struct state_reader r;

	fresh(&p);
	plic_write(&p, 4 * 3, 2);
	plic_write(&p, ENABLE(0), 1u << 3);
	plic_write(&p, THRESHOLD(1), 5);
	plic_set_level(&p, 3, 1);                     /* context 0's output high */
	plic_set_level(&p, 9, 1);                     /* a line held, priority 0 */
	plic_save(&p, &w);
	CHECK(!w.failed);
	plic_destroy(&p);

	fresh(&q);
	state_reader_init(&r, w.buf, w.len);
	CHECK_EQ(plic_load(&q, &r), 0);
	CHECK_EQ(state_reader_done(&r), 0);
	CHECK_EQ(outputs[0], 1);                      /* told, though nothing was written */
	CHECK_EQ(outputs[1], 0);
	CHECK_EQ(plic_read(&q, 4 * 3), 2);
	CHECK_EQ(plic_read(&q, ENABLE(0)), 1u << 3);
	CHECK_EQ(plic_read(&q, THRESHOLD(1)), 5);
	CHECK_EQ(plic_read(&q, 0x1000), (1u << 3) | (1u << 9));
	CHECK_EQ(plic_read(&q, CLAIM(0)), 3);
	CHECK_EQ(outputs[0], 0);
	plic_destroy(&q);
	state_writer_free(&w);
}

/* Loads of what no guest could have written are refused, with a reason, and change nothing. */
TEST(plic_load_refuses_damaged_state)
{
	/*
	 * Offsets into a saved PLIC of 2 contexts: the count, 32 priorities,
	 * level, pending, claimed, then (enable, threshold) per context.
	 */
	static const struct { size_t at; uint32_t value; const char *why; } bad[] = {
		{ 0, 3, "3 contexts" },
		{ 4 + 4 * 5, 8, "priority is 8" },
		{ 4, 1, "source 0's priority" },
		{ 4 + 4 * 32, 1, "source 0 (none)" },
		{ 4 + 4 * 34, 0x11, "source 0 (none)" },
		{ 4 + 4 * 35, 1, "context 0: enables 0x1" },
		{ 4 + 4 * 35 + 12, 9, "context 1: enables 0, threshold 9" },
	};
	struct plic p;
	struct state_writer w = { 0 };
	struct state_reader r;

	fresh(&p);
	plic_save(&p, &w);
	CHECK_EQ(w.len, 4 + 4 * 35 + 2 * 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *copy = malloc(w.len);

		memcpy(copy, w.buf, w.len);
		memcpy(copy + bad[i].at, &bad[i].value, 4);
		state_reader_init(&r, copy, w.len);
		CHECK_EQ(plic_load(&p, &r), -EINVAL);
		CHECK(strstr(state_reader_error(&r), bad[i].why) != NULL);
		free(copy);
	}
	state_reader_init(&r, w.buf, w.len - 1);      /* truncated */
	CHECK(plic_load(&p, &r) < 0 || state_reader_done(&r) < 0);
	CHECK_EQ(plic_read(&p, 4 * 5), 0);
	CHECK_EQ(changes, 0);
	plic_destroy(&p);
	state_writer_free(&w);
}
