/* SPDX-License-Identifier: MIT */
/*
 * The PLIC model (src/dev/plic.c): priorities, enables, thresholds, claim
 * and complete, level-triggered sources, and each context's output.
 */
#include "../test.h"

#include "dev/plic.h"

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
