/* SPDX-License-Identifier: MIT */
/*
 * 9P's encoding: little-endian integers, strings as len[2] + bytes, qids as
 * type[1] version[4] path[8]. Reads never pass the request's end (a short
 * request marks itself bad and reads as zeros); writes never pass the reply
 * buffer (a full reply marks itself full and the dispatcher answers
 * EMSGSIZE instead).
 */
#include <string.h>

#include "p9/internal.h"

static const uint8_t *take(struct p9_in *in, size_t n)
{
	const uint8_t *at;

	if (in->bad || in->len - in->pos < n) {
		in->bad = true;
		return NULL;
	}
	at = in->p + in->pos;
	in->pos += n;
	return at;
}

static uint64_t get_le(struct p9_in *in, size_t n)
{
	const uint8_t *at = take(in, n);
	uint64_t v = 0;

	for (size_t i = 0; at && i < n; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

uint8_t p9_get8(struct p9_in *in) { return (uint8_t)get_le(in, 1); }
uint16_t p9_get16(struct p9_in *in) { return (uint16_t)get_le(in, 2); }
uint32_t p9_get32(struct p9_in *in) { return (uint32_t)get_le(in, 4); }
uint64_t p9_get64(struct p9_in *in) { return get_le(in, 8); }

const uint8_t *p9_getbytes(struct p9_in *in, size_t n)
{
	return take(in, n);
}

struct p9_str p9_getstr(struct p9_in *in)
{
	struct p9_str str = { "", 0 };
	uint16_t len = p9_get16(in);
	const uint8_t *at = take(in, len);

	if (at) {
		str.s = (const char *)at;
		str.len = len;
	}
	return str;
}

uint8_t *p9_reserve(struct p9_out *out, size_t n)
{
	uint8_t *at;

	if (out->full || out->cap - out->pos < n) {
		out->full = true;
		return NULL;
	}
	at = out->p + out->pos;
	out->pos += n;
	return at;
}

size_t p9_room(const struct p9_out *out)
{
	return out->full ? 0 : out->cap - out->pos;
}

static void put_le(struct p9_out *out, uint64_t v, size_t n)
{
	uint8_t *at = p9_reserve(out, n);

	for (size_t i = 0; at && i < n; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

void p9_put8(struct p9_out *out, uint8_t v) { put_le(out, v, 1); }
void p9_put16(struct p9_out *out, uint16_t v) { put_le(out, v, 2); }
void p9_put32(struct p9_out *out, uint32_t v) { put_le(out, v, 4); }
void p9_put64(struct p9_out *out, uint64_t v) { put_le(out, v, 8); }

void p9_le32_at(uint8_t *at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

void p9_putstr(struct p9_out *out, const char *s, size_t len)
{
	uint8_t *at;

	if (len > UINT16_MAX) {
		out->full = true;
		return;
	}
	p9_put16(out, (uint16_t)len);
	at = p9_reserve(out, len);
	if (at && len)
		memcpy(at, s, len);
}

void p9_putqid(struct p9_out *out, const struct p9_qid *qid)
{
	p9_put8(out, qid->type);
	p9_put32(out, qid->version);
	p9_put64(out, qid->path);
}
