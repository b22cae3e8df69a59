/* SPDX-License-Identifier: MIT */
/*
 * Packet text: reading numbers and hex from a received packet in place (a
 * cursor over the packet buffer, nothing copied) and building a reply in a
 * fixed buffer that refuses to overflow. Internal to gdbstub.
 */
#ifndef MINIKVM_GDBSTUB_TEXT_H
#define MINIKVM_GDBSTUB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A read position in a packet: [p, end). Every reader checks end. */
struct rsp_cursor {
	const char *p, *end;
};

int rsp_hex_digit(int c);                 /* 0..15, or -1 */
size_t rsp_cursor_left(const struct rsp_cursor *c);
bool rsp_at_end(const struct rsp_cursor *c);
/* Consume ch / the literal prefix if it is next; false (nothing consumed) if not. */
bool rsp_eat(struct rsp_cursor *c, char ch);
bool rsp_eat_str(struct rsp_cursor *c, const char *prefix);
/* A hex number of at least one digit that fits in 64 bits. */
bool rsp_hex_u64(struct rsp_cursor *c, uint64_t *out);
/* A thread id: "-1", hex, or "pPID.TID" (the pid is ignored). */
bool rsp_thread_id(struct rsp_cursor *c, long *tid);
/* Decode 2*n hex digits into n bytes; false on a bad digit. */
bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out);
void rsp_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * A reply under construction; once overflow is set further writes are
 * dropped. The memory behind it must have one spare byte past cap (for
 * vsnprintf's NUL).
 */
struct rsp_buf {
	char *data;
	size_t len, cap;
	size_t want;   /* bytes asked for, including those dropped */
	bool overflow;
};

void rsp_buf_init(struct rsp_buf *b, char *data, size_t cap);
void rsp_buf_reset(struct rsp_buf *b);
void rsp_put(struct rsp_buf *b, const void *data, size_t n);
void rsp_puts(struct rsp_buf *b, const char *s);
void rsp_putc(struct rsp_buf *b, char ch);
void rsp_put_hex(struct rsp_buf *b, const uint8_t *data, size_t n);
void rsp_printf(struct rsp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with XML's special characters as entities. */
void rsp_put_xml_text(struct rsp_buf *b, const char *s);

#endif
