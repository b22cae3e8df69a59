/* SPDX-License-Identifier: MIT */
/*
 * Snapshot state buffers: how a device (or the arch) writes its state into a
 * snapshot and reads it back. A writer appends little-endian fields to a
 * growing buffer; a reader takes them out in the same order and checks
 * every length and range, because a snapshot may come from a file
 * (untrusted: truncated, corrupt, or made by someone else).
 *
 * Errors are sticky: after the first failure (out of memory, bytes
 * missing, a value out of range) every later call does nothing, and
 * state_reader_done() / w->failed tell the caller once at the end. So a
 * device's save and load are straight lists of fields with one check.
 */
#ifndef MINIKVM_SNAPSHOT_STATE_H
#define MINIKVM_SNAPSHOT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	bool failed;        /* out of memory: the buffer is incomplete */
};

struct state_reader {
	const uint8_t *buf;
	size_t len, off;
	bool bad;           /* too short, or a value out of range */
	char why[128];      /* the first reason it is bad, one line (see state_reject()) */
};

/* Make room for n more bytes; a pointer to them (the writer's len moves on), or NULL. */
void *state_put_space(struct state_writer *w, size_t n);
void state_put(struct state_writer *w, const void *p, size_t n);
void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bool(struct state_writer *w, bool v);
void state_writer_free(struct state_writer *w);

void state_reader_init(struct state_reader *r, const void *buf, size_t len);
/* The next n bytes (NULL and r->bad if fewer are left). */
const void *state_get_ptr(struct state_reader *r, size_t n);
void state_get(struct state_reader *r, void *p, size_t n);
uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* 0 or 1; anything else marks the reader bad. */
bool state_get_bool(struct state_reader *r);
/* A value that must be <= max (an index, an enum): else 0 and bad. */
uint64_t state_get_max(struct state_reader *r, uint64_t max);
/*
 * A value read makes no sense (it would index, divide, shift or loop out of
 * bounds): mark r bad with why, one line naming the field and its value,
 * e.g. "IOREGSEL 0x80000010 is not a register". The first reason is kept.
 * Returns -EINVAL, so a device's load can `return state_reject(r, ...)`.
 */
int state_reject(struct state_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every byte taken and nothing bad: 0, else -EINVAL. */
int state_reader_done(const struct state_reader *r);
/* Why r is bad or not at its end, one line ("" if it is fine). */
const char *state_reader_error(const struct state_reader *r);

#endif
