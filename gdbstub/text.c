/* SPDX-License-Identifier: MIT */
/*
 * Packet text helpers. Everything a packet says is untrusted: every reader
 * here checks the end of the packet and the size of a number before use.
 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char hex_chars[] = "0123456789abcdef";

int rsp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t rsp_cursor_left(const struct rsp_cursor *c)
{
	return (size_t)(c->end - c->p);
}

bool rsp_at_end(const struct rsp_cursor *c)
{
	return c->p >= c->end;
}

bool rsp_eat(struct rsp_cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

bool rsp_eat_str(struct rsp_cursor *c, const char *prefix)
{
	size_t n = strlen(prefix);

	if (rsp_cursor_left(c) < n || memcmp(c->p, prefix, n) != 0)
		return false;
	c->p += n;
	return true;
}

bool rsp_hex_u64(struct rsp_cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = c->p;
	int d;

	while (p < c->end && (d = rsp_hex_digit(*p)) >= 0) {
		if (v >> 60)
			return false; /* the next digit would not fit */
		v = v << 4 | (uint64_t)d;
		p++;
	}
	if (p == c->p)
		return false;
	c->p = p;
	*out = v;
	return true;
}

/* Thread ids are small positive numbers here; anything huge is rejected. */
static bool thread_number(struct rsp_cursor *c, long *out)
{
	uint64_t v;

	if (rsp_eat_str(c, "-1")) {
		*out = -1;
		return true;
	}
	if (!rsp_hex_u64(c, &v) || v > 0x7fffffff)
		return false;
	*out = (long)v;
	return true;
}

bool rsp_thread_id(struct rsp_cursor *c, long *tid)
{
	long pid;

	if (rsp_eat(c, 'p')) {
		if (!thread_number(c, &pid))
			return false;
		if (!rsp_eat(c, '.')) {
			*tid = -1; /* "pPID" alone means all its threads */
			return true;
		}
	}
	return thread_number(c, tid);
}

bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hex_digit(hex[2 * i]), lo = rsp_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void rsp_hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_chars[in[i] >> 4];
		out[2 * i + 1] = hex_chars[in[i] & 15];
	}
}

void rsp_buf_init(struct rsp_buf *b, char *data, size_t cap)
{
	b->data = data;
	b->cap = cap;
	rsp_buf_reset(b);
}

void rsp_buf_reset(struct rsp_buf *b)
{
	b->len = 0;
	b->want = 0;
	b->overflow = false;
}

void rsp_put(struct rsp_buf *b, const void *data, size_t n)
{
	b->want += n;
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

void rsp_puts(struct rsp_buf *b, const char *s)
{
	rsp_put(b, s, strlen(s));
}

void rsp_putc(struct rsp_buf *b, char ch)
{
	rsp_put(b, &ch, 1);
}

void rsp_put_hex(struct rsp_buf *b, const uint8_t *data, size_t n)
{
	b->want += 2 * n;
	if (b->overflow || n > (b->cap - b->len) / 2) {
		b->overflow = true;
		return;
	}
	rsp_hex_encode(data, n, b->data + b->len);
	b->len += 2 * n;
}

void rsp_printf(struct rsp_buf *b, const char *fmt, ...)
{
	size_t room = b->cap - b->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* vsnprintf writes a NUL; the buffers have one spare byte past cap. */
	if (b->overflow)
		n = vsnprintf(NULL, 0, fmt, ap);
	else
		n = vsnprintf(b->data + b->len, room + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	b->want += (size_t)n;
	if (b->overflow || (size_t)n > room) {
		b->overflow = true;
		return;
	}
	b->len += (size_t)n;
}

void rsp_put_xml_text(struct rsp_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': rsp_puts(b, "&lt;"); break;
		case '>': rsp_puts(b, "&gt;"); break;
		case '&': rsp_puts(b, "&amp;"); break;
		case '"': rsp_puts(b, "&quot;"); break;
		case '\'': rsp_puts(b, "&apos;"); break;
		default:
			/* XML 1.0 has no place for control characters. */
			rsp_putc(b, (unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' ? '?' : *s);
			break;
		}
	}
}
