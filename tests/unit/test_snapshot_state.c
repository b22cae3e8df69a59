/* SPDX-License-Identifier: MIT */
/*
 * State readers (src/snapshot_state.c): why a reader is bad is one line, the first
 * reason found, which loadvm's error shows.
 */
#include "test.h"

#include <errno.h>

#include "snapshot_state.h"

TEST(state_reader_says_why_it_is_bad)
{
	static const uint8_t bytes[5] = { 1, 2, 3, 4, 7 };
	struct state_reader r;

	/* Short. */
	state_reader_init(&r, bytes, 3);
	CHECK_EQ(state_get_u32(&r), 0);
	CHECK_STR(state_reader_error(&r), "it ends inside a field (3 of 4 bytes there)");
	/* The first reason stays. */
	CHECK_EQ(state_reject(&r, "something else"), -EINVAL);
	CHECK_STR(state_reader_error(&r), "it ends inside a field (3 of 4 bytes there)");
	CHECK_EQ(state_reader_done(&r), -EINVAL);

	/* Fine so far, then bytes left over. */
	state_reader_init(&r, bytes, 5);
	CHECK_EQ(state_get_u32(&r), 0x04030201);
	CHECK_STR(state_reader_error(&r), "it has bytes after its last field");
	/* A flag that is neither 0 nor 1. */
	CHECK(!state_get_bool(&r));
	CHECK_STR(state_reader_error(&r), "a flag is 7, not 0 or 1");
	CHECK_EQ(state_reader_done(&r), -EINVAL);

	/* A device's own reason, with its values. */
	state_reader_init(&r, bytes, 5);
	CHECK_EQ(state_reject(&r, "IOAPIC IOREGSEL 0x%x is not a register", 0x80000010u), -EINVAL);
	CHECK_STR(state_reader_error(&r), "IOAPIC IOREGSEL 0x80000010 is not a register");
	state_reader_init(&r, bytes, 0);
	CHECK_STR(state_reader_error(&r), "");
	CHECK_EQ(state_reader_done(&r), 0);
}
