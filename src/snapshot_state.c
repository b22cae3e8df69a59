/* SPDX-License-Identifier: MIT */
/* Snapshot state buffers: the writer and the checking reader (snapshot_state.h says how). */
#include "snapshot_state.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *state_put_space(struct state_writer *w, size_t n)
{
	void *p;

	if (w->failed)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = true;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *b;

		while (cap < w->len + n)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->failed = true;
			return NULL;
		}
		w->buf = b;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void state_put(struct state_writer *w, const void *p, size_t n)
{
	void *d = state_put_space(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void state_put_u8(struct state_writer *w, uint8_t v)
{
	state_put(w, &v, 1);
}

void state_put_u16(struct state_writer *w, uint16_t v)
{
	v = htole16(v);
	state_put(w, &v, 2);
}

void state_put_u32(struct state_writer *w, uint32_t v)
{
	v = htole32(v);
	state_put(w, &v, 4);
}

void state_put_u64(struct state_writer *w, uint64_t v)
{
	v = htole64(v);
	state_put(w, &v, 8);
}

void state_put_bool(struct state_writer *w, bool v)
{
	state_put_u8(w, v ? 1 : 0);
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->bad = false;
	r->why[0] = '\0';
}

int state_reject(struct state_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->why[0]) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	r->bad = true;
	return -EINVAL;
}

const void *state_get_ptr(struct state_reader *r, size_t n)
{
	const void *p;

	if (r->bad)
		return NULL;
	if (n > r->len - r->off) {
		state_reject(r, "it ends inside a field (%zu of %zu bytes there)", r->len - r->off, n);
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

void state_get(struct state_reader *r, void *p, size_t n)
{
	const void *s = state_get_ptr(r, n);

	if (s)
		memcpy(p, s, n);
	else
		memset(p, 0, n);
}

uint8_t state_get_u8(struct state_reader *r)
{
	uint8_t v;

	state_get(r, &v, 1);
	return v;
}

uint16_t state_get_u16(struct state_reader *r)
{
	uint16_t v;

	state_get(r, &v, 2);
	return le16toh(v);
}

uint32_t state_get_u32(struct state_reader *r)
{
	uint32_t v;

	state_get(r, &v, 4);
	return le32toh(v);
}

uint64_t state_get_u64(struct state_reader *r)
{
	uint64_t v;

	state_get(r, &v, 8);
	return le64toh(v);
}

uint64_t state_get_max(struct state_reader *r, uint64_t max)
{
	uint64_t v = state_get_u64(r);

	if (v > max) {
		state_reject(r, "a value is %llu, at most %llu makes sense", (unsigned long long)v,
			     (unsigned long long)max);
		return 0;
	}
	return v;
}

bool state_get_bool(struct state_reader *r)
{
	uint8_t v = state_get_u8(r);

	if (v > 1)
		state_reject(r, "a flag is %u, not 0 or 1", v);
	return v == 1;
}

int state_reader_done(const struct state_reader *r)
{
	return r->bad || r->off != r->len ? -EINVAL : 0;
}

const char *state_reader_error(const struct state_reader *r)
{
	if (r->why[0])
		return r->why;
	if (!r->bad && r->off != r->len)
		return "it has bytes after its last field";
	return r->bad ? "a value out of range" : "";
}
